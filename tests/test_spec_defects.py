"""Real API descriptions do things the specification allows that Lago's never does; each is read as the
specification says (issue: every real spec). Small documents written from the specification's text, and
`MockTransport` to see the exact request."""

import inspect
import json
import sys

import pytest
import yaml

import lago_dyn
from lago_dyn import WireResponse

BASE = "http://api.test"


def ok(body=None) -> WireResponse:
    if body is None:
        return WireResponse(200, {}, b"")
    return WireResponse(200, {"Content-Type": "application/json"}, json.dumps(body).encode())


def client_for(document, handler=lambda request: ok()):
    transport = lago_dyn.MockTransport(handler)
    client = lago_dyn.Client(document, base_url=BASE, profile=lago_dyn.GENERIC, transport=transport,
                             cache_dir=False)
    return client, transport


def document(paths, **extra):
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths, **extra}


def test_extension_keys_beside_the_paths_are_not_paths():
    # Paths Object: "This object MAY be extended with Specification Extensions".
    client, transport = client_for(document({
        "x-codegen-contextRoot": "/api",
        "/things": {"get": {"operationId": "listThings", "responses": {"200": {"description": "ok"}}}},
    }))
    assert sorted(client.operations) == ["list_things"]
    client.list_things()
    assert transport.requests[0].url == BASE + "/things"


YAML_WITH_BARE_STATUS = """
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses:
        200:
          description: the thing
          content:
            application/json:
              schema: {type: object, properties: {name: {type: string}}, required: [name]}
        404:
          description: none
"""


@pytest.mark.parametrize("given", ["file", "yaml.safe_load dict"])
def test_unquoted_status_codes_are_the_strings_json_would_have(tmp_path, given):
    # YAML reads `200:` as an integer; an OpenAPI document is JSON data, whose keys are strings.
    path = tmp_path / "api.yaml"
    path.write_text(YAML_WITH_BARE_STATUS)
    source = path if given == "file" else yaml.safe_load(YAML_WITH_BARE_STATUS)
    spec = lago_dyn.load_spec(source, cache_dir=False)
    spec.check()
    assert sorted(spec.operations["get_thing"].responses) == ["200", "404"]
    client, _ = client_for(spec, lambda request: ok({"name": "a"}))
    assert "the thing" in client.get_thing.__doc__
    assert client.get_thing("1").name == "a"
    bad, _ = client_for(spec, lambda request: ok({"nom": "a"}))
    with pytest.raises(lago_dyn.ResponseValidationError, match="name"):
        bad.get_thing("1")  # the 200's schema is found, so a wrong answer is caught
    if given != "file":
        assert 200 in source["paths"]["/things/{id}"]["get"]["responses"]  # the caller's dict is untouched


def test_accept_content_type_and_authorization_header_parameters_are_ignored():
    # Parameter Object: if `in` is "header" and `name` is "Accept", "Content-Type" or "Authorization",
    # the parameter definition SHALL be ignored.
    headers = [{"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
               for name in ("Accept", "content-type", "Authorization")]
    client, transport = client_for(document({"/things": {"post": {
        "operationId": "makeThing",
        "parameters": headers + [{"name": "X-Trace", "in": "header", "schema": {"type": "string"}}],
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "ok", "content": {"text/csv": {"schema": {"type": "string"}}}}},
    }}}), lambda request: WireResponse(200, {"Content-Type": "text/csv"}, b"a,b\n"))
    arguments = [name for name in inspect.signature(client.make_thing).parameters if not name.startswith("_")]
    assert arguments == ["body", "x_trace"]
    assert client.make_thing({"a": 1}) == "a,b\n"
    sent = transport.requests[0].headers
    assert sent["Accept"] == "text/csv" and sent["Content-Type"] == "application/json"
    assert "Authorization" not in sent


