"""The rules every transport shares (wire.py), seen from a real server on 127.0.0.1: which answers are
retried (429 for every method; 502/503/504 for idempotent methods only, RFC 9110 §9.2.2), how long a retry
waits (the server's Retry-After, else a doubling backoff with full jitter, both bounded), which redirects
are followed and what they carry (RFC 9110 §15.4), the cap on a response body, and the plain words for a
failed connection. Each rule runs on both sync transports (`make_client`); the shared ones on the async
client too."""

from __future__ import annotations

import logging
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import lago_dyn
from conftest import raw_server
from lago_dyn.wire import WireRequest, WireResponse, follow

KEY = "sk_wire_secret_7d1"
BODY = {"type": "object"}


def _operation(method: str) -> dict:
    op = {"operationId": f"{method}Thing", "responses": {
        "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}}
    if method == "head":  # a HEAD answer has no content (RFC 9110 §9.3.2)
        op["responses"] = {"200": {"description": "ok"}}
    if method in ("post", "put", "patch"):
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": BODY}}}
    return op


#: One operation per method, on one path, with a bearer key: enough to see what each method is allowed.
SPEC = {
    "openapi": "3.1.0", "info": {"title": "wire", "version": "1"}, "servers": [{"url": "http://127.0.0.1:9"}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    "security": [{"bearer": []}],
    "paths": {"/things": {method: _operation(method) for method in ("get", "post", "put", "patch", "delete", "head")}},
}


class Scripted:
    """An HTTP/1.1 server on 127.0.0.1 that records every request (method, path, headers, body) and
    answers from a script, in order: (status, headers, body) tuples; then 200 `{}` for ever."""

    def __init__(self):
        scripted = self
        self.seen: list[tuple[str, str, dict, bytes]] = []
        self.script: list[tuple[int, dict, bytes]] = []
        self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with scripted.lock:
                    scripted.seen.append((self.command, self.path, dict(self.headers.items()), body))
                    status, headers, content = scripted.script.pop(0) if scripted.script else (200, {}, b"{}")
                self.send_response(status)
                headers = {"Content-Type": "application/json", **headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                if "Transfer-Encoding" not in headers:
                    self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def then(self, status: int, headers: dict | None = None, body: bytes = b"{}") -> "Scripted":
        self.script.append((status, dict(headers or {}), body))
        return self

    @property
    def methods(self) -> list[str]:
        return [method for method, *_ in self.seen]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server():
    running = Scripted()
    yield running
    running.stop()


@pytest.fixture
def other_server():
    """A second origin (another port on 127.0.0.1) for redirects that leave the first."""
    running = Scripted()
    yield running
    running.stop()


FAST = lago_dyn.RetryPolicy(retries=1, backoff=0.0)


def call(client, method: str):
    """Call the operation for `method` (a body where the method has one)."""
    operation = getattr(client, f"{method}_thing")
    return operation({"n": 1}) if method in ("post", "put", "patch") else operation()


# -- which answers are retried ----------------------------------------------------------------------------

RETRIED = [(method, status, method != "post" and method != "patch" or status == 429)
           for method in ("get", "head", "put", "delete", "post", "patch") for status in (429, 502, 503, 504)]


@pytest.mark.parametrize("method, status, retried", RETRIED, ids=[f"{m}-{s}" for m, s, _ in RETRIED])
def test_which_answers_are_retried(server, make_client, method, status, retried):
    """RFC 9110 §9.2.2: a request with an idempotent method may be repeated; a 429 was refused before
    processing (RFC 6585 §4), so even a POST is safe to send again. Nothing else is retried."""
    server.then(status, {"Retry-After": "0"})
    client = make_client(SPEC, base_url=server.url, api_key=KEY, retry=FAST)
    if retried:
        operation = getattr(client, f"{method}_thing").with_http_info
        assert (operation({"n": 1}) if method in ("post", "put", "patch") else operation()).status_code == 200
        assert server.methods == [method.upper()] * 2
    else:
        with pytest.raises(lago_dyn.ApiError) as caught:
            call(client, method)
        assert caught.value.status == status and server.methods == [method.upper()]


@pytest.mark.parametrize("status", [400, 401, 404, 409, 422, 500, 501])
def test_other_error_statuses_are_never_retried(server, make_client, status):
    server.then(status, {"Retry-After": "0"}, b'{"status": %d, "error": "no"}' % status)
    client = make_client(SPEC, base_url=server.url, api_key=KEY, retry=FAST)
    with pytest.raises(lago_dyn.ApiError) as caught:
        client.get_thing()
    assert caught.value.status == status and server.methods == ["GET"]


def test_retry_non_idempotent_opts_a_post_in(server, make_client):
    server.then(503, {"Retry-After": "0"})
    policy = lago_dyn.RetryPolicy(retries=1, backoff=0.0, retry_non_idempotent=True)
    assert make_client(SPEC, base_url=server.url, api_key=KEY, retry=policy).post_thing({"n": 1}) == {}
    assert server.methods == ["POST", "POST"] and server.seen[1][3] == b'{"n":1}'  # the same body again


@pytest.mark.parametrize("retries", [0, 1, 2, 3])
def test_retries_are_counted(server, make_client, retries):
    """`retries` more attempts after the first, then the last answer's error: never one more, never fewer
    (a short max_total ends any loop that would not stop)."""
    for _ in range(6):
        server.then(503, {"Retry-After": "0"})
    policy = lago_dyn.RetryPolicy(retries=retries, backoff=0.0, max_total=3)
    with pytest.raises(lago_dyn.ServerError):
        make_client(SPEC, base_url=server.url, api_key=KEY, retry=policy).get_thing()
    assert server.methods == ["GET"] * (retries + 1)


def test_a_retried_answer_becomes_the_next_attempts_answer(server, make_client):
    server.then(502, {"Retry-After": "0"}).then(504, {"Retry-After": "0"}).then(200, {}, b'{"third": true}')
    policy = lago_dyn.RetryPolicy(retries=2, backoff=0.0)
    assert make_client(SPEC, base_url=server.url, api_key=KEY, retry=policy).get_thing() == {"third": True}
    assert len(server.seen) == 3


def test_a_broken_connection_is_retried_for_an_idempotent_method_only(make_client):
    """A connection the server closes before answering: a GET is sent again, a POST is not (the server
    may have processed it); `retry_connection_errors=False` turns it off."""
    count = {"n": 0}

    def close_without_a_word(connection, stop):
        count["n"] += 1

    with raw_server(close_without_a_word) as (url, _):
        for policy, method, attempts in [
            (lago_dyn.RetryPolicy(retries=2, backoff=0.0), "get", 3),
            (lago_dyn.RetryPolicy(retries=2, backoff=0.0), "post", 1),
            (lago_dyn.RetryPolicy(retries=2, backoff=0.0, retry_connection_errors=False), "get", 1),
        ]:
            count["n"] = 0
            with pytest.raises(lago_dyn.TransportError, match=r"connection broke.*\(127\.0\.0\.1:\d+\)") as caught:
                call(make_client(SPEC, base_url=url, api_key=KEY, retry=policy), method)
            assert count["n"] == attempts, (policy, method)
            assert "DNS" not in str(caught.value) and "TLS" not in str(caught.value)


# -- how long a retry waits ------------------------------------------------------------------------------

def test_retry_after_in_seconds_is_waited(server, make_client):
    server.then(503, {"Retry-After": "0.4"})
    client = make_client(SPEC, base_url=server.url, api_key=KEY, retry=lago_dyn.RetryPolicy(retries=1, backoff=0.0))
    started = time.monotonic()
    assert client.get_thing() == {}
    assert 0.4 <= time.monotonic() - started < 3 and len(server.seen) == 2


def test_retry_after_as_an_http_date_is_waited(server, make_client):
    """RFC 9110 §10.2.3: Retry-After is delay-seconds or an HTTP-date."""
    import email.utils

    server.then(503, {"Retry-After": email.utils.formatdate(time.time() + 1.5, usegmt=True)})
    client = make_client(SPEC, base_url=server.url, api_key=KEY, retry=lago_dyn.RetryPolicy(retries=1, backoff=0.0))
    started = time.monotonic()
    assert client.get_thing() == {}
    assert 0.3 <= time.monotonic() - started < 3.5 and len(server.seen) == 2


@pytest.mark.parametrize("value", ["nan", "soon", "Mon, 99 Foo 2020 99:99:99 GMT", "-5",
                                   "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_meaningless_or_past_retry_after_is_no_wait(server, make_client, value):
    server.then(503, {"Retry-After": value})
    client = make_client(SPEC, base_url=server.url, api_key=KEY, retry=lago_dyn.RetryPolicy(retries=1, backoff=0.0))
    started = time.monotonic()
    assert client.get_thing() == {}
    assert time.monotonic() - started < 1 and len(server.seen) == 2


def test_retry_after_is_capped_by_max_wait(server, make_client):
    server.then(429, {"Retry-After": "1000"})
    policy = lago_dyn.RetryPolicy(retries=1, backoff=0.0, max_wait=0.3, max_total=5)
    started = time.monotonic()
    assert make_client(SPEC, base_url=server.url, api_key=KEY, retry=policy).get_thing() == {}
    assert 0.3 <= time.monotonic() - started < 2.5


def test_a_wait_past_max_total_gives_up_at_once(server, make_client):
    server.then(503, {"Retry-After": "4"})
    policy = lago_dyn.RetryPolicy(retries=3, max_wait=10, max_total=1)
    started = time.monotonic()
    with pytest.raises(lago_dyn.ServerError):
        make_client(SPEC, base_url=server.url, api_key=KEY, retry=policy).get_thing()
    assert time.monotonic() - started < 1 and len(server.seen) == 1


def test_a_wait_past_the_deadline_gives_up_at_once(server, make_client):
    server.then(503, {"Retry-After": "3"})
    policy = lago_dyn.RetryPolicy(retries=3, max_wait=10, max_total=30)
    started = time.monotonic()
    with pytest.raises(lago_dyn.ServerError):
        make_client(SPEC, base_url=server.url, api_key=KEY, retry=policy, deadline=1.5).get_thing()
    assert time.monotonic() - started < 1.5 and len(server.seen) == 1


def test_backoff_doubles_with_full_jitter_up_to_max_wait(server, make_client, monkeypatch, caplog):
    """Without Retry-After the n-th wait is drawn from [0, min(backoff * 2**n, max_wait)] ("full jitter").
    The draw is made to return its upper bound, and the log line says how long each wait was."""
    draws = []

    def uniform(low, high):
        draws.append((low, high))
        return high

    monkeypatch.setattr(random, "uniform", uniform)
    caplog.set_level(logging.INFO, logger="lago_dyn")
    for _ in range(4):
        server.then(503)
    policy = lago_dyn.RetryPolicy(retries=4, backoff=0.01, max_wait=0.05, max_total=5)
    assert make_client(SPEC, base_url=server.url, api_key=KEY, retry=policy).get_thing() == {}
    assert draws == [(0, 0.01), (0, 0.02), (0, 0.04), (0, 0.05)]
    waits = [record.getMessage() for record in caplog.records if "retrying" in record.getMessage()]
    assert [line.rsplit("in ", 1)[1] for line in waits] == ["0.01 s", "0.02 s", "0.04 s", "0.05 s"]
    assert all(line.startswith("GET http://127.0.0.1") and "-> 503; retry" in line for line in waits)
    assert [line.split("; retry ")[1].split(";")[0] for line in waits] == ["1", "2", "3", "4"]


# -- redirects ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, method, sent_as, keeps_body", [
    (303, "post", "GET", False), (303, "put", "GET", False), (303, "delete", "GET", False),
    (303, "get", "GET", False), (303, "head", "HEAD", False),
    (301, "post", "GET", False), (302, "post", "GET", False),
    (301, "put", "PUT", True), (302, "patch", "PATCH", True), (302, "delete", "DELETE", False),
    (307, "post", "POST", True), (308, "post", "POST", True), (307, "put", "PUT", True),
    (308, "patch", "PATCH", True), (307, "get", "GET", False), (308, "head", "HEAD", False),
])
def test_a_redirect_repeats_or_changes_the_method_as_rfc_9110_says(server, make_client, status, method, sent_as,
                                                                   keeps_body):
    """RFC 9110 §15.4: 303 is answered with a GET (a HEAD stays a HEAD), and so are 301/302 after a POST
    (what every client does); 307/308 repeat the method and the body. A GET that drops the body drops
    its Content-Type and Content-Length with it."""
    server.then(status, {"Location": "/moved?x=1"})
    client = make_client(SPEC, base_url=server.url, api_key=KEY)
    call(client, method)
    (first_method, _, _, first_body), (method_sent, path, headers, body) = server.seen
    assert first_method == method.upper() and (method_sent, path) == (sent_as, "/moved?x=1")
    assert headers["Authorization"] == f"Bearer {KEY}"  # the same origin: the key goes along
    if keeps_body:
        assert body == first_body == b'{"n":1}' and headers["Content-Type"] == "application/json"
    else:
        assert body == b"" and "Content-Type" not in headers
        if sent_as in ("GET", "HEAD"):  # no body, not even an empty one (RFC 9110 §8.6)
            assert "Content-Length" not in headers


@pytest.mark.parametrize("status", [303, 307])
def test_leaving_the_origin_drops_the_credentials_and_nothing_else(server, other_server, make_client, status):
    """Another port is another origin (RFC 6454): the Authorization header stays behind, every other
    header goes along."""
    server.then(status, {"Location": f"{other_server.url}/elsewhere"})
    client = make_client(SPEC, base_url=server.url, api_key=KEY, headers={"X-Trace": "t-1"})
    assert client.post_thing({"n": 1}) == {}
    assert server.seen[0][2]["Authorization"] == f"Bearer {KEY}"
    (method, path, headers, body), = other_server.seen
    assert path == "/elsewhere" and "Authorization" not in headers and headers["X-Trace"] == "t-1"
    assert (method, body) == (("GET", b"") if status == 303 else ("POST", b'{"n":1}'))


def test_a_host_name_for_the_same_address_is_another_origin(server, make_client):
    """`localhost` and `127.0.0.1` are one machine but two origins: the key is not sent to the other name."""
    server.then(307, {"Location": f"http://localhost:{server.port}/named"})
    make_client(SPEC, base_url=server.url, api_key=KEY).get_thing()
    assert "Authorization" in server.seen[0][2] and "Authorization" not in server.seen[1][2]


def test_a_redirect_within_the_origin_keeps_the_credentials_through_every_hop(server, make_client):
    server.then(302, {"Location": "/a"}).then(301, {"Location": f"{server.url}/b"}).then(308, {"Location": "c"})
    assert make_client(SPEC, base_url=server.url, api_key=KEY).get_thing() == {}
    assert [path for _, path, _, _ in server.seen] == ["/things", "/a", "/b", "/c"]
    assert all(headers["Authorization"] == f"Bearer {KEY}" for _, _, headers, _ in server.seen)


@pytest.mark.parametrize("redirects, followed", [(9, True), (10, True), (11, False)])
def test_at_most_ten_redirects_are_followed(server, make_client, redirects, followed):
    for index in range(redirects):
        server.then(302, {"Location": f"/hop{index}"})
    client = make_client(SPEC, base_url=server.url, api_key=KEY)
    if followed:
        assert client.get_thing() == {}
        assert len(server.seen) == redirects + 1
    else:
        with pytest.raises(lago_dyn.TransportError) as caught:
            client.get_thing()
        assert str(caught.value) == f"GET {server.url}/hop9: more than 10 redirects"
        assert len(server.seen) == 11


@pytest.mark.parametrize("location, scheme", [("ftp://127.0.0.1/file", "ftp"), ("file:///etc/passwd", "file"),
                                              ("javascript:alert(1)", "javascript")])
def test_a_redirect_to_another_scheme_is_not_followed(server, make_client, location, scheme):
    server.then(302, {"Location": location})
    with pytest.raises(lago_dyn.TransportError) as caught:
        make_client(SPEC, base_url=server.url, api_key=KEY).get_thing()
    assert str(caught.value) == f"GET {server.url}/things: not following a redirect to a {scheme}: URL"


@pytest.mark.parametrize("status", [300, 304, 305, 306])
def test_other_3xx_answers_are_not_redirects(server, make_client, status):
    """Only 301, 302, 303, 307 and 308 redirect (RFC 9110 §15.4); another 3xx is the answer itself."""
    server.then(status, {"Location": "/elsewhere"}, b"{}" if status != 304 else b"")
    client = make_client(SPEC, base_url=server.url, api_key=KEY, response_validation="off")
    assert client.get_thing.with_http_info().status_code == status
    assert len(server.seen) == 1


def test_a_redirect_without_a_location_is_the_answer(server, make_client):
    server.then(302, {}, b"{}")
    client = make_client(SPEC, base_url=server.url, api_key=KEY, response_validation="off")
    assert client.get_thing.with_http_info().status_code == 302 and len(server.seen) == 1


# -- the response size cap -------------------------------------------------------------------------------

@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_refused(server, make_client, chunked):
    limit = 150_000  # more than one read of 64 KiB
    exact = b'{"p": "' + b"x" * (limit - 9) + b'"}'
    assert len(exact) == limit
    if chunked:
        def as_chunks(body):
            pieces = [body[start:start + 40_000] for start in range(0, len(body), 40_000)]
            return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"

        server.then(200, {"Transfer-Encoding": "chunked"}, as_chunks(exact))
        server.then(200, {"Transfer-Encoding": "chunked"}, as_chunks(exact[:-2] + b'x"}'))
    else:
        server.then(200, {}, exact).then(200, {}, exact[:-2] + b'x"}')
    client = make_client(SPEC, base_url=server.url, api_key=KEY, max_response_bytes=limit,
                         retry=lago_dyn.RetryPolicy(retries=0))
    assert client.get_thing.with_http_info().raw_data == exact
    with pytest.raises(lago_dyn.ResponseTooLargeError) as caught:
        client.get_thing()
    expected = (f"response of {limit + 1:,} bytes is over" if not chunked else "response is over") + \
        f" the {limit:,}-byte limit"
    assert str(caught.value) == f"GET {server.url}/things: {expected}"
    assert client.get_thing() == {}  # the connection was not left half read


def test_an_endless_body_is_refused_at_the_limit_not_read_until_the_deadline(make_client):
    def endless_chunks(connection, stop):
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        while not stop.is_set():
            connection.sendall(b"4000\r\n" + b" " * 0x4000 + b"\r\n")

    with raw_server(endless_chunks) as (url, _):
        client = make_client(SPEC, base_url=url, api_key=KEY, max_response_bytes=200_000, deadline=4,
                             retry=lago_dyn.RetryPolicy(retries=0))
        started = time.monotonic()
        with pytest.raises(lago_dyn.ResponseTooLargeError, match="over the 200,000-byte limit"):
            client.get_thing()
        assert time.monotonic() - started < 3


# -- connection failures in plain words -------------------------------------------------------------------

@pytest.mark.parametrize("base_url, target", [("http://127.0.0.1", "127.0.0.1:80"),
                                              ("https://127.0.0.1", "127.0.0.1:443"),
                                              ("http://127.0.0.1:9", "127.0.0.1:9")])
def test_a_refused_connection_names_the_host_and_the_default_port(make_client, base_url, target):
    client = make_client(SPEC, base_url=base_url + "/v1", api_key=KEY, retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.TransportError) as caught:
        client.get_thing()
    assert str(caught.value) == f"GET {base_url}/v1/things: connection refused ({target})"


def test_a_tls_failure_is_said_in_plain_words(server, make_client):
    """An https client meeting a plain-http server: the handshake fails, and the message says so."""
    client = make_client(SPEC, base_url=f"https://127.0.0.1:{server.port}", api_key=KEY,
                         retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.TransportError) as caught:
        client.get_thing()
    assert str(caught.value) == (f"GET https://127.0.0.1:{server.port}/things: TLS handshake failed "
                                 f"(certificate or protocol) (127.0.0.1:{server.port})")


def test_an_unknown_host_is_said_in_plain_words(make_client, monkeypatch):
    """A name that does not resolve (`.invalid` never does, RFC 6761 §6.4; the lookup is answered here,
    so no resolver is asked) is a DNS failure, with the host and the scheme's default port."""
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if str(host).endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    client = make_client(SPEC, base_url="http://api.lago.invalid/v1", api_key=KEY, retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.TransportError) as caught:
        client.get_thing()
    assert str(caught.value) == ("GET http://api.lago.invalid/v1/things: the host name could not be resolved (DNS) "
                                 "(api.lago.invalid:80)")


def test_a_redirect_from_https_to_http_is_refused_in_words():
    request = WireRequest("POST", "https://api.test/v1/x", {}, b"{}")
    refused = follow(request, WireResponse(308, {"Location": "http://api.test/v1/x"}, b""))
    assert refused.request is None
    assert refused.refused == "a redirect from https to http (it would send the request in clear text)"


# -- what a request shows of itself ----------------------------------------------------------------------

def test_a_requests_repr_redacts_what_the_credentials_marked():
    request = WireRequest("GET", "https://api.test/v1/x?q=a%20b&api_key=k1&empty=&tags[]=1",
                          {"Authorization": "Bearer k2", "X-Api-Key": "k3", "Accept": "application/json"},
                          b"{}", secret_headers=frozenset({"authorization", "x-api-key"}),
                          secret_query=frozenset({"api_key"}))
    assert repr(request) == ("WireRequest(GET https://api.test/v1/x?q=a+b&api_key=<redacted>&empty=&tags[]=1, "
                             "headers={'Authorization': '<redacted>', 'X-Api-Key': '<redacted>', "
                             "'Accept': 'application/json'}, body=2 bytes)")
    plain = WireRequest("DELETE", "https://api.test/v1/x", {})
    assert repr(plain) == "WireRequest(DELETE https://api.test/v1/x, headers={}, body=0 bytes)"
    assert plain.path == "https://api.test/v1/x" and request.path == "https://api.test/v1/x"


def test_a_redirected_request_keeps_its_secrets_marked_within_the_origin():
    """`follow` gives the next request; within the origin the key in its query is still the key (redacted
    in its repr), past the origin nothing of ours is left to redact and the new query shows as sent."""
    request = WireRequest("GET", "https://api.test/v1/x?api_key=k1", {"Authorization": "Bearer k2"},
                          secret_headers=frozenset({"authorization"}), secret_query=frozenset({"api_key"}))
    same = follow(request, WireResponse(302, {"Location": "/v1/y?api_key=k1&page=2"}, b"")).request
    assert repr(same) == ("WireRequest(GET https://api.test/v1/y?api_key=<redacted>&page=2, "
                          "headers={'Authorization': '<redacted>'}, body=0 bytes)")
    away = follow(request, WireResponse(302, {"Location": "https://other.test/z?page=3"}, b"")).request
    assert repr(away) == "WireRequest(GET https://other.test/z?page=3, headers={}, body=0 bytes)"


if sys.version_info >= (3, 11):
    # -- the async client applies the same rules ----------------------------------------------------------

    @pytest.mark.anyio
    @pytest.mark.parametrize("method, status, retried", [("get", 503, True), ("post", 503, False),
                                                         ("post", 429, True), ("delete", 504, True)])
    async def test_async_retries_follow_the_same_rules(server, method, status, retried):
        server.then(status, {"Retry-After": "0"})
        async with lago_dyn.AsyncClient(SPEC, base_url=server.url, api_key=KEY, retry=FAST) as client:
            operation = getattr(client, f"{method}_thing")
            if retried:
                assert await (operation({"n": 1}) if method == "post" else operation()) == {}
            else:
                with pytest.raises(lago_dyn.ServerError):
                    await operation({"n": 1})
        assert server.methods == [method.upper()] * (2 if retried else 1)

    @pytest.mark.anyio
    async def test_async_redirects_follow_the_same_rules(server, other_server):
        server.then(303, {"Location": "/seen"}).then(307, {"Location": f"{other_server.url}/away"})
        async with lago_dyn.AsyncClient(SPEC, base_url=server.url, api_key=KEY) as client:
            assert await client.post_thing({"n": 1}) == {}
        assert [(method, body) for method, _, _, body in server.seen] == [("POST", b'{"n":1}'), ("GET", b"")]
        (method, path, headers, body), = other_server.seen
        assert (method, path, body) == ("GET", "/away", b"") and "Authorization" not in headers


def test_a_responses_repr_says_what_arrived_without_its_content():
    assert repr(WireResponse(200, {"Content-Type": "Application/JSON; charset=utf-8"}, b"{}", "OK")) == \
        "WireResponse(200 OK, application/json, 2 bytes)"
    assert repr(WireResponse(204, {}, b"", "No Content")) == "WireResponse(204 No Content, no type, 0 bytes)"
    assert repr(WireResponse(200, {"Content-Type": "multipart/mixed; boundary=b; charset=utf-8"}, b"", "OK")) == \
        "WireResponse(200 OK, multipart/mixed, 0 bytes)"
