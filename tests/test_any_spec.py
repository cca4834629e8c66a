"""Any OpenAPI spec, over the wire (issue 10): a spec nobody at Lago wrote, with form, multipart, text and
binary bodies and every kind of credential, called through lago_dyn against a real server on 127.0.0.1
that parses what it receives with real parsers (urllib.parse, the standard library's email parser)."""

import email.parser
import email.policy
import io
import json
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

import pytest

import lago_dyn
from conftest import http_server

OK = {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}}


def operation(operation_id, *, security=None, body=None, parameters=None, responses=None):
    op = {"operationId": operation_id, "responses": responses or OK}
    if security is not None:
        op["security"] = security
    if body is not None:
        op["requestBody"] = {"required": True, "content": body}
    if parameters is not None:
        op["parameters"] = parameters
    return op


def make_spec(token_url):
    string_array = {"type": "array", "items": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Any API", "version": "1"},
        "servers": [{"url": "http://127.0.0.1:9/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {
            "basic": {"type": "http", "scheme": "basic"},
            "bearer": {"type": "http", "scheme": "bearer"},
            "headerKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
            "queryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
            "cookieKey": {"type": "apiKey", "in": "cookie", "name": "session"},
            "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": {"read": "r"}}}},
        }},
        "paths": {
            "/form": {"post": operation("postForm", body={"application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {
                    "name": {"type": "string"}, "active": {"type": "boolean"}, "tags": string_array,
                    "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                    "point": {"type": "object"}}},
                "encoding": {"metadata": {"style": "deepObject", "explode": True},
                             "point": {"contentType": "application/json"}}}})},
            "/upload": {"post": operation("upload", body={"multipart/form-data": {
                "schema": {"type": "object", "properties": {
                    "note": {"type": "string"}, "meta": {"type": "object"}, "count": {"type": "integer"},
                    "files": {"type": "array", "items": {"type": "string", "format": "binary"}}}},
                "encoding": {"note": {"contentType": "text/markdown"}}}})},
            "/text": {"post": operation("postText", body={"text/plain": {"schema": {"type": "string"}}})},
            "/binary": {"put": operation("putBinary", body={"application/octet-stream": {}})},
            "/report": {"get": operation("getReport", responses={"200": {"description": "ok", "content": {
                "application/xml": {"schema": {"type": "object"}},
                "application/json": {"schema": {"type": "object", "required": ["ok"]}}}}})},
            "/plain": {"get": operation("getPlain", responses={"200": {"description": "ok", "content": {
                "text/plain": {"schema": {"type": "string"}}}}})},
            "/blob": {"get": operation("getBlob", responses={"200": {"description": "ok", "content": {
                "application/octet-stream": {}}}})},
            "/items/{id}": {"get": operation("getItem", parameters=[
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}},
                {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}}])},
            "/basic": {"get": operation("viaBasic", security=[{"basic": []}])},
            "/bearer": {"get": operation("viaBearer", security=[{"bearer": []}])},
            "/header": {"get": operation("viaHeader", security=[{"headerKey": []}])},
            "/query": {"get": operation("viaQuery", security=[{"queryKey": []}], parameters=[
                {"name": "q", "in": "query", "schema": {"type": "string"}}])},
            "/cookie": {"get": operation("viaCookie", security=[{"cookieKey": []}])},
            "/oauth": {"get": operation("viaOauth", security=[{"oauth": ["read"]}])},
            "/either": {"get": operation("viaEither", security=[{"basic": []}, {"headerKey": [], "queryKey": []}])},
            "/open": {"get": operation("anonymousOk", security=[{"bearer": []}, {}])},
        },
    }


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Recorder"

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        self.server.received.append({"method": self.command, "path": parts.path, "query": parts.query,
                                     "headers": dict(self.headers.items()), "body": body})
        if parts.path == "/token":
            self.server.token_fetches += 1
            payload = {"access_token": f"tok-{self.server.token_fetches}", "token_type": "Bearer",
                       "expires_in": self.server.token_lifetime}
            return self._answer(200, "application/json", json.dumps(payload).encode())
        if parts.path == "/v1/plain":
            return self._answer(200, "text/plain; charset=utf-8", "héllo\n".encode())
        if parts.path == "/v1/blob":
            return self._answer(200, "application/octet-stream", bytes(range(256)))
        if parts.path == "/v1/report" and "application/json" not in self.headers.get("Accept", "").split(",")[0]:
            return self._answer(200, "application/xml", b"<ok/>")
        self._answer(200, "application/json", b'{"ok": true}')

    def _answer(self, status, content_type, content):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_PUT = _serve

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    with http_server(Recorder, received=[], token_fetches=0, token_lifetime=3600) as httpd:
        yield httpd


