"""The two pure steps of a call (pipeline.py), seen from the user's side: the exact request `prepare`
makes (path templating and percent-encoding per RFC 3986/6570 and OpenAPI's style table, query, headers,
cookies, body, credentials) and what `handle` makes of an answer (decoded by status and Content-Type,
errors mapped by status with their fields, validation strict/warn/off, per operation). A transport that
records what it is given and answers what the test says stands in for the network: these steps do no I/O,
so what it sees is byte for byte what a real transport sends (tests/test_wire.py covers the wire)."""

from __future__ import annotations

import decimal
import functools
import logging
import warnings

import pytest

import lago_dyn
from lago_dyn.client import USER_AGENT
from lago_dyn.call.pipeline import UnknownFieldsWarning
from lago_dyn.codecs import streams
from lago_dyn.wire import WireResponse

KEY = "sk_pipeline_secret_93a"
JSON = "application/json"


class Answering:
    """A transport that records each request and answers with the next scripted WireResponse (200 `{}`
    when none is left)."""

    def __init__(self, *answers: WireResponse):
        self.sent = []
        self.answers = list(answers)

    def send(self, request):
        self.sent.append(request)
        return self.answers.pop(0) if self.answers else WireResponse(200, {"Content-Type": JSON}, b'{"id": "d"}')

    def close(self):
        pass


def ok(schema=None, media_type=JSON, status="200"):
    return {status: {"description": "ok", "content": {media_type: {"schema": schema or {"type": "object"}}}}}


ITEM = {"type": "object", "required": ["id"],
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "note": {"type": "string"}}}
NEW_ITEM = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string"}, "amount": {"type": "string"}, "price": {"type": "number"},
    "lines": {"type": "array", "items": {"type": "object", "properties": {
        "amount": {"type": "string"}, "quantity": {"type": "number"}}}},
    "count": {"type": "integer"}, "either": {"type": ["string", "number"]}, "whole": {"type": ["integer", "string"]},
    "tree": {"$ref": "#/components/schemas/Node"}, "cost": {"$ref": "#/components/schemas/Money"}}}

SPEC = {
    "openapi": "3.1.0", "info": {"title": "pipeline", "version": "1"},
    "servers": [{"url": "https://api.test/v1"}],
    "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                   "schemas": {"Money": {"type": "string", "pattern": "^[0-9]+[.][0-9]{2}$"}, "Node": {"type": "object", "properties": {
                       "amount": {"type": "string"}, "child": {"$ref": "#/components/schemas/Node"}}}}},
    "security": [{"bearer": []}],
    "paths": {
        "/items/{item_id}": {
            "get": {"operationId": "getItem", "parameters": [
                {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "q", "in": "query", "schema": {"type": "string"}},
                {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                {"name": "ids[]", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}},
                {"name": "raw", "in": "query", "allowReserved": True, "schema": {"type": "string"}},
                {"name": "filter", "in": "query", "content": {JSON: {"schema": {"type": "object"}}}},
                {"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                {"name": "X-Ids", "in": "header", "schema": {"type": "array", "items": {"type": "integer"}}},
                {"name": "X-Doc", "in": "header", "content": {JSON: {"schema": {"type": "object"}}}},
                {"name": "theme", "in": "cookie", "schema": {"type": "string"}},
                {"name": "lang", "in": "cookie", "schema": {"type": "string"}},
            ], "responses": {**ok(ITEM), "404": {"description": "missing", "content": {JSON: {"schema": {}}}},
                             "204": {"description": "nothing"}}},
            "put": {"operationId": "putItem", "parameters": [
                {"name": "item_id", "in": "path", "required": True, "content": {JSON: {"schema": {}}}}],
                "requestBody": {"content": {JSON: {"schema": NEW_ITEM}}}, "responses": {"200": {
                    "description": "ok", "content": {JSON: {"schema": {}}, "text/csv": {"schema": {}}}}}},
        },
        "/ping": {"delete": {"operationId": "ping"}},  # 3.1: an operation may declare no answer at all
        "/items": {
            "post": {"operationId": "createItem", "requestBody": {"required": True, "content": {
                JSON: {"schema": NEW_ITEM},
                "application/x-www-form-urlencoded": {"schema": NEW_ITEM}}},
                "responses": {**ok(ITEM, status="201"), **ok({"type": "string"}, "text/plain", "202")}},
            "get": {"operationId": "listItems", "security": [], "parameters": [
                {"name": "group", "in": "query", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "content": {
                    "application/json; charset=utf-8": {"schema": {"type": "array"}},
                    "text/*": {"schema": {"type": "string"}},
                    "*/*": {"schema": {"type": "string", "format": "binary"}}}}}},
        },
    },
}