def test_a_fragment_or_a_query_in_a_path_key_puts_the_call_parameters_where_rfc_3986_does():
    # Some descriptions tell operations on one path apart with `#...` (never sent: a fragment) or a fixed
    # query (`?Action=...`); the call's own query parameters must still reach the server.
    limit = [{"name": "MaxResults", "in": "query", "schema": {"type": "integer"}}]
    client, transport = client_for(document({
        "/#X-Amz-Target=Svc.ListThings": {"post": {"parameters": limit, "responses": {"200": {"description": "ok"}}}},
        "/?Action=DescribeThings": {"get": {"parameters": limit, "responses": {"200": {"description": "ok"}}}},
    }))
    names = sorted(client.operations)
    assert len(names) == 2
    for name in names:
        client.operations[name](max_results=5)
    urls = sorted(request.url for request in transport.requests)
    assert urls == [BASE + "/?Action=DescribeThings&MaxResults=5", BASE + "/?MaxResults=5"]


LIST = document({"/things": {"get": {
    "operationId": "listThings",
    "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer"}}],
    "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}},
}}})


def stuck_server(request):
    """Every page says the next one is 2 (a server that does not advance)."""
    return ok({"things": [{"id": request.url}], "meta": {"current_page": 1, "next_page": 2, "total_pages": 9}})


def overrunning_server(request):
    """Pages that always advance, past the total the server itself gives."""
    page = int(request.url.rsplit("=", 1)[1])
    return ok({"things": [{"id": page}], "meta": {"next_page": page + 1, "total_pages": 3}})


@pytest.mark.parametrize("server, message", [
    (stuck_server, "named page 2 as the next page again: its pages do not advance; stopped after 2 pages"),
    (overrunning_server, r"a next page \(4\) past the 3 pages it said the list has; stopped after 3 pages"),
])
def test_paginate_stops_with_an_error_when_the_pages_do_not_advance(server, message):
    transport = lago_dyn.MockTransport(server)
    client = lago_dyn.Client(LIST, base_url=BASE, transport=transport, cache_dir=False)
    seen = []
    with pytest.raises(lago_dyn.PaginationError, match=message):
        for item in client.paginate("list_things"):
            seen.append(item)
    assert len(seen) == len(transport.requests) <= 3  # each page's items were handed on once


@pytest.mark.skipif(sys.version_info < (3, 11), reason="AsyncClient needs Python 3.11+ (httpx2)")
@pytest.mark.anyio
async def test_async_paginate_stops_too():
    async with lago_dyn.AsyncClient(LIST, base_url=BASE, transport=lago_dyn.AsyncMockTransport(stuck_server),
                                    cache_dir=False) as client:
        with pytest.raises(lago_dyn.PaginationError, match="do not advance"):
            [item async for item in client.paginate("list_things")]


def query(name):
    return {"name": name, "in": "query", "schema": {"type": "string"}}


def test_parameters_whose_names_differ_only_in_case_or_punctuation_get_unique_python_names():
    client, transport = client_for(document({"/jobs": {"get": {
        "operationId": "listJobs",
        "parameters": [query("StartTime"), query("StartTime<"), query("StartTime>"), query("MaxResults"),
                       query("maxResults")],
        "responses": {"200": {"description": "ok"}}}}}))
    names = [name for name in inspect.signature(client.list_jobs).parameters if not name.startswith("_")]
    assert names == ["start_time", "start_time_before", "start_time_after", "max_results", "max_results_2"]
    assert "start_time_before (string, optional, query 'StartTime<')" in client.list_jobs.__doc__
    client.list_jobs(start_time_before="2024", max_results_2="5")
    assert transport.requests[0].url == BASE + "/jobs?StartTime%3C=2024&maxResults=5"  # each alone, by its own name


def test_operations_whose_derived_names_collide_are_numbered_in_spec_order():
    answer = {"responses": {"200": {"description": "ok"}}}
    client, transport = client_for(document({
        "/users": {"get": answer}, "/users/~": {"get": answer}, "/jobs": {"get": answer},
        "/jobs/": {"get": {"operationId": "get_jobs", **answer}},  # a name from an operationId comes first
    }))
    assert list(client.operations) == ["get_users", "get_users_2", "get_jobs_2", "get_jobs"]
    client.get_users_2()
    client.get_jobs()
    assert [request.url for request in transport.requests] == [BASE + "/users/~", BASE + "/jobs/"]


