"""Every JSON Schema / OpenAPI rule, seen from the user's side: a value that breaks one rule is refused
before anything is sent, with exactly one violation at its own location naming that rule, the value's
JSON type and a sentence of ours; a value that keeps every rule is sent. Both OpenAPI 3.0 (Draft 4 with
`nullable`, boolean `exclusiveMinimum`, readOnly/writeOnly by direction) and 3.1 (JSON Schema 2020-12).
Answers are judged by the same rules in the other direction."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest

import lago_dyn
from conftest import http_server


class Recording(BaseHTTPRequestHandler):
    """Records each request's body and answers with the server's current `answer` (JSON)."""

    protocol_version = "HTTP/1.1"

    def _serve(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((self.command, self.path, body))
        answer = json.dumps(self.server.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = _serve

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    with http_server(Recording, received=[], answer={}) as httpd:
        yield httpd


def spec_for(schema, version="3.1.0", **components):
    """One POST whose body is `{"v": <schema>}` and one GET whose answer is the same object."""
    thing = {"type": "object", "properties": {"v": schema}}
    return {
        "openapi": version, "info": {"title": "Rules", "version": "1"},
        "paths": {"/things": {
            "post": {"operationId": "createThing",
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/Thing"}}}},
                     "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}},
            "get": {"operationId": "getThing",
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Thing"}}}}}},
        }},
        "components": {"schemas": {"Thing": thing, **components}},
    }


def client_for(spec, server, **options):
    return lago_dyn.Client(spec, base_url=f"http://127.0.0.1:{server.server_address[1]}", api_key="k",
                           profile=lago_dyn.GENERIC, retry=lago_dyn.RetryPolicy(retries=0), **options)


def refusal(client, server, body):
    """The violations of a refused request, as (location, rule, message, value_type); nothing was sent."""
    before = len(server.received)
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.create_thing(body)
    assert len(server.received) == before, "a refused request reached the server"
    return [(v.location, v.rule, v.message, v.value_type) for v in caught.value.violations]


def sent(client, server, body):
    before = len(server.received)
    client.create_thing(body)
    return len(server.received) == before + 1 and json.loads(server.received[-1][2]) == body


#: (schema of `v`, a value that keeps every rule, a value that breaks one, the rule, the message)
RULES = [
    ({"type": "string"}, "a", 5, "type", "5 is not of type string"),
    ({"type": ["string", "integer"]}, 5, 1.5, "type", "1.5 is not of type string or integer"),
    ({"enum": ["a", "b"]}, "b", "c", "enum", '"c" is not one of "a", "b"'),
    ({"enum": [1, 2, 3, 4, 5, 6]}, 6, 7, "enum", "7 is not one of 1, 2, 3, 4, 5, 6"),
    ({"enum": [None, "a1", "a2", "a3", "a4", "a5", "a6"]}, None, 7, "enum",
     '7 is not one of the 7 allowed values ("a1", "a2", "a3", ...)'),
    ({"enum": ["north", "south", "east", "west"]}, "west", "wets", "enum",
     '"wets" is not one of "north", "south", "east", "west"; did you mean \'west\'?'),
    ({"enum": ["Alpha", "alpha", "ALPHA"]}, "alpha", "aLpHa", "enum",
     '"aLpHa" is not one of "Alpha", "alpha", "ALPHA"; did you mean \'Alpha\'?'),
    ({"enum": ["card1", "card2", "cash"]}, "cash", "card", "enum",
     '"card" is not one of "card1", "card2", "cash"; did you mean \'card2\' or \'card1\'?'),
    ({"enum": ["plan_a", "plan_b", "plan_c", "plan_d"]}, "plan_a", "plan", "enum",  # the three closest
     '"plan" is not one of "plan_a", "plan_b", "plan_c", "plan_d"; did you mean \'plan_d\' or \'plan_c\' or '
     '\'plan_b\'?'),
    ({"const": "card"}, "card", "bank", "const", '"bank" is not "card"'),
    ({"type": "integer", "minimum": 5}, 5, 4, "minimum", "4 is not at least 5"),
    ({"type": "integer", "maximum": 5}, 5, 6, "maximum", "6 is not at most 5"),
    ({"type": "integer", "exclusiveMinimum": 5}, 6, 5, "exclusiveMinimum", "5 is not more than 5"),
    ({"type": "integer", "exclusiveMaximum": 5}, 4, 5, "exclusiveMaximum", "5 is not less than 5"),
    ({"type": "number", "multipleOf": 3}, 9, 10, "multipleOf", "10 is not a multiple of 3"),
    ({"type": "string", "minLength": 2}, "ab", "a", "minLength", "has fewer than 2 characters"),
    ({"type": "string", "maxLength": 2}, "ab", "abc", "maxLength", "has more than 2 characters"),
    ({"type": "array", "minItems": 1}, [1], [], "minItems", "has fewer than 1 items"),
    ({"type": "array", "maxItems": 1}, [1], [1, 2], "maxItems", "has more than 1 items"),
    ({"type": "object", "minProperties": 1}, {"a": 1}, {}, "minProperties", "has fewer than 1 fields"),
    ({"type": "object", "maxProperties": 1}, {"a": 1}, {"a": 1, "b": 2}, "maxProperties",
     "has more than 1 fields"),
    ({"type": "array", "uniqueItems": True}, [1, 2], [1, 1], "uniqueItems",
     "has repeated items; each item must be unique"),
    ({"type": "string", "pattern": "^[A-Z]{3}$"}, "EUR", "eur", "pattern",
     '"eur" does not match the pattern ^[A-Z]{3}$'),
    ({"type": "string", "format": "date-time"}, "2024-01-02T03:04:05Z", "yesterday", "format",
     '"yesterday" is not a valid date-time'),
    ({"type": "string", "format": "uuid"}, "00000000-0000-0000-0000-000000000007", "7", "format",
     '"7" is not a valid uuid'),
    ({"type": "integer", "format": "int32"}, 2**31 - 1, 2**31, "format", "2147483648 is not a valid int32"),
    ({"not": {"type": "string"}}, 1, "a", "not", '"a" matches a schema it must not match'),
    ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1.5, 1, "oneOf",
     "1 matches more than one of the 'oneOf' alternatives; exactly one is allowed"),
    ({"type": "object", "dependentRequired": {"a": ["b"]}}, {"a": 1, "b": 2}, {"a": 1}, "dependentRequired",
     "breaks the 'dependentRequired' rule"),
]


@pytest.mark.parametrize("schema, good, bad, rule, message", RULES, ids=[f"{row[3]}-{i}" for i, row in enumerate(RULES)])
def test_each_rule_gives_one_violation_at_its_location_and_a_valid_value_is_sent(server, schema, good, bad,
                                                                                  rule, message):
    client = client_for(spec_for(schema), server)
    assert sent(client, server, {"v": good})
    assert refusal(client, server, {"v": bad}) == [("body.v", rule, message, _json_type(bad))]


def _json_type(value):
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object",
            type(None): "null"}[type(value)]


#: OpenAPI 3.0 (JSON Schema draft 4 as OpenAPI reads it): boolean exclusive bounds, `nullable`.
RULES_3_0 = [
    ({"type": "integer", "minimum": 5, "exclusiveMinimum": True}, 6, 5, "minimum", "5 is not more than 5"),
    ({"type": "integer", "maximum": 5, "exclusiveMaximum": True}, 4, 5, "maximum", "5 is not less than 5"),
    ({"type": "integer", "minimum": 5, "exclusiveMinimum": False}, 5, 4, "minimum", "4 is not at least 5"),
    ({"type": "string", "nullable": True, "maxLength": 1}, None, "ab", "maxLength", "has more than 1 characters"),
    ({"type": "string"}, "a", None, "type", "null is not of type string"),
    ({"type": "integer", "format": "int64"}, -(2**63), -(2**63) - 1, "format",
     "-9223372036854775809 is not a valid int64"),
]


@pytest.mark.parametrize("schema, good, bad, rule, message", RULES_3_0)
def test_openapi_3_0_rules(server, schema, good, bad, rule, message):
    client = client_for(spec_for(schema, "3.0.3"), server)
    assert sent(client, server, {"v": good})
    assert refusal(client, server, {"v": bad}) == [("body.v", rule, message, _json_type(bad))]


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_nullable_allows_null_and_keeps_the_other_rules(server, version):
    """3.0's `nullable: true`, honoured in 3.1 specs that still carry it: null passes, the type does not
    change, and an enum gains null."""
    client = client_for(spec_for({"type": "string", "nullable": True, "enum": ["a"]}, version), server)
    assert sent(client, server, {"v": None}) and sent(client, server, {"v": "a"})
    assert [row[:2] for row in refusal(client, server, {"v": "b"})] == [("body.v", "enum")]
    assert [row[:2] for row in refusal(client, server, {"v": 1})] in ([("body.v", "enum"), ("body.v", "type")],
                                                                      [("body.v", "type"), ("body.v", "enum")])


# -- objects: unknown keys, closed objects, `false` --------------------------------------------------------

def test_additional_properties_false_names_each_refused_key_with_a_hint(server):
    schema = {"type": "object", "properties": {"name": {}, "email": {}}, "additionalProperties": False,
              "patternProperties": {"^x-": {"type": "string"}}}
    client = client_for(spec_for(schema), server)
    assert sent(client, server, {"v": {"name": "a", "x-trace": "t"}})
    assert refusal(client, server, {"v": {"nmae": "a", "emial": 1, "x-trace": "t", "zzz": None}}) == [
        ("body.v.emial", "additionalProperties", "'emial' is not a field of this object; did you mean 'email'?",
         "integer"),
        ("body.v.nmae", "additionalProperties", "'nmae' is not a field of this object; did you mean 'name'?", "string"),
        ("body.v.zzz", "additionalProperties", "'zzz' is not a field of this object", "null")]


def test_unevaluated_properties_false_names_keys_of_its_own_schema_or_else_the_object(server):
    own = {"type": "object", "properties": {"name": {}}, "unevaluatedProperties": False}
    client = client_for(spec_for(own), server)
    assert refusal(client, server, {"v": {"name": "a", "nmae": 1}}) == [
        ("body.v.nmae", "unevaluatedProperties", "'nmae' is not a field of this object; did you mean 'name'?",
         "integer")]
    # `name` is evaluated by the allOf part: naming it as refused would be wrong, so the object is the place.
    composed = {"allOf": [{"properties": {"name": {}}}], "properties": {"email": {}}, "unevaluatedProperties": False}
    client = client_for(spec_for(composed), server)
    assert sent(client, server, {"v": {"name": "a", "email": "b"}})
    assert refusal(client, server, {"v": {"name": "a", "email": "b", "zzz": 1}}) == [
        ("body.v", "unevaluatedProperties", "has fields this object does not allow", "object")]


def test_a_false_schema_allows_no_value(server):
    client = client_for(spec_for({"type": "object", "properties": {"legacy": False, "other": {}}}), server)
    assert sent(client, server, {"v": {"other": 1}})
    assert refusal(client, server, {"v": {"legacy": 1}}) == [("body.v", "false", "no value is allowed here", "integer")]


def test_one_of_reports_the_branch_the_value_got_furthest_into(server):
    card = {"type": "object", "required": ["kind", "number"],
            "properties": {"kind": {"const": "card"}, "number": {"type": "string", "pattern": "^[0-9]+$"}}}
    client = client_for(spec_for({"oneOf": [card, {"type": "string"}]}), server)
    assert sent(client, server, {"v": {"kind": "card", "number": "4242"}}) and sent(client, server, {"v": "cash"})
    assert refusal(client, server, {"v": {"kind": "card", "number": "42x"}}) == [
        ("body.v.number", "pattern", '"42x" does not match the pattern ^[0-9]+$', "string")]


def test_at_equal_depth_a_broken_rule_says_more_than_another_branch_type(server):
    client = client_for(spec_for({"anyOf": [{"type": "integer"}, {"type": "string", "pattern": "^a"}]}), server)
    assert refusal(client, server, {"v": "b"}) == [("body.v", "pattern", '"b" does not match the pattern ^a', "string")]
    client = client_for(spec_for({"anyOf": [{"type": "string", "pattern": "^a"}, {"type": "integer"}]}), server)
    assert refusal(client, server, {"v": "b"}) == [("body.v", "pattern", '"b" does not match the pattern ^a', "string")]


# -- OpenAPI 3.0's direction rules ---------------------------------------------------------------------------

DIRECTED = {"type": "object", "required": ["id", "name"], "properties": {
    "id": {"type": "string", "readOnly": True}, "name": {"type": "string"},
    "password": {"type": "string", "writeOnly": True}}}


def test_a_3_0_request_may_not_carry_a_read_only_property_but_may_leave_it_out(server):
    client = client_for(spec_for(DIRECTED, "3.0.3"), server)
    assert sent(client, server, {"v": {"name": "a", "password": "p"}})  # `id` is required only in answers
    expected = [("body.v.id", "readOnly", "is read-only: a request may not carry it", "string")]
    assert refusal(client, server, {"v": {"id": "1", "name": "a"}}) == expected  # refused on its own ...
    assert refusal(client, server, {"v": {"id": "1", "name": 5}}) == expected + [  # ... and beside another
        ("body.v.name", "type", "5 is not of type string", "integer")]


def test_a_3_0_answer_may_not_carry_a_write_only_property(server):
    client = client_for(spec_for(DIRECTED, "3.0.3"), server)
    server.answer = {"v": {"id": "1", "name": "a"}}
    assert client.get_thing().v.id == "1"
    server.answer = {"v": {"id": "1", "name": "a", "password": "p"}}
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        client.get_thing()
    assert [(v.location, v.rule, v.message) for v in caught.value.violations] == [
        ("body.v.password", "writeOnly", "is write-only: a response may not carry it")]
    server.answer = {"v": {"name": "a"}}
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        client.get_thing()
    assert [(v.location, v.rule) for v in caught.value.violations] == [("body.v.id", "required")]


def test_in_3_1_read_only_and_write_only_are_annotations(server):
    """JSON Schema 2020-12 leaves them to the application: OpenAPI 3.1 validation does not refuse them."""
    client = client_for(spec_for(DIRECTED), server)
    assert sent(client, server, {"v": {"id": "1", "name": "a"}})
    server.answer = {"v": {"id": "1", "name": "a", "password": "p"}}
    assert client.get_thing().v.password == "p"


# -- unknown fields (keys the server would silently drop) ------------------------------------------------

def unknown(client, body):
    """What `unknown_fields="error"` refuses, as (location, rule); [] when the body was sent (no warning)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            client.create_thing(body)
        except lago_dyn.RequestValidationError as error:
            return [(v.location, v.rule) for v in error.violations]
    return []