@functools.lru_cache(maxsize=None)
def parsed(name: str) -> lago_dyn.Spec:
    """Each spec here parsed once for the session: its compiled validators (and the judge that explains a
    violation, slow to build) are then shared by every client made of it, as in a real application."""
    return lago_dyn.load_spec(globals()[name], cache_dir=False)


def make(*answers, **options):
    transport = Answering(*answers)
    options.setdefault("api_key", KEY)
    return lago_dyn.Client(parsed("SPEC"), transport=transport, **options), transport


def answer(status=200, body=b"{}", content_type=JSON, **headers):
    return WireResponse(status, {**({"Content-Type": content_type} if content_type else {}), **headers}, body,
                        reason="Reason")


# -- prepare: the request ----------------------------------------------------------------------------------

def test_the_request_is_exactly_the_one_the_spec_describes():
    client, transport = make()
    client.get_item("a b/c", q="x&y=z", page=2, ids=["1", "2 3"], raw="a/b?c", filter={"k": "v w"},
                    x_trace="t-1", x_ids=[1, 2], x_doc={"d": 1}, theme="dark", lang="fr",
                    _headers={"X-Extra": "e"}, _request_timeout=3.5)
    request, = transport.sent
    assert request.method == "GET"
    assert request.url == ("https://api.test/v1/items/a%20b%2Fc?q=x%26y%3Dz&page=2&ids[]=1&ids[]=2%203"
                           "&raw=a/b?c&filter=%7B%22k%22%3A%22v%20w%22%7D")
    assert dict(request.headers) == {"Accept": JSON, "User-Agent": USER_AGENT, "X-Trace": "t-1", "X-Ids": "1,2", "X-Doc": '{"d":1}',
                                     "Cookie": "theme=dark; lang=fr", "Authorization": f"Bearer {KEY}",
                                     "X-Extra": "e"}
    assert request.body is None and request.timeout == 3.5
    assert request.secret_headers == {"authorization"} and KEY not in repr(request)


def test_a_content_path_parameter_is_its_json_text_percent_encoded():
    client, transport = make()
    client.put_item({"a": [1, "/"]})
    assert transport.sent[-1].url == "https://api.test/v1/items/%7B%22a%22%3A%5B1%2C%22%2F%22%5D%7D"
    assert transport.sent[-1].method == "PUT" and transport.sent[-1].body is None  # an optional body, not given


def test_parameters_not_given_are_left_out_and_client_headers_come_before_call_headers():
    client, transport = make(headers={"X-Client": "c", "Accept": "text/plain"})
    client.get_item("i", q=None, _headers={"X-Client": "call"})
    request = transport.sent[-1]
    assert request.url == "https://api.test/v1/items/i"
    assert dict(request.headers) == {"Accept": "text/plain", "User-Agent": USER_AGENT, "X-Client": "call", "Authorization": f"Bearer {KEY}"}


def test_a_body_is_json_with_its_content_type():
    client, transport = make(answer(201, b'{"id": "n"}'))
    result = client.create_item({"name": "n", "price": 1.5})
    request = transport.sent[-1]
    assert (request.method, request.url, request.body) == ("POST", "https://api.test/v1/items",
                                                           b'{"name":"n","price":1.5}')
    assert request.headers["Content-Type"] == JSON
    assert request.headers["Accept"] == "application/json, text/plain;q=0.5"  # JSON preferred
    assert result == {"id": "n"} and result.name is None  # declared, absent: None


def test_another_declared_body_type_is_chosen_with_content_type():
    client, transport = make(answer(201, b'{"id": "n"}'))
    client.create_item({"name": "n a", "count": 2}, _content_type="application/x-www-form-urlencoded")
    assert transport.sent[-1].body == b"name=n%20a&count=2"
    assert transport.sent[-1].headers["Content-Type"] == "application/x-www-form-urlencoded"
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.create_item({"name": "n"}, _content_type="text/csv")
    assert [str(v) for v in caught.value.violations] == [
        "body: 'text/csv' is not one of the declared body types (application/json, "
        "application/x-www-form-urlencoded) (rule: media-type, got string)"]
    assert len(transport.sent) == 1


def test_decimals_go_out_as_the_schema_says_strings_or_numbers():
    """A Decimal where the schema wants a string (Lago's `amount_cents`) is sent as its digits in a string,
    trailing zeros kept; where it wants a number, as a JSON number; nested in objects and arrays too."""
    client, transport = make(answer(201, b'{"id": "n"}'))
    client.create_item({"name": "n", "amount": decimal.Decimal("10.50"), "price": decimal.Decimal("1.25"),
                        "lines": [{"amount": decimal.Decimal("1.10"), "quantity": decimal.Decimal("3")}],
                        "count": 1})
    assert transport.sent[-1].body == (b'{"name":"n","amount":"10.50","price":1.25,'
                                       b'"lines":[{"amount":"1.10","quantity":3}],"count":1}')


