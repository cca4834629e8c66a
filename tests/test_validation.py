"""Bad requests never leave the client; bad answers are caught in strict mode, logged in warn mode, and
passed through in off mode."""

import logging

import pytest

import lago_dyn
from conftest import API_KEY


def rejected(call, lago):
    with pytest.raises(lago_dyn.RequestValidationError) as caught:
        call()
    assert lago.requests == [], "a request that failed validation reached the server"
    return caught.value


def test_wrong_type_is_named_with_location_rule_and_type(client, lago):
    error = rejected(lambda: client.create_customer({"customer": {"external_id": 42}}), lago)
    [violation] = error.violations
    assert (violation.location, violation.rule, violation.value_type) == ("body.customer.external_id", "type", "integer")
    assert error.operation == "createCustomer"
    assert "createCustomer" in str(error) and "body.customer.external_id" in str(error) and "got integer" in str(error)


def test_missing_required_field(client, lago):
    error = rejected(lambda: client.create_customer({"customer": {"name": "Acme"}}), lago)
    [violation] = error.violations
    assert (violation.location, violation.rule) == ("body.customer.external_id", "required")


def test_unknown_enum_value(client, lago):
    error = rejected(lambda: client.create_customer({"customer": {"external_id": "c", "account_type": "vip"}}), lago)
    assert [(v.location, v.rule, v.value_type) for v in error.violations] == [("body.customer.account_type", "enum", "string")]


def test_every_error_is_listed(client, lago):
    error = rejected(lambda: client.create_customer(
        {"customer": {"external_id": 1, "currency": "euro", "net_payment_term": -1, "tax_codes": [1]}}), lago)
    assert sorted(v.location for v in error.violations) == [
        "body.customer.currency", "body.customer.external_id", "body.customer.net_payment_term",
        "body.customer.tax_codes[0]"]
    assert "4 errors" in str(error)


def test_bad_path_and_query_values(client, lago):
    error = rejected(lambda: client.find_all_customer_past_usage(123, None, page="two", periods_count=0), lago)
    assert {(v.location, v.rule) for v in error.violations} == {
        ("path.external_customer_id", "type"), ("query.external_subscription_id", "required"),
        ("query.page", "type"), ("query.periods_count", "minimum")}


def test_missing_required_body(client, lago):
    error = rejected(lambda: client.create_customer(None), lago)
    assert error.violations[0].location == "body"


def test_request_validation_off_sends_what_the_user_gave(lago, default_spec):
    client = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, request_validation=False)
    with pytest.raises(lago_dyn.UnprocessableEntityError) as caught:
        client.create_customer({"customer": {"external_id": 42}})
    assert lago.requests[-1].json == {"customer": {"external_id": 42}}
    assert "body.customer.external_id" in caught.value.error_details


def test_dates_and_uuids_are_sent_as_their_json_strings(client, lago):
    import datetime
    import uuid
    client.create_customer({"customer": {"external_id": uuid.UUID(int=7), "name": datetime.date(2024, 1, 2)}})
    assert lago.requests[-1].json == {"customer": {"external_id": "00000000-0000-0000-0000-000000000007",
                                                   "name": "2024-01-02"}}


def test_values_that_are_not_json_are_rejected(client, lago):
    error = rejected(lambda: client.create_customer({"customer": {"external_id": object()}}), lago)
    assert error.violations[0].rule == "json"
    error = rejected(lambda: client.create_customer({"customer": {"external_id": "c", "net_payment_term": float("nan")}}), lago)
    assert error.violations[0].rule == "json"


# -- responses -----------------------------------------------------------------------------------------

def bad_customer(lago, **changes):
    customer = {"lago_id": "1a901a90-1a90-1a90-1a90-1a901a901a90", "sequential_id": 1, "slug": "s",
                "external_id": "c-1", "applicable_timezone": "UTC", "created_at": "2024-01-01T00:00:00Z"}
    customer.update(changes)
    return {"customer": {k: v for k, v in customer.items() if v is not ...}}


@pytest.mark.parametrize("body, status, location, rule", [
    ({"customer": {"external_id": "c-1"}}, 200, "body.customer.lago_id", "required"),
    ("wrong type", 200, "body.customer.sequential_id", "type"),
    ("ok", 201, "status", "declared-status"),
])
def test_bad_responses_raise_in_strict_mode_and_pass_in_off_mode(lago, default_spec, body, status, location, rule):
    if body == "wrong type":
        body = bad_customer(lago, sequential_id="one")
    elif body == "ok":
        body = bad_customer(lago)
    lago.reply("find_customer", status=status, body=body)
    strict = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY)
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        strict.find_customer("c-1")
    assert location in [v.location for v in caught.value.violations]
    assert rule in [v.rule for v in caught.value.violations]
    assert caught.value.response.status_code == status and caught.value.response.data == body
    off = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, response_validation="off")
    assert off.find_customer("c-1") == body


def test_warn_mode_logs_and_returns(lago, default_spec, caplog):
    lago.reply("find_customer", body={"customer": {"external_id": "c-1"}})
    client = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, response_validation="warn")
    with caplog.at_level(logging.WARNING, logger="lago_dyn"):
        assert client.find_customer("c-1").customer.external_id == "c-1"
    assert "body.customer.lago_id" in caplog.text


def test_wrong_content_type_and_invalid_json_are_response_errors(lago, client):
    lago.reply("find_customer", content=b"<html>oops</html>", headers={"Content-Type": "text/html"}, times=1)
    with pytest.raises(lago_dyn.ResponseValidationError, match="text/html"):
        client.find_customer("c-1")
    lago.reply("find_customer", content=b"{not json", times=1)
    with pytest.raises(lago_dyn.ResponseValidationError, match="not valid JSON"):
        client.find_customer("c-1")


def test_invalid_mode_is_refused(default_spec):
    with pytest.raises(ValueError, match="response_validation"):
        lago_dyn.Client(default_spec, response_validation="lenient")


def test_validators_are_compiled_once_per_schema(client, lago):
    for index in range(5):
        client.create_customer({"customer": {"external_id": f"c-{index}"}})
    compiled = client.spec.validators.compiled
    client.create_customer({"customer": {"external_id": "c-again"}})
    assert client.spec.validators.compiled == compiled


def test_webhook_payloads_are_checked():
    from conftest import shared_spec
    client = lago_dyn.Client(shared_spec("1.51.0"))
    payload = {"webhook_type": "alert.triggered", "object_type": "triggered_alert", "organization_id": "o-1"}
    with pytest.raises(lago_dyn.WebhookValidationError) as caught:
        client.webhooks.alert_triggered(payload)
    assert "body.triggered_alert" in [v.location for v in caught.value.violations]
