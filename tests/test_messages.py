"""Messages that point at the fix: what a Lago integrator sees when the key, the base URL or a name is
wrong, checked as the exact text they read."""

import json

import pytest

import lago_dyn
from lago_dyn import WireResponse

KEY = "sk_live_do_not_show_4f1c"


def lago_error(status, error, code):
    body = {"status": status, "error": error, "code": code}
    return lambda request: WireResponse(status, {"Content-Type": "application/json"}, json.dumps(body).encode())


@pytest.mark.parametrize("given, origin", [
    ({"api_key": KEY}, "the api_key argument"),
    ({}, "the LAGO_API_KEY environment variable"),
])
def test_a_refused_key_says_where_it_came_from_never_what_it_is(monkeypatch, given, origin):
    monkeypatch.setenv("LAGO_API_KEY", KEY)
    client = lago_dyn.Client(base_url="http://lago.test/api/v1", transport=lago_dyn.MockTransport(
        lago_error(401, "Unauthorized", None)), **given)
    with pytest.raises(lago_dyn.UnauthorizedError) as caught:
        client.customers.find_customer("c-1")
    assert str(caught.value) == f"findCustomer: HTTP 401 Unauthorized. Check the API key: it came from {origin}"
    assert KEY not in str(caught.value) and KEY not in repr(vars(caught.value))


def test_a_base_url_without_the_servers_path_is_named_with_every_404():
    client = lago_dyn.Client(base_url="http://127.0.0.1:3000", api_key=KEY, transport=lago_dyn.MockTransport(
        lago_error(404, "Not Found", "route_not_found")))
    with pytest.raises(lago_dyn.NotFoundError) as caught:
        client.customers.find_customer("c-1")
    assert str(caught.value) == (
        "findCustomer: HTTP 404 Not Found [route_not_found]. GET /customers/{external_id} was not found: base_url "
        "'http://127.0.0.1:3000' does not end with the spec's server path '/api/v1'; did you mean "
        "'http://127.0.0.1:3000/api/v1'?")


def test_an_unknown_route_names_the_method_and_path():
    client = lago_dyn.Client(base_url="http://127.0.0.1:3000/api/v1", api_key=KEY,
                             transport=lago_dyn.MockTransport(lago_error(404, "Not Found", "route_not_found")))
    with pytest.raises(lago_dyn.NotFoundError, match=r"The server has no route GET /customers/\{external_id\}"):
        client.customers.find_customer("c-1")
    found = lago_dyn.Client(base_url="http://127.0.0.1:3000/api/v1", api_key=KEY,
                            transport=lago_dyn.MockTransport(lago_error(404, "Not Found", "customer_not_found")))
    with pytest.raises(lago_dyn.NotFoundError) as caught:
        found.customers.find_customer("c-1")
    assert caught.value.hint == ""  # a missing customer is the answer, not a misconfiguration


@pytest.mark.parametrize("url, shown", [
    ("localhost:3000", "not 'localhost:3000'; did you mean 'http://localhost:3000'?"),
    ("ftp://user:secret@files.test/api?key=k", "not 'ftp://files.test/api'"),
    ("/api/v1", "not '/api/v1' (the spec declares a relative server; pass base_url=)"),
])
def test_a_malformed_base_url_is_echoed_as_given_less_its_secrets(url, shown):
    with pytest.raises(lago_dyn.ConfigurationError) as caught:
        lago_dyn.Client(base_url=url, api_key=KEY)
    assert str(caught.value).endswith(shown)
    assert "secret" not in str(caught.value) and "key=k" not in str(caught.value)


def test_an_operation_looked_up_by_a_wrong_name_is_our_error_with_the_closest_names():
    client = lago_dyn.Client(base_url="http://lago.test/api/v1", api_key=KEY)
    with pytest.raises(lago_dyn.OperationNotFoundError) as caught:
        client.operations["find_custmer"]
    assert isinstance(caught.value, KeyError)  # what code catching a missing key expects
    assert str(caught.value).endswith("has no operation 'find_custmer'; did you mean 'find_customer'?")
    assert client.operations.get("find_custmer") is None


def test_a_read_whose_answer_breaks_the_spec_is_not_said_to_have_taken_effect():
    answer = WireResponse(200, {"Content-Type": "application/json"}, b'{"customer": {"external_id": 7}}')
    client = lago_dyn.Client(base_url="http://lago.test/api/v1", api_key=KEY,
                             transport=lago_dyn.MockTransport(lambda request: answer))
    with pytest.raises(lago_dyn.ResponseValidationError) as caught:
        client.customers.find_customer("c-1")
    assert str(caught.value).startswith("findCustomer: the server answered 200, but the answer does not match")


def test_a_missing_update_says_that_lagos_create_updates(spec_1_51):
    client = lago_dyn.Client(spec_1_51, base_url="http://lago.test/api/v1", api_key=KEY)
    said = "Lago has no update_customer: create_customer creates or updates (it matches on external_id)"
    for lookup in (lambda: client.customers.update_customer, lambda: client.update_customer,
                   lambda: client.operations["update_customer"], lambda: client.operation("update_customer")):
        with pytest.raises(lago_dyn.OperationNotFoundError) as caught:
            lookup()
        assert said in str(caught.value) and "did you mean" not in str(caught.value)
    generic = lago_dyn.Client(spec_1_51, base_url="http://lago.test/api/v1", api_key=KEY, profile=lago_dyn.GENERIC)
    with pytest.raises(lago_dyn.OperationNotFoundError, match="did you mean"):
        generic.update_customer
