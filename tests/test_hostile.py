"""Specs and servers we do not control, and inputs users should not send (issue #6): never a hang, never an
internal error, never the token, never a request the spec forbids. The numbers used here are the ones the
README's "Guarantees" section states."""

import functools
import json
import socket
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

import lago_dyn
from conftest import API_KEY, SPECS, shared_spec
from lago_dyn.testing import LocalLago
from lago_dyn.wire import WireResponse


class NoNetwork:
    """A transport that fails the test if anything is sent, and answers 200 {} otherwise."""

    def __init__(self, allow=False):
        self.allow, self.sent = allow, []

    def send(self, request):
        if not self.allow:
            raise AssertionError(f"a request was sent: {request.method} {request.url}")
        self.sent.append(request)
        return WireResponse(200, {"Content-Type": "application/json"}, b"{}")

    def close(self):
        pass


# -- 1. fuzzed inputs over every body of lago-1.51.0 ---------------------------------------------------

@functools.lru_cache(maxsize=None)
def spec_1_51():
    """Parsed once, for collection and for the tests, and never through the spec cache (collection runs
    before the cache-isolation fixture; it must not read or write the user's cache). A loader bug is a
    collection error, never zero tests."""
    return lago_dyn.load_spec(SPECS / "lago-1.51.0.yaml", cache_dir=False)


@pytest.fixture(scope="module")
def big_spec():
    shared_spec("1.51.0")  # skips when ../shared is missing
    return spec_1_51()


def body_operations():
    if not (SPECS / "lago-1.51.0.yaml").is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason="../shared/specs/lago-1.51.0.yaml is missing"))]
    spec = spec_1_51()
    return sorted(name for name, op in spec.operations.items() if op.body is not None and op.body.schema_uri)


