"""help() and `lago-dyn describe` show the request body and the answer: every field with its type, enum,
format, whether it is required and what it means, nested objects indented, and an example body that the
spec accepts."""

import inspect
import json
import pydoc
import statistics
import time

import pytest

import lago_dyn
from conftest import API_KEY, shared_spec
from lago_dyn.binding import describe
from test_cli_and_tools import cli


@pytest.fixture(scope="session")
def spec_1_51():
    return lago_dyn.load_spec(shared_spec("1.51.0"), cache_dir=False)


def help_text(function) -> str:
    """Exactly what `help(function)` prints."""
    return pydoc.render_doc(function, renderer=pydoc.plaintext)


def section(text: str, heading: str) -> list[str]:
    """The lines of one section of a help text (`Body (...)`: its tree and example), up to a blank line."""
    lines = [line[4:] for line in text.splitlines()]  # pydoc indents the docstring by 4
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].strip())
    return lines[start:end]


def example_after(lines: list[str]) -> object:
    text = "\n".join(lines)
    return json.loads(text[text.index("Example:") + len("Example:"):])


def test_help_on_create_customer_shows_body_fields_and_an_example_the_server_accepts(client, lago):
    text = help_text(client.customers.create_customer)
    body = section(text, "Body (CustomerCreateInput, application/json, required):")
    assert "    customer (object, required)" in body
    assert ("        external_id (string, required): The customer external unique identifier "
            "(provided by your own application)") in body
    assert "        email (string (email) or null)" in body
    assert "        account_type (string or null, one of: customer, partner)" in body
    assert "        finalize_zero_amount_invoice (string, one of: inherit, skip, finalize)" in body
    assert "        tax_codes (array of string)" in body
    billing = body.index("        billing_configuration (CustomerBillingConfiguration): Configuration specific to "
                         "the payment provider, utilized for billing the customer.")
    assert body[billing + 1] == "            invoice_grace_period (integer or null)"
    metadata = body.index("        metadata (array of CustomerMetadataInput)")
    assert body[metadata + 1: metadata + 5] == [
        "            id (string (uuid) or null)", "            key (string, required)",
        "            value (string, required)", "            display_in_invoice (boolean, required)"]
    example = example_after(body)
    assert example["customer"]["external_id"] and example["customer"]["email"] == "dinesh@piedpiper.test"
    created = client.customers.create_customer(example)  # validated both ways, answered by LocalLago
    assert created.customer.external_id == example["customer"]["external_id"]

    answer = section(text, "Answer 200 (Customer):")
    assert "    customer (CustomerObject, required)" in answer
    assert "        lago_id (string (uuid), required)" in answer
    assert "        account_type (string, one of: customer, partner)" in answer
    assert isinstance(example_after(answer)["customer"]["lago_id"], str)


def test_help_on_create_customer_of_1_51(spec_1_51):
    text = help_text(lago_dyn.Client(spec_1_51).create_customer)
    body = section(text, "Body (CustomerCreateInput, application/json, required):")
    assert "        country (string or null, one of: AD, AE, AF, AG, AI, AL, AM, …): Country code of the customer's " \
           "billing address. Format must be ISO 3166 (alpha-2)" in body
    assert "        shipping_address (Address): Configuration specific to the payment provider, utilized for billing " \
           "the customer. This object cont…" in body  # first line, cut at 100 characters
    assert "            zipcode (string or null): The zipcode of the customer's billing address" in body
    assert "            integration_type (string, one of: netsuite, anrok, xero): The integration type used for " \
           "accounting and tax syncs." in body
    assert section(text, "Answer 200 (Customer):")[1].startswith("    customer (CustomerObjectExtended, required)")


def test_describe_create_plan_field_by_field(spec_1_51):
    """A deep 1.51.0 body: allOf and $ref merged, arrays of objects opened, depth cut with a count."""
    payload = describe.body(spec_1_51, spec_1_51.operations["create_plan"])
    assert payload.title == "body (PlanCreateInput, application/json, required)"
    (plan,) = payload.fields
    assert (plan.name, plan.kind, plan.required) == ("plan", "object", True)
    fields = {field.name: field for field in plan.children}
    assert {name for name, field in fields.items() if field.required} == {
        "name", "code", "interval", "amount_cents", "amount_currency", "pay_in_advance"}
    assert fields["interval"].values == ("weekly", "monthly", "quarterly", "semiannual", "yearly")
    currency = fields["amount_currency"]  # `$ref: Currency` beside its own description
    assert currency.kind == "string" and "USD" in currency.values and currency.description.startswith("The currency of the plan.")
    assert (fields["trial_period"].kind, fields["invoice_display_name"].kind) == ("number or null", "string or null")
    assert fields["minimum_commitment"].kind == "MinimumCommitmentInput or null"
    assert [(f.name, f.required) for f in fields["minimum_commitment"].children] == [
        ("amount_cents", True), ("invoice_display_name", False), ("tax_codes", False)]
    charges = fields["charges"]
    assert charges.kind == "array of object"
    charge = {field.name: field for field in charges.children}
    assert charge["billable_metric_id"].kind == "string (uuid)" and charge["billable_metric_id"].required
    assert charge["charge_model"].values[:3] == ("dynamic", "graduated", "graduated_percentage")
    properties = {field.name: field for field in charge["properties"].children}
    assert charge["properties"].kind == "ChargeObjectProperties"
    assert properties["graduated_ranges"].note == "4 fields, deeper: not shown"  # depth 4 reached
    assert properties["per_transaction_max_amount"].kind.endswith("or null")
    filters = {field.name: field for field in charge["filters"].children}
    assert charge["filters"].kind == "array of ChargeFilterInput"
    assert filters["values"].required and filters["properties"].note == "14 fields, deeper: not shown"
    assert fields["usage_thresholds"].kind == "array of UsageThresholdInput"

    described = cli("--spec", str(shared_spec("1.51.0")), "describe", "create_plan", "--json")
    assert described.returncode == 0, described.stderr
    report = json.loads(described.stdout)
    assert report["body"]["fields"][0] == json.loads(json.dumps(plan.to_json()))
    assert report["body"]["example"]["plan"]["code"] == "startup"
    assert report["answer"]["title"] == "answer 200 (Plan)"
    assert report["signature"].startswith("create_plan(plan_create_input: dict")