@pytest.fixture
def client(server):
    credentials = {
        "basic": ("ada", "s3cr3t:pw"), "bearer": "bearer-token", "headerKey": "header-key",
        "queryKey": "query key", "cookieKey": "cookie-key",
        "oauth": lago_dyn.OAuth2ClientCredentials("client-1", "client-secret", scopes=["read"]),
    }
    with lago_dyn.Client(make_spec(server.base + "/token"), base_url=server.base + "/v1", auth=credentials,
                         retry=lago_dyn.RetryPolicy(retries=0)) as c:
        yield c


def last(server, path=None):
    return [r for r in server.received if path is None or r["path"] == path][-1]


def parse_multipart(request):
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {request['headers']['Content-Type']}\r\n\r\n".encode() + request["body"])
    return [(part.get_param("name", header="content-disposition"), part.get_filename(), part.get_content_type(),
             part.get_payload(decode=True)) for part in message.iter_parts()]


# -- bodies ---------------------------------------------------------------------------------------------

def test_form_bodies_carry_booleans_arrays_deep_objects_and_json_fields(client, server):
    client.post_form({"name": "Ada L", "active": True, "tags": ["a", "b c"], "metadata": {"order_id": "6735"},
                      "point": {"x": 1}, "skipped": None})
    sent = last(server)
    assert sent["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent["body"] == (b"name=Ada%20L&active=true&tags=a&tags=b%20c&metadata[order_id]=6735"
                            b"&point=%7B%22x%22%3A1%7D")
    assert parse_qsl(sent["body"].decode()) == [("name", "Ada L"), ("active", "true"), ("tags", "a"), ("tags", "b c"),
                                                ("metadata[order_id]", "6735"), ("point", '{"x":1}')]


def test_multipart_sends_text_json_and_two_files_byte_exact(client, server):
    png = bytes(range(256))
    client.upload({"note": "# Hello", "meta": {"k": [1, 2]}, "count": 3,
                   "files": [("a.png", png, "image/png"), io.BytesIO(b"second file")]})
    sent = last(server)
    assert sent["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert parse_multipart(sent) == [
        ("note", None, "text/markdown", b"# Hello"),
        ("meta", None, "application/json", b'{"k":[1,2]}'),
        ("count", None, "text/plain", b"3"),
        ("files", "a.png", "image/png", png),
        ("files", "files", "application/octet-stream", b"second file"),
    ]


def test_text_and_binary_bodies_are_sent_as_they_are(client, server):
    client.post_text("# Hello, wörld")
    assert last(server)["body"] == "# Hello, wörld".encode() and last(server)["headers"]["Content-Type"] == "text/plain"
    client.put_binary(b"\x00\x01raw")
    assert last(server)["body"] == b"\x00\x01raw"
    client.put_binary(io.BytesIO(b"from a file"))
    assert last(server)["body"] == b"from a file"
    with pytest.raises(lago_dyn.RequestValidationError, match="str, bytes or a binary file"):
        client.put_binary({"not": "bytes"})


def test_answers_prefer_json_and_text_or_binary_come_back_as_str_or_bytes(client, server):
    assert client.get_report() == {"ok": True}
    assert last(server)["headers"]["Accept"].startswith("application/json")
    assert client.get_plain() == "héllo\n"
    assert client.get_blob() == bytes(range(256))


