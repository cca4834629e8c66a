"""OpenTelemetry spans for calls, when the `opentelemetry` extra is installed: one span per operation,
named by its operationId, with the templated route, the method, the status and the API's error code as
attributes (OpenTelemetry's HTTP semantic conventions), around the transport's own HTTP span (requests'
or httpx's instrumentation, if the program has it). Without the extra, or with it and no tracer provider
set, nothing is imported and a call does no tracing work but one dictionary lookup. No attribute ever
holds a credential, a path value or a query value: the route is the template
(`/customers/{external_customer_id}`), never the URL sent."""

from __future__ import annotations

import contextlib
import functools
import sys
from typing import Any, Iterator
from urllib.parse import urlsplit

from ._version import __version__


def configured() -> bool:
    """Whether the program has set a tracer provider: until it does, OpenTelemetry's API drops every
    span, and a call skips making one (a no-op span costs as much as the rest of a call). Asked on every
    call, so it is a dictionary lookup until OpenTelemetry's API is imported: a program that set a provider
    has imported it, and one that did not pays nothing, not even the import (15 ms at the first call).
    Then it reads the API's own global (a provider is set once, and never unset) rather than
    `get_tracer_provider()`, which reads the environment each time."""
    trace = sys.modules.get("opentelemetry.trace")
    if trace is None or getattr(trace, "_TRACER_PROVIDER", False) is None:  # the API's "not set yet"
        return False
    return not isinstance(trace.get_tracer_provider(), (trace.ProxyTracerProvider, trace.NoOpTracerProvider))


@functools.lru_cache(maxsize=1)
def _tracer() -> Any:
    from opentelemetry import trace

    return trace.get_tracer("lago_dyn", __version__)


@functools.lru_cache(maxsize=64)
def _server(base_url: str) -> tuple[tuple[str, Any], ...]:
    server = urlsplit(base_url)
    return (("server.address", server.hostname or ""),) + ((("server.port", server.port),) if server.port else ())


@contextlib.contextmanager
def span(operation: Any, base_url: str) -> Iterator[Any]:
    """The call's span, current while it runs (only asked for when `configured()`); an exception is
    recorded on it, with the status code and the API's error code when it is an ApiError."""
    from opentelemetry.trace import SpanKind, Status, StatusCode

    tracer = _tracer()
    attributes = {"http.request.method": operation.method, "url.template": operation.path,
                  "lago_dyn.operation": operation.name, **dict(_server(base_url))}
    with tracer.start_as_current_span(operation.label, kind=SpanKind.CLIENT, attributes=attributes,
                                      record_exception=False, set_status_on_exception=False) as current:
        try:
            yield current
        except Exception as error:
            current.set_attribute("error.type", type(error).__name__)
            status = getattr(error, "status", None)  # an ApiError's, or a ResponseValidationError's
            if isinstance(status, int):
                current.set_attribute("http.response.status_code", status)
            code = getattr(error, "code", None)
            if isinstance(code, str) and code:
                current.set_attribute("lago_dyn.error.code", code)
            # The type only: a message may quote an argument (a query value that broke its schema).
            current.set_status(Status(StatusCode.ERROR, type(error).__name__))
            raise


def answered(current: Any, result: Any) -> Any:
    """`result`, after its status went on the span (an `ApiResponse`'s `status_code`)."""
    status = getattr(result, "status_code", None)
    if isinstance(status, int):
        current.set_attribute("http.response.status_code", status)
    return result
