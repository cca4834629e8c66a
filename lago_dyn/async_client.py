"""`AsyncClient`: the client for asyncio code (FastAPI, aiohttp, Starlette workers). The same constructor,
names, signatures and docstrings as `Client`; every operation is a coroutine function, `paginate` an
async iterator. It shares everything that is not sending with `Client` (`BaseClient`, `Calls`, the pure
`pipeline` steps) and the `Spec` with its compiled validators; only the send loop is its own.

No blocking call happens on the event loop during a call. Making the client does block while it loads
its spec (parsing a large spec takes a fraction of a second; a URL is fetched): do it at start-up, pass
an already loaded `Spec` (`load_spec`), or `await AsyncClient.create(...)`, which loads in a worker thread.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Iterable, Iterator, Mapping

from . import tracing
from .binding import functions as binding
from .call import pipeline
from .client import BaseClient, Calls, PageTrail
from .models import ApiResponse
from .spec.model import Operation
from .wire import WireResponse

if TYPE_CHECKING:
    from .lago.events import SendReport


class AsyncCalls(Calls):
    """`Calls` with an awaited send: tokens through `aensure`, the request through the async transport."""

    async def invoke(self, operation: Operation, arguments: dict, options: dict) -> ApiResponse:  # type: ignore[override]
        plan = self.plan(operation)
        if tracing.configured():
            with tracing.span(operation, self.settings.base_url) as current:
                return tracing.answered(current, await self._ainvoke(plan, arguments, options))
        return await self._ainvoke(plan, arguments, options)

    async def _ainvoke(self, plan: pipeline.OperationPlan, arguments: dict, options: dict) -> ApiResponse:
        answer = await self._asend(plan, arguments, options)
        if plan.operation.streams:  # OpenAPI 3.2 `itemSchema`: an AsyncItemStream, items checked as they arrive
            return await pipeline.ahandle_stream(plan, answer)
        return pipeline.handle(plan, answer)

    async def send(self, operation: Operation, arguments: dict, options: dict) -> Any:  # type: ignore[override]
        """The raw answer: a WireResponse, or for a streamed operation the open stream."""
        return await self._asend(self.plan(operation), arguments, options)

    async def _asend(self, plan: pipeline.OperationPlan, arguments: dict, options: dict) -> Any:
        for fetch in plan.fetches:
            await fetch.credential.aensure(fetch.token_url, fetch.scopes, self.transport.send)
        request, started = self.start(plan, arguments, options)
        send = self.transport.stream if plan.operation.streams else self.transport.send
        return self.finish(plan.operation, request, await send(request), started)


class AsyncClient(BaseClient):
    __doc__ = f"""{BaseClient.__doc__}
    Every operation is awaited: `await client.customers.create_customer({{...}})`. Use it as
    `async with lago_dyn.AsyncClient(...) as client:` or call `await client.aclose()`; the transport is an
    `httpx2.AsyncClient` with at most `pool_maxsize` connections."""

    _calls_type = AsyncCalls
    _make_function = staticmethod(binding.make_async_function)

    @classmethod
    async def create(cls, spec: Any = None, **options: Any) -> "AsyncClient":
        """`AsyncClient(spec, **options)`, made in a worker thread so that loading the spec (a file to
        parse, a URL to fetch) does not stall the event loop."""
        return await asyncio.to_thread(cls, spec, **options)

    def _transport_opener(self, session: Any, **options: Any) -> Callable[[], Any]:
        # httpx2 is only imported by async users; without it (Python < 3.11) this is a ConfigurationError.
        from .http.httpx2_transport import Httpx2Transport

        transport = Httpx2Transport(session, **options)  # now: it checks `session`, and opening is cheap
        return lambda: transport

    def paginate(self, operation: str, /, *args: Any, progress: bool = False, **kwargs: Any) -> AsyncIterator[Any]:
        """Every item of a list endpoint, page after page, fetched lazily:
        `async for customer in client.paginate("find_all_customers", per_page=100): ...`

        The API profile knows how pages work (Lago: a `page` parameter, one array beside `meta.next_page`).
        `progress=True` shows how many items have passed (a tqdm bar on a terminal, else a line a second)."""
        items = self._pages(operation, args, kwargs)
        return _tracked(items, operation) if progress else items

    async def send_events(self, events: Iterable[Mapping[str, Any]], *, batch_size: int = 100, retries: int = 2,
                          backoff: float = 0.5) -> SendReport:
        """`await client.send_events(events)`: `Client.send_events` for asyncio code (the same batches,
        transaction ids, retries and report; waits do not block the event loop)."""
        from .lago.events import asend_events

        return await asend_events(self, events, batch_size=batch_size, retries=retries, backoff=backoff)

    async def _pages(self, operation: str, args: tuple, kwargs: dict) -> AsyncIterator[Any]:
        function, page_parameter, page = self._pager(operation, kwargs)
        trail = PageTrail(operation)
        while page is not None:
            trail.visit(page)
            items, page = self._turn_page(operation, await function(*args, **{page_parameter: page}, **kwargs),
                                          trail)
            for item in items:
                yield item

    async def send(self, operation: str, arguments: Mapping[str, Any], options: Mapping[str, Any] | None = None
                   ) -> WireResponse:
        """Prepare and send one call (arguments by Python name) and return the answer as it came, whatever
        its status, neither decoded nor validated: for facades that hand the raw answer on."""
        function = self.operation(operation)
        return await self._calls.send(function.operation, dict(arguments), dict(options or {}))  # type: ignore[attr-defined]

    # -- lifecycle -------------------------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the connections (unless the transport or its `session` was passed in)."""
        await self._calls.transport.aclose()

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()


async def _tracked(items: AsyncIterator[Any], desc: str) -> AsyncIterator[Any]:
    """`items`, counted by `progress.track` (which counts a sync iterable: it is handed one tick per item,
    and ends when the items do, so its closing line is printed)."""
    from .progress import track

    done = False

    def ticks() -> Iterator[None]:
        while not done:
            yield None

    counter = track(ticks(), desc=desc)
    async for item in items:
        next(counter)  # counts the item before it, as `track` counts when the next one is asked for
        yield item
    done = True
    next(counter, None)
