"""The transport's rules (issue 12, items 1, 3, 4, 8, 9): forked children never share a pooled socket,
redirects are bounded, never retried and never downgrade to http, and no credential is reachable from a
raised error. Those about sending run on both sync transports (the `make_client` fixture)."""

import gc
import json
import logging
import os
import threading
import weakref
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import lago_dyn
from conftest import API_KEY, http_server, raw_server
from lago_dyn.wire import WireRequest, WireResponse, follow


def test_a_forked_child_never_reads_the_parents_pooled_socket(any_client, lago):
    """Parent and children call over one keep-alive pool: every answer must be the caller's own."""
    client = any_client
    client.create_customer({"customer": {"external_id": "parent-0"}})  # the pool now holds a socket
    children = []
    for n in range(4):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: 50 calls, then report mismatches through the pipe
            os.close(read)
            wrong = 0
            try:
                for index in range(50):
                    external_id = f"child{n}-{index}"
                    got = client.create_customer({"customer": {"external_id": external_id}}).customer.external_id
                    wrong += got != external_id
                os.write(write, json.dumps({"wrong": wrong}).encode())
            except BaseException as error:  # reported, so the parent's assertion names it
                os.write(write, json.dumps({"error": type(error).__name__}).encode())
            finally:
                os._exit(0)
        os.close(write)
        children.append((pid, read))
    wrong = 0
    for index in range(200):
        external_id = f"parent-{index}"
        wrong += client.create_customer({"customer": {"external_id": external_id}}).customer.external_id != external_id
    reports = []
    for pid, read in children:
        with os.fdopen(read) as pipe:
            reports.append(json.loads(pipe.read()))
        os.waitpid(pid, 0)
    assert wrong == 0 and reports == [{"wrong": 0}] * 4


