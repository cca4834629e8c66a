"""AsyncClient's transport over the wire (issue 13, part 1): many concurrent calls through one client,
cancellation that leaves the pool sound and nothing running, retries waited with asyncio (other calls go
on meanwhile), the whole-call deadline, bounded reads, redirects, and messages without secrets."""

import asyncio
import socket
import threading

import pytest

import lago_dyn
from conftest import API_KEY
from lago_dyn.testing import LocalLago

pytestmark = pytest.mark.anyio


def pooled_connections(client):
    """The connections httpx2's pool holds right now (httpcore2's pool lists them)."""
    return client.transport.client._transport._pool.connections


async def in_thread(wait, *args):
    """Await a blocking wait (a semaphore the server releases) without stalling the event loop."""
    return await asyncio.to_thread(wait, *args)


class HeldLago(LocalLago):
    """LocalLago that holds each request carrying `X-Hold` until `release` is set: calls in flight."""

    def __init__(self, spec):
        super().__init__(spec)
        self.arrived = threading.Semaphore(0)
        self.release = threading.Event()

    def handle(self, method, target, headers, body):
        if "X-Hold" in headers:
            self.arrived.release()
            self.release.wait(10)
        return super().handle(method, target, headers, body)

    def wait_arrivals(self, count, within=10.0):
        return all(self.arrived.acquire(timeout=within) for _ in range(count))


@pytest.fixture
def held(default_spec):
    with HeldLago(default_spec) as server:
        yield server
        server.release.set()


async def test_1000_concurrent_calls_50_at_a_time_each_get_their_own_answer(lago, default_spec):
    limit, in_flight, most = asyncio.Semaphore(50), 0, 0

    async def call(client, index):
        nonlocal in_flight, most
        async with limit:
            in_flight += 1
            most = max(most, in_flight)
            try:
                created = await client.create_customer({"customer": {"external_id": f"c-{index}", "name": f"n{index}"}})
            finally:
                in_flight -= 1
        return index, created

    async with lago_dyn.AsyncClient(default_spec, base_url=lago.base_url, api_key=API_KEY, pool_maxsize=50) as client:
        answers = await asyncio.gather(*(call(client, index) for index in range(1000)))
        assert len(pooled_connections(client)) <= 50
    assert most == 50
    for index, created in answers:
        assert (created.customer.external_id, created.customer.name) == (f"c-{index}", f"n{index}")
    assert len(lago.requests) == 1000 and len({r.json["customer"]["external_id"] for r in lago.requests}) == 1000


async def test_cancelling_100_calls_in_flight_leaves_the_pool_sound_and_nothing_running(held, default_spec):
    before = asyncio.all_tasks()
    async with lago_dyn.AsyncClient(default_spec, base_url=held.base_url, api_key=API_KEY,
                                    pool_maxsize=100) as client:
        calls = [asyncio.create_task(client.find_all_customers(_headers={"X-Hold": "1"})) for _ in range(100)]
        assert await in_thread(held.wait_arrivals, 100)  # all 100 sent, none answered
        for call in calls:
            call.cancel()
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)
        assert asyncio.all_tasks() == before  # nothing left behind in the background
        assert all(connection.is_idle() for connection in pooled_connections(client))
        held.release.set()
        answers = await asyncio.gather(*(client.create_customer({"customer": {"external_id": f"after-{index}"}})
                                         for index in range(100)))
        assert [a.customer.external_id for a in answers] == [f"after-{index}" for index in range(100)]
        assert all(connection.is_idle() for connection in pooled_connections(client))
    assert asyncio.all_tasks() == before


