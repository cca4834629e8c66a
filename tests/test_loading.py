"""Loading specs from every kind of source, binding every operation, and the namespace users see."""

import http.server
import inspect
import json
import pydoc
import threading

import pytest
import yaml

import lago_dyn
from conftest import shared_spec

# (paths operations, webhooks): the upstream release notes count both as operations.
EXPECTED = {"1.6.4": (86, 0), "1.21.0": (97, 45), "1.51.0": (202, 61)}


@pytest.mark.parametrize("version", sorted(EXPECTED))
def test_each_shared_spec_binds_every_operation_and_help_renders(version):
    client = lago_dyn.Client(shared_spec(version), base_url="http://127.0.0.1:9/api/v1")
    operations, webhooks = EXPECTED[version]
    assert (len(client.operations), len(client.webhooks)) == (operations, webhooks)
    assert len(client.operations) + len(client.webhooks) == {"1.6.4": 86, "1.21.0": 142, "1.51.0": 263}[version]
    for name, function in client.operations.items():
        text = pydoc.render_doc(function, renderer=pydoc.plaintext)
        assert function.operation.summary.split("\n")[0][:20] in text
        assert str(inspect.signature(function)).startswith("(")
        assert getattr(client, name) is function
    for name in client.webhooks:
        assert pydoc.render_doc(getattr(client.webhooks, name), renderer=pydoc.plaintext)
    assert "customers" in dir(client) and "create_customer" in dir(client)
    assert "create_customer" in dir(client.customers)


def test_help_shows_summary_parameters_body_and_responses(client):
    text = pydoc.render_doc(client.customers.create_customer, renderer=pydoc.plaintext)
    for expected in ("Create a customer", "POST /customers", "customer_create_input (CustomerCreateInput",
                     "required", "Customer: 200 Customer created or updated", "BadRequestError: 400",
                     "UnauthorizedError: 401", "UnprocessableEntityError: 422"):
        assert expected in text
    past = pydoc.render_doc(client.find_all_customer_past_usage, renderer=pydoc.plaintext)
    assert "find_all_customer_past_usage(external_customer_id: str, external_subscription_id: str, *, page" in past
    assert "page (integer, optional, query): Page number." in past
    group = pydoc.render_doc(client.customers, renderer=pydoc.plaintext)
    assert "CustomersApi" in group and "destroy_customer" in group


def test_default_spec_is_the_projects_customers_api():
    client = lago_dyn.Client()
    assert sorted(client.operations) == sorted([
        "create_customer", "delete_applied_coupon", "destroy_customer", "find_all_customer_past_usage",
        "find_all_customers", "find_customer", "find_customer_current_usage", "generate_customer_checkout_url",
        "get_customer_portal_url"])
    assert client.base_url == "https://api.getlago.com/api/v1"
    assert client.spec.version == "3.1"


def test_newer_spec_gains_operations_without_code_change():
    old = lago_dyn.Client(shared_spec("1.21.0"))
    new = lago_dyn.Client(shared_spec("1.51.0"))
    added = set(new.operations) - set(old.operations)
    assert {"create_customer_wallet_alert", "get_customer_wallet_alerts"} <= added
    assert not hasattr(old, "create_customer_wallet_alert")
    assert "create_customer_wallet_alert" in dir(new.wallets)


def test_yaml_json_and_dict_sources_give_the_same_operations(tmp_path):
    document = yaml.safe_load(lago_dyn.default_spec_path().read_text())
    as_json = tmp_path / "spec.json"
    as_json.write_text(json.dumps(document))
    names = {frozenset(lago_dyn.Client(source).operations) for source in (lago_dyn.default_spec_path(), as_json, document)}
    assert len(names) == 1


def test_dates_in_yaml_stay_strings(tmp_path):
    spec = minimal_spec({"type": "string", "format": "date", "example": "x"})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(spec).replace("example: x", "example: 2024-01-01"))
    loaded = lago_dyn.load_spec(path)
    assert loaded.root["components"]["schemas"]["Thing"]["example"] == "2024-01-01"


def test_spec_from_url_is_fetched_with_a_timeout(tmp_path):
    body = lago_dyn.default_spec_path().read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = lago_dyn.Client(f"http://127.0.0.1:{server.server_address[1]}/openapi.yaml")
        assert "create_customer" in client.operations
    finally:
        server.shutdown()
        server.server_close()