def test_unknown_body_fields_warn_or_refuse_or_pass():
    client, transport = make(answer(201, b'{"id": "n"}'))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client.create_item({"name": "n", "nmae": "typo"})
    warning, = [w for w in caught if issubclass(w.category, UnknownFieldsWarning)]  # not a stray ResourceWarning
    # Where it points (the caller's line) is tests/test_violations.py's to check: under mutmut, trampolines sit
    # between the frames that rule walks, so no test of it can pass there.
    assert str(warning.message) == ("createItem: the server ignores fields its spec does not declare: "
                                    "body.nmae ('nmae' is not a field the spec declares here; the server may "
                                    "ignore it; did you mean 'name'?)")
    assert warning.message.operation == "createItem" and len(warning.message.violations) == 1
    assert transport.sent[-1].body == b'{"name":"n","nmae":"typo"}'
    strict, strict_transport = make(unknown_fields="error")
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body.nmae: 'nmae' is not a field"):
        strict.create_item({"name": "n", "nmae": "typo"})
    assert strict_transport.sent == []
    quiet, quiet_transport = make(answer(201, b'{"id": "n"}'), unknown_fields="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownFieldsWarning)
        quiet.create_item({"name": "n", "nmae": "typo"})
    assert quiet_transport.sent[-1].body == b'{"name":"n","nmae":"typo"}'


def test_every_problem_is_reported_at_once_and_nothing_is_sent():
    client, transport = make()
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.create_item({"price": "free", "count": 1.5})
    assert sorted((v.location, v.rule) for v in caught.value.violations) == [
        ("body.count", "type"), ("body.name", "required"), ("body.price", "type")]
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.create_item(None)
    assert [str(v) for v in caught.value.violations] == [
        "body: the request body is required (rule: required, got nothing)"]
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.get_item("i", page=0, x_trace="a\nb", x_doc={"k": "é€"}, q="\ud800")
    assert [(v.location, v.rule) for v in caught.value.violations] == [
        ("query.q", "json"), ("query.page", "minimum"), ("header.X-Trace", "header-value"),
        ("header.X-Doc", "header-value")]
    assert "Latin-1" in caught.value.violations[3].message and "CR, LF or NUL" in caught.value.violations[2].message
    assert transport.sent == []


def test_a_missing_required_parameter_is_named():
    client, transport = make()
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.list_items(group=None)
    assert [str(v) for v in caught.value.violations] == [
        "query.group: required parameter is missing (rule: required, got nothing)"]
    with pytest.raises(lago_dyn.RequestValidationError, match=r"path.item_id: required parameter is missing"):
        client.get_item(item_id=None)
    assert transport.sent == []


def test_without_request_validation_the_request_goes_out_as_given_but_a_path_needs_its_parts():
    client, transport = make(answer(201, b'{"id": "n"}'), answer(200, b"[]"), request_validation=False)
    client.create_item({"price": "free"})
    client.list_items(group=None)
    client.get_item("i", page=0)
    assert [request.url for request in transport.sent] == [
        "https://api.test/v1/items", "https://api.test/v1/items", "https://api.test/v1/items/i?page=0"]
    assert transport.sent[0].body == b'{"price":"free"}'
    with pytest.raises(lago_dyn.RequestValidationError, match=r"path.item_id: required parameter is missing"):
        client.get_item(item_id=None)
    with pytest.raises(lago_dyn.RequestValidationError, match="CR, LF"):
        client.get_item("i", x_trace="a\r\nInjected: 1")


def test_missing_credentials_are_reported_after_the_arguments_and_only_where_needed():
    client, transport = make(answer(200, b"[]"), api_key=None)
    with pytest.raises(lago_dyn.RequestValidationError):
        client.get_item(item_id=None)
    with pytest.raises(lago_dyn.MissingCredentialsError):
        client.get_item("i")
    client.list_items(group="g")  # `security: []`: no credentials needed
    assert [r.url for r in transport.sent] == ["https://api.test/v1/items?group=g"]
    assert "Authorization" not in transport.sent[0].headers


def test_a_token_asked_for_on_each_call_is_fresh_on_each_call_and_secret():
    tokens = iter(["t-1", "t-2"])
    client, transport = make(api_key=None, auth={"bearer": lambda: next(tokens)})
    client.get_item("i")
    client.get_item("i")
    assert [r.headers["Authorization"] for r in transport.sent] == ["Bearer t-1", "Bearer t-2"]
    assert all(r.secret_headers == {"authorization"} and "t-" not in repr(r) for r in transport.sent)


# -- handle: the answer ------------------------------------------------------------------------------------

LAGO_ERROR = b'{"status": 422, "error": "Unprocessable Entity", "code": "validation_errors", ' \
             b'"error_details": {"email": ["invalid_email_format"]}}'


@pytest.mark.parametrize("status, error_class", [
    (400, lago_dyn.BadRequestError), (401, lago_dyn.UnauthorizedError), (403, lago_dyn.ForbiddenError),
    (404, lago_dyn.NotFoundError), (422, lago_dyn.UnprocessableEntityError), (429, lago_dyn.RateLimitError),
    (500, lago_dyn.ServerError), (503, lago_dyn.ServerError), (418, lago_dyn.ApiError),
])
@pytest.mark.parametrize("mode", ["strict", "off"])
def test_error_statuses_raise_their_error_with_its_fields_whatever_the_mode(status, error_class, mode):
    client, _ = make(answer(status, LAGO_ERROR.replace(b"422", str(status).encode()), **{"X-Request-Id": "r1"}),
                     response_validation=mode)
    with pytest.raises(error_class) as caught:
        client.get_item("i")
    error = caught.value
    assert isinstance(error, lago_dyn.ApiError) and type(error) is error_class
    assert (error.status, error.error, error.code) == (status, "Unprocessable Entity", "validation_errors")
    assert error.error_details == {"email": ["invalid_email_format"]}
    assert error.headers["X-Request-Id"] == "r1" and error.body["status"] == status
    # The base URL is the spec's server, so only a refused key has a hint: where the key came from.
    hint = "Check the API key: it came from the api_key argument" if status == 401 else ""
    assert error.hint == hint
    assert str(error) == (f"getItem: HTTP {status} Unprocessable Entity [validation_errors]: "
                          "email: invalid_email_format" + (f". {hint}" if hint else ""))


def test_an_error_answer_that_is_not_json_is_still_its_error():
    client, _ = make(answer(502, b"<html>bad gateway</html>", "text/html"), answer(500, b"{oops", JSON))
    with pytest.raises(lago_dyn.ServerError) as caught:
        client.get_item("i")
    assert caught.value.body == "<html>bad gateway</html>" and caught.value.error is None
    assert str(caught.value) == "getItem: HTTP 502 Reason"
    with pytest.raises(lago_dyn.ServerError) as caught:
        client.get_item("i")
    assert caught.value.body == b"{oops"


def test_a_success_answer_is_decoded_and_shaped_by_its_schema():
    client, _ = make(answer(200, b'{"id": "i", "extra": 1}', "application/json; charset=utf-8"))
    info = client.get_item.with_http_info("i")
    assert (info.status_code, info.data, info.raw_data) == (200, {"id": "i", "extra": 1},
                                                          b'{"id": "i", "extra": 1}')
    assert info.data.id == "i" and info.data.note is None and info.headers["Content-Type"].startswith(JSON)


@pytest.mark.parametrize("response, problems", [
    (answer(200, b'{"name": 1}'), ["body.id: required field 'id' is missing (rule: required, got nothing)",
                                   "body.name: 1 is not of type string (rule: type, got integer)"]),
    (answer(299, b"{}"), ["status: 299 is not a status this operation declares (200, 404, 204) "
                          "(rule: declared-status, got integer)"]),
    (answer(204, b"{}"), ["body: the spec declares no body for this status, but one arrived "
                          "(rule: no-content, got bytes)"]),
    (answer(200, b"{}", "text/html"), ["headers.Content-Type: 'text/html' is not one of application/json "
                                       "(rule: content-type, got string)"]),
    (answer(200, b"{}", None), ["headers.Content-Type: 'no content type' is not one of application/json "
                                "(rule: content-type, got string)"]),
    (answer(200, b"{oops"), ["body: not valid JSON (JSONDecodeError) (rule: json, got bytes)"]),
])
def test_an_answer_that_breaks_the_spec_is_refused_in_strict_mode(response, problems):
    client, _ = make(response)
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        client.get_item("i")
    error = caught.value
    assert sorted(str(v) for v in error.violations) == problems
    assert error.status == response.status and error.headers == dict(response.headers)
    assert error.response.raw_data == response.content
    assert not isinstance(error, lago_dyn.ApiError)


def test_no_content_where_none_is_declared_is_fine():
    client, _ = make(answer(204, b"", None), answer(204, b"  \r\n", None))
    assert client.get_item.with_http_info("i").status_code == 204
    assert client.get_item.with_http_info("i").status_code == 204


def test_warn_logs_the_problem_and_returns_the_answer(caplog):
    caplog.set_level(logging.WARNING, logger="lago_dyn")
    client, _ = make(answer(200, b'{"name": 1}'), response_validation="warn")
    result = client.get_item("i")
    assert result == {"name": 1} and result.id is None
    assert "getItem: the server answered 200" in caplog.text and "body.name" in caplog.text


def test_off_neither_checks_nor_logs(caplog):
    caplog.set_level(logging.WARNING, logger="lago_dyn")
    client, _ = make(answer(299, b"{oops", "text/html"), answer(200, b"{oops"), response_validation="off")
    assert client.get_item("i") == "{oops"
    with pytest.raises(lago_dyn.ResponseDecodeError) as caught:  # JSON that is not: never bytes in its place
        client.get_item("i")
    assert caught.value.content == b"{oops"
    assert caplog.text == ""


@pytest.mark.parametrize("modes, strict_ops", [
    ({"default": "strict", "getItem": "off"}, {"createItem"}),        # by operationId
    ({"default": "strict", "get_item": "off"}, {"createItem"}),       # by Python name
    ({"default": "off", "create_item": "strict"}, {"createItem"}),
    ({"getItem": "warn"}, {"createItem"}),                            # "default" is strict when not given
    ("off", set()),
])
def test_response_validation_per_operation(modes, strict_ops):
    bad = [answer(200, b'{"name": 1}'), answer(201, b'{"name": 1}')]
    client, _ = make(*bad, response_validation=modes)
    for call in (lambda: client.get_item("i"), lambda: client.create_item({"name": "n"})):
        label = "getItem" if len(_.sent) == 0 else "createItem"
        if label in strict_ops:
            with pytest.raises(lago_dyn.ResponseValidationError):
                call()
        else:
            assert call() == {"name": 1}


@pytest.mark.parametrize("value, problem", [("loose", "'loose'"), ({"getItem": "lenient"}, "'lenient'")])
def test_an_unknown_validation_mode_is_a_configuration_error(value, problem):
    with pytest.raises(lago_dyn.ConfigurationError) as caught:
        make(response_validation=value)
    assert str(caught.value).endswith(f"must be one of ('strict', 'warn', 'off'), not {problem}")


@pytest.mark.parametrize("content_type, body, expected", [
    ("application/json; charset=utf-8", b"[1]", [1]),                  # declared with its parameter
    ("Application/JSON;charset=utf-8", b"[2]", [2]),                   # media types are case-insensitive
    ("text/csv", b"a,b", "a,b"),                                       # text/* matches
    ("image/png", b"\x89PNG", b"\x89PNG"),                             # */* matches, never judged as JSON
])
def test_an_answer_finds_its_declared_type_exact_then_by_range(content_type, body, expected):
    client, _ = make(answer(200, body, content_type))
    assert client.list_items(group="g") == expected


#: A spec that declares a JSON object under 204 and for HEAD, as real descriptions do (APIs.guru's AWS ones).
NO_CONTENT = {
    "openapi": "3.0.3", "info": {"title": "no content", "version": "1"}, "servers": [{"url": "https://api.test"}],
    "paths": {"/networks/{id}": {
        "delete": {"operationId": "deleteNetwork", "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": ok({"type": "object", "required": ["id"]}, status="204")},
        "head": {"operationId": "networkExists", "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": ok({"type": "object", "required": ["id"]})}}},
}


@pytest.mark.parametrize("operation, status", [("delete_network", 204), ("network_exists", 200)])
def test_an_answer_http_says_has_no_content_is_not_judged_by_the_schema_declared_for_it(operation, status):
    """RFC 9110: a 204 (or 304) answer cannot contain content, nor can any answer to HEAD; the server that
    sends none follows HTTP, so strict validation does not blame it. Content that does arrive is judged."""
    for content_type in (JSON, None):
        client = lago_dyn.Client(parsed("NO_CONTENT"), transport=Answering(answer(status, b"", content_type)))
        assert client.operations[operation]("n-1") is None
    client = lago_dyn.Client(parsed("NO_CONTENT"), transport=Answering(answer(status, b"{}")))
    with pytest.raises(lago_dyn.ResponseValidationError, match=r"body\.id: required field 'id' is missing"):
        client.operations[operation]("n-1")


def test_a_text_answer_is_a_string_and_not_judged_by_a_json_schema():
    client, _ = make(answer(202, b"queued", "text/plain; charset=utf-8"))
    assert client.create_item({"name": "n"}) == "queued"


def test_an_answer_with_no_content_type_is_read_as_json():
    client, _ = make(answer(200, b'{"id": "i"}', None), response_validation="off")
    assert client.get_item("i") == {"id": "i"}


#: OpenAPI 3.0: a required readOnly field is not sent, a required writeOnly field is not returned.
ACCOUNTS_3_0 = {
    "openapi": "3.0.3", "info": {"title": "accounts", "version": "1"}, "servers": [{"url": "https://api.test"}],
    "components": {"schemas": {"Account": {"type": "object", "required": ["id", "password"], "properties": {
        "id": {"type": "string", "format": "uuid", "readOnly": True},
        "password": {"type": "string", "writeOnly": True},
        "email": {"type": "string", "format": "email"}}}}},
    "paths": {"/accounts": {"post": {
        "operationId": "createAccount",
        "requestBody": {"required": True, "content": {JSON: {"schema": {"$ref": "#/components/schemas/Account"}}}},
        "responses": {"200": {"description": "ok", "content": {
            JSON: {"schema": {"$ref": "#/components/schemas/Account"}}}}}}}},
}


def test_read_only_and_write_only_are_judged_by_the_direction_the_data_travels():
    transport = Answering(answer(200, b'{"id": "6f1c4a56-0d5e-4a5e-9b7a-3c2d1e0f9a8b"}'))
    client = lago_dyn.Client(parsed("ACCOUNTS_3_0"), transport=transport)
    result = client.create_account({"password": "p"})
    assert transport.sent[-1].body == b'{"password":"p"}' and result.id.startswith("6f1c")
    transport.answers.append(answer(200, b'{"password": "p"}'))
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        client.create_account({"password": "p"})
    assert sorted((v.location, v.rule) for v in caught.value.violations) == [
        ("body.id", "required"), ("body.password", "writeOnly")]
    with pytest.raises(lago_dyn.RequestValidationError) as refused:
        client.create_account({"id": "6f1c4a56-0d5e-4a5e-9b7a-3c2d1e0f9a8b"})
    assert sorted((v.location, v.rule) for v in refused.value.violations) == [
        ("body.id", "readOnly"), ("body.password", "required")]


@pytest.mark.parametrize("check_formats, request_refused, answer_refused", [
    ("requests", True, False), ("both", True, True), ("none", False, False)])
def test_formats_are_checked_on_requests_and_on_answers_when_asked(check_formats, request_refused, answer_refused):
    transport = Answering(answer(200, b'{"id": "not-a-uuid"}'))
    client = lago_dyn.Client(parsed("ACCOUNTS_3_0"), transport=transport, check_formats=check_formats)
    if request_refused:
        with pytest.raises(lago_dyn.RequestValidationError, match=r"body.email: .*email"):
            client.create_account({"password": "p", "email": "nobody"})
        assert transport.sent == []
    else:
        client.create_account({"password": "p", "email": "nobody"})
        transport.answers.append(answer(200, b'{"id": "not-a-uuid"}'))
    if answer_refused:
        with pytest.raises(lago_dyn.ResponseValidationError, match=r"body.id: .*uuid"):
            client.create_account({"password": "p"})
    else:
        assert client.create_account({"password": "p"}) == {"id": "not-a-uuid"}


@pytest.mark.parametrize("arguments, where", [
    ({"item_id": "a\ud800"}, "path.item_id"), ({"q": "\udfff"}, "query.q"), ({"x_trace": "\ud800"}, "header.X-Trace"),
    ({"theme": "\ud800"}, "cookie.theme"), ({"filter": {"\ud800": 1}}, "query.filter"),
    ({"x_doc": {"k": ["\ud800"]}}, "header.X-Doc"),
])
def test_a_lone_surrogate_anywhere_in_a_parameter_is_refused_before_sending(arguments, where):
    """UTF-8 cannot carry a lone surrogate (RFC 3629 §3): it is refused at its place, nothing is sent."""
    client, transport = make()
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.get_item(**{"item_id": "i", **arguments})
    assert [(v.location, v.rule) for v in caught.value.violations] == [(where, "json")]
    assert "lone surrogate" in caught.value.violations[0].message and transport.sent == []


@pytest.mark.parametrize("unknown_fields", ["warn", "error"])
def test_unknown_fields_are_told_only_about_a_body_that_is_otherwise_valid(unknown_fields):
    """A body that breaks its schema is refused for that; a typo'd field name beside it is not a second
    problem to report (nor a warning for a request that is not sent)."""
    client, transport = make(unknown_fields=unknown_fields)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnknownFieldsWarning)
        with pytest.raises(lago_dyn.RequestValidationError) as caught:
            client.create_item({"name": 5, "nmae": "typo"})
    assert [(v.location, v.rule) for v in caught.value.violations] == [("body.name", "type")]
    assert transport.sent == []