class DripServer:
    """A raw HTTP/1.1 server on 127.0.0.1 answering every GET with `body`; a request carrying `X-Hold`
    gets the headers and half the body, then nothing: it records whether the client closes that
    connection (a half-read connection must never go back to a pool)."""

    def __init__(self, body: bytes):
        self.body = body
        self.half_sent = threading.Semaphore(0)
        self.closed_by_client = threading.Semaphore(0)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        try:
            self._answer(connection)
        except OSError:  # the client hung up mid-answer: its business
            pass

    def _answer(self, connection):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(self.body)
        with connection, connection.makefile("rb") as reader:
            while True:
                lines = []
                while (line := reader.readline()) not in (b"\r\n", b""):
                    lines.append(line.lower())
                if not lines:
                    return
                if any(line.startswith(b"x-chunked:") for line in lines):
                    chunks = [self.body[i:i + 8192] for i in range(0, len(self.body), 8192)] + [b""]
                    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       b"Transfer-Encoding: chunked\r\n\r\n" +
                                       b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks))
                    continue
                if not any(line.startswith(b"x-hold:") for line in lines):
                    connection.sendall(head + self.body)
                    continue
                connection.sendall(head + self.body[: len(self.body) // 2])
                self.half_sent.release()
                connection.settimeout(10)
                try:
                    closed = reader.read(1) == b""
                except OSError:
                    closed = True
                if closed:
                    self.closed_by_client.release()
                return

    def close(self):
        self.listener.close()


def acquire_all(semaphore, count, within=10.0):
    return all(semaphore.acquire(timeout=within) for _ in range(count))


async def test_a_call_cancelled_while_its_body_arrives_closes_that_connection(default_spec):
    body = b'{"customers": [], "meta": {"current_page": 1, "next_page": null, "prev_page": null, ' \
           b'"total_pages": 1, "total_count": 0}, "padding": "' + b"x" * 4000 + b'"}'
    server = DripServer(body)
    async with lago_dyn.AsyncClient(default_spec, base_url=server.url + "/api/v1", api_key=API_KEY,
                                    pool_maxsize=5, response_validation="off") as client:
        calls = [asyncio.create_task(client.find_all_customers(_headers={"X-Hold": "1"})) for _ in range(5)]
        assert await in_thread(acquire_all, server.half_sent, 5)
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)
        assert await in_thread(acquire_all, server.closed_by_client, 5)
        answers = await asyncio.gather(*(client.find_all_customers() for _ in range(20)))
        assert all(answer.padding == "x" * 4000 for answer in answers)  # no leftover bytes read as an answer
    server.close()


async def test_retries_wait_with_asyncio_while_other_calls_go_on(lago, default_spec):
    lago.reply("find_all_customers", status=503, body={"status": 503, "error": "Unavailable"},
               headers={"Retry-After": "0.8"}, times=2)
    loop = asyncio.get_running_loop()
    async with lago_dyn.AsyncClient(default_spec, base_url=lago.base_url, api_key=API_KEY,
                                    retry=lago_dyn.RetryPolicy(retries=2)) as client:
        started = loop.time()
        retried = asyncio.create_task(client.find_all_customers())
        others = await asyncio.gather(*(client.create_customer({"customer": {"external_id": f"o-{index}"}})
                                        for index in range(20)))
        assert len(others) == 20 and loop.time() - started < 0.8  # done within the first wait: it held nothing
        assert not retried.done()
        page = await retried
        elapsed = loop.time() - started
    assert page.meta.total_count == 20
    assert 1.6 <= elapsed < 5.0  # two waits of the server's Retry-After
    assert [r.operation for r in lago.requests].count("find_all_customers") == 3


async def test_a_post_is_not_retried(lago, default_spec):
    lago.reply("create_customer", status=503, body={"status": 503, "error": "Unavailable"}, times=1)
    async with lago_dyn.AsyncClient(default_spec, base_url=lago.base_url, api_key=API_KEY) as client:
        with pytest.raises(lago_dyn.ServerError):
            await client.create_customer({"customer": {"external_id": "once"}})
    assert len(lago.requests) == 1  # a replayed POST could create a second invoice


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    yield listener.getsockname()[1]
    listener.close()


async def test_the_deadline_bounds_a_whole_call_and_its_error_holds_no_secret(default_spec, silent_port):
    loop = asyncio.get_running_loop()
    client = lago_dyn.AsyncClient(default_spec, base_url=f"http://127.0.0.1:{silent_port}/api/v1",
                                  api_key=API_KEY, timeout=(1.0, 10.0), deadline=0.5)
    started = loop.time()
    with pytest.raises(lago_dyn.RequestTimeoutError) as caught:
        await client.find_all_customers(per_page=7)
    assert 0.5 <= loop.time() - started < 1.5  # the deadline, not the 10 s read timeout
    assert str(caught.value) == (f"GET http://127.0.0.1:{silent_port}/api/v1/customers: no complete answer "
                                 f"from 127.0.0.1:{silent_port} within the 0.5 s deadline")  # no query
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    assert lago_dyn.AsyncClient(default_spec, base_url="http://127.0.0.1:9", timeout=(1, 2)).transport.deadline == 5
    await client.aclose()


async def test_a_read_timeout_is_a_request_timeout_error(default_spec, silent_port):
    client = lago_dyn.AsyncClient(default_spec, base_url=f"http://127.0.0.1:{silent_port}/api/v1",
                                  api_key=API_KEY, timeout=(1.0, 0.3), retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.RequestTimeoutError, match="no answer from 127.0.0.1:.* within the timeout"):
        await client.find_all_customers()
    await client.aclose()


async def test_refused_connections_are_told_in_our_words(default_spec):
    async with lago_dyn.AsyncClient(default_spec, base_url="http://127.0.0.1:9/api/v1", api_key=API_KEY,
                                    retry=lago_dyn.RetryPolicy(retries=0)) as client:
        with pytest.raises(lago_dyn.TransportError) as caught:
            await client.find_all_customers(per_page=3)
    assert str(caught.value) == "GET http://127.0.0.1:9/api/v1/customers: connection refused (127.0.0.1:9)"
    assert caught.value.__context__ is None and API_KEY not in repr(caught.value)


async def test_answers_over_the_size_limit_are_refused_and_their_connection_freed(lago, default_spec):
    lago.reply("find_all_customers", content=b"[" + b"0," * 5000 + b"0]", times=1)
    async with lago_dyn.AsyncClient(default_spec, base_url=lago.base_url, api_key=API_KEY, timeout=(1, 1),
                                    max_response_bytes=1000, pool_maxsize=1,
                                    retry=lago_dyn.RetryPolicy(retries=0)) as client:
        with pytest.raises(lago_dyn.TransportError, match="response of 10,003 bytes is over the 1,000-byte limit"):
            await client.find_all_customers()
        assert (await client.find_all_customers()).customers == []  # the one pooled connection is free again


async def test_a_streamed_answer_is_cut_off_past_the_limit(default_spec):
    server = DripServer(b'{"customers": [], "padding": "' + b"x" * 200_000 + b'"}')
    async with lago_dyn.AsyncClient(default_spec, base_url=server.url + "/api/v1", api_key=API_KEY, timeout=(1, 1),
                                    max_response_bytes=100_000, pool_maxsize=1, response_validation="off",
                                    retry=lago_dyn.RetryPolicy(retries=0)) as client:
        for _ in range(2):  # the second time on the one pooled connection, freed (else: no free connection)
            with pytest.raises(lago_dyn.TransportError, match="response is over the 100,000-byte limit"):
                await client.find_all_customers(_headers={"X-Chunked": "1"})
    server.close()


async def test_redirects_are_followed_by_the_rules_and_bounded(lago, default_spec):
    async with lago_dyn.AsyncClient(default_spec, base_url=lago.base_url, api_key=API_KEY,
                                    response_validation="off") as client:  # a customer is not a checkout URL
        await client.create_customer({"customer": {"external_id": "r-1"}})
        lago.reply("generate_customer_checkout_url", status=303, headers={"Location": "/api/v1/customers/r-1"},
                   times=1)
        moved = await client.generate_customer_checkout_url.with_http_info("r-1")
        assert [(r.method, r.path) for r in lago.requests[-2:]] == [
            ("POST", "/api/v1/customers/r-1/checkout_url"), ("GET", "/api/v1/customers/r-1")]
        assert moved.status_code == 200 and moved.raw_data.startswith(b'{"customer"')
        lago.reply("find_customer", status=302, headers={"Location": "/api/v1/customers/r-1"})
        with pytest.raises(lago_dyn.TransportError, match="more than 10 redirects"):
            await client.find_customer("r-1")