def test_a_free_form_object_under_one_of_takes_any_key(server):
    schema = {"type": "object", "properties": {
        "settings": {"oneOf": [{"type": "object"}, {"type": "string"}]},
        "either": {"anyOf": [{"type": "object", "properties": {"a": {}}}, {"type": "object", "properties": {"b": {}}}]}}}
    client = client_for(spec_for(schema), server, unknown_fields="error")
    assert unknown(client, {"v": {"settings": {"anything": 1}}}) == []
    assert unknown(client, {"v": {"settings": "text", "either": {"a": 1, "b": 2}}}) == []
    assert unknown(client, {"v": {"either": {"a": 1, "c": 3}}}) == [("body.v.either.c", "unknown-field")]


def test_unknown_keys_are_found_in_map_values_array_items_and_branches_but_not_in_open_objects(server):
    item = {"type": "object", "properties": {"code": {}}}
    schema = {"type": "object", "properties": {
        "by_name": {"type": "object", "additionalProperties": item},  # a map: its keys are data
        "list": {"type": "array", "items": item},
        "tagged": {"type": "object", "properties": {"x": {}}, "patternProperties": {"^x-": {}}},
        "loose": {"type": "object", "properties": {"x": {}}, "additionalProperties": True},
        "pick": {"anyOf": [item, {"type": "string"}]}}}
    client = client_for(spec_for(schema), server, unknown_fields="error")
    assert unknown(client, {"v": {"by_name": {"any key": {"code": 1}}, "list": [{"code": 1}, {}],
                                  "tagged": {"x": 1, "x-a": 2, "y": 3}, "loose": {"y": 1}, "pick": {"code": 1}}}) == []
    assert unknown(client, {"v": {"by_name": {"any key": {"cdoe": 1}}, "list": [{"code": 1}, {"cod": 2}],
                                  "pick": {"c": 1}, "lsit": []}}) == [
        ("body.v.by_name.any key.cdoe", "unknown-field"), ("body.v.list[1].cod", "unknown-field"),
        ("body.v.pick.c", "unknown-field"), ("body.v.lsit", "unknown-field")]  # in the body's order


