"""Each schema's fast validator is compiled against only the parts of the documents its `$ref`s reach
(issue 15): a first validated call on a huge spec costs what its schema costs, not what the spec weighs,
and every `$ref` still means what it meant: into a component's property, into an `allOf` list, into
another file, around a recursive schema, through 3.0's `nullable` and integer formats."""

import json
import time
from http.server import BaseHTTPRequestHandler

import pytest

import lago_dyn
from conftest import http_server


class Accepting(BaseHTTPRequestHandler):
    """Answers every request with `{}`: what matters here is whether a request was sent at all."""

    protocol_version = "HTTP/1.1"

    def _serve(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_POST = _serve

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    with http_server(Accepting, received=[]) as httpd:
        yield httpd


def spec_with_body(body_schema, components, version="3.0.3"):
    return {
        "openapi": version, "info": {"title": "Scope", "version": "1"},
        "paths": {"/things": {"post": {
            "operationId": "createThing",
            "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }}},
        "components": {"schemas": components},
    }


def client_for(spec, server, **options):
    return lago_dyn.Client(spec, base_url=f"http://127.0.0.1:{server.server_address[1]}", api_key="k",
                           profile=lago_dyn.GENERIC, retry=lago_dyn.RetryPolicy(retries=0), **options)


def refused(client, body):
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.create_thing(body)
    return sorted((v.location, v.rule) for v in caught.value.violations)


def sent(client, server, body):
    before = len(server.received)
    client.create_thing(body)
    return len(server.received) == before + 1


SCHEMAS = {
    "Base": {"type": "object", "properties": {
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "count": {"type": "integer", "format": "int32", "nullable": True}}},
    "Mixed": {"allOf": [{"type": "object"}, {"type": "object", "required": ["label"],
                                               "properties": {"label": {"type": "string", "maxLength": 5}}}]},
    "Node": {"type": "object", "required": ["value"], "properties": {
        "value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
    "Unrelated": {"type": "object", "required": ["never"]},
}
BODY = {"type": "object", "properties": {
    "code": {"$ref": "#/components/schemas/Base/properties/code"},  # a property of a component, not the whole
    "count": {"$ref": "#/components/schemas/Base/properties/count"},  # 3.0 nullable and int32, behind a $ref
    "mixed": {"$ref": "#/components/schemas/Mixed/allOf/1"},  # the second item of a list
    "tree": {"$ref": "#/components/schemas/Node"},  # recursive
    "base": {"$ref": "#/components/schemas/Base"},  # the whole of a component whose parts are also reached
}}


def test_refs_into_properties_lists_and_recursive_schemas_keep_their_meaning(server):
    client = client_for(spec_with_body(BODY, SCHEMAS), server)
    good = {"code": "EUR", "count": None, "mixed": {"label": "ok"}, "base": {"code": "USD", "count": 7},
            "tree": {"value": 1, "children": [{"value": 2, "children": [{"value": 3}]}]}}
    assert sent(client, server, good)
    assert refused(client, {**good, "code": "eur"}) == [("body.code", "pattern")]
    assert refused(client, {**good, "count": 2**31}) == [("body.count", "format")]
    assert refused(client, {**good, "mixed": {"label": "too long"}}) == [("body.mixed.label", "maxLength")]
    assert refused(client, {**good, "mixed": {}}) == [("body.mixed.label", "required")]
    assert refused(client, {**good, "base": {"code": "usd"}}) == [("body.base.code", "pattern")]
    deep = {"value": 1, "children": [{"value": 2, "children": [{"value": "three"}]}]}
    assert refused(client, {**good, "tree": deep}) == [("body.tree.children[0].children[0].value", "type")]


def test_refs_into_another_file_keep_their_meaning(tmp_path, server):
    (tmp_path / "shared.json").write_text(json.dumps({"Money": {
        "type": "object", "required": ["cents"],
        "properties": {"cents": {"type": "integer", "minimum": 0}, "unit": {"$ref": "#/Unit"}}},
        "Unit": {"type": "string", "enum": ["EUR", "USD"]}}))
    body = {"type": "object", "properties": {"price": {"$ref": "shared.json#/Money"}}}
    (tmp_path / "openapi.json").write_text(json.dumps(spec_with_body(body, {})))
    client = client_for(str(tmp_path / "openapi.json"), server)
    assert sent(client, server, {"price": {"cents": 5, "unit": "EUR"}})
    assert refused(client, {"price": {"cents": -1, "unit": "GBP"}}) == [("body.price.cents", "minimum"),
                                                                        ("body.price.unit", "enum")]


def test_the_first_validated_call_does_not_pay_for_the_rest_of_a_huge_spec(server):
    """50,000 components nobody refers to: a validator over the whole document would take seconds to build
    (2 s measured); one over what the body's schema reaches takes well under a millisecond."""
    unrelated = {f"Unrelated{i}": {"type": "object", "properties": {f"f{j}": {"type": "string", "maxLength": j + 1}
                                                                    for j in range(8)}} for i in range(50_000)}
    client = client_for(spec_with_body(BODY, {**SCHEMAS, **unrelated}), server)
    started = time.perf_counter()
    assert sent(client, server, {"code": "EUR", "tree": {"value": 1}})
    assert time.perf_counter() - started < 0.5
    assert refused(client, {"tree": {"value": "one"}}) == [("body.tree.value", "type")]


def test_a_ref_that_leads_nowhere_is_a_spec_error_naming_the_schema(server):
    body = {"type": "object", "properties": {"code": {"$ref": "#/components/schemas/Base/allOf/-1"},
                                             "size": {"$ref": "#/components/schemas/Missing"}}}
    client = client_for(spec_with_body(body, SCHEMAS), server)
    with pytest.raises(lago_dyn.SpecError, match="cannot be compiled") as caught:
        client.create_thing({"code": "EUR"})
    assert "requestBody" in str(caught.value)
    assert caught.value.__context__ is None and caught.value.__cause__ is None