# -- streamed answers (OpenAPI 3.2 itemSchema) -------------------------------------------------------------

EVENT = {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}
STREAM_SPEC = {
    "openapi": "3.2.0", "info": {"title": "events", "version": "1"}, "servers": [{"url": "https://api.test"}],
    "paths": {"/events": {"get": {"operationId": "streamEvents", "responses": {
        "200": {"description": "events", "content": {"application/jsonl": {"itemSchema": EVENT},
                                                     JSON: {"schema": {"type": "array"}}}},
        "400": {"description": "refused", "content": {"application/jsonl": {"itemSchema": EVENT}}}}}}},
}
LINES = [b'{"n": 1}\n{"n"', b': 2}\n{"n": "three"}\n', b'not json\n{"n": 4}\n']


class Streaming:
    """A transport whose `stream` gives the scripted answer in the chunks given, and says when it is closed."""

    def __init__(self, status, content_type, chunks):
        self.status, self.chunks = status, chunks
        self.headers = {"Content-Type": content_type}
        self.closed = 0

    def stream(self, request):
        def close():
            self.closed += 1

        return streams.OpenStream(self.status, self.headers, "Reason", iter(self.chunks),
                                  read=lambda: WireResponse(self.status, self.headers, b"".join(self.chunks)),
                                  close=close)

    def close(self):
        pass