@pytest.mark.parametrize("name", body_operations())
def test_generated_bodies_pass_and_mutated_ones_are_refused(big_spec, name):
    operation = big_spec.operations[name]
    client = lago_dyn.Client(big_spec, base_url="http://127.0.0.1:9", transport=NoNetwork())
    validators = client.spec.validators
    schema = {"allOf": [big_spec.node_at(operation.body.schema_uri)], "components": big_spec.root["components"]}
    samples = []

    @settings(max_examples=4, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(from_schema(schema))
    def valid_bodies_pass(body):
        assert validators.violations(operation.body.schema_uri, body, "body", "write") == [], body
        samples.append(body)

    valid_bodies_pass()
    body = samples[0]
    required = [key for key in _required_root(big_spec, operation) if isinstance(body, dict) and key in body]
    for key in required:
        without = {k: v for k, v in body.items() if k != key}
        wrong_type = {**body, key: 12345 if not isinstance(body[key], int) else "not a number"}
        for mutated in (without, wrong_type):
            with pytest.raises(lago_dyn.RequestValidationError) as caught:
                client.operations[name](**_arguments(big_spec, operation, client, mutated))
            assert any(v.location.startswith(f"body.{key}") for v in caught.value.violations)
    enum_path = _enum_field(big_spec, operation, body)
    if enum_path:
        mutated = json.loads(json.dumps(body))
        target = mutated
        for part in enum_path[:-1]:
            target = target[part]
        target[enum_path[-1]] = "__not_in_the_enum__"
        with pytest.raises(lago_dyn.RequestValidationError):
            client.operations[name](**_arguments(big_spec, operation, client, mutated))


def _required_root(spec, operation):
    node, _ = spec.resolve(spec.node_at(operation.body.schema_uri), operation.body.schema_uri)
    return list(node.get("required") or ()) if isinstance(node, dict) else []


def _enum_field(spec, operation, body):
    """A path to an enum-valued field one level inside the body's wrapper object, if there is one."""
    node, uri = spec.resolve(spec.node_at(operation.body.schema_uri), operation.body.schema_uri)
    for key, sub in (node.get("properties") or {}).items() if isinstance(node, dict) else ():
        inner, _ = spec.resolve(sub, uri)
        for field, field_schema in (inner.get("properties") or {}).items() if isinstance(inner, dict) else ():
            resolved, _ = spec.resolve(field_schema, uri)
            if isinstance(resolved, dict) and "enum" in resolved and isinstance(body.get(key), dict) \
                    and field in body[key] and "__not_in_the_enum__" not in resolved["enum"]:
                return [key, field]
    return None


def _arguments(spec, operation, client, body):
    from lago_dyn.binding.examples import example
    arguments = {p.python_name: example(spec, uri=p.schema_uri) if p.schema_uri else None
                 for p in operation.parameters if p.required}
    for parameter in operation.parameters:
        if parameter.required and parameter.schema_uri:
            value = arguments[parameter.python_name]
            if client.spec.validators.violations(parameter.schema_uri, value, "x", "write"):
                arguments[parameter.python_name] = example(spec, uri=parameter.schema_uri, use_examples=False)
    arguments[operation.body.python_name] = body
    return arguments


def test_no_input_raises_anything_but_our_errors(big_spec):
    client = lago_dyn.Client(big_spec, base_url="http://127.0.0.1:9", transport=NoNetwork(allow=True),
                             unknown_fields="error")  # a stray key is then one more of our errors, not a warning
    hostile = [None, 0, -1, 1e308, "", "\x00", "é" * 1000, [], {}, [[]], {"": None}, object(), float("nan"),
               b"bytes", {"customer": object()}, {"customer": {"external_id": {"$ref": "#/x"}}}]
    for name, function in client.operations.items():
        operation = big_spec.operations[name]
        for value in hostile:
            arguments = {p.python_name: value for p in operation.parameters}
            if operation.body is not None:
                arguments[operation.body.python_name] = value
            try:
                function(**arguments)
            except lago_dyn.LagoDynError:
                pass


# -- 2. hostile specs ----------------------------------------------------------------------------------

BOMB = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},"
    f"*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(9))


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not valid YAML or JSON"),
    (b"openapi: 3.1.0\n\tpaths: {}\n", "not valid YAML or JSON"),
    ((BOMB + "openapi: 3.1.0\npaths: {}\n").encode(), "alias bomb"),
    (b"openapi: 3.1.0\ninfo: !!python/object/apply:os.system ['echo pwned']\npaths: {}\n", "not valid YAML"),
])
def test_hostile_spec_files_get_one_clear_error_quickly(tmp_path, content, message):
    path = tmp_path / "hostile.yaml"
    path.write_bytes(content)
    started = time.monotonic()
    with pytest.raises(lago_dyn.SpecError, match=message):
        lago_dyn.load_spec(path, cache_dir=False)
    assert time.monotonic() - started < 5


def test_a_spec_over_the_size_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:
        handle.write(b"openapi: 3.1.0\npaths: {}\nx: '")
        handle.write(b"a" * (3 * 1024 * 1024))
        handle.write(b"'\n")
    started = time.monotonic()
    with pytest.raises(lago_dyn.SpecLoadError, match=r"over the 2,097,152-byte limit .*max_document_bytes="):
        lago_dyn.load_spec(path, max_document_bytes=2 * 1024 * 1024)
    assert time.monotonic() - started < 2
    sparse = tmp_path / "sparse.yaml"  # 129 MiB that occupy no disk: refused on its size, never read
    with open(sparse, "wb") as handle:
        handle.truncate(129 * 1024 * 1024)
    with pytest.raises(lago_dyn.SpecLoadError, match="over the 134,217,728-byte limit"):
        lago_dyn.load_spec(sparse)


def minimal(**extra):
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, **extra}


def test_reference_cycles_are_refused():
    spec = minimal(components={"schemas": {"A": {"$ref": "#/components/schemas/B"},
                                           "B": {"$ref": "#/components/schemas/A"}}})
    with pytest.raises(lago_dyn.SpecError, match="cycle"):
        lago_dyn.load_spec(spec)


