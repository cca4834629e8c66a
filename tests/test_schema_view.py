"""The schema view (lago_dyn/spec/schema.py) against what plain jsonschema enforces, on the real Lago
releases, and the corners its users used to miss each in their own way (issue #21, "One schema view")."""

import copy
import inspect
import threading

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

import lago_dyn
from lago_dyn.binding import describe
from lago_dyn.binding.examples import example
from lago_dyn.spec import dialects
from lago_dyn.spec.schema import SchemaView, view

VERSIONS = ("1.6.4", "1.21.0", "1.51.0")


def _operation_schemas(spec):
    """(schema URI, direction) of every request body and answer of every operation."""
    for operation in spec.operations.values():
        if operation.body is not None:
            for content in operation.body.content.values():
                if content.schema_uri is not None:
                    yield content.schema_uri, "write"
        for response in operation.responses.values():
            for uri in response.content.values():
                if uri is not None:
                    yield uri, "read"


def _reachable(spec):
    """Every schema URI reachable from an operation through fields, items, map values and branches."""
    pending = [uri for uri, _ in _operation_schemas(spec)]
    pending += [p.schema_uri for o in spec.operations.values() for p in o.parameters if p.schema_uri]
    seen = {}
    while pending:
        uri = pending.pop()
        if uri in seen:
            continue
        seen[uri] = found = view(spec, uri)
        pending += [*found.properties.values(), *found.all_of, *found.any_of, *found.one_of]
        pending += [uri for uri in (found.items, found.additional_uri) if uri]
    return seen


def _inlined(spec, uri, depth=0):
    """The schema at `uri` as one self-contained JSON Schema (every `$ref` replaced by its target), or None
    for a recursive or very deep one: what hypothesis-jsonschema and plain jsonschema read."""
    if depth > 12:
        return None
    node, resolved = spec.resolve(spec.node_at(uri), uri)

    def inline(value, at):
        if isinstance(value, dict):
            if "$ref" in value:
                return _inlined(spec, at, depth + 1)
            out = {}
            for key, item in value.items():
                out[key] = inline(item, f"{at}/{key}") if key not in ("example", "examples", "enum", "const",
                                                                       "default", "required") else item
                if out[key] is None and item is not None:
                    return None
            return out
        if isinstance(value, list):
            out = [inline(item, f"{at}/{index}") for index, item in enumerate(value)]
            return None if any(o is None and i is not None for o, i in zip(out, value)) else out
        return value

    inlined = inline(node, resolved)
    if inlined is None:
        return None
    if spec.version == "3.0":  # plain JSON Schema has no `nullable`: the 3.0 meaning, spelt in JSON Schema
        inlined = dialects.without_nullable(copy.deepcopy(inlined))
    return inlined


def _sample(spec, per_release):
    """Object schemas with fields, reached from operations, that inline (no recursion), no branches at the
    top: a fixed, evenly spread sample, so the test is the same on every run."""
    chosen = []
    for uri, found in sorted(_reachable(spec).items()):
        if found.properties and not found.branches and found.additional_properties is None \
                and "object" in found.types and "#/paths/" in uri:
            schema = _inlined(spec, uri)
            if schema is not None and len(repr(schema)) < 6000:
                chosen.append((uri, found, schema))
    step = max(1, len(chosen) // per_release)
    return chosen[::step][:per_release]


@pytest.mark.parametrize("version", VERSIONS)
def test_declared_and_required_fields_are_what_jsonschema_enforces(version, lago_specs):
    """For generated valid instances: dropping a name makes jsonschema reject the instance exactly when the
    view says it is required; closed with `unevaluatedProperties: false` (which sees through `allOf` and
    `$ref` as "declared" should), the instance's declared names are accepted and any other name refused."""
    spec = lago_specs[version]
    sample = _sample(spec, per_release=4)
    assert len(sample) >= 4, "the sample should reach several object schemas"
    for uri, found, schema in sample:
        plain = jsonschema.Draft202012Validator(schema)
        closed = jsonschema.Draft202012Validator({"allOf": [schema], "unevaluatedProperties": False})

        @settings(max_examples=3, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(from_schema(schema))
        def agree(instance):
            if not isinstance(instance, dict) or not plain.is_valid(instance):
                return
            assert found.required <= set(instance), "a valid instance has every required name"
            for name in instance:
                without = {key: value for key, value in instance.items() if key != name}
                assert plain.is_valid(without) is (name not in found.required), (uri, name)
            declared = {key: value for key, value in instance.items() if key in found.properties}
            assert closed.is_valid(declared), uri  # every name the view declares, jsonschema evaluates
            for name in [*(key for key in instance if key not in found.properties), "zz_not_declared"]:
                assert not closed.is_valid({**declared, name: instance.get(name, 1)}), (uri, name)

        agree()


def test_views_are_made_once_per_spec_and_shared_by_threads(lago_specs):
    spec = lago_specs["1.51.0"]
    uri = spec.operations["create_customer"].body.schema_uri
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(view(spec, uri))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(found is seen[0] for found in seen) and view(spec, uri) is seen[0]
    with pytest.raises(AttributeError):
        seen[0].types = ()  # immutable: shared by every client of the Spec


def _spec(schemas, body="Input", answer="Input", version="3.1.0", parameters=()):
    return lago_dyn.load_spec({
        "openapi": version, "info": {"title": "t", "version": "1"}, "servers": [{"url": "http://x"}],
        "paths": {"/things": {"post": {
            "operationId": "create_thing", "parameters": list(parameters),
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{body}"}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{answer}"}}}}}}}},
        "components": {"schemas": schemas}}, cache_dir=False)