def streaming(mode, status=200, content_type="application/jsonl", chunks=LINES):
    transport = Streaming(status, content_type, chunks)
    return lago_dyn.Client(parsed("STREAM_SPEC"), transport=transport, response_validation=mode), transport


def test_a_stream_gives_each_item_checked_as_it_arrives_and_stops_at_a_bad_one():
    client, transport = streaming("strict")
    info = client.stream_events.with_http_info()
    assert info.status_code == 200 and info.headers == {"Content-Type": "application/jsonl"} and info.raw_data == b""
    given = []
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        for item in info.data:
            given.append(item)
    assert given == [{"n": 1}, {"n": 2}] and given[0].n == 1
    assert [str(v) for v in caught.value.violations] == [
        "body[2].n: \"three\" is not of type integer (rule: type, got string)"]
    assert caught.value.status == 200 and caught.value.result == {"n": "three"} and transport.closed >= 1


def test_a_stream_in_warn_mode_logs_bad_items_and_drops_the_undecodable(caplog):
    caplog.set_level(logging.WARNING, logger="lago_dyn")
    client, transport = streaming("warn")
    assert list(client.stream_events()) == [{"n": 1}, {"n": 2}, {"n": "three"}, {"n": 4}]
    assert "body[2].n" in caplog.text and "body[3]" in caplog.text and transport.closed >= 1