def test_a_repeated_operation_id_is_refused_naming_both_unless_renaming_is_asked_for():
    answer = {"operationId": "listThings", "responses": {"200": {"description": "ok"}}}
    spec = document({"/things": {"get": answer}, "/v2/things": {"get": answer}})
    with pytest.raises(lago_dyn.SpecError, match=r"GET /things \(listThings\) and GET /v2/things \(listThings\) "
                                                 r"share the operationId 'listThings'.*on_duplicate='rename'"):
        lago_dyn.load_spec(spec, cache_dir=False)
    renamed = lago_dyn.load_spec(spec, cache_dir=False, on_duplicate="rename")
    assert [(name, op.path) for name, op in renamed.operations.items()] == [
        ("list_things", "/things"), ("list_things_2", "/v2/things")]


THING = document({"/thing": {"get": {"operationId": "getThing", "responses": {"200": {
    "description": "ok", "content": {"application/json": {"schema": {}}}}}}}})


@pytest.mark.parametrize("mode", ["strict", "warn", "off"])
@pytest.mark.parametrize("body, why", [
    (b"{not json", "not valid JSON"),
    (b'{"a":' * 129 + b"1" + b"}" * 129, "nested deeper than 128 levels"),
])
def test_an_answer_that_cannot_be_decoded_is_an_error_in_every_mode_never_bytes(mode, body, why):
    transport = lago_dyn.MockTransport(lambda request: WireResponse(200, {"Content-Type": "application/json"}, body))
    client = lago_dyn.Client(THING, base_url=BASE, transport=transport, response_validation=mode, cache_dir=False)
    with pytest.raises(lago_dyn.ResponseDecodeError, match=why) as caught:
        client.get_thing()
    assert isinstance(caught.value, lago_dyn.ResponseValidationError)  # the operation took effect: no retry
    assert (caught.value.status, caught.value.content) == (200, body)
    assert caught.value.headers["Content-Type"] == "application/json"


def test_every_result_that_can_be_built_can_be_pickled_copied_and_printed():
    import copy
    import pickle
    import pprint

    deepest = b'{"a":' * 127 + b"[1]" + b"}" * 127  # 128 levels, the deepest accepted (129 is refused above)
    transport = lago_dyn.MockTransport(lambda request: WireResponse(200, {"Content-Type": "application/json"}, deepest))
    client = lago_dyn.Client(THING, base_url=BASE, transport=transport, cache_dir=False)
    result = client.get_thing()

    def nested(value, frames=100):  # from well inside a program's own call stack, as a user's code would be
        return nested(value, frames - 1) if frames else (
            pickle.loads(pickle.dumps(value)), copy.deepcopy(value), pprint.pformat(value), repr(value))

    restored, copied, printed, shown = nested(result)
    assert restored == copied == result
    assert printed.count("'a'") == shown.count("'a'") == 127


def test_a_wide_list_is_not_taken_for_a_deep_one():
    wide = json.dumps({"items": [{"id": i, "tags": ["x", "[[[["]} for i in range(500)]}).encode()
    transport = lago_dyn.MockTransport(lambda request: WireResponse(200, {"Content-Type": "application/json"}, wide))
    client = lago_dyn.Client(THING, base_url=BASE, transport=transport, cache_dir=False)
    assert len(client.get_thing()["items"]) == 500


@pytest.mark.parametrize("value, valid", [("héllo", True), ("h3llo", False), ("٣", False)])
def test_patterns_are_ecma_262_for_the_check_and_the_explanation(value, valid):
    # JSON Schema: `pattern` is an ECMA-262 regular expression (`\p{L}`: a letter, in any script; `\d`: 0-9).
    spec = lago_dyn.load_spec(document({"/x": {"post": {
        "operationId": "makeX", "requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"name": {"type": "string", "pattern": r"^(\p{L}+|\d)$"},
                                             "age": {"type": "integer"}}}}}},
        "responses": {"200": {"description": "ok"}}}}}), cache_dir=False)
    for other in ({}, {"age": "x"}):  # one verdict for the name, whatever else is wrong
        rules = [(v.location, v.rule) for v in spec.validate("make_x", {"name": value, **other})]
        assert (("body.name", "pattern") not in rules) is valid