def test_types_nullable_and_type_lists():
    spec = _spec({"Input": {"type": "object", "properties": {
        "a": {"type": "string", "nullable": True, "format": "decimal"},
        "b": {"type": ["integer", "null"]},
        "c": {"anyOf": [{"$ref": "#/components/schemas/Leaf"}, {"type": "null"}]},
        "d": {"allOf": [{"$ref": "#/components/schemas/Leaf"}], "description": "own words"}}},
        "Leaf": {"type": "string", "enum": ["x", "y"], "format": "uuid", "description": "a leaf"}},
        version="3.0.3")
    fields = view(spec, spec.operations["create_thing"].body.schema_uri).properties
    a, b, c, d = (view(spec, fields[name]) for name in "abcd")
    assert (a.types, a.stated_types, a.format, a.nullable) == (("string", "null"), ("string", "null"), "decimal", True)
    assert b.types == ("integer", "null")
    assert c.types == ("string", "null") and len(c.any_of) == 2 and view(spec, c.any_of[0]).enum == ("x", "y")
    assert (d.stated_types, d.format, d.enum, d.description) == (("string",), "uuid", ("x", "y"), "own words")


# -- the two bugs: a one-branch allOf, and oneOf beside `type: object` ------------------------------------

WRAPPED = {
    "Input": {"type": "object", "required": ["tags"], "properties": {
        "tags": {"description": "the tags", "allOf": [
            {"type": "array", "items": {"type": "object", "required": ["code"],
                                        "properties": {"code": {"type": "string"}}}}]},
        "owner": {"allOf": [{"type": "object", "properties": {"name": {"type": "string"}}}]},
        "count": {"allOf": [{"type": "integer", "minimum": 3}]}}},
}


def test_a_one_branch_all_of_around_an_array_an_object_and_a_scalar():
    """help(), the signature and `describe` all work and show each field with its type and children."""
    limit = {"name": "limit", "in": "query", "schema": {"allOf": [{"type": "array", "items": {"type": "string"}}]}}
    spec = _spec(WRAPPED, parameters=[limit])
    client = lago_dyn.Client(spec, base_url="http://127.0.0.1:9", api_key="k")
    signature = inspect.signature(client.create_thing)
    assert str(signature.parameters["limit"].annotation) == "typing.Optional[list]"
    assert signature.parameters["input"].annotation is dict
    doc = client.create_thing.__doc__
    assert "tags (array of object, required): the tags" in doc
    assert "code (string, required)" in doc
    assert "owner (object)" in doc and "name (string)" in doc
    assert "count (integer)" in doc
    fields = {field.name: field for field in describe.body(spec, spec.operations["create_thing"]).fields}
    assert [child.name for child in fields["tags"].children] == ["code"]
    assert [child.name for child in fields["owner"].children] == ["name"]
    value = describe.example_body(spec, spec.operations["create_thing"], spec.validators)
    assert not spec.validators.violations(spec.operations["create_thing"].body.schema_uri, value, "body", "write")
    assert value["tags"][0]["code"] == "string" and value["count"] == 3


def test_one_of_beside_type_object_gets_a_valid_example():
    spec = _spec({"Choice": {"type": "object", "oneOf": [
        {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}, "additionalProperties": False},
        {"type": "object", "required": ["b"], "properties": {"b": {"type": "integer"}}, "additionalProperties": False}]},
    }, body="Choice", answer="Choice")
    uri = spec.operations["create_thing"].responses["200"].content["application/json"]
    value = example(spec, spec.node_at(uri), uri=uri)
    assert value == {"a": "string"}
    assert not spec.validators.violations(uri, value, "answer", "read")
    assert describe.body(spec, spec.operations["create_thing"]).example == {"a": "string"}


def test_a_view_is_a_small_immutable_value(lago_specs):
    spec = lago_specs["1.51.0"]
    found = view(spec, spec.operations["create_customer"].body.schema_uri)
    assert isinstance(found, SchemaView)
    customer = view(spec, found.properties["customer"])
    assert {"external_id", "name", "currency"} <= set(customer.properties) and "external_id" in customer.required
    with pytest.raises(TypeError):
        customer.properties["x"] = "y"  # type: ignore[index]