def test_a_stream_with_validation_off_gives_every_item_as_it_came():
    client, _ = streaming({"default": "strict", "stream_events": "off"})
    assert list(client.stream_events()) == [{"n": 1}, {"n": 2}, {"n": "three"}, b"not json", {"n": 4}]


def test_a_streamed_operation_answered_otherwise_is_read_whole():
    client, _ = streaming("strict", content_type=JSON, chunks=[b"[1, ", b"2]"])
    assert client.stream_events() == [1, 2]
    refused, transport = streaming("strict", status=400, chunks=[b'{"n": 1}\n'])
    with pytest.raises(lago_dyn.BadRequestError) as caught:
        refused.stream_events()
    assert caught.value.status == 400


@pytest.mark.anyio
async def test_an_async_stream_follows_the_same_rules():
    pytest.importorskip("httpx2", reason="AsyncClient needs Python 3.11+")

    class AsyncStreaming(Streaming):
        async def stream(self, request):
            async def chunks():
                for chunk in self.chunks:
                    yield chunk

            async def read():
                return WireResponse(self.status, self.headers, b"".join(self.chunks))

            async def close():
                self.closed += 1

            return streams.AsyncOpenStream(self.status, self.headers, "Reason", chunks(), read=read, close=close)

        async def aclose(self):
            pass

    transport = AsyncStreaming(200, "application/jsonl", LINES)
    client = lago_dyn.AsyncClient(parsed("STREAM_SPEC"), transport=transport, response_validation="strict")
    info = await client.stream_events.with_http_info()
    assert info.status_code == 200 and info.raw_data == b""
    given = []
    with pytest.raises(lago_dyn.ResponseValidationError, match=r"body\[2\]\.n"):
        async for item in info.data:
            given.append(item)
    assert given == [{"n": 1}, {"n": 2}] and transport.closed >= 1
    whole = AsyncStreaming(200, JSON, [b"[1]"])
    assert await lago_dyn.AsyncClient(parsed("STREAM_SPEC"), transport=whole).stream_events() == [1]


