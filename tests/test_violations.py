"""Violations that read well: one per missing or unknown field at its own location, the same locations
plain jsonschema finds, values as JSON, enum hints instead of long lists, Lago's error_details as
`field: code`."""

import jsonschema
import pytest
import referencing
from referencing.jsonschema import DRAFT202012

import lago_dyn
from lago_dyn.models import parse_json
from lago_dyn.testing import example
from lago_dyn.validation import WRITE, SchemaValidators, render_location

INVALID_BODIES = [
    ("create_customer", {"customer": {}}),
    ("create_customer", {"customer": {"external_id": 7, "currency": "eur", "metadata": [{"key": True}],
                                      "billing_configuration": {"payment_provider": "strip"}}}),
    ("create_plan", {"plan": {"name": 5, "interval": "weekly-ish", "charges": [{"charge_model": "x"}, {}]}}),
    ("create_plan", {"plan": {}}),
    ("create_coupon", {"coupon": {"name": "c", "amount_cents": "ten", "expiration": "soon"}}),
    ("create_wallet", {"wallet": {"rate_amount": 1, "paid_credits": None}}),
    ("create_billable_metric", {"billable_metric": {"aggregation_type": "summ", "filters": [{"key": 1}]}}),
]


@pytest.fixture(scope="module")
def validators(spec_1_51):
    return SchemaValidators(spec_1_51)


@pytest.fixture(scope="module")
def plain_registry(spec_1_51):
    return referencing.Registry().with_resources(
        (uri, referencing.Resource.from_contents(document, default_specification=DRAFT202012))
        for uri, document in spec_1_51.documents())


def plain_locations(registry, schema_uri, body):
    """What plain jsonschema finds, as (location, rule): a missing field at the field's own place."""
    found = set()
    for error in jsonschema.Draft202012Validator({"$ref": schema_uri}, registry=registry).iter_errors(body):
        path = list(error.absolute_path)
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            found.update((render_location("body", path + [name]), "required") for name in missing)
        else:
            found.add((render_location("body", path), error.validator))
    return found


@pytest.mark.parametrize("operation, body", INVALID_BODIES)
def test_violations_are_at_the_locations_plain_jsonschema_finds(spec_1_51, validators, plain_registry,
                                                                 operation, body):
    schema_uri = spec_1_51.operations[operation].body.schema_uri
    ours = validators.violations(schema_uri, body, "body", WRITE)
    assert ours, "an invalid body passed"
    assert {(v.location, v.rule) for v in ours} == plain_locations(plain_registry, schema_uri, body)
    assert len(ours) == len({(v.location, v.rule) for v in ours})  # each broken rule once


def test_k_missing_fields_are_k_lines_each_at_its_own_location(spec_1_51, validators):
    schema_uri = spec_1_51.operations["create_plan"].body.schema_uri
    error = lago_dyn.RequestValidationError("createPlan", validators.violations(schema_uri, {"plan": {}}, "body", WRITE))
    lines = str(error).splitlines()[1:]
    assert lines == [
        "  - body.plan.amount_cents: required field 'amount_cents' is missing (rule: required, got nothing)",
        "  - body.plan.amount_currency: required field 'amount_currency' is missing (rule: required, got nothing)",
        "  - body.plan.code: required field 'code' is missing (rule: required, got nothing)",
        "  - body.plan.interval: required field 'interval' is missing (rule: required, got nothing)",
        "  - body.plan.name: required field 'name' is missing (rule: required, got nothing)",
        "  - body.plan.pay_in_advance: required field 'pay_in_advance' is missing (rule: required, got nothing)",
    ]