def test_unknown_keys_are_looked_for_65_levels_deep_and_a_deeper_body_is_no_error(server):
    tree = {"type": "object", "properties": {"child": {"$ref": "#/components/schemas/Tree"}, "n": {}}}
    client = client_for(spec_for({"$ref": "#/components/schemas/Tree"}, Tree=tree), server, unknown_fields="error")

    def nested(depth, leaf):
        body = leaf
        for _ in range(depth):
            body = {"child": body}
        return {"v": body}

    # `v` is level 1, so the typo is at level depth + 2: 65 is looked at, 66 no more
    assert unknown(client, nested(63, {"typo": 1})) == [("body.v" + ".child" * 63 + ".typo", "unknown-field")]
    assert unknown(client, nested(64, {"typo": 1})) == []
    assert unknown(client, nested(300, {"n": 1})) == []


def test_values_in_messages_are_json_cut_at_80_characters(server):
    client = client_for(spec_for({"type": "string", "pattern": "^a+$"}), server)
    exactly = "é" * 78  # 80 characters with its quotes: shown whole, not escaped
    assert refusal(client, server, {"v": exactly})[0][2] == f'"{exactly}" does not match the pattern ^a+$'
    longer = "é" * 79
    assert refusal(client, server, {"v": longer})[0][2] == f'"{longer[:78]}… does not match the pattern ^a+$'
    client = client_for(spec_for({"type": "string"}), server)
    assert refusal(client, server, {"v": {"a": [True, None]}}) == [
        ("body.v", "type", '{"a": [true, null]} is not of type string', "object")]
    assert refusal(client, server, {"v": False}) == [("body.v", "type", "false is not of type string", "boolean")]