def test_one_of_alternatives_and_reference_cycles():
    spec = lago_dyn.load_spec({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/nodes": {"post": {"operationId": "createNode", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Node"}}}},
            "responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {
            "Node": {"type": "object", "required": ["name"], "properties": {
                "name": {"type": "string"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                "when": {"oneOf": [{"type": "integer"}, {"type": "string", "format": "date-time"}]},
                "target": {"anyOf": [{"$ref": "#/components/schemas/Email"}, {"$ref": "#/components/schemas/Hook"},
                                     {"type": "null"}]},
                "parent": {"anyOf": [{"$ref": "#/components/schemas/Node"}, {"type": "null"}]}}},
            "Email": {"type": "object", "properties": {"address": {"type": "string", "format": "email"}}},
            "Hook": {"type": "object", "properties": {"url": {"type": "string", "format": "uri"}}},
        }},
    })
    fields = {f.name: f for f in describe.body(spec, spec.operations["create_node"]).fields}
    assert fields["children"].note == "refers back to an enclosing schema"
    assert fields["parent"].kind == "Node or null" and fields["parent"].note == "refers back to an enclosing schema"
    assert fields["when"].kind == "integer or string (date-time)"
    target = fields["target"]
    assert target.kind == "one of"
    assert [(o.name, o.kind, [c.kind for c in o.children]) for o in target.children] == [
        ("option 1", "Email", ["string (email)"]), ("option 2", "Hook", ["string (uri)"])]
    assert describe.answer(spec, spec.operations["create_node"]) is None


def test_describe_example_feeds_call_data_from_stdin(lago):
    example = cli("describe", "create_customer", "--example")
    assert example.returncode == 0 and example.stderr == ""
    body = json.loads(example.stdout)  # only the JSON, nothing else
    sent = cli("call", "create_customer", "--data", "@-", "--base-url", lago.base_url, "--api-key", API_KEY,
               input=example.stdout)
    assert sent.returncode == 0, sent.stderr
    assert lago.requests[-1].json == body


def test_docstrings_cost_nothing_until_read(spec_1_51):
    """Binding renders no field tree: Client(1.51.0) stays within a few ms of binding without docstrings."""
    def bind_ms():
        timings = []
        for _ in range(7):
            started = time.perf_counter()
            lago_dyn.Client(spec_1_51)
            timings.append((time.perf_counter() - started) * 1000)
        return statistics.median(timings)

    client = lago_dyn.Client(spec_1_51)
    started = time.perf_counter()
    rendered = sum(len(function.__doc__) for function in client.operations.values())
    render_ms = (time.perf_counter() - started) * 1000
    assert rendered > 1_000_000  # the trees are big: rendering them all at bind time would show
    assert bind_ms() < render_ms / 5


def test_a_one_branch_all_of_around_an_array_of_objects_shows_the_items_fields():
    """box.com's shape (corpus): `list: {allOf: [{type: array, items: {properties: {kind}}}]}`. help() once
    looked for `.../list/items/properties/kind`, which sits inside the allOf (SpecError "nothing at that
    pointer"); now the signature, the docstring and describe show the items' fields."""
    spec = lago_dyn.load_spec({
        "openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": [{"url": "http://x"}],
        "paths": {"/cards": {"put": {"operationId": "update_cards", "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Cards"}}}},
            "responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"Cards": {"type": "object", "properties": {"list": {
            "description": "the cards", "allOf": [{"type": "array", "items": {"type": "object", "required": ["kind"],
                                                   "properties": {"kind": {"type": "string", "enum": ["skill"]}}}}]}}}}},
    }, cache_dir=False)
    client = lago_dyn.Client(spec, base_url="http://127.0.0.1:9", profile=lago_dyn.GENERIC)
    assert "cards" in inspect.signature(client.update_cards).parameters
    text = help_text(client.update_cards)
    assert "list (array of object): the cards" in text and "kind (string, required, one of: skill)" in text
    (field,) = describe.body(spec, spec.operations["update_cards"]).fields
    assert [child.name for child in field.children] == ["kind"]
    assert describe.example_body(spec, spec.operations["update_cards"], spec.validators) == {"list": [{"kind": "skill"}]}
