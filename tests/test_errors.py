"""HTTP error statuses map to exceptions carrying the Lago error body; the API key never shows."""

import logging

import pytest
import requests

import lago_dyn
from conftest import API_KEY


@pytest.mark.parametrize("status, exception", [
    (400, lago_dyn.BadRequestError), (401, lago_dyn.UnauthorizedError), (403, lago_dyn.ForbiddenError),
    (404, lago_dyn.NotFoundError), (422, lago_dyn.UnprocessableEntityError), (429, lago_dyn.RateLimitError),
    (500, lago_dyn.ServerError), (503, lago_dyn.ServerError), (418, lago_dyn.ApiError),
])
def test_status_maps_to_exception_with_lago_body(client, lago, status, exception):
    body = {"status": status, "error": "Something", "code": "some_code", "error_details": {"email": ["invalid"]}}
    lago.reply("find_customer", status=status, body=body, headers={"X-Request-Id": "r-1"})
    with pytest.raises(exception) as caught:
        client.find_customer("c-1")
    error = caught.value
    assert type(error) is exception
    assert isinstance(error, lago_dyn.ApiError) and isinstance(error, lago_dyn.LagoDynError)
    assert (error.status, error.error, error.code, error.error_details) == (status, "Something", "some_code",
                                                                            {"email": ["invalid"]})
    assert error.headers["X-Request-Id"] == "r-1"
    assert f"HTTP {status}" in str(error) and "findCustomer" in str(error)


def test_rate_limit_exposes_retry_after(lago, default_spec):
    lago.reply("find_customer", status=429, body={"status": 429, "error": "Too many"}, headers={"Retry-After": "7"})
    client = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY,
                             retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.RateLimitError) as caught:
        client.find_customer("c-1")
    assert caught.value.retry_after == 7.0


def test_no_key_is_said_before_sending_and_a_request_without_one_gets_401(lago, default_spec, monkeypatch):
    monkeypatch.delenv("LAGO_API_KEY", raising=False)
    client = lago_dyn.Client(default_spec, base_url=lago.base_url)
    with pytest.raises(lago_dyn.MissingCredentialsError, match=r"bearerAuth \(http bearer\).*api_key=.*LAGO_API_KEY"):
        client.find_all_customers()
    assert lago.requests == []  # nothing was sent
    answer = requests.get(lago.base_url + "/customers", timeout=5)  # what a key-less request gets
    assert answer.status_code == 401 and answer.json()["error"] == "Unauthorized"


def test_api_key_is_read_from_the_environment(lago, default_spec, monkeypatch):
    monkeypatch.setenv("LAGO_API_KEY", "from-env")
    lago_dyn.Client(default_spec, base_url=lago.base_url).find_all_customers()
    assert lago.requests[-1].headers["Authorization"] == "Bearer from-env"


def test_the_key_never_appears_in_messages_reprs_or_logs(lago, default_spec, caplog):
    caplog.set_level(logging.DEBUG)
    client = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, response_validation="warn")
    texts = [repr(client), str(client), repr(client.__dict__.get("_transport"))]
    lago.reply("find_customer", status=401, body={"status": 401, "error": "Unauthorized"}, times=1)
    lago.reply("find_all_customers", body={"customers": "nope"}, times=1)
    for call in (lambda: client.find_customer("c-1"), lambda: client.create_customer({"customer": {}}),
                 client.find_all_customers):
        try:
            result = call()
            texts.append(repr(result))
        except lago_dyn.LagoDynError as error:
            texts += [str(error), repr(error), repr(error.__dict__)]
    unreachable = lago_dyn.Client(default_spec, base_url="http://127.0.0.1:9/api/v1", api_key=API_KEY,
                                  retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.TransportError) as caught:
        unreachable.find_all_customers()
    texts += [str(caught.value), caplog.text]
    assert all(API_KEY not in text for text in texts)


def test_a_performed_create_invoice_with_an_answer_off_the_spec_is_said_so_and_not_retried(spec_1_51):
    from lago_dyn.testing import LocalLago

    broken = {"invoice": {"lago_id": "1a901a90-1a90-1a90-1a90-1a901a901a90", "number": 42}}  # most fields missing
    body = {"invoice": {"external_customer_id": "c-1", "currency": "EUR", "fees": [
        {"add_on_code": "setup", "units": "1", "unit_amount_cents": 1000}]}}
    with LocalLago(spec_1_51) as lago:
        lago.reply("create_invoice", 200, broken)
        strict = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=API_KEY)
        with pytest.raises(lago_dyn.ResponseValidationError) as caught:
            strict.create_invoice(body)
        assert not isinstance(caught.value, lago_dyn.ApiError)
        assert str(caught.value).startswith("createInvoice: the server answered 200 and the operation took effect, "
                                            "but the answer does not match the spec")
        assert len([r for r in lago.requests if r.operation == "create_invoice"]) == 1  # nothing was retried
        off = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=API_KEY, response_validation="off")
        assert caught.value.status == 200 and caught.value.result == off.create_invoice(body) == broken
        assert caught.value.violations and caught.value.headers["Content-Type"] == "application/json"