def minimal_spec(schema, version="3.1.0", **extra):
    return {
        "openapi": version, "info": {"title": "t", "version": "1"},
        "paths": {"/things/{id}": {"get": {"operationId": "getThing", "parameters": [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Thing"}}}}}}}},
        "components": {"schemas": {"Thing": schema}}, **extra,
    }


def test_refs_to_files_beside_the_spec_resolve(tmp_path):
    (tmp_path / "schemas.yaml").write_text(yaml.safe_dump({"Thing": {"type": "object", "required": ["id"],
                                                                     "properties": {"id": {"type": "string"}}}}))
    spec = minimal_spec({"$ref": "schemas.yaml#/Thing"})
    (tmp_path / "api.yaml").write_text(yaml.safe_dump(spec))
    client = lago_dyn.Client(tmp_path / "api.yaml", base_url="http://127.0.0.1:9")
    validators = client.spec.validators
    uri = client.spec.operations["get_thing"].responses["200"].content["application/json"]
    assert validators.violations(uri, {"id": "1"}, "body", "read") == []
    [problem] = validators.violations(uri, {}, "body", "read")
    assert (problem.location, problem.rule) == ("body.id", "required")


def test_recursive_schemas_validate():
    spec = minimal_spec({"type": "object", "properties": {"name": {"type": "string"},
                                                          "children": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}})
    spec_obj = lago_dyn.load_spec(spec)
    validators = lago_dyn.Client(spec_obj, base_url="http://127.0.0.1:9").spec.validators
    uri = spec_obj.operations["get_thing"].responses["200"].content["application/json"]
    tree = {"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]}
    [problem] = validators.violations(uri, tree, "body", "read")
    assert problem.location == "body.children[0].children[0].name"


@pytest.mark.parametrize("text, message", [
    ("swagger: '2.0'\ninfo: {}\npaths: {}\n", "Swagger 2.0 is not supported"),
    ("just: a mapping\n", "not an OpenAPI 3.0/3.1/3.2 document"),
    ("- a list\n", "is not an OpenAPI document"),
    ("openapi: 3.0.0\npaths: [\n", "not valid YAML or JSON at line"),
    ("openapi: 4.0.0\npaths: {}\n", "not an OpenAPI 3.0/3.1/3.2 document ('openapi: 4.0.0')"),
])
def test_not_openapi_gives_one_clear_error(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(lago_dyn.SpecError) as caught:
        lago_dyn.Client(path)
    assert message in str(caught.value)
    # one error, not a chain of library internals behind it
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None


def test_missing_file_is_a_spec_load_error(tmp_path):
    with pytest.raises(lago_dyn.SpecLoadError, match="no such file"):
        lago_dyn.Client(tmp_path / "nope.yaml")


def test_two_operation_ids_with_one_python_name_are_both_usable():
    # `getThing` and `get_thing` are different operationIds (the specification allows it); the second in
    # spec order gets a numbered name instead of the whole document being refused.
    spec = minimal_spec({"type": "object"})
    spec["paths"]["/other"] = {"post": {"operationId": "get_thing", "responses": {"200": {"description": "ok"}}}}
    loaded = lago_dyn.load_spec(spec)
    assert [(name, op.operation_id) for name, op in loaded.operations.items()] == [
        ("get_thing", "getThing"), ("get_thing_2", "get_thing")]


def test_a_malformed_operation_fails_where_it_is_used_and_spares_the_others():
    spec = minimal_spec({"type": "object"})
    spec["paths"]["/broken"] = {"get": {"operationId": "getBroken", "parameters": [{"in": "query"}],
                                        "responses": {"200": {"description": "ok"}}}}
    sent = []
    client = lago_dyn.Client(spec, base_url="http://127.0.0.1:9",
                             transport=type("T", (), {"send": lambda self, request: sent.append(request) or
                                                      lago_dyn.WireResponse(200, {"Content-Type": "application/json"}, b"{}"),
                                                      "close": lambda self: None})())
    assert "get_broken" in dir(client)
    client.get_thing("1")
    assert len(sent) == 1
    for use in (lambda: client.get_broken(), lambda: inspect.signature(client.get_broken), client.spec.check):
        with pytest.raises(lago_dyn.SpecError, match=r"get_broken: parameter at .*~1broken/get/parameters/0 needs a "
                                                     r"'name' and an 'in'"):
            use()
    assert len(sent) == 1


def test_missing_operation_id_gets_a_name_from_method_and_path():
    spec = minimal_spec({"type": "object"})
    del spec["paths"]["/things/{id}"]["get"]["operationId"]
    assert list(lago_dyn.load_spec(spec).operations) == ["get_things_by_id"]


@pytest.mark.parametrize("operation_id, expected", [
    ("createCustomer", "create_customer"), ("generateCustomerCheckoutURL", "generate_customer_checkout_url"),
    ("getCustomerPortalUrl", "get_customer_portal_url"), ("findAllCustomerPastUsage", "find_all_customer_past_usage"),
    ("__init__", "init"), ("class", "class_"), ("2fa-check", "operation_2fa_check"), ("feature.created", "feature_created"),
])
def test_operation_names_follow_the_generated_client(operation_id, expected):
    from lago_dyn.spec.naming import operation_name
    assert operation_name(operation_id, "get", "/x") == expected


def test_unknown_attribute_is_an_attribute_error_with_a_suggestion(client):
    with pytest.raises(AttributeError, match="did you mean 'create_customer'"):
        getattr(client, "create_customomer")
    assert not hasattr(client, "nothing_like_this")
    assert getattr(client, "nope", None) is None


def test_parsed_spec_is_cached_by_content_and_survives_a_corrupt_cache(tmp_path):
    cache = tmp_path / "c"
    source = tmp_path / "s.yaml"
    source.write_text(lago_dyn.default_spec_path().read_text())
    lago_dyn.load_spec(source, cache_dir=cache)
    [entry] = list(cache.glob("spec-*.json"))
    entry.write_text("{ not json")
    assert "create_customer" in lago_dyn.load_spec(source, cache_dir=cache).operations
    source.write_text(source.read_text().replace("createCustomer", "makeCustomer"))
    assert "make_customer" in lago_dyn.load_spec(source, cache_dir=cache).operations
    assert len(list(cache.glob("spec-*.json"))) == 2


def test_openapi_30_nullable_is_honoured():
    spec = minimal_spec({"type": "object", "properties": {"name": {"type": "string", "nullable": True}}},
                        version="3.0.3")
    loaded = lago_dyn.load_spec(spec)
    validators = lago_dyn.Client(loaded, base_url="http://127.0.0.1:9").spec.validators
    uri = loaded.operations["get_thing"].responses["200"].content["application/json"]
    assert validators.violations(uri, {"name": None}, "body", "read") == []
    assert validators.violations(uri, {"name": 1}, "body", "read")[0].rule == "type"


def test_nullable_left_in_a_31_spec_is_honoured_without_touching_the_callers_dict():
    spec = minimal_spec({"type": "object", "properties": {"name": {"type": "string", "nullable": True}}})
    loaded = lago_dyn.load_spec(spec)
    assert spec["components"]["schemas"]["Thing"]["properties"]["name"]["nullable"] is True
    validators = lago_dyn.Client(loaded, base_url="http://127.0.0.1:9").spec.validators
    uri = loaded.operations["get_thing"].responses["200"].content["application/json"]
    assert validators.violations(uri, {"name": None}, "body", "read") == []


def test_a_client_loads_only_what_its_first_call_needs(tmp_path):
    """`import lago_dyn` and `Client()` leave asyncio, the HTTP library and the docstring, overlay and
    events modules unimported until something uses them (startup time of CLIs, web apps, workers)."""
    import subprocess
    import sys

    script = ("import sys, lago_dyn\n"
              "c = lago_dyn.Client(sys.argv[1], base_url='http://127.0.0.1:9', api_key='k')\n"
              "print(sorted(m for m in ('asyncio', 'requests', 'httpx2', 'lago_dyn.binding.describe', 'lago_dyn.spec.overlay',"
              " 'lago_dyn.lago.events', 'lago_dyn.webhooks') if m in sys.modules))\n"
              "c.transport; c.get_thing.__doc__\n"
              "print(sorted(m for m in ('requests', 'lago_dyn.binding.describe') if m in sys.modules))\n")
    (tmp_path / "spec.json").write_text(json.dumps(minimal_spec({"type": "object"})))
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "spec.json")], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "['lago_dyn.binding.describe', 'requests']"]