class Redirector(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.server.hits += 1
        target = self.server.location
        self.send_response(302)
        self.send_header("Location", target if target else self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def redirector():
    with http_server(Redirector, hits=0, location=None) as server:
        yield server


def test_redirect_loops_end_after_ten_and_are_not_retried(redirector, default_spec, make_client):
    client = make_client(default_spec, base_url=f"http://127.0.0.1:{redirector.server_address[1]}/api/v1",
                             api_key=API_KEY)
    with pytest.raises(lago_dyn.TransportError, match="more than 10 redirects"):
        client.find_all_customers()
    assert redirector.hits == 11  # the first request and ten redirects: no retry of the whole loop


def test_redirects_never_downgrade_https_and_drop_secrets_when_leaving_the_origin():
    request = WireRequest("POST", "https://api.test/v1/invoices?api_key=k", {"Authorization": "Bearer k",
                          "X-Other": "1"}, b"{}", secret_headers=frozenset({"authorization"}),
                          secret_query=frozenset({"api_key"}))
    downgrade = follow(request, WireResponse(307, {"Location": "http://api.test/v1/invoices"}, b""))
    assert downgrade.request is None and "https to http" in downgrade.refused
    away = follow(request, WireResponse(307, {"Location": "https://elsewhere.test/x"}, b"")).request
    assert away.method == "POST" and away.body == b"{}" and "Authorization" not in away.headers
    assert away.headers["X-Other"] == "1"
    same = follow(request, WireResponse(303, {"Location": "/v1/other"}, b"")).request
    assert same.method == "GET" and same.body is None and same.headers["Authorization"] == "Bearer k"
    assert same.url == "https://api.test/v1/other"


#: An API whose key goes in the query, beside a query value that is personal data.
QUERY_KEY_SPEC = {
    "openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": "http://127.0.0.1:9"}],
    "components": {"securitySchemes": {"q": {"type": "apiKey", "in": "query", "name": "api_key"}}},
    "security": [{"q": []}],
    "paths": {"/x": {"get": {"operationId": "getX", "parameters": [
        {"name": "search_term", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok"}}}}}}


def test_no_credential_is_reachable_from_a_transport_error(make_client):
    client = make_client(QUERY_KEY_SPEC, api_key="sk_query_secret", retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.TransportError) as caught:
        client.get_x(search_term="jane.doe@example.com")
    seen, texts = set(), []

    def collect(value, depth=0):
        if id(value) in seen or depth > 6:
            return
        seen.add(id(value))
        texts.append(repr(value))
        for item in (getattr(value, "__dict__", {}) or {}).values():
            collect(item, depth + 1)
        for link in ("__cause__", "__context__"):
            if getattr(value, link, None) is not None:
                collect(getattr(value, link), depth + 1)

    collect(caught.value)
    text = " ".join(texts) + str(caught.value)
    assert "sk_query_secret" not in text and "jane.doe" not in text
    assert "connection refused (127.0.0.1:9)" in str(caught.value)


def test_log_lines_at_info_never_hold_a_query_key_or_value(make_client, watcher, caplog):
    caplog.set_level(logging.INFO)  # every logger, as an application that logs at INFO does
    client = make_client(QUERY_KEY_SPEC, base_url=watcher.url, api_key="sk_query_secret", response_validation="off")
    client.get_x(search_term="jane.doe@example.com")
    assert watcher.paths == ["/x?search_term=jane.doe%40example.com&api_key=sk_query_secret"]
    assert "sk_query_secret" not in caplog.text and "jane.doe" not in caplog.text


def test_a_dropped_client_closes_its_connections_without_waiting_for_the_cyclic_gc(watcher, default_spec,
                                                                                   make_client):
    client = make_client(default_spec, base_url=watcher.url, api_key=API_KEY, response_validation="off")
    client.find_all_customers()
    alive = weakref.ref(client)
    gc.disable()
    try:
        del client
        assert alive() is None  # no reference cycle: freed by reference counting alone
        assert watcher.saw_a_close()  # and the finalizer closed the pooled connection
    finally:
        gc.enable()


def test_rate_limit_retry_after_is_bounded():
    error = lago_dyn.RateLimitError("op", 429, {"Retry-After": "nan"}, None)
    assert error.retry_after is None
    assert lago_dyn.RateLimitError("op", 429, {"retry-after": "-1"}, None).retry_after == 0.0
    assert lago_dyn.RateLimitError("op", 429, {"Retry-After": "1e9"}, None).retry_after == 3600.0


def _dripping(prefix: bytes, drip: bytes):
    """An answer that sends `prefix` at once, then `drip` one byte every 0.2 s (at most 100 s of it)."""

    def serve(connection, stop):
        connection.sendall(prefix)
        for index in range(500):
            if stop.wait(0.2):
                return
            connection.sendall(drip[index % len(drip):][:1])

    return serve


@pytest.mark.parametrize("prefix, drip", [
    (b"", b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 400),  # the status line and headers drip
    (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n", b"[1,"),  # the body
], ids=["header-drip", "body-drip"])
def test_the_deadline_bounds_a_dripping_server(default_spec, prefix, drip, make_client, watcher):
    import time as _time

    # A call with the default deadline (65 s) first: the one watchdog now waits for it, and the shorter
    # deadline below must still be kept.
    make_client(default_spec, base_url=watcher.url, api_key=API_KEY, response_validation="off").find_all_customers()
    with raw_server(_dripping(prefix, drip)) as (url, _):
        client = make_client(default_spec, base_url=url + "/api/v1", api_key=API_KEY, timeout=(2, 1), deadline=1.5)
        started = _time.monotonic()
        with pytest.raises(lago_dyn.RequestTimeoutError, match=r"within the 1\.5 s deadline"):
            client.find_all_customers()
        assert _time.monotonic() - started < 3.5  # the read timeout alone (1 s per byte) would never end it


class _Answer:
    def __init__(self, content):
        self.content = content

    def send(self, request):
        return WireResponse(200, {"Content-Type": "application/json"}, self.content)

    def close(self):
        pass


@pytest.mark.parametrize("mode", ["strict", "off"])
def test_inputs_and_answers_that_break_python_raise_only_our_errors(default_spec, mode):
    deep_answer = b"[" * 1500 + b"]" * 1500
    client = lago_dyn.Client(default_spec, base_url="http://127.0.0.1:9/api/v1", api_key=API_KEY,
                             transport=_Answer(deep_answer), response_validation=mode)
    with pytest.raises(lago_dyn.ResponseDecodeError, match="nested deeper than 128 levels") as caught:
        client.find_all_customers()  # in every mode: never the bytes in place of the data
    assert caught.value.content == deep_answer
    deep = current = {}
    for _ in range(100_000):
        current["customer"] = current = {}
    for value in ({"customer": {"external_id": "x", "name": "\ud800"}}, deep,
                  {"customer": {"external_id": "x", "net_payment_term": 10**5000}}):
        with pytest.raises(lago_dyn.RequestValidationError):
            client.create_customer(value)
    with pytest.raises(lago_dyn.RequestValidationError):
        client.find_all_customers(page=10**5000)


def test_an_https_server_redirecting_to_http_is_not_followed(tmp_path, redirector, default_spec, make_client):
    """A local TLS server with a self-signed certificate answers 307 to an http URL: the POST body and
    the key must not go out in clear text, and the plaintext answer must not become the result."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed (needed to make a self-signed certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    plain_port = redirector.server_address[1]  # the http side: it counts every request it gets

    class Downgrader(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{plain_port}/api/v1/customers")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    tls = ThreadingHTTPServer(("127.0.0.1", 0), Downgrader)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    tls.socket = context.wrap_socket(tls.socket, server_side=True)
    threading.Thread(target=tls.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        client = make_client(default_spec, base_url=f"https://127.0.0.1:{tls.server_address[1]}/api/v1",
                             api_key=API_KEY, verify=str(cert))
        with pytest.raises(lago_dyn.TransportError, match="https to http"):
            client.create_customer({"customer": {"external_id": "secret-customer"}})
        assert redirector.hits == 0  # nothing reached the plaintext server
    finally:
        tls.shutdown()
        tls.server_close()


@pytest.mark.parametrize("bad_key", ["sk_live_leak_4242\n", "sk_live_leak_4242€"])
def test_a_bad_key_is_refused_without_ever_being_repeated(bad_key, default_spec, log_records):
    import subprocess
    import sys

    with pytest.raises(lago_dyn.ConfigurationError) as caught:
        lago_dyn.Client(default_spec, base_url="http://127.0.0.1:9/api/v1", api_key=bad_key)
    reachable = [str(caught.value), repr(caught.value), repr(caught.value.__dict__),
                 repr(caught.value.__context__), repr(caught.value.__cause__)]
    reachable += [record.getMessage() for record in log_records.records]
    done = subprocess.run([sys.executable, "-m", "lago_dyn", "--api-key", bad_key, "call", "find_all_customers",
                           "--base-url", "http://127.0.0.1:9/api/v1"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    reachable += [done.stdout, done.stderr]
    assert not any("sk_live_leak" in text for text in reachable), reachable


def test_finished_calls_leave_nothing_waiting_for_their_deadline(client, lago):
    """Every call has a deadline (65 s by default); a busy client must not hold a minute's worth of
    finished calls, or the connections they used, until those deadlines pass."""
    from lago_dyn.http import deadline

    for index in range(300):
        client.create_customer({"customer": {"external_id": f"busy-{index}"}})
    waiting = [entry[2] for entry in deadline._WATCHDOG._heap]
    assert len(waiting) <= 150
    assert all(watch.connection is None for watch in waiting if watch.done)