def test_formats_are_checked_on_requests(client, server):
    before = len(server.received)
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.get_item("not-a-uuid", since="yesterday")
    assert {(v.location, v.rule) for v in caught.value.violations} == {("path.id", "format"), ("query.since", "format")}
    assert len(server.received) == before
    client.get_item("1a901a90-1a90-1a90-1a90-1a901a901a90", since="2024-01-01T00:00:00Z")


# -- credentials ----------------------------------------------------------------------------------------

def test_every_credential_kind_reaches_the_server_where_its_scheme_says(client, server):
    import base64

    client.via_basic()
    assert last(server)["headers"]["Authorization"] == "Basic " + base64.b64encode(b"ada:s3cr3t:pw").decode()
    client.via_bearer()
    assert last(server)["headers"]["Authorization"] == "Bearer bearer-token"
    client.via_header()
    assert last(server)["headers"]["X-Api-Key"] == "header-key"
    client.via_query(q="x")
    assert parse_qsl(last(server)["query"]) == [("q", "x"), ("api_key", "query key")]
    client.via_cookie()
    assert last(server)["headers"]["Cookie"] == "session=cookie-key"


def test_oauth2_client_credentials_fetch_one_token_for_many_calls_and_refresh_it(server):
    credential = lago_dyn.OAuth2ClientCredentials("client-1", "client-secret", scopes=["read"])
    client = lago_dyn.Client(make_spec(server.base + "/token"), base_url=server.base + "/v1",
                             auth={"oauth": credential})
    for _ in range(5):
        client.via_oauth()
    token_requests = [r for r in server.received if r["path"] == "/token"]
    assert len(token_requests) == 1 and credential.fetches == 1
    assert parse_qsl(token_requests[0]["body"].decode()) == [("grant_type", "client_credentials"), ("scope", "read")]
    assert token_requests[0]["headers"]["Authorization"].startswith("Basic ")
    assert last(server, "/v1/oauth")["headers"]["Authorization"] == "Bearer tok-1"
    server.token_lifetime = 0.2  # the next token expires almost at once: the one after it is fetched anew
    credential._expires_at = 0.0
    client.via_oauth()
    time.sleep(0.15)  # waiting for the clock itself: the token's lifetime has to pass
    client.via_oauth()
    assert credential.fetches == 3 and last(server, "/v1/oauth")["headers"]["Authorization"] == "Bearer tok-3"
    assert "client-secret" not in repr(credential)


def test_each_client_sends_its_own_credentials_and_a_token_callable_is_asked_on_every_call(server):
    spec = lago_dyn.load_spec(make_spec(server.base + "/token"))
    tokens = iter(["first", "second"])
    asking = lago_dyn.Client(spec, base_url=server.base + "/v1", auth={"bearer": lambda: next(tokens)})
    fixed = lago_dyn.Client(spec, base_url=server.base + "/v1", auth={"bearer": "fixed"})
    sent = []
    for one in (asking, fixed, asking, fixed):
        one.via_bearer()
        sent.append(last(server)["headers"]["Authorization"])
    assert sent == ["Bearer first", "Bearer fixed", "Bearer second", "Bearer fixed"]


def test_missing_credentials_raise_before_anything_is_sent(server):
    client = lago_dyn.Client(make_spec(server.base + "/token"), base_url=server.base + "/v1",
                             auth={"bearer": "t"})
    with pytest.raises(lago_dyn.MissingCredentialsError) as caught:
        client.via_either()
    assert "basic (http basic) or headerKey (apiKey in header) + queryKey (apiKey in query)" in str(caught.value)
    assert server.received == []
    client.anonymous_ok()  # bearer given: used
    assert last(server)["headers"]["Authorization"] == "Bearer t"
    lago_dyn.Client(make_spec(server.base + "/token"), base_url=server.base + "/v1").anonymous_ok()
    assert "Authorization" not in last(server)["headers"]  # anonymous access allowed: sent without


