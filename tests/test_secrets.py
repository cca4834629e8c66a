"""Secrets are a property, not a list of places (issue 20, item 4).

For every kind of credential (http bearer, http basic, apiKey in a header, in the query and in a cookie, an
OAuth2 client-credentials grant's client secret and the token it fetches), ordinary and failing calls go to a
real server on 127.0.0.1: a success, 401, 422 with a body, 500, a refused connection, a timeout, an answer
that breaks the spec and arguments that break it. Whatever a user can get hold of afterwards must not hold
the secret, in any of the forms it travels in (as given, URL-encoded, base64 in a Basic header): exception
messages and reprs, every exception attribute (walked through `vars()`, `args`, `__cause__` and
`__context__`), every log record of the `lago_dyn` logger and of the root logger at DEBUG (so third-party
loggers such as urllib3's and httpx2's too), `on_event` payloads, `repr(client)`, and what a transport of
the user's own sees as the request's repr.

Each case first checks that the server did receive the secret: a leak check on a request that never
carried the credential would pass for the wrong reason."""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import types
from http.server import BaseHTTPRequestHandler
from typing import Any, Iterator
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlsplit

import pytest

import lago_dyn
from conftest import http_server

#: Read timeout of the calls that wait for an answer that never comes (a server that holds the request).
READ_TIMEOUT = 0.25

CLIENT_ID = "client-id-7"
#: One distinctive secret per kind; each has a character that URL-encoding changes, so the encoded form
#: is a different string to look for.
SECRETS = {
    "bearer": "bearer+Tok/9f1e",
    "basic": "basic+Pw/42aa",
    "header": "header+Key/77c3",
    "query": "query+Key/5d2b",
    "cookie": "cookie+Key/a8e0",
    "oauth": "oauth+ClientSecret/3b9d",
}
#: The token the server issues to the oauth client: a secret too, once fetched.
ISSUED_TOKEN = "issued+Token/c4f6"

def schemes(token_url: str) -> dict:
    return {
    "bearer": {"type": "http", "scheme": "bearer"},
    "basic": {"type": "http", "scheme": "basic"},
    "header": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
    "query": {"type": "apiKey", "in": "query", "name": "api_key"},
    "cookie": {"type": "apiKey", "in": "cookie", "name": "session"},
    "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": {"read": "r"}}}},
    }


KINDS = ("bearer", "basic", "header", "query", "cookie", "oauth")

#: What the server answers per outcome (path `/{kind}/{outcome}`).
OUTCOMES = ("ok", "unauthorized", "unprocessable", "server_error", "unavailable", "bad_answer", "slow", "checked")


def forms(secret: str) -> set[str]:
    """The ways a secret may show up in text: as given, URL-encoded (both ways), and as a JSON string."""
    return {secret, quote(secret, safe=""), quote_plus(secret, safe=""), json.dumps(secret)[1:-1]}


def basic_forms(user: str, password: str, *, quoted: bool = False) -> set[str]:
    pair = f"{quote(user, safe='')}:{quote(password, safe='')}" if quoted else f"{user}:{password}"
    return {base64.b64encode(pair.encode()).decode()}


def leaks_for(kind: str) -> set[str]:
    """Every form of the secret of `kind` that must never be seen outside the wire."""
    found = forms(SECRETS[kind])
    if kind == "basic":
        found |= basic_forms("ada", SECRETS["basic"])
    if kind == "oauth":
        found |= forms(ISSUED_TOKEN) | basic_forms(CLIENT_ID, SECRETS["oauth"], quoted=True)
    return found


