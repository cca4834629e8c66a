"""The transport: one session reused, explicit timeouts, user sessions and headers, context manager."""

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

import lago_dyn
from conftest import API_KEY


def test_connections_are_reused(client, lago):
    for _ in range(3):
        client.find_all_customers()
    session = client.transport.session
    pools = session.get_adapter(lago.base_url).poolmanager.pools
    assert len(pools.keys()) == 1


class ConnectionWatcher:
    """A keep-alive HTTP server on 127.0.0.1 answering `{}`, which sees each connection open and close."""

    def __init__(self):
        watcher = self
        self.opened, self.closed = 0, threading.Semaphore(0)
        self.headers, self.targets = [], []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                watcher.opened += 1

            def finish(self):
                super().finish()
                watcher.closed.release()

            def do_GET(self):
                watcher.headers.append(dict(self.headers.items()))
                watcher.targets.append(self.path)  # a proxy is asked for the absolute URL
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def saw_a_close(self, within=5.0):
        return self.closed.acquire(timeout=within)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def watcher():
    server = ConnectionWatcher()
    yield server
    server.stop()


def test_user_session_and_headers_are_used_and_not_closed(watcher, default_spec):
    session = requests.Session()
    session.headers["X-From-Session"] = "yes"
    with lago_dyn.Client(default_spec, base_url=watcher.url, api_key=API_KEY, session=session,
                         headers={"X-Extra": "1"}, response_validation="off") as client:
        client.find_all_customers()
    assert watcher.headers[-1]["X-From-Session"] == "yes"
    assert watcher.headers[-1]["X-Extra"] == "1"
    # Still usable, on the same pooled connection: the client did not close what it did not create.
    assert session.get(watcher.url + "/again", timeout=5).status_code == 200
    assert watcher.opened == 1
    session.close()
    assert watcher.saw_a_close()


def test_a_proxy_named_in_the_environment_carries_every_call(watcher, default_spec, monkeypatch):
    for name in ("HTTP_PROXY", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", watcher.url)
    with lago_dyn.Client(default_spec, base_url="http://127.0.0.1:9/api/v1", api_key=API_KEY,
                         response_validation="off") as client:
        client.find_all_customers()
        client.find_all_customers()
    assert watcher.targets == ["http://127.0.0.1:9/api/v1/customers"] * 2  # nothing listens on port 9


def test_a_silent_server_times_out(default_spec):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    client = lago_dyn.Client(default_spec, base_url=f"http://127.0.0.1:{listener.getsockname()[1]}",
                             api_key=API_KEY, timeout=(1, 0.3))
    started = time.monotonic()
    with pytest.raises(lago_dyn.RequestTimeoutError):
        client.find_all_customers()
    assert time.monotonic() - started < 5
    listener.close()


def test_refused_connection_is_a_transport_error(default_spec):
    client = lago_dyn.Client(default_spec, base_url="http://127.0.0.1:9", api_key=API_KEY,
                             retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.TransportError, match=r"connection refused \(127\.0\.0\.1:9\)"):
        client.find_all_customers()


def test_context_manager_closes_the_session(lago, default_spec):
    with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY) as client:
        client.find_all_customers()
        adapter = client.transport.session.get_adapter(lago.base_url)
        assert adapter.poolmanager.pools.keys()
    assert not adapter.poolmanager.pools.keys()
