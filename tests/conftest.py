import contextlib
import logging
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import lago_dyn
from lago_dyn.testing import LocalLago



def _shared_folder() -> Path:
    """`../shared` beside the project; also found from a copy of the tests one level deeper (the mutation
    run copies them into `mutants/`), so both see the same specs."""
    here = Path(__file__).resolve().parent
    for project in (here.parent, here.parent.parent):
        if (project.parent / "shared").is_dir():
            return project.parent / "shared"
    return here.parent.parent / "shared"


SHARED = _shared_folder()
SPECS = SHARED / "specs"
API_KEY = "sk_test_do_not_leak_51f0c"


def shared_spec(version: str) -> Path:
    path = SPECS / f"lago-{version}.yaml"
    if not path.is_file():
        pytest.skip(f"../shared/specs/lago-{version}.yaml is not beside the project (clone it with ../shared)")
    return path


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Each test gets its own spec cache, so no test depends on what another one cached."""
    monkeypatch.setenv("LAGO_DYN_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="session")
def default_spec():
    return lago_dyn.load_spec(cache_dir=False)


@pytest.fixture(scope="session")
def spec_1_51():
    """lago-1.51.0.yaml parsed once for the whole session (0.4 s a parse)."""
    return lago_dyn.load_spec(shared_spec("1.51.0"), cache_dir=False)


@pytest.fixture(scope="session")
def lago_specs(spec_1_51):
    """The three Lago releases (OpenAPI 3.0.3, 3.1.0, 3.1.0), parsed once for the session, by version."""
    return {"1.6.4": lago_dyn.load_spec(shared_spec("1.6.4"), cache_dir=False),
            "1.21.0": lago_dyn.load_spec(shared_spec("1.21.0"), cache_dir=False), "1.51.0": spec_1_51}


@pytest.fixture(scope="session")
def oas32_spec():
    """tests/oas32/openapi.yaml (OpenAPI 3.2: streams, QUERY, querystring, nested tags, $self), parsed once."""
    return lago_dyn.load_spec(Path(__file__).resolve().parent / "oas32" / "openapi.yaml", cache_dir=False)


@pytest.fixture
def lago(default_spec):
    with LocalLago(default_spec) as server:
        yield server


@pytest.fixture
def client(lago, default_spec):
    with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, retry=lago_dyn.RetryPolicy(retries=0)) as c:
        yield c


#: The `Client` options that belong to its transport (given to `Httpx2SyncTransport` itself).
TRANSPORT_OPTIONS = ("timeout", "deadline", "retry", "verify", "max_response_bytes", "pool_maxsize")


@pytest.fixture(params=["requests", "httpx2"])
def make_client(request):
    """`lago_dyn.Client` on each sync transport, so that the transport contract tests run on both: the
    default (requests) and `Httpx2SyncTransport`, given the transport's options the test passes."""
    if request.param == "requests":
        return lago_dyn.Client
    if sys.version_info < (3, 11):
        pytest.skip("httpx2 needs Python 3.11+")
    from lago_dyn.http.httpx2_transport import Httpx2SyncTransport

    def make(spec=None, **options):
        moved = {name: options.pop(name) for name in TRANSPORT_OPTIONS if name in options}
        return lago_dyn.Client(spec, transport=Httpx2SyncTransport(**moved), **options)

    return make


@pytest.fixture
def any_client(lago, default_spec, make_client):
    """The `client` fixture on each sync transport."""
    with make_client(default_spec, base_url=lago.base_url, api_key=API_KEY,
                     retry=lago_dyn.RetryPolicy(retries=0)) as c:
        yield c


class ConnectionWatcher:
    """A keep-alive HTTP server on 127.0.0.1 answering `{}`, which sees each connection open and close."""

    def __init__(self):
        watcher = self
        self.opened, self.closed = 0, threading.Semaphore(0)
        self.headers, self.paths = [], []

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
                watcher.paths.append(self.path)  # a proxy is asked for the absolute URL
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

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


@contextlib.contextmanager
def http_server(handler: type[BaseHTTPRequestHandler], **state):
    """A threading HTTP server on 127.0.0.1 answering with `handler`, stopped when the block ends. `state`
    becomes attributes of the server (what its handler records or is told to answer, as
    `self.server.<name>`); `.base` is its URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    for name, value in state.items():
        setattr(httpd, name, value)
    httpd.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextlib.contextmanager
def raw_server(serve):
    """A TCP server on 127.0.0.1 for what an HTTP server library will not say (a dripping answer, an endless
    body, a connection closed without a word): each connection, one at a time, is read once and then given
    to `serve(connection, stop)`; errors from a client that hung up are its business. Yields (url, stop);
    `stop` is set and the listener closed when the block ends."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                try:
                    serve(connection, stop)
                except OSError:
                    continue

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", stop
    finally:
        stop.set()
        listener.close()


@pytest.fixture
def log_records(caplog):
    caplog.set_level(logging.DEBUG, logger="lago_dyn")
    return caplog


def pytest_terminal_summary(terminalreporter):
    """The conformance tables (tests/conformance), when that suite ran."""
    import sys

    harness = sys.modules.get("harness")
    sections = [
        ("conformance against Prism", ("spec", "called", "accepted", "response-valid"), "TABLES"),
        ("conformance against Prism: public specs", ("spec", "called", "accepted"), "PUBLIC_TABLES"),
        ("conformance against Prism: APIs.guru corpus sample", ("what", "calls"), "CORPUS_TABLE"),
    ]
    for title, columns, attribute in sections:
        rows = getattr(harness, attribute, None)
        if rows:
            terminalreporter.section(title)
            terminalreporter.write_line("| " + " | ".join(columns) + " |")
            terminalreporter.write_line("| --- |" + " ---: |" * (len(columns) - 1))
            for line in rows:
                terminalreporter.write_line(line)