def test_secrets_are_redacted_in_reprs_and_credentials_are_checked_at_construction(client, server):
    from lago_dyn.call import pipeline

    spec = make_spec(server.base + "/token")

    prepared = pipeline.prepare(client._calls.plan(client.spec.operations["via_query"]), {"q": "x"}, {})
    assert "query key" not in repr(prepared) and "query%20key" not in repr(prepared)
    prepared = pipeline.prepare(client._calls.plan(client.spec.operations["via_basic"]), {}, {})
    assert "Basic" not in repr(prepared) and "<redacted>" in repr(prepared)
    for bad in ("sk_live_4242\n", "sk_live_4242€"):
        with pytest.raises(lago_dyn.ConfigurationError) as caught:
            lago_dyn.Client(spec, base_url=server.base, api_key=bad)
        assert bad.strip() not in str(caught.value)
    with pytest.raises(lago_dyn.ConfigurationError, match="does not define"):
        lago_dyn.Client(spec, base_url=server.base, auth={"nope": "x"})
    with pytest.raises(lago_dyn.ConfigurationError, match="absolute http"):
        lago_dyn.Client(spec, base_url="127.0.0.1:9/api/v1")


# -- multi-file specs --------------------------------------------------------------------------------------

def test_refs_to_a_sibling_folder_need_a_named_root(tmp_path, server):
    import yaml

    (tmp_path / "common" / "schemas").mkdir(parents=True)
    (tmp_path / "api").mkdir()
    (tmp_path / "common" / "schemas" / "Thing.yaml").write_text(yaml.safe_dump(
        {"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}}))
    spec = make_spec(server.base + "/token")
    spec["paths"] = {"/thing": {"get": {"operationId": "getThing", "security": [], "responses": {"200": {
        "description": "ok", "content": {"application/json": {"schema": {"$ref": "../common/schemas/Thing.yaml"}}}}}}}}
    (tmp_path / "api" / "openapi.yaml").write_text(yaml.safe_dump(spec))
    with pytest.raises(lago_dyn.SpecError, match="ref_root"):
        lago_dyn.load_spec(tmp_path / "api" / "openapi.yaml", cache_dir=False)
    client = lago_dyn.Client(tmp_path / "api" / "openapi.yaml", ref_root=tmp_path, base_url=server.base + "/v1",
                             cache_dir=False)
    server.received.clear()
    assert client.get_thing() == {"ok": True}  # validated against the schema in ../common
    as_dict = lago_dyn.load_spec(spec, base_uri=str(tmp_path / "api"), ref_root=tmp_path)
    assert "get_thing" in as_dict.operations


def test_python_values_are_taken_as_json_and_the_rest_named_by_field_path(client, server):
    import dataclasses
    import decimal

    @dataclasses.dataclass
    class Point:
        x: int

    client.upload({"note": "n", "meta": {"amount": decimal.Decimal("12.50"), "at": Point(3)}})
    meta = [part for part in parse_multipart(last(server)) if part[0] == "meta"][0]
    assert json.loads(meta[3]) == {"amount": 12.5, "at": {"x": 3}}
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body\.meta\.items\[1\]: a value of type object"):
        client.upload({"note": "n", "meta": {"items": [1, object()]}})


def test_one_file_tuple_for_an_array_property_is_one_file(client, server):
    client.upload({"files": ("only.txt", b"just one", "text/plain")})
    assert parse_multipart(last(server)) == [("files", "only.txt", "text/plain", b"just one")]


def test_a_decimal_is_sent_as_the_schema_at_its_place_says(server):
    import decimal

    spec = make_spec(server.base + "/token")
    spec["paths"]["/prices"] = {"post": operation("postPrice", security=[], body={"application/json": {"schema": {
        "type": "object", "properties": {
            "amount": {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$"}, "rate": {"type": "number"},
            "lines": {"type": "array", "items": {"type": "object", "properties": {"unit": {"type": "string"}}}}}}}})}
    client = lago_dyn.Client(spec, base_url=server.base + "/v1")
    client.post_price({"amount": decimal.Decimal("12.50"), "rate": decimal.Decimal("0.2"),
                       "lines": [{"unit": decimal.Decimal("0.10")}]})
    assert json.loads(last(server)["body"]) == {"amount": "12.50", "rate": 0.2, "lines": [{"unit": "0.10"}]}