def taking(schema):
    """A document whose one operation takes a JSON body of `schema`."""
    return document({"/things": {"post": {
        "operationId": "makeThing",
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {"200": {"description": "ok"}}}}})


def test_patterns_are_ecma_262_unicode_property_escapes_included():
    # JSON Schema Validation 6.3.3: `pattern` is "a regular expression, according to the ECMA-262 regular
    # expression dialect"; ECMA-262 reads `\p{L}` (a letter) in Unicode mode. A valid value passes, an
    # invalid one is a RequestValidationError naming the rule, never an error of Python's `re`.
    client, transport = client_for(taking({
        "type": "object",
        "properties": {"name": {"type": "string", "pattern": r"^[\p{L}\p{Z}]+$"}},
        "patternProperties": {r"^x-\p{Ll}+$": {"type": "string"}},
        "additionalProperties": False,
    }))
    client.make_thing({"name": "Zoë Ångström", "x-émoji": "ok"})
    assert len(transport.requests) == 1
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body.name: .*does not match the pattern"):
        client.make_thing({"name": "R2-D2"})
    with pytest.raises(lago_dyn.RequestValidationError, match=r"X-Up"):
        client.make_thing({"name": "a", "X-Up": "no"})
    assert len(transport.requests) == 1


def test_legacy_octal_escapes_in_a_pattern_are_read_as_ecma_262_annex_b_says():
    # ECMA-262 Annex B.1.2 (web browsers): `\0` followed by octal digits is a legacy octal escape, so
    # `[^\000-\037]` is "no control character". Real descriptions write it (AWS); spec.check() passes it,
    # so it must never be a SpecError at the first call.
    spec = lago_dyn.load_spec(taking({"type": "string", "pattern": r"^[^/:|\000-\037]+$"}), cache_dir=False)
    spec.check()
    client, transport = client_for(spec)
    client.make_thing("plain-name")
    with pytest.raises(lago_dyn.RequestValidationError, match="pattern"):
        client.make_thing("tab\there")
    with pytest.raises(lago_dyn.RequestValidationError, match="pattern"):
        client.make_thing("a/b")
    assert len(transport.requests) == 1


@pytest.mark.parametrize("pattern, good, bad", [
    (r"^[\w-.+]+@[\w-.+]+$", "a.b-c@d.e", "a b@c"),       # Annex B: a class escape beside '-' is a literal '-'
    (r"^(\/(?!\.)+[a-z]+){1,4}$", "/a/b", "/.a"),           # Annex B: a quantified lookahead
    (r"^.{0,262144}$", "short", None),                       # a large, valid, bounded repetition
    (r"^[\u0020-\uD7FF\uE000-\uFFFD\t]*$", "text", "\x01"),  # ranges of UTF-16 code units
])
def test_every_ecma_262_pattern_compiles_and_both_checks_agree(pattern, good, bad):
    # JSON Schema Validation 6.3.3: ECMA-262 patterns, which real descriptions write in all of ECMA-262's
    # forms (Annex B included). None may make the schema refuse to compile (a SpecError after check()).
    spec = lago_dyn.load_spec(taking({"type": "string", "pattern": pattern}), cache_dir=False)
    spec.check()
    client, transport = client_for(spec)
    client.make_thing(good)
    if bad is not None:
        with pytest.raises(lago_dyn.RequestValidationError, match="pattern"):
            client.make_thing(bad)
    assert len(transport.requests) == 1