def test_values_in_messages_are_plain_json_never_python_reprs(spec_1_51, validators):
    schema_uri = spec_1_51.operations["create_customer"].body.schema_uri
    answer_object = parse_json(b'{"first": "Ada", "flag": true, "none": null}')
    violations = validators.violations(
        schema_uri, {"customer": {"external_id": answer_object, "name": True, "firstname": None, "lastname": [1.5]}},
        "body", WRITE)
    messages = {v.location: v.message for v in violations}
    assert messages["body.customer.external_id"] == '{"first": "Ada", "flag": true, "none": null} is not of type string'
    assert messages["body.customer.name"] == "true is not of type string or null"
    assert messages["body.customer.lastname"] == "[1.5] is not of type string or null"
    text = "\n".join(messages.values())
    assert "ApiObject" not in text and "True" not in text and "None" not in text


def test_an_enum_violation_names_the_closest_values_instead_of_a_long_list(spec_1_51, validators):
    schema_uri = spec_1_51.operations["create_customer"].body.schema_uri

    def message(currency):
        [violation] = validators.violations(schema_uri, {"customer": {"external_id": "c", "currency": currency}},
                                            "body", WRITE)
        return violation.message

    assert message("eur") == "\"eur\" is not one of the 138 allowed values; did you mean 'EUR'?"
    assert message("EURO").startswith("\"EURO\" is not one of the 138 allowed values; did you mean 'EUR'")
    assert message("zzzzzz") == '"zzzzzz" is not one of the 138 allowed values ("AED", "AFN", "ALL", ...)'
    assert all("…" not in message(value) and len(message(value)) < 120 for value in ("eur", "EURO", "zzzzzz"))


def test_a_short_enum_is_listed_whole_with_a_hint(spec_1_51, validators):
    schema_uri = spec_1_51.operations["create_customer"].body.schema_uri
    [violation] = validators.violations(
        schema_uri, {"customer": {"external_id": "c", "billing_configuration": {"payment_provider": "strip"}}},
        "body", WRITE)
    assert violation.message == '"strip" is not one of "stripe", "adyen", "gocardless"; did you mean \'stripe\'?'


def test_values_that_may_be_secrets_are_never_shown(spec_1_51, validators):
    schema_uri = spec_1_51.operations["create_customer"].body.schema_uri
    hidden = validators.violations(schema_uri, {"customer": {"external_id": 7, "currency": "sk_secret"}}, "x",
                                   WRITE, reveal_values=False)
    assert [v.message for v in hidden] == ["the value is not one of the 138 allowed values (\"AED\", \"AFN\", \"ALL\", ...)",
                                           "the value is not of type string"]
    assert all("sk_secret" not in str(v) and "7" not in v.message for v in hidden)


def test_a_422_prints_its_error_details_as_field_and_code(client, lago):
    lago.reply("create_customer", status=422, body={
        "status": 422, "error": "Unprocessable Entity", "code": "validation_errors",
        "error_details": {"email": ["invalid_email_format"], "name": ["value_is_mandatory", "too_long"],
                          "billing_configuration": {"tax_ids": ["invalid"]}}})
    with pytest.raises(lago_dyn.UnprocessableEntityError) as caught:
        client.create_customer({"customer": {"external_id": "c-1"}})
    assert str(caught.value) == (
        "createCustomer: HTTP 422 Unprocessable Entity [validation_errors]: email: invalid_email_format; "
        "name: value_is_mandatory, too_long; billing_configuration.tax_ids: invalid")
    assert caught.value.error_details["email"] == ["invalid_email_format"]  # the data itself is unchanged


# -- unknown body fields (the building block for `unknown_fields="warn" | "error" | "ignore"`) ---------

def test_unknown_fields_are_named_at_every_depth_with_did_you_mean(spec_1_51, validators):
    schema_uri = spec_1_51.operations["create_customer"].body.schema_uri
    body = {"customer": {"external_id": "c", "nmae": "Acme", "billing_configuration": {"payment_provder": "stripe"},
                         "metadata": [{"key": "k", "value": "v", "display_in_invoice": True, "valeu": 1}]}}
    found = validators.unknown_fields(schema_uri, body, "body")
    assert [(v.location, v.rule, v.value_type) for v in found] == [
        ("body.customer.nmae", "unknown-field", "string"),
        ("body.customer.billing_configuration.payment_provder", "unknown-field", "string"),
        ("body.customer.metadata[0].valeu", "unknown-field", "integer")]
    assert found[0].message == "'nmae' is not a field the spec declares here; the server may ignore it; did you mean 'name'?"
    assert found[1].message.endswith("did you mean 'payment_provider'?")
    assert validators.violations(schema_uri, body, "body", WRITE) == []  # valid all the same: only this finds it


