"""`spec.validate(target, value, direction)`: the client's own judgement without a call, for programs
(a form, a queue consumer, a test) and with what a program needs: the location, the rule, the schema path
of the broken keyword, and the validator's own error object."""

import jsonschema
import pytest

import lago_dyn


def test_a_request_body_is_judged_as_a_call_would_judge_it(spec_1_51):
    body = {"customer": {"external_id": "c-1", "currency": "eur", "email": 3}}
    violations = spec_1_51.validate("create_customer", body)
    assert [(v.location, v.rule) for v in violations] == [("body.customer.currency", "enum"),
                                                          ("body.customer.email", "type")]
    currency = violations[0]
    assert currency.schema_path == "/properties/customer/properties/currency/enum"
    assert isinstance(currency.error, jsonschema.ValidationError) and currency.error.instance == "eur"
    assert "did you mean 'EUR'" in currency.message
    assert spec_1_51.validate(spec_1_51.operations["create_customer"], {"customer": {"external_id": "c-1"}}) == []


def test_an_answer_a_named_schema_and_a_schema_uri(spec_1_51):
    [missing, *_] = spec_1_51.validate("find_customer", {"customer": {}}, direction="read")
    assert (missing.location, missing.rule) == ("body.customer.applicable_timezone", "required")
    assert spec_1_51.validate("CustomerCreateInput", {"customer": {"external_id": "c-1"}}) == []
    [violation] = spec_1_51.validate("#/components/schemas/CustomerCreateInput", {})
    assert (violation.location, violation.rule, violation.schema_path) == ("value.customer", "required", "/required")


def test_a_target_that_is_nothing_says_what_it_could_have_been(spec_1_51):
    with pytest.raises(lago_dyn.SpecError, match="'create_custmer' is neither an operation.*did you mean 'create_customer'"):
        spec_1_51.validate("create_custmer", {})
    with pytest.raises(lago_dyn.SpecError, match="findCustomer has no request body"):
        spec_1_51.validate("find_customer", {})
    with pytest.raises(lago_dyn.SpecError, match="direction is 'write'"):
        spec_1_51.validate("create_customer", {}, direction="request")


def test_a_header_value_that_breaks_its_schema_keeps_no_raw_error():
    # The validator's error object holds the value; a header may carry a secret, so none is kept.
    secret = "SECRET-do-not-leak-7f3a"
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/x": {"get": {
        "operationId": "getX", "parameters": [{"name": "X-Key", "in": "header", "required": True,
                                                "schema": {"type": "string", "pattern": "^[a-z]+$"}}],
        "responses": {"200": {"description": "ok"}}}}}}
    client = lago_dyn.Client(spec, base_url="http://127.0.0.1:9", cache_dir=False, profile=lago_dyn.GENERIC)
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        client.get_x(x_key=secret)
    [violation] = caught.value.violations
    assert violation.rule == "pattern" and violation.error is None
    assert secret not in repr(caught.value.violations) and secret not in str(caught.value)