def test_path_items_and_operations_given_as_references_to_other_files_are_followed(tmp_path):
    # Paths Object: a Path Item may be a `$ref` ("Allows for a referenced definition of this path item");
    # multi-file layouts also keep each Operation Object in a file of its own. Both are read from where the
    # reference leads, their own relative references resolved against that file; a cycle is refused.
    (tmp_path / "paths.yaml").write_text(yaml.safe_dump({"things": {"get": {
        "operationId": "listThings",
        "parameters": [{"name": "limit", "in": "query", "required": True, "schema": {"$ref": "#/Limit"}}],
        "responses": {"200": {"description": "ok"}}}}, "Limit": {"type": "integer"}}))
    (tmp_path / "operations.yaml").write_text(yaml.safe_dump({"getThing": {
        "operationId": "getThing", "security": [{"key": []}],
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"$ref": "#/Id"}}],
        "responses": {"200": {"description": "ok"}}}, "Id": {"type": "string"}}))
    main = document({"/things": {"$ref": "paths.yaml#/things"},
                     "/things/{id}": {"get": {"$ref": "operations.yaml#/getThing"}}},
                    components={"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}})
    (tmp_path / "api.yaml").write_text(yaml.safe_dump(main))
    spec = lago_dyn.load_spec(tmp_path / "api.yaml", cache_dir=False)
    spec.check()
    client, transport = client_for(spec)
    assert list(inspect.signature(client.list_things).parameters)[0] == "limit"
    assert list(inspect.signature(client.get_thing).parameters)[0] == "id"
    with pytest.raises(lago_dyn.RequestValidationError, match="limit"):
        client.list_things("ten")
    client.list_things(10)
    with pytest.raises(lago_dyn.MissingCredentialsError):
        client.get_thing("a")  # the referenced operation's own security applies
    assert [request.url for request in transport.requests] == [BASE + "/things?limit=10"]
    main["paths"]["/loop"] = {"get": {"$ref": "#/paths/~1loop/get"}}
    (tmp_path / "api.yaml").write_text(yaml.safe_dump(main))
    with pytest.raises(lago_dyn.SpecError, match="cycle"):
        lago_dyn.load_spec(tmp_path / "api.yaml", cache_dir=False)


def test_check_follows_every_reference_an_operation_reaches_so_nothing_fails_later():
    # A Reference Object's `$ref` must lead to a node (JSON Pointer, RFC 6901 section 7: a pointer that
    # does not resolve is an error). spec.check() is the promise: what it passes never raises a SpecError
    # later (in help(), a signature or a call), so a reference that leads nowhere is reported by check(),
    # with the pointer, however deep in a schema it is.
    broken = {"type": "object", "properties": {"value": {"type": "array", "items": {
        "$ref": "#/components/schemas/Missing"}}}}
    spec = lago_dyn.load_spec(taking({"$ref": "#/components/schemas/Thing"}) | {
        "components": {"schemas": {"Thing": broken}}}, cache_dir=False)
    with pytest.raises(lago_dyn.SpecError, match=r"makeThing: the \$ref '#/components/schemas/Missing' at "
                                                 r".*#/components/schemas/Thing/properties/value/items leads nowhere"):
        spec.check()
    data_only = taking({"type": "object", "example": {"$ref": "#/not/a/reference"},
                        "properties": {"a": {"default": {"$ref": "#/nowhere"}}}})
    lago_dyn.load_spec(data_only, cache_dir=False).check()  # `$ref` inside example data is data


def test_a_pattern_that_backtracks_exponentially_never_hangs_help_or_a_call():
    # A real description's URL pattern: Python's re needs 16 s for one 35-character value that does not
    # match it, and doubles with each character more. help() (its example) and validation must not hang.
    url = r"^(https?:\/\/)?([\da-z\.-]+)\.([a-z\.]{2,6})([\/\w \.-]*)*\/?$"
    slow = "http://a.com/" + "a" * 40 + "!"
    schema = {"type": "object", "properties": {"site": {"type": "string", "pattern": url, "example": slow}}}
    client, transport = client_for(taking(schema))
    assert "site" in client.make_thing.__doc__
    with pytest.raises(lago_dyn.RequestValidationError, match="body.site: .*pattern"):
        client.make_thing({"site": slow})
    client.make_thing({"site": "https://example.com/a/b"})
    assert len(transport.requests) == 1


def test_a_parameter_called_body_beside_a_request_body_keeps_both_reachable():
    # Parameter names are free strings (Parameter Object `name`), so a query parameter may be called
    # "body" (GameSparks' description has one) while the operation also takes a Request Body.
    spec = taking({"type": "object"})
    spec["paths"]["/things"]["post"]["parameters"] = [query("body"), query("Body")]
    client, transport = client_for(spec)
    arguments = [name for name in inspect.signature(client.make_thing).parameters if not name.startswith("_")]
    assert arguments == ["body_3", "body", "body_2"]  # the required body first, then the parameters in order
    client.make_thing({"a": 1}, body="q")
    assert transport.requests[0].url == BASE + "/things?body=q" and json.loads(transport.requests[0].body) == {"a": 1}


def test_check_reports_a_schema_that_is_no_json_schema_with_its_pointer():
    # JSON Schema Validation 6.3.3: "The value of this keyword [pattern] MUST be a string"; 6.1.1: `type`
    # is a string or an array of them. The validators compile such a schema only at a call, so check()
    # (the promise: nothing fails later) reads every schema the operations reach and names the broken one.
    thing = {"type": "object", "properties": {"timecode": {"type": "string", "pattern": 0}}}
    spec = lago_dyn.load_spec(taking({"$ref": "#/components/schemas/Thing"}) | {
        "components": {"schemas": {"Thing": thing}}}, cache_dir=False)
    with pytest.raises(lago_dyn.SpecError, match=r"#/components/schemas/Thing is not valid JSON Schema: 0 is not "
                                                 r"of type \"string\" \(at properties/timecode/pattern\)"):
        spec.check()
    thing["properties"]["timecode"] = {"type": "string", "pattern": r"^\d{2}:\d{2}$", "nullable": True}
    lago_dyn.load_spec(taking({"$ref": "#/components/schemas/Thing"}) | {
        "components": {"schemas": {"Thing": thing}}}, cache_dir=False).check()


def test_check_ignores_what_openapi_3_0_says_to_ignore_beside_a_ref():
    # OpenAPI 3.0, Reference Object: "This object cannot be extended with additional properties and any
    # properties added SHALL be ignored." So `type: application/json` beside a `$ref` breaks nothing.
    spec = taking({"$ref": "#/components/schemas/Thing", "type": "application/json", "allOf": {"3": {}}})
    spec.update(openapi="3.0.3", components={"schemas": {"Thing": {"type": "object"}}})
    loaded = lago_dyn.load_spec(spec, cache_dir=False)
    loaded.check()
    client, transport = client_for(loaded)
    client.make_thing({"a": 1})
    assert len(transport.requests) == 1


#: OpenAPI 3.0 (Azure's style): a base with a discriminator, a resource extending it through allOf, the
#: discriminating value not a schema name, and a readOnly id (so a request is judged, not only checked fast).
DISCRIMINATED = {
    "openapi": "3.0.3", "info": {"title": "t", "version": "1"},
    "components": {"schemas": {
        "Base": {"type": "object", "required": ["kind"], "discriminator": {"propertyName": "kind"},
                 "allOf": [{"$ref": "#/components/schemas/Resource"}],
                 "properties": {"kind": {"type": "string", "enum": ["machine", "machineGroup"]}}},
        "Resource": {"type": "object", "properties": {"id": {"type": "string", "readOnly": True},
                                                      "size": {"type": "integer"}}},
        "Group": {"allOf": [{"$ref": "#/components/schemas/Base"}],
                  "properties": {"name": {"type": "string"}}}}},
    "paths": {"/groups": {"put": {
        "operationId": "putGroup",
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Group"}}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Group"}}}}}}}},
}


@pytest.mark.parametrize("direction", ["write", "read"])
def test_a_discriminator_is_a_hint_and_the_composition_decides_in_both_directions(direction):
    # OpenAPI 3.0.3 Discriminator Object: it "can be used to aid in serialization, deserialization, and
    # validation"; the value need not name a schema ("implicit mapping" is only tried). Validity is the
    # Schema Object's, so a request (judged, for its readOnly) and an answer (checked fast) agree.
    spec = lago_dyn.load_spec(DISCRIMINATED, cache_dir=False)
    assert spec.validate("put_group", {"kind": "machineGroup", "name": "g"}, direction=direction) == []
    found = [(v.location, v.rule) for v in spec.validate("put_group", {"kind": "machineGroup", "size": "big"},
                                                         direction=direction)]
    assert found == [("body.size", "type")]  # inside the allOf member, at its own place
    assert [(v.location, v.rule) for v in spec.validate("put_group", {"kind": "other"}, direction=direction)] \
        == [("body.kind", "enum")]