def test_keys_of_a_map_are_data_but_its_owner_is_still_checked(spec_1_51, validators):
    schema_uri = spec_1_51.operations["create_event"].body.schema_uri
    body = {"event": {"transaction_id": "t", "code": "gb", "external_subscription_id": "s",
                      "properties": {"gb": "10", "any_name_at_all": "x"}, "timestmp": 1}}
    assert [v.location for v in validators.unknown_fields(schema_uri, body, "body")] == ["body.event.timestmp"]


def test_the_spec_own_request_examples_have_no_unknown_fields(spec_1_51, validators):
    bodies = [op.body.schema_uri for op in spec_1_51.operations.values() if op.body and op.body.schema_uri]
    assert len(bodies) == 72
    for schema_uri in bodies:
        body = example(spec_1_51, spec_1_51.node_at(schema_uri), use_examples=True, uri=schema_uri)
        assert validators.unknown_fields(schema_uri, body, "body") == [], schema_uri


PAYMENT_SPEC = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}, "components": {"schemas": {
    "Payment": {"type": "object", "properties": {"method": {"oneOf": [
        {"type": "object", "properties": {"kind": {"const": "card"}, "number": {"type": "string"}}},
        {"type": "object", "properties": {"kind": {"const": "bank"}, "iban": {"type": "string"}}}]},
        "note": {"type": ["object", "null"]},
        "strict": {"type": "object", "properties": {"a": {}}, "additionalProperties": False},
        "open": {"type": "object", "properties": {"a": {}}, "additionalProperties": True}}}}}}


def test_under_one_of_only_the_branch_the_value_matches_declares_fields():
    spec = lago_dyn.load_spec(PAYMENT_SPEC)
    validators = SchemaValidators(spec)
    uri = "urn:lago-dyn:spec#/components/schemas/Payment"

    def unknown(body):
        return [(v.location, v.message.endswith("did you mean 'number'?"))
                for v in validators.unknown_fields(uri, body, "body")]

    assert unknown({"method": {"kind": "bank", "iban": "DE00", "number": "4242"}}) == [("body.method.number", False)]
    assert unknown({"method": {"kind": "card", "number": "4242"}}) == []
    assert unknown({"method": {"kind": "cash", "numbr": "1"}}) == [("body.method.numbr", True)]  # no branch: all count
    # free-form objects, explicitly open ones, and closed ones (which validation rejects) are not reported
    assert unknown({"note": {"anything": 1}, "open": {"b": 1}, "strict": {"b": 1}}) == []


def test_unknown_body_fields_warn_by_default_or_refuse_or_pass(lago, default_spec):
    import warnings

    import lago_dyn
    from conftest import API_KEY

    body = {"customer": {"external_id": "c-typo", "nmae": "Acme"}}
    client = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY)
    with pytest.warns(lago_dyn.UnknownFieldsWarning, match=r"body\.customer\.nmae .*did you mean 'name'") as caught:
        client.create_customer(body)
    assert caught[0].filename == __file__  # the warning points at the caller's line, not lago_dyn's
    strict = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, unknown_fields="error")
    sent = len(lago.requests)
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body\.customer\.nmae"):
        strict.create_customer(body)
    assert len(lago.requests) == sent
    quiet = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, unknown_fields="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet.create_customer(body)
        client.create_customer({"customer": {"external_id": "c-ok", "name": "Acme"}})  # nothing unknown: silent
