"""Every call of the generated client's CustomersApi page (../shared/seed/CustomersApi.md), typed the
same way, against a real HTTP server on 127.0.0.1; the server records exactly what arrived."""

import json

import pytest

from conftest import API_KEY


def last(lago):
    assert lago.requests, "the server received nothing"
    return lago.requests[-1]


def assert_common_headers(request, body=False):
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.headers["Accept"] == "application/json"
    if body:
        assert request.headers["Content-Type"] == "application/json"
    else:
        assert "Content-Type" not in request.headers


def test_create_customer(client, lago):
    customer_create_input = {"customer": {"external_id": "c-1", "name": "Acme", "currency": "EUR"}}
    api_response = client.customers.create_customer(customer_create_input)
    request = last(lago)
    assert (request.method, request.path, request.query) == ("POST", "/api/v1/customers", "")
    assert_common_headers(request, body=True)
    assert request.json == customer_create_input
    assert api_response.customer.external_id == "c-1"
    assert api_response["customer"]["name"] == "Acme"
    assert api_response.to_dict()["customer"]["currency"] == "EUR"
    assert type(api_response.to_dict()["customer"]) is dict


def test_delete_applied_coupon(client, lago):
    result = client.customers.delete_applied_coupon("5eb02857-a71e-4ea2-bcf9-57d3a41bc6ba",
                                                    "1a901a90-1a90-1a90-1a90-1a901a901a90")
    request = last(lago)
    assert request.method == "DELETE"
    assert request.path == ("/api/v1/customers/5eb02857-a71e-4ea2-bcf9-57d3a41bc6ba"
                            "/applied_coupons/1a901a90-1a90-1a90-1a90-1a901a901a90")
    assert request.body == b""
    assert_common_headers(request)
    assert result.applied_coupon.status in ("active", "terminated")


def test_create_find_destroy_customer(client, lago):
    client.create_customer({"customer": {"external_id": "5eb02857"}})
    assert client.customers.find_customer("5eb02857").customer.external_id == "5eb02857"
    assert (last(lago).method, last(lago).path) == ("GET", "/api/v1/customers/5eb02857")
    deleted = client.customers.destroy_customer(external_id="5eb02857")
    assert (last(lago).method, last(lago).path) == ("DELETE", "/api/v1/customers/5eb02857")
    assert deleted.customer.external_id == "5eb02857"


def test_find_all_customer_past_usage_positional_then_keywords(client, lago):
    usage = client.find_all_customer_past_usage("c-1", "sub_1234567890", page=2, per_page=20,
                                                billable_metric_code="cpu", periods_count=5)
    request = last(lago)
    assert (request.method, request.path) == ("GET", "/api/v1/customers/c-1/past_usage")
    assert request.query_pairs == [("page", "2"), ("per_page", "20"), ("external_subscription_id", "sub_1234567890"),
                                   ("billable_metric_code", "cpu"), ("periods_count", "5")]
    assert isinstance(usage.usage_periods, list)
    assert usage.meta.current_page >= 1


def test_find_all_customers_sends_only_given_parameters(client, lago):
    client.customers.find_all_customers()
    assert last(lago).query == ""
    page = client.customers.find_all_customers(page=1, per_page=20)
    assert last(lago).query == "page=1&per_page=20"
    assert page.meta.total_count == 0 and page.customers == []


def test_find_customer_current_usage(client, lago):
    usage = client.customers.find_customer_current_usage("c-1", "sub-1")
    request = last(lago)
    assert (request.path, request.query) == ("/api/v1/customers/c-1/current_usage", "external_subscription_id=sub-1")
    assert usage.customer_usage.amount_cents >= 0


def test_generate_customer_checkout_url_posts_without_body(client, lago):
    result = client.customers.generate_customer_checkout_url("c-1")
    request = last(lago)
    assert (request.method, request.path, request.body) == ("POST", "/api/v1/customers/c-1/checkout_url", b"")
    assert result.customer.checkout_url.startswith("https://")


def test_get_customer_portal_url(client, lago):
    result = client.customers.get_customer_portal_url(external_customer_id="c-1")
    assert (last(lago).method, last(lago).path) == ("GET", "/api/v1/customers/c-1/portal_url")
    assert result.customer.portal_url


def test_flat_and_grouped_methods_are_the_same_operation(client):
    assert client.create_customer is client.customers.create_customer
    assert client.operation("createCustomer") is client.create_customer


def test_with_http_info_returns_status_headers_and_data(client):
    info = client.customers.create_customer.with_http_info({"customer": {"external_id": "c-9"}})
    assert info.status_code == 200
    assert info.headers["Content-Type"] == "application/json"
    assert info.data.customer.external_id == "c-9"
    assert json.loads(info.raw_data) == info.data


def test_wrong_arguments_are_python_type_errors(client, lago):
    with pytest.raises(TypeError, match="did you mean 'per_page'"):
        client.find_all_customers(perpage=3)
    with pytest.raises(TypeError, match="positional"):
        client.find_customer("a", "b")
    with pytest.raises(TypeError, match="multiple values"):
        client.find_customer("a", external_id="b")
    assert lago.requests == []


def test_call_options_set_timeout_and_extra_headers(client, lago):
    client.find_all_customers(_headers={"X-Trace": "t-1"}, _request_timeout=5)
    assert last(lago).headers["X-Trace"] == "t-1"


def test_paginate_walks_every_page_lazily(client, lago):
    for index in range(7):
        client.create_customer({"customer": {"external_id": f"p-{index}"}})
    before = len(lago.requests)
    pages = client.paginate("find_all_customers", per_page=3)
    assert len(lago.requests) == before  # nothing fetched until iterated
    assert [c.external_id for c in pages] == [f"p-{index}" for index in range(7)]
    fetched = lago.requests[before:]
    assert [r.query for r in fetched] == ["page=1&per_page=3",
                                          "page=2&per_page=3", "page=3&per_page=3"]