def test_an_answer_of_an_undeclared_type_names_every_declared_one():
    client, _ = make(answer(200, b"<p>", "text/html"))
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        client.put_item("i")
    assert [str(v) for v in caught.value.violations] == [
        "headers.Content-Type: 'text/html' is not one of application/json, text/csv (rule: content-type, got string)"]


def test_a_body_its_media_type_cannot_carry_is_refused_at_its_place():
    client, transport = make()
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.create_item({"name": "\ud800"})
    assert [(v.location, v.rule) for v in caught.value.violations] == [("body", "json")]
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.create_item({"name": "n", "lines": [{"amount": {"nested": True}}]},
                           _content_type="application/x-www-form-urlencoded")
    assert all(v is not None and v.location.startswith("body") for v in caught.value.violations)
    assert transport.sent == []


def test_an_operation_that_declares_no_answer_says_so():
    client, _ = make(answer(200, b"{}"))
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        client.ping()
    assert [str(v) for v in caught.value.violations] == [
        "status: 200 is not a status this operation declares (none) (rule: declared-status, got integer)"]


def test_decimals_where_a_number_is_allowed_stay_numbers():
    client, transport = make(answer(201, b'{"id": "n"}'))
    client.create_item({"name": "n", "either": decimal.Decimal("2.50"), "whole": decimal.Decimal("7.0")})
    assert transport.sent[-1].body == b'{"name":"n","either":2.5,"whole":7}'