def test_refs_outside_the_spec_folder_and_remote_refs_are_refused(tmp_path):
    import yaml
    (tmp_path / "api").mkdir()
    for target, message in (("/etc/passwd", "leaves the spec's folder"), ("../secret.yaml", "leaves the spec's folder"),
                            ("http://127.0.0.1:9/schema.yaml", "allow_remote_refs=True")):
        spec = minimal(components={"schemas": {"A": {"$ref": target}}})
        (tmp_path / "api" / "spec.yaml").write_text(yaml.safe_dump(spec))
        with pytest.raises(lago_dyn.SpecError, match=message):
            lago_dyn.load_spec(tmp_path / "api" / "spec.yaml", cache_dir=False)


def test_operation_ids_that_are_keywords_or_dunders_get_safe_names():
    paths = {f"/p{i}": {"get": {"operationId": op_id, "responses": {"200": {"description": "ok"}}}}
             for i, op_id in enumerate(["__init__", "class", "import", "0day", "__getattr__"])}
    client = lago_dyn.Client(minimal(paths=paths), base_url="http://127.0.0.1:9", transport=NoNetwork(allow=True),
                             response_validation="off")
    assert sorted(client.operations) == ["class_", "getattr", "import_", "init", "operation_0day"]
    assert type(client).__init__ is lago_dyn.Client.__init__ and client.__class__ is lago_dyn.Client
    client.class_()
    assert client.transport.sent[-1].url == "http://127.0.0.1:9/p1"


# -- 3. hostile values ---------------------------------------------------------------------------------

def test_huge_values_are_sent_exactly_as_given(client, lago):
    name = "n" * (5 * 1024 * 1024)
    client.create_customer({"customer": {"external_id": "big", "name": name}})
    assert len(lago.requests[-1].body) > 5 * 1024 * 1024
    assert lago.requests[-1].json["customer"]["name"] == name


def test_path_injection_never_leaves_the_segment(client, lago):
    for value in ("../../admin", "a/b", "%2F..%2F", "x?admin=1", "x#frag", "."):
        try:
            client.find_customer(value)
        except lago_dyn.NotFoundError:
            pass
        assert lago.requests[-1].path.count("/") == "/api/v1/customers/x".count("/")
        assert lago.requests[-1].query == ""


# -- 4. flaky servers ----------------------------------------------------------------------------------

def test_429_is_retried_honouring_retry_after_for_every_method(lago, default_spec, make_client):
    client = make_client(default_spec, base_url=lago.base_url, api_key=API_KEY,
                             retry=lago_dyn.RetryPolicy(retries=2, max_total=10))
    lago.reply("find_all_customers", status=429, body={"status": 429, "error": "Too Many Requests"},
               headers={"Retry-After": "1"}, times=1)
    started = time.monotonic()
    assert client.find_all_customers().meta.total_count == 0
    assert 1.0 <= time.monotonic() - started < 5 and len(lago.requests) == 2
    lago.reply("create_customer", status=429, body={"status": 429, "error": "Too Many Requests"},
               headers={"Retry-After": "0"}, times=1)
    # A 429 was refused before processing: even a POST is safe to send again.
    assert client.create_customer({"customer": {"external_id": "once"}}).customer.external_id == "once"
    assert len(lago.requests) == 4


def test_5xx_retries_are_bounded_in_count_and_time(lago, default_spec, make_client):
    client = make_client(default_spec, base_url=lago.base_url, api_key=API_KEY,
                             retry=lago_dyn.RetryPolicy(retries=2, backoff=0.05))
    lago.reply("find_all_customers", status=503, body={"status": 503, "error": "Unavailable"})
    started = time.monotonic()
    with pytest.raises(lago_dyn.ServerError):
        client.find_all_customers()
    assert len(lago.requests) == 3 and time.monotonic() - started < 2
    opted_in = make_client(default_spec, base_url=lago.base_url, api_key=API_KEY,
                           retry=lago_dyn.RetryPolicy(retries=1, backoff=0.01, retry_non_idempotent=True))
    lago.reply("create_customer", status=502, body={"status": 502, "error": "Bad gateway"}, times=1)
    assert opted_in.create_customer({"customer": {"external_id": "r"}}).customer.external_id == "r"