# -- parameters: values of headers and cookies may be secrets ------------------------------------------------

def test_a_header_value_is_never_shown_a_query_value_is(server):
    choice = {"type": "string", "enum": ["eu", "us"]}
    spec = spec_for({})
    spec["paths"]["/things"]["get"]["parameters"] = [
        {"name": "region", "in": "query", "schema": choice},
        {"name": "X-Region", "in": "header", "schema": choice},
        {"name": "X-Count", "in": "header", "schema": {"type": "integer", "maximum": 3}}]
    client = client_for(spec, server)
    server.answer = {}
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.get_thing(region="EU", x_region="EU", x_count=4)
    assert [(v.location, v.rule, v.message, v.value_type) for v in caught.value.violations] == [
        ("query.region", "enum", '"EU" is not one of "eu", "us"; did you mean \'eu\'?', "string"),
        ("header.X-Region", "enum", 'the value is not one of "eu", "us"', "string"),
        ("header.X-Count", "maximum", "the value is not at most 3", "integer")]
    assert str(caught.value).count("EU") == 1 and str(caught.value).count("'eu'") == 1  # no hint from a header


# -- formats: checked on requests by default, on answers when asked ------------------------------------------

def test_formats_are_rules_for_requests_unless_turned_off_and_for_answers_when_asked(server):
    spec = spec_for({"type": "string", "format": "date"})
    refused = client_for(spec, server)
    assert refusal(refused, server, {"v": "2024-13-40"}) == [
        ("body.v", "format", '"2024-13-40" is not a valid date', "string")]
    assert sent(client_for(spec, server, check_formats="none"), server, {"v": "2024-13-40"})
    server.answer = {"v": "2024-13-40"}
    assert refused.get_thing().v == "2024-13-40"  # answers: formats are not rules by default
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        client_for(spec, server, check_formats="both").get_thing()
    assert [(v.location, v.rule) for v in caught.value.violations] == [("body.v", "format")]


