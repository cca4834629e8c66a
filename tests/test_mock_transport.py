"""`lago_dyn.MockTransport` / `AsyncMockTransport`: a user's test answers calls from a function, and the
answers go through the real send loop (retries, redirects, errors by status), with every request kept."""

import json
import sys

import pytest

import lago_dyn
from lago_dyn import WireRequest, WireResponse

CUSTOMER = {"customer": {"lago_id": "5eb02857-a71e-4ea2-bcf9-57d3a41bc6ba", "external_id": "c-1", "name": "Acme",
                         "sequential_id": 1, "slug": "c-1", "created_at": "2024-01-01T00:00:00Z",
                         "applicable_timezone": "UTC", "currency": "EUR"}}


def json_answer(status: int, body, **headers) -> WireResponse:
    return WireResponse(status, {"Content-Type": "application/json", **headers}, json.dumps(body).encode())


def test_a_call_is_answered_by_the_handler_and_the_request_is_kept(default_spec):
    transport = lago_dyn.MockTransport(lambda request: json_answer(200, CUSTOMER))
    client = lago_dyn.Client(default_spec, base_url="http://lago.test/api/v1", api_key="k",
                             transport=transport, response_validation="off")
    result = client.customers.create_customer({"customer": {"external_id": "c-1", "name": "Acme"}})
    assert result.customer.external_id == "c-1"
    [sent] = transport.requests
    assert (sent.method, sent.url) == ("POST", "http://lago.test/api/v1/customers")
    assert json.loads(sent.body) == {"customer": {"external_id": "c-1", "name": "Acme"}}


def test_a_503_is_retried_by_the_send_loop_and_a_404_is_its_exception(default_spec):
    answers = iter([json_answer(503, {}, **{"Retry-After": "0"}), json_answer(200, CUSTOMER),
                    json_answer(404, {"status": 404, "error": "Not Found", "code": "customer_not_found"})])
    transport = lago_dyn.MockTransport(lambda request: next(answers))
    client = lago_dyn.Client(default_spec, base_url="http://lago.test/api/v1", api_key="k", transport=transport,
                             response_validation="off")
    assert client.customers.find_customer("c-1").customer.name == "Acme"
    assert len(transport.requests) == 2  # the 503, then its retry
    with pytest.raises(lago_dyn.NotFoundError) as caught:
        client.customers.find_customer("c-2")
    assert caught.value.code == "customer_not_found"
    assert transport.requests[-1].url.endswith("/customers/c-2")


def test_a_handler_that_returns_something_else_is_told_what_to_return(default_spec):
    client = lago_dyn.Client(default_spec, base_url="http://lago.test/api/v1", api_key="k",
                             transport=lago_dyn.MockTransport(lambda request: {"status": 200}))
    with pytest.raises(TypeError, match="returns a lago_dyn.WireResponse, not dict"):
        client.customers.find_customer("c-1")


@pytest.mark.skipif(sys.version_info < (3, 11), reason="AsyncClient needs Python 3.11+ (httpx2)")
@pytest.mark.anyio
async def test_the_async_client_takes_an_async_handler(default_spec):
    async def handler(request: WireRequest) -> WireResponse:
        return json_answer(200, CUSTOMER)

    transport = lago_dyn.AsyncMockTransport(handler)
    async with lago_dyn.AsyncClient(default_spec, base_url="http://lago.test/api/v1", api_key="k",
                                    transport=transport, response_validation="off") as client:
        result = await client.customers.find_customer("c-1")
    assert result.customer.currency == "EUR"
    assert [request.method for request in transport.requests] == ["GET"]
