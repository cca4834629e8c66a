"""`LocalLago`: a real HTTP server on 127.0.0.1 that behaves as the spec says.

Every request is routed by the spec's paths, checked with the client's own validators, and answered with
a Lago-shaped error (400/401/404/422) or a response valid for the operation: a reply the test set up, the
stateful Customers API, or an example made from the response schema. Everything received is recorded.

It is a test double clients are fuzzed against, so it must not be the thing that breaks: every answer it
makes up is checked with the same validators (a 500 that says so if no valid one can be made, never an
invalid body served as if it were fine), malformed framing is a 400, a body that does not arrive within
`read_timeout` a 408, chunked bodies are read, and a burst of connections waits in a 128-deep backlog.
"""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..client import load_spec
from ..errors import SpecError, Violation
from ..spec.loader import SpecSource
from ..codecs import params
from ..codecs.media import is_json
from ..spec.model import Operation, Parameter, Spec
from ..spec.schema import view
from ..validation import READ, WRITE
from ..binding.examples import valid_example
from ..lago.local import UNAUTHORIZED, LagoRules, LagoStoreProfile
from .rate_limit import TOO_MANY_REQUESTS, RateBudget
from .store import Clock, Store, StoreProfile
from .webhooks import WebhookSender

#: The operations that answer the organization's webhook public key.
_PUBLIC_KEY_ANSWERS = ("fetch_public_key", "fetch_json_public_key")
#: Upper bound on a request body the server reads (bytes).
MAX_REQUEST_BYTES = 16 * 1024 * 1024
#: Seconds a request's body may take to arrive (and an idle keep-alive connection may stay open).
DEFAULT_READ_TIMEOUT = 10.0
#: Pending connections the listening socket holds (the standard library's default is 5).
LISTEN_BACKLOG = 128