# -- references keep their meaning ------------------------------------------------------------------------

def test_references_with_escaped_names_lead_to_their_schema(server):
    """JSON Pointer (RFC 6901) `~0` is `~` and `~1` is `/`; a URI fragment is percent-decoded first."""
    body = {"type": "object", "properties": {
        "tilde": {"$ref": "#/components/schemas/a~0b"},
        "slash": {"$ref": "#/components/schemas/c~1d"},
        "space": {"$ref": "#/components/schemas/My%20Code"},
        "listed": {"$ref": "#/components/schemas/Pair/prefixItems/1"}}}
    spec = spec_for(body, **{"a~b": {"type": "integer"}, "c/d": {"type": "boolean"},
                             "My Code": {"type": "string", "maxLength": 2},
                             "Pair": {"prefixItems": [{"type": "string"}, {"type": "integer", "minimum": 1}]}})
    client = client_for(spec, server)
    assert sent(client, server, {"v": {"tilde": 1, "slash": True, "space": "ab", "listed": 1}})
    assert [row[:2] for row in refusal(client, server, {"v": {"tilde": "1", "slash": 1, "space": "abc",
                                                              "listed": 0}})] == [
        ("body.v.listed", "minimum"), ("body.v.slash", "type"), ("body.v.space", "maxLength"),
        ("body.v.tilde", "type")]


# -- webhooks: the payload a server sent is checked like an answer, its values shown --------------------------

def test_a_webhook_payload_is_checked_without_formats_and_shows_its_values():
    spec = {"openapi": "3.1.0", "info": {"title": "Hooks", "version": "1"}, "paths": {}, "webhooks": {
        "thingHappened": {"post": {"operationId": "thingHappened", "requestBody": {"content": {"application/json": {
            "schema": {"type": "object", "properties": {
                "at": {"type": "string", "format": "date-time"}, "kind": {"enum": ["created", "deleted"]}}}}}},
            "responses": {"200": {"description": "ok"}}}}}}
    client = lago_dyn.Client(spec, base_url="http://127.0.0.1:9", profile=lago_dyn.GENERIC)
    assert client.webhooks.thing_happened({"at": "not a date", "kind": "created"}).at == "not a date"
    with pytest.raises(lago_dyn.WebhookValidationError) as caught:
        client.webhooks.thing_happened({"kind": "creatd"})
    assert [v.message for v in caught.value.violations] == [
        '"creatd" is not one of "created", "deleted"; did you mean \'created\'?']