class RawServer:
    """A server on 127.0.0.1 that answers every connection with the bytes `respond` writes."""

    def __init__(self, respond):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        self.respond = respond
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                try:
                    self.respond(connection)
                except OSError:
                    pass

    @property
    def url(self):
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/api/v1"

    def close(self):
        self.listener.close()


def headers(length=None, chunked=False):
    lines = ["HTTP/1.1 200 OK", "Content-Type: application/json"]
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize("name, respond, error", [
    ("closed mid-body", lambda c: c.sendall(headers(1000) + b'{"customers": ['), lago_dyn.TransportError),
    ("2 GB announced", lambda c: c.sendall(headers(2 * 1024 ** 3) + b"{"), lago_dyn.TransportError),
    ("endless chunked body", lambda c: [c.sendall(b"10000\r\n" + b" " * 0x10000 + b"\r\n") for _ in range(64)],
     lago_dyn.TransportError),
])
def test_misbehaving_servers_give_our_errors_quickly(default_spec, name, respond, error, make_client):
    def answer(connection):
        if name == "endless chunked body":
            connection.sendall(headers(chunked=True))
        respond(connection)

    server = RawServer(answer)
    client = make_client(default_spec, base_url=server.url, api_key=API_KEY, timeout=(2, 2),
                         retry=lago_dyn.RetryPolicy(retries=0), max_response_bytes=1024 * 1024)
    started = time.monotonic()
    with pytest.raises(error) as caught:
        client.find_all_customers()
    assert time.monotonic() - started < 5
    assert API_KEY not in str(caught.value)
    server.close()


# -- 5. secrets ----------------------------------------------------------------------------------------

def test_the_token_is_not_forwarded_to_another_host_on_redirect(lago, default_spec, make_client):
    with LocalLago(default_spec) as other:
        target = other.base_url.replace("127.0.0.1", "localhost") + "/customers"
        lago.reply("find_all_customers", status=302, headers={"Location": target}, content=b"")
        client = make_client(default_spec, base_url=lago.base_url, api_key=API_KEY)
        with pytest.raises(lago_dyn.UnauthorizedError):  # the other host never got the key, so it refuses
            client.find_all_customers()
        assert other.requests, "the redirect was not followed"
        assert "Authorization" not in other.requests[-1].headers


def test_tls_verification_is_on_by_default(default_spec, make_client):
    assert make_client(default_spec).transport.verify is True


def test_the_token_never_appears_in_warnings(lago, default_spec, recwarn, caplog, make_client):
    lago.reply("find_customer", body={"customer": {"external_id": API_KEY[:3]}})
    client = make_client(default_spec, base_url=lago.base_url, api_key=API_KEY, response_validation="warn")
    client.find_customer("c-1")
    texts = [str(w.message) for w in recwarn] + [caplog.text, repr(client), repr(client.transport)]
    assert all(API_KEY not in text for text in texts)


# -- 6. threads ----------------------------------------------------------------------------------------

def test_one_client_shared_by_8_threads_making_1000_calls(lago, make_client):
    spec = lago_dyn.load_spec(cache_dir=False)  # its own, so the compile count is this test's alone
    client = make_client(spec, base_url=lago.base_url, api_key=API_KEY)
    mismatches, errors = [], []

    def worker(thread):
        for index in range(125):  # 8 x 125 = 1,000 calls: creates, each followed by a find of the same id
            external_id = f"t{thread}-{index // 2}"
            try:
                if index % 2 == 0:
                    got = client.create_customer({"customer": {"external_id": external_id}}).customer.external_id
                else:
                    got = client.find_customer(external_id).customer.external_id
                if got != external_id:
                    mismatches.append((external_id, got))
            except Exception as error:  # collected, so the assertion names it
                errors.append(repr(error))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [] and mismatches == []
    assert len(lago.requests) == 1000
    assert spec.validators.compiled == 4  # 2 operations x (arguments, answer): no schema compiled twice
    single = lago_dyn.Client(spec, base_url=lago.base_url, api_key=API_KEY)
    single.create_customer({"customer": {"external_id": "one"}})
    single.find_customer("one")
    assert spec.validators.compiled == 4  # a second client on the same Spec compiles nothing