@dataclass(frozen=True)
class RecordedRequest:
    """A request exactly as it arrived."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    operation: str | None

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.query, keep_blank_values=True)


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None  # raw bytes instead of a JSON body
    times: int | None = None  # None: every call


@dataclass
class _Route:
    operation: Operation
    pattern: re.Pattern[str]
    names: list[str]


class LocalLago:
    """A spec-driven local Lago. Use it as a context manager (or the `local_lago` pytest fixture):

        with LocalLago() as lago:
            client = lago_dyn.Client(base_url=lago.base_url, api_key="test")
    """

    def __init__(self, spec: SpecSource | Spec | None = None, *, require_auth: bool = True, stateful: bool = True,
                 read_timeout: float = DEFAULT_READ_TIMEOUT, host: str = "127.0.0.1", port: int = 0,
                 webhook_public_key: bytes | None = None, api_key: str | None = None, profile: str = "auto",
                 hmac_key: str = "local-lago-hmac-key", webhook_private_key: Any = None,
                 webhook_attempts: int = 3, webhook_retry_wait: float = 0.05, rate_limit: int | None = None,
                 rate_window: float = 1.0):
        self.spec = spec if isinstance(spec, Spec) else load_spec(spec)
        #: The one API key accepted (401 with Lago's body for any other); None: any bearer key.
        self.api_key = api_key
        #: The organization's HMAC key, which signs webhooks of endpoints with `signature_algo: hmac`.
        self.hmac_key = hmac_key
        self._webhook_private_key = webhook_private_key
        self.clock = Clock()
        is_lago = profile == "lago" or (profile == "auto" and "lago" in self.spec.title.lower())
        store_profile = LagoStoreProfile() if is_lago else StoreProfile()
        #: Every stateful resource of the spec (None with stateful=False).
        self.store = Store(self.spec, store_profile, self.clock) if stateful else None
        self.webhook_sender = WebhookSender(attempts=webhook_attempts, retry_wait=webhook_retry_wait)
        self.rules = LagoRules(self.store, self._notify) if stateful and is_lago else None
        self.host, self._requested_port = host, port  # port 0: any free port
        self.require_auth = require_auth
        #: A PEM public key (the test's own key pair) served by `fetch_public_key` and
        #: `fetch_json_public_key`, base64-encoded as Lago serves it; None: the spec's example.
        self.webhook_public_key = webhook_public_key
        self.read_timeout = read_timeout
        #: Lago's rate limit (`rate_limit` requests per `rate_window` seconds; None: no limit, no headers).
        self.rate_budget = RateBudget(rate_limit, rate_window) if rate_limit is not None else None
        self.requests: list[RecordedRequest] = []
        self._validators = self.spec.validators
        self._replies: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()
        self._routes = _routes(self.spec)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        servers = self.spec.root.get("servers") or [{"url": "/"}]
        self.base_path = urlsplit(str(servers[0].get("url", "/"))).path.rstrip("/")

    # -- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> "LocalLago":
        handler = type("Handler", (_Handler,), {"lago": self, "timeout": self.read_timeout})
        self._server = _Server((self.host, self._requested_port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="LocalLago", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.webhook_sender.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "LocalLago":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("LocalLago is not running; use it as a context manager or call start()")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{self.base_path}"

    # -- what tests set up and read ----------------------------------------------------------------------

    def reply(self, operation: str, status: int = 200, body: Any = None, *, headers: dict[str, str] | None = None,
              content: bytes | None = None, times: int | None = None) -> None:
        """Answer `operation` (Python name or operationId) with this reply instead of the spec's: `times` calls,
        or every call (None). The most recent reply answers first; when its `times` are spent, the one
        before it does again (`replies()` shows the queue)."""
        name = self._operation_name(operation)
        with self._lock:
            self._replies.setdefault(name, []).append(Reply(status, body, dict(headers or {}), content, times))

    def replies(self) -> dict[str, list[Reply]]:
        """The scripted replies still queued, by operation, the one that answers next first."""
        with self._lock:
            return {name: [Reply(r.status, r.body, dict(r.headers), r.content, r.times) for r in reversed(queue)]
                    for name, queue in self._replies.items() if queue}

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._replies.clear()
        if self.store is not None:
            self.store.clear()
        if self.rules is not None:
            self.rules = LagoRules(self.store, self._notify)

    def _operation_name(self, name: str) -> str:
        for operation in self.spec.operations.values():
            if name in (operation.name, operation.operation_id):
                return operation.name
        raise KeyError(f"the spec has no operation {name!r}")

    # -- answering -------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        match = self._route(method, parts.path)
        with self._lock:
            self.requests.append(RecordedRequest(method, parts.path, parts.query, headers, body,
                                                 match[0].operation.name if match else None))
        if self.rate_budget is None:
            return self._answer(match, parts.query, headers, body)
        allowed, limits = self.rate_budget.take()  # Lago refuses past its budget before anything else
        if not allowed:
            return 429, {"Content-Type": "application/json", **limits}, json.dumps(TOO_MANY_REQUESTS).encode()
        status, answer_headers, content = self._answer(match, parts.query, headers, body)
        return status, {**answer_headers, **limits}, content

    @property
    def transaction_ids(self) -> frozenset[str]:
        """The distinct transaction ids of the events stored (each counted once, as Lago keeps them); read
        under the store's lock, so a batch being stored meanwhile is in it whole or not at all."""
        if self.rules is None:
            return frozenset()
        with self.store.lock:  # type: ignore[union-attr]
            return self.rules.transaction_ids

    def _answer(self, match: tuple[_Route, dict[str, str]] | None, query: str, headers: dict[str, str],
                body: bytes) -> tuple[int, dict[str, str], bytes]:
        if match is None:
            return _error(404, "Not Found", "route_not_found")
        route, path_values = match
        operation = route.operation
        if self.require_auth and operation.security and not self._authorized(headers.get("Authorization", "")):
            return 401, {"Content-Type": "application/json"}, json.dumps(UNAUTHORIZED).encode()
        arguments, problems = self._arguments(operation, path_values, query, headers, body)
        if problems:
            if any(p.rule == "json" for p in problems):
                return _error(400, "Bad request")
            details: dict[str, list[str]] = {}
            for problem in problems:
                details.setdefault(problem.location, []).append(f"{problem.rule}: {problem.message}")
            status = 422 if "422" in operation.responses or "400" not in operation.responses else 400
            return _error(status, "Unprocessable entity" if status == 422 else "Bad request",
                          "validation_errors", details)
        reply = self._take_reply(operation.name)
        if reply is not None:
            content = reply.content if reply.content is not None else json.dumps(reply.body).encode()
            return reply.status, {"Content-Type": "application/json", **reply.headers}, content
        if self._webhook_key_pem() is not None and operation.name in _PUBLIC_KEY_ANSWERS:
            encoded = base64.b64encode(self._webhook_key_pem()).decode()  # type: ignore[arg-type]
            if operation.name == "fetch_public_key":
                return 200, {"Content-Type": "text/plain"}, encoded.encode()
            return 200, {"Content-Type": "application/json"}, json.dumps({"webhook": {"public_key": encoded}}).encode()
        answer = None
        if self.rules is not None and operation.name in self.rules.handlers:
            with self.store.lock:  # type: ignore[union-attr]
                answer = self.rules.handlers[operation.name](operation, arguments)
        elif self.store is not None:
            answer = self.store.handle(operation, arguments)
        if answer is not None:
            status, data = answer
            declared = operation.responses.get(str(status))
            if data is None or (declared is not None and not declared.content):
                return status, {}, b""  # the spec answers this status without a body
            return status, {"Content-Type": "application/json"}, json.dumps(data).encode()
        return self._example_response(operation)

    # -- state, time, webhooks -----------------------------------------------------------------------------

    def _authorized(self, header: str) -> bool:
        if not header.startswith("Bearer "):
            return False
        return self.api_key is None or hmac.compare_digest(header[7:].strip().encode(), self.api_key.encode())

    def stateless_operations(self) -> list[str]:
        """The operations answered from the spec's examples: those LocalLago maps to no stored resource."""
        stateful = set(self.store.routes) if self.store is not None else set()
        stateful |= set(self.rules.handlers) if self.rules is not None else set()
        stateful |= set(_PUBLIC_KEY_ANSWERS) if self._webhook_key_pem() is not None else set()
        return sorted(name for name in self.spec.operations if name not in stateful)

    @property
    def now(self) -> datetime:
        """LocalLago's clock (UTC): real time moved by `advance`, or the moment it was set to."""
        return self.clock.now()

    @now.setter
    def now(self, moment: datetime) -> None:
        with self._state_lock():
            self.clock.set(moment)
            self._tick()

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
        """Move the clock forward: billing periods that end on the way are invoiced (and announced)."""
        step = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds).total_seconds()
        with self._state_lock():
            if self.clock._fixed is not None:
                self.clock.set(self.clock._fixed + timedelta(seconds=step))
            else:
                self.clock.offset_seconds += step
            self._tick()
        return self.clock.now()

    def _tick(self) -> None:
        if self.rules is not None:
            self.rules.tick()

    def _state_lock(self) -> Any:
        return self.store.lock if self.store is not None else threading.RLock()

    @property
    def webhooks(self) -> list[Any]:
        """Every webhook sent (`Delivery`: webhook_type, url, body, headers, attempts, delivered)."""
        return list(self.webhook_sender.deliveries)

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        """Until every webhook queued so far was delivered or given up (False if `timeout` passed)."""
        return self.webhook_sender.wait(timeout)

    def _webhook_key_pem(self) -> bytes | None:
        if self.webhook_public_key is not None:
            return self.webhook_public_key
        if self._webhook_private_key is None and self.store is not None and any(
                e.get("signature_algo") in (None, "jwt") for e in self.store.records("webhook_endpoint")):
            self._jwt_key()  # a JWT endpoint exists: sign with a key of LocalLago's own, served as Lago serves it
        if self._webhook_private_key is not None:
            from cryptography.hazmat.primitives import serialization

            self.webhook_public_key = self._webhook_private_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            return self.webhook_public_key
        return None

    def _jwt_key(self) -> Any:
        if self._webhook_private_key is None:
            from cryptography.hazmat.primitives.asymmetric import rsa

            self._webhook_private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.webhook_public_key = None
        return self._webhook_private_key

    def _notify(self, webhook_type: str, object_type: str, data: dict[str, Any]) -> None:
        """Lago's webhook (`{webhook_type, object_type, organization_id, <object_type>: ...}`,
        app/services/webhooks/base_service.rb) to every endpoint subscribed to its type."""
        if self.store is None:
            return
        endpoints = self.store.records("webhook_endpoint")
        if not endpoints:
            return
        payload: dict[str, Any] = {"webhook_type": webhook_type, "object_type": object_type,
                                   "organization_id": getattr(self.store.profile, "organization_id", None),
                                   object_type: data}
        declared = self.spec.webhooks.get(webhook_type.replace(".", "_"))
        if declared is not None and declared.body is not None and declared.body.schema_uri:
            payload = self.store.fit(self.store.complete(payload, declared.body.schema_uri), declared.body.schema_uri)
        for endpoint in endpoints:
            types = endpoint.get("event_types")
            if types and webhook_type not in types:
                continue
            algorithm = endpoint.get("signature_algo") or "jwt"
            self.webhook_sender.send(str(endpoint.get("webhook_url")), payload, algorithm, hmac_key=self.hmac_key,
                                     private_key=self._jwt_key() if algorithm != "hmac" else None,
                                     issuer=self.base_url if self._server is not None else None)

    def _route(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        if not path.startswith(self.base_path):
            return None
        relative = path[len(self.base_path):] or "/"
        for route in self._routes:
            found = route.pattern.fullmatch(relative)
            if found and route.operation.method == method:
                # Left encoded: params.parse_simple splits by the style first, then decodes each item once.
                return route, {name: found.group(i + 1) for i, name in enumerate(route.names)}
        return None

    def _take_reply(self, name: str) -> Reply | None:
        with self._lock:
            queue = self._replies.get(name)
            if not queue:
                return None
            reply = queue[-1]  # the most recent wins: a later reply is never shadowed by an earlier `always`
            if reply.times is not None:
                reply.times -= 1
                if reply.times <= 0:
                    queue.pop()
            return reply

    def _arguments(self, operation: Operation, path_values: dict[str, str], query: str, headers: dict[str, str],
                   body: bytes) -> tuple[dict[str, Any], list[Violation]]:
        """The request's values by Python name, typed as the schemas say, with every rule they break."""
        pairs = parse_qsl(query, keep_blank_values=True)
        lowered = {key.lower(): value for key, value in headers.items()}
        arguments: dict[str, Any] = {}
        problems: list[Violation] = []
        for parameter in operation.parameters:
            raw = _raw_value(self.spec, parameter, path_values, pairs, lowered)
            where = f"{parameter.location}.{parameter.name}"
            if raw is None:
                if parameter.required:
                    problems.append(Violation(where, "required", "required parameter is missing", "nothing"))
                continue
            value = _typed(self.spec, parameter, raw)
            arguments[parameter.python_name] = value
            if parameter.schema_uri:
                problems += self._validators.violations(parameter.schema_uri, value, where, WRITE)
        if operation.body is not None:
            if body:
                try:
                    data = json.loads(body) if is_json(operation.body.media_type) else body
                except ValueError:
                    return arguments, [Violation("body", "json", "not valid JSON", "bytes")]
                arguments["body"] = data
                if operation.body.schema_uri:
                    problems += self._validators.violations(operation.body.schema_uri, data, "body", WRITE)
            elif operation.body.required:
                problems.append(Violation("body", "required", "the request body is required", "nothing"))
        return arguments, problems

    def _example_response(self, operation: Operation) -> tuple[int, dict[str, str], bytes]:
        status = next((s for s in operation.responses if s.startswith("2")), None)
        if status is None:
            return 204, {}, b""
        response = operation.responses[status]
        if not response.content:
            return int(status), {}, b""
        media_type, schema_uri = next(iter(response.content.items()))
        try:
            data = self.example_body(schema_uri) if schema_uri else {}
        except SpecError as failure:
            return _error(500, "Internal Server Error", "local_lago_no_valid_example", str(failure))
        code = 200 if status == "2XX" else int(status)
        return code, {"Content-Type": media_type}, json.dumps(data).encode()

    def example_body(self, schema_uri: str) -> Any:
        """An example valid for the schema: the spec's own examples if they are valid, else generated;
        a `SpecError` if neither is."""
        return valid_example(self.spec, schema_uri, self._validators, READ)


class _Server(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up or stalled is its own business; anything else is a LocalLago bug and
        keeps the standard report on stderr."""
        import sys

        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


class _Refused(Exception):
    """A request whose framing LocalLago cannot or will not read: answered with `status`, then closed."""

    def __init__(self, status: int, error: str):
        super().__init__(error)
        self.status, self.error = status, error


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall
    lago: LocalLago

    def _serve(self) -> None:
        try:
            body = self._body(deadline=time.monotonic() + self.lago.read_timeout)
        except _Refused as refused:
            status, headers, content = _error(refused.status, refused.error)
            self.close_connection = True
        except TimeoutError:
            status, headers, content = _error(408, "Request Timeout")
            self.close_connection = True
        else:
            self.connection.settimeout(self.timeout)  # back to the idle keep-alive timeout
            try:
                status, headers, content = self.lago.handle(self.command, self.path, dict(self.headers.items()),
                                                            body)
            except Exception as bug:  # noqa: BLE001 - answer, rather than drop the connection on the client
                status, headers, content = _error(500, "Internal Server Error", "local_lago_error",
                                                  type(bug).__name__)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    # -- the request body, by Content-Length or chunked, within a deadline -----------------------------

    def _body(self, deadline: float) -> bytes:
        coding = self.headers.get_all("Transfer-Encoding") or []
        lengths = self.headers.get_all("Content-Length") or []
        if coding:
            if lengths or [c.strip().lower() for c in coding] != ["chunked"]:
                raise _Refused(400, "Bad request")  # ambiguous framing, or a coding LocalLago cannot read
            return self._chunked(deadline)
        if not lengths:
            return b""
        if len(set(lengths)) > 1 or not re.fullmatch(r"[0-9]+", lengths[0].strip()):
            raise _Refused(400, "Bad request")
        length = int(lengths[0])
        if length > MAX_REQUEST_BYTES:
            raise _Refused(413, "Payload too large")
        return self._exactly(length, deadline)

    def _chunked(self, deadline: float) -> bytes:
        body = bytearray()
        while True:
            size = self._line(deadline).split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", size):
                raise _Refused(400, "Bad request")
            if len(body) + int(size, 16) > MAX_REQUEST_BYTES:
                raise _Refused(413, "Payload too large")
            if int(size, 16) == 0:
                break
            body += self._exactly(int(size, 16), deadline)
            if self._exactly(2, deadline) != b"\r\n":
                raise _Refused(400, "Bad request")
        while self._line(deadline).strip():  # trailer fields, up to the blank line
            pass
        return bytes(body)

    def _exactly(self, count: int, deadline: float) -> bytes:
        data = bytearray()
        while len(data) < count:
            self._allow_until(deadline)
            chunk = self.rfile.read1(min(count - len(data), 65536))
            if not chunk:
                raise _Refused(400, "Bad request")  # closed before the body was complete
            data += chunk
        return bytes(data)

    def _line(self, deadline: float) -> bytes:
        self._allow_until(deadline)
        line = self.rfile.readline(1024)
        if not line.endswith(b"\n"):
            raise _Refused(400, "Bad request")
        return line

    def _allow_until(self, deadline: float) -> None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError
        self.connection.settimeout(left)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass  # tests read `lago.requests`; nothing goes to stderr


def _error(status: int, error: str, code: str | None = None, details: Any = None) -> tuple[int, dict[str, str], bytes]:
    body: dict[str, Any] = {"status": status, "error": error}
    if code is not None:
        body["code"] = code
    if details is not None:
        body["error_details"] = details
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _routes(spec: Spec) -> list[_Route]:
    routes = []
    for operation in spec.operations.values():
        names = re.findall(r"{([^}]+)}", operation.path)
        pattern = "".join(
            "([^/]+)" if part.startswith("{") else re.escape(part) for part in re.split(r"({[^}]+})", operation.path)
        )
        routes.append(_Route(operation, re.compile(pattern), names))
    routes.sort(key=lambda route: (len(route.names), -len(route.operation.path)))  # literal segments first
    return routes


def _raw_value(spec: Spec, parameter: Parameter, path_values: dict[str, str], pairs: list[tuple[str, str]],
               headers: dict[str, str]) -> Any:
    """A parameter's value read back by the same style table the client serializes with (params.py)."""
    name = parameter.name
    kind = _kind(spec, parameter)
    if parameter.location == "path":
        text = path_values.get(name)
        return None if text is None else params.parse_simple(text, parameter.style, parameter.explode, kind, name)
    if parameter.location == "header":
        text = headers.get(name.lower())
        return None if text is None else params.parse_simple(text, "simple", parameter.explode, kind, decode=str)
    if parameter.location == "cookie":
        cookies = dict(part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part)
        text = cookies.get(name)
        return None if text is None else params.parse_simple(text, "form", False, kind, name)
    properties = (parameter.schema.get("properties") or {}) if kind == "object" else ()
    return params.parse_query(name, pairs, parameter.style, parameter.explode, kind, properties)


def _kind(spec: Spec, parameter: Parameter) -> str | None:
    types = [t for t in _types(spec, parameter.schema_uri) if t != "null"]
    return "array" if "array" in types else "object" if "object" in types else (types[0] if types else None)


def _typed(spec: Spec, parameter: Parameter, raw: Any) -> Any:
    """Query and path values arrive as text: give them the type their schema allows (any branch of it)."""
    if parameter.media_type is not None:
        try:
            return json.loads(raw)
        except (TypeError, ValueError):
            return raw
    found = view(spec, parameter.schema_uri) if parameter.schema_uri is not None else None
    if isinstance(raw, list):
        item_types = _types(spec, found.items if found is not None else None)
        return [params.coerce(value, item_types) for value in raw]
    if isinstance(raw, dict):
        properties = found.properties if found is not None else {}
        return {key: params.coerce(value, _types(spec, properties.get(key))) for key, value in raw.items()}
    return params.coerce(raw, found.types if found is not None else ())


def _types(spec: Spec, uri: str | None) -> tuple[str, ...]:
    """The types the schema at `uri` admits, as its view says; () for no schema (any type)."""
    return view(spec, uri).types if uri is not None else ()