def make_spec(token_url: str) -> dict:
    ok = {"200": {"description": "ok", "content": {"application/json": {"schema": {
        "type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}}}},
        "default": {"description": "an error", "content": {"application/problem+json": {"schema": {"type": "object"}}}}}
    paths = {}
    for kind in KINDS:
        for outcome in OUTCOMES:
            operation = {"operationId": f"{kind}_{outcome}", "security": [{kind: ["read"] if kind == "oauth" else []}],
                         "responses": ok}
            if outcome == "checked":
                operation["parameters"] = [{"name": "count", "in": "query", "required": True,
                                            "schema": {"type": "integer", "minimum": 1}}]
            paths[f"/{kind}/{outcome}"] = {"get": operation}
    return {"openapi": "3.1.0", "info": {"title": "Secrets", "version": "1"},
            "components": {"securitySchemes": schemes(token_url)}, "paths": paths}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        parts = urlsplit(self.path)
        self.server.received.append((parts.path, dict(parse_qsl(parts.query)), dict(self.headers.items())))
        outcome = parts.path.rsplit("/", 1)[-1]
        if outcome == "slow":
            self.server.release.wait(30)  # holds the request until the test is over: the client times out
            return
        status, body = {
            "ok": (200, {"ok": True}),
            "unauthorized": (401, {"title": "Unauthorized", "detail": "the key is wrong"}),
            "unprocessable": (422, {"title": "Unprocessable", "errors": {"name": ["is_blank"]}}),
            "server_error": (500, {"title": "Internal"}),
            "unavailable": (503, {"title": "Unavailable"}),
            "bad_answer": (200, {"ok": "not a boolean"}),
        }[outcome]
        self._answer(status, "application/json" if status == 200 else "application/problem+json", body,
                     {"Retry-After": "0.01"} if status == 503 else {})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((self.path, dict(parse_qsl(body.decode())), dict(self.headers.items())))
        if self.server.token_status != 200:
            return self._answer(self.server.token_status, "application/json", {"error": "invalid_client"})
        self._answer(200, "application/json", {"access_token": ISSUED_TOKEN, "token_type": "Bearer", "expires_in": 3600})

    wbufsize = -1  # the head and body in one write: no Nagle wait between them

    def _answer(self, status, content_type, payload, headers=None):
        content = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def shared_server():
    with http_server(Handler, received=[], release=threading.Event(), token_status=200) as httpd:
        yield httpd
        httpd.release.set()


@pytest.fixture
def server(shared_server):
    """The module's server, with nothing received yet and a token endpoint that answers."""
    shared_server.received.clear()
    shared_server.token_status = 200
    return shared_server


@pytest.fixture(scope="module")
def spec(shared_server):
    return lago_dyn.load_spec(make_spec(shared_server.base + "/token"), cache_dir=False)


@pytest.fixture
def refused_url():
    """A URL on 127.0.0.1 where nothing listens (a port just freed)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def seen(caplog):
    """Everything a user can read after the calls: log records of every logger at DEBUG, on_event payloads,
    the exceptions raised (walked later), and extra texts."""
    caplog.set_level(logging.DEBUG)  # the root logger, so urllib3's, httpx2's and httpcore's records too
    caplog.set_level(logging.DEBUG, logger="lago_dyn")
    found = types.SimpleNamespace(events=[], errors=[], texts=[], caplog=caplog)
    return found


def credential(kind: str) -> Any:
    if kind == "basic":
        return ("ada", SECRETS["basic"])
    if kind == "oauth":
        return lago_dyn.OAuth2ClientCredentials(CLIENT_ID, SECRETS["oauth"], scopes=["read"])
    return SECRETS[kind]


def client_options(kind: str, server, seen) -> dict:
    return {"base_url": server.base, "auth": {kind: credential(kind)}, "profile": lago_dyn.GENERIC,
            "retry": lago_dyn.RetryPolicy(retries=0), "timeout": (2.0, READ_TIMEOUT), "on_event": seen.events.append}


def sent_the_secret(kind: str, received: list) -> bool:
    """Whether the server got the credential of `kind` where its scheme says (so the case is not vacuous)."""
    for path, query, headers in received:
        if kind == "query" and query.get("api_key") == SECRETS["query"]:
            return True
        if kind == "cookie" and unquote(headers.get("Cookie", "")) == f"session={SECRETS['cookie']}":
            return True
        if kind == "header" and headers.get("X-Api-Key") == SECRETS["header"]:
            return True
        if kind == "bearer" and headers.get("Authorization") == f"Bearer {SECRETS['bearer']}":
            return True
        if kind == "basic" and headers.get("Authorization") == "Basic " + basic_forms("ada", SECRETS["basic"]).pop():
            return True
        if kind == "oauth" and headers.get("Authorization") == f"Bearer {ISSUED_TOKEN}":
            return True
    return False


EXPECTED = {
    "ok": None,
    "unauthorized": lago_dyn.UnauthorizedError,
    "unprocessable": lago_dyn.UnprocessableEntityError,
    "server_error": lago_dyn.ServerError,
    "unavailable": lago_dyn.ServerError,
    "bad_answer": lago_dyn.ResponseValidationError,
    "slow": lago_dyn.RequestTimeoutError,
    "checked": lago_dyn.RequestValidationError,
}


def call_every_outcome(client, kind: str, seen, refused: Any) -> None:
    """Each outcome once through `client` (a sync Client), keeping what each raised."""
    for outcome, expected in EXPECTED.items():
        call = getattr(client, f"{kind}_{outcome}")
        arguments = {"count": 0} if outcome == "checked" else {}
        if expected is None:
            assert call(**arguments) == {"ok": True}
            seen.texts.append(repr(call.with_http_info()))
            continue
        with pytest.raises(expected) as caught:
            call(**arguments)
        seen.errors.append(caught.value)
    with refused:  # the same client's operations on a port where nothing listens
        with pytest.raises(lago_dyn.TransportError) as caught:
            getattr(refused.client, f"{kind}_ok")()
        seen.errors.append(caught.value)


def reachable(value: Any, seen_ids: set[int] | None = None, depth: int = 0) -> Iterator[str]:
    """The texts a program can get from `value` without reaching into private storage: its str and repr,
    and those of everything under it through `vars()`, mappings, sequences, exception args and chains."""
    seen_ids = set() if seen_ids is None else seen_ids
    if id(value) in seen_ids or depth > 12 or isinstance(value, (type, types.ModuleType, types.FunctionType,
                                                                 types.MethodType, types.TracebackType)):
        return
    seen_ids.add(id(value))
    yield repr(value)
    yield str(value)
    children: list[Any] = []
    if isinstance(value, BaseException):
        children += [value.args, value.__cause__, value.__context__]
    if isinstance(value, dict):
        children += list(value.keys()) + list(value.values())
    elif isinstance(value, (list, tuple, set, frozenset)):
        children += list(value)
    if hasattr(value, "__dict__") and not isinstance(value, (str, bytes)):
        children.append(dict(vars(value)))
    for child in children:
        if child is not None:
            yield from reachable(child, seen_ids, depth + 1)


def log_texts(caplog) -> list[str]:
    texts = [caplog.text]
    for record in caplog.records:
        texts += [record.getMessage(), repr(record.args), str(record.msg)]
    return texts


def assert_no_leak(kind: str, seen, *more: Any) -> None:
    texts = list(seen.texts) + log_texts(seen.caplog)
    for item in [*seen.errors, *seen.events, *more]:
        texts += list(reachable(item))
    leaks = leaks_for(kind)
    found = sorted({(leak, text[:300]) for text in texts for leak in leaks if leak in text})
    assert not found, f"the {kind} secret leaked: {found}"


class Refused:
    """The same credentials on a client whose base URL refuses connections."""

    def __init__(self, make, spec, options):
        self.client = make(spec, **options)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.client.close()
        return False


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_sync_call_shows_a_secret_anywhere(kind, spec, server, refused_url, seen, make_client):
    options = client_options(kind, server, seen)
    with make_client(spec, **options) as client:
        refused = Refused(make_client, spec, {**options, "base_url": refused_url})
        call_every_outcome(client, kind, seen, refused)
        assert sent_the_secret(kind, server.received)
        assert len(seen.errors) == len(EXPECTED)  # every failing outcome raised, refused included
    # a retried call (its INFO line) and an answer that breaks the spec only warned about (its WARNING line)
    with make_client(spec, **{**options, "retry": lago_dyn.RetryPolicy(retries=1),
                              "response_validation": "warn"}) as lenient:
        with pytest.raises(lago_dyn.ServerError):
            getattr(lenient, f"{kind}_unavailable")()
        assert getattr(lenient, f"{kind}_bad_answer")() == {"ok": "not a boolean"}
    messages = [record.getMessage() for record in seen.caplog.records if record.name == "lago_dyn"]
    assert any("retrying" in line for line in messages) and any("does not match" in line for line in messages)
    assert_no_leak(kind, seen, repr(client), str(client), client.operations[f"{kind}_ok"])


class LoggingTransport:
    """A transport of the user's own (any object with `send(WireRequest)` and `close()`), which logs each
    request and answer it handles, as such a wrapper typically does."""

    def __init__(self, inner):
        self.inner = inner
        self.log = logging.getLogger("app.transport")

    def send(self, request: lago_dyn.WireRequest) -> lago_dyn.WireResponse:
        self.log.debug("sending %r", request)
        response = self.inner.send(request)
        self.log.debug("got %r for %s", response, request)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_transport_of_the_users_own_sees_requests_whose_repr_hides_the_secret(kind, spec, server, refused_url,
                                                                                seen):
    options = client_options(kind, server, seen)
    options.pop("timeout")
    transport = LoggingTransport(lago_dyn.Httpx2SyncTransport(timeout=(2.0, READ_TIMEOUT),
                                                              retry=lago_dyn.RetryPolicy(retries=0)))
    with lago_dyn.Client(spec, transport=transport, **options) as client:
        def make(spec, **options):
            return lago_dyn.Client(spec, transport=LoggingTransport(lago_dyn.Httpx2SyncTransport(
                timeout=(2.0, READ_TIMEOUT), retry=lago_dyn.RetryPolicy(retries=0))), **options)

        call_every_outcome(client, kind, seen, Refused(make, spec, {**options, "base_url": refused_url}))
        assert sent_the_secret(kind, server.received)
        sending = [record for record in seen.caplog.records if record.name == "app.transport"]
        assert sending and all("<redacted>" in record.getMessage() for record in sending
                               if record.getMessage().startswith("sending") and "/token" not in record.getMessage())
        assert_no_leak(kind, seen)


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
@pytest.mark.parametrize("kind", list(KINDS))
async def test_no_async_call_shows_a_secret_anywhere(kind, spec, server, refused_url, seen):
    options = client_options(kind, server, seen)
    async with lago_dyn.AsyncClient(spec, **options) as client:
        for outcome, expected in EXPECTED.items():
            call = getattr(client, f"{kind}_{outcome}")
            arguments = {"count": 0} if outcome == "checked" else {}
            if expected is None:
                assert await call(**arguments) == {"ok": True}
                continue
            with pytest.raises(expected) as caught:
                await call(**arguments)
            seen.errors.append(caught.value)
        async with lago_dyn.AsyncClient(spec, **{**options, "base_url": refused_url}) as refused:
            with pytest.raises(lago_dyn.TransportError) as caught:
                await getattr(refused, f"{kind}_ok")()
            seen.errors.append(caught.value)
        assert sent_the_secret(kind, server.received)
        assert_no_leak(kind, seen, repr(client))


@pytest.mark.parametrize("status", [401, 500])
def test_a_refused_token_request_shows_neither_the_client_secret_nor_its_basic_header(status, spec, server, seen,
                                                                                       make_client):
    server.token_status = status
    with make_client(spec, **client_options("oauth", server, seen)) as client:
        with pytest.raises(lago_dyn.AuthenticationError, match=f"HTTP {status}") as caught:
            client.oauth_ok()
    seen.errors.append(caught.value)
    assert server.received[0][0] == "/token" and server.received[0][2]["Authorization"].startswith("Basic ")
    assert_no_leak("oauth", seen)


def test_a_token_endpoint_that_refuses_connections_shows_no_client_secret(refused_url, seen, make_client):
    spec_with_dead_token_url = lago_dyn.load_spec(make_spec(refused_url + "/token"), cache_dir=False)
    options = {"base_url": refused_url, "auth": {"oauth": credential("oauth")}, "on_event": seen.events.append,
               "retry": lago_dyn.RetryPolicy(retries=0)}
    with make_client(spec_with_dead_token_url, **options) as client:
        with pytest.raises(lago_dyn.TransportError) as caught:
            client.oauth_ok()
    seen.errors.append(caught.value)
    assert_no_leak("oauth", seen)