@pytest.mark.parametrize("depth", [3, 65, 66])
def test_decimals_are_placed_by_the_schema_down_to_65_levels(depth):
    """A Decimal in a string field is sent as its digits down to 65 levels of nesting (a recursive schema
    is walked no deeper, so the walk cannot exhaust the stack); below that it stays the JSON number it is,
    which the string field refuses before anything is sent: never a wrong request."""
    node = {"amount": decimal.Decimal("1.10")}
    for _ in range(depth - 2):  # body (0) -> tree (1) -> child ... -> the node whose amount is at `depth`
        node = {"child": node}
    client, transport = make(answer(201, b'{"id": "n"}'))
    if depth <= 65:
        client.create_item({"name": "n", "tree": node})
        assert transport.sent[-1].body.endswith(b'"amount":"1.10"' + b"}" * depth)
    else:
        with pytest.raises(lago_dyn.RequestValidationError, match=r"\.amount: 1\.1 is not of type string"):
            client.create_item({"name": "n", "tree": node})
        assert transport.sent == []


def test_decimals_beside_fields_the_schema_does_not_declare_go_out_as_given():
    client, transport = make(answer(201, b'{"id": "n"}'), unknown_fields="ignore")
    client.create_item({"name": "n", "amount": decimal.Decimal("3.00"), "extra": {"cost": decimal.Decimal("0.5")}})
    assert transport.sent[-1].body == b'{"name":"n","amount":"3.00","extra":{"cost":0.5}}'


def test_a_decimal_for_a_referenced_string_schema_is_its_digits():
    client, transport = make(answer(201, b'{"id": "n"}'))
    client.create_item({"name": "n", "cost": decimal.Decimal("9.90")})
    assert transport.sent[-1].body == b'{"name":"n","cost":"9.90"}'


def test_a_bad_streamed_item_names_the_operation_and_its_rule_and_a_read_never_took_effect():
    client, _ = streaming("strict", chunks=[b'{"n": 1}\n', b'not json\n'])
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        list(client.stream_events())
    [violation] = caught.value.violations
    assert (violation.location, violation.value_type) == ("body[1]", "bytes")
    assert violation.rule and violation.rule in str(caught.value)
    assert str(caught.value).startswith("streamEvents: the server answered 200, but")  # a GET: nothing took effect
    info = streaming("off")[0].stream_events.with_http_info()
    assert info.headers == {"Content-Type": "application/jsonl"}


def test_a_stream_answer_without_a_content_type_is_not_taken_for_a_declared_one():
    transport = Streaming(200, "application/jsonl", [b'{"n": 1}\n'])
    transport.headers = {}
    client = lago_dyn.Client(parsed("STREAM_SPEC"), transport=transport, response_validation="strict")
    with pytest.raises(lago_dyn.ResponseValidationError, match="Content-Type"):
        client.stream_events()


@pytest.mark.parametrize("style, explode, expected", [
    ("label", True, "/things/.a.b"), ("label", False, "/things/.a,b"),
    ("matrix", True, "/things/;id=a;id=b"), ("matrix", False, "/things/;id=a,b"), ("simple", False, "/things/a,b"),
])
def test_an_array_path_parameter_follows_its_style_and_explode(style, explode, expected):
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": "https://api.test"}],
            "paths": {"/things/{id}": {"get": {"operationId": "getThings", "parameters": [
                {"name": "id", "in": "path", "required": True, "style": style, "explode": explode,
                 "schema": {"type": "array", "items": {"type": "string"}}}],
                "responses": {"204": {"description": "none"}}}}}}
    transport = Answering(answer(204, b"", None))
    lago_dyn.Client(spec, transport=transport, cache_dir=False).get_things(["a", "b"])
    assert transport.sent[0].url == "https://api.test" + expected


def test_an_empty_array_in_a_form_query_sends_its_name_alone():
    # RFC 6570 / OpenAPI form style: an empty list is `name` with nothing after it (no `=`).
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": "https://api.test"}],
            "paths": {"/things": {"get": {"operationId": "listThings", "parameters": [
                {"name": "ids", "in": "query", "explode": False, "schema": {"type": "array", "items": {"type": "string"}}}],
                "responses": {"204": {"description": "none"}}}}}}
    transport = Answering(answer(204, b"", None))
    lago_dyn.Client(spec, transport=transport, cache_dir=False).list_things(ids=[])
    assert transport.sent[0].url == "https://api.test/things?ids="
