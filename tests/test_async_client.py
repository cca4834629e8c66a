"""AsyncClient (issue 13, part 1): the same client as `Client` for asyncio code, over the wire to LocalLago.
The same names, signatures and docstrings, every operation a coroutine function, the seed's nine calls,
the three Lago releases bound alike, OAuth2 tokens fetched once for concurrent calls, and the
`local_lago` fixture of the pytest plugin."""

import asyncio
import inspect
from urllib.parse import parse_qsl

import pytest

import lago_dyn
from conftest import API_KEY, shared_spec
from test_any_spec import make_spec, server  # noqa: F401 - the recording server fixture
from test_oas32 import server as billing  # noqa: F401 - the OpenAPI 3.2 server fixture

pytestmark = pytest.mark.anyio


@pytest.fixture
async def aclient(lago, default_spec):
    async with lago_dyn.AsyncClient(default_spec, base_url=lago.base_url, api_key=API_KEY,
                                    retry=lago_dyn.RetryPolicy(retries=0)) as client:
        yield client


async def test_the_seeds_nine_calls_reach_the_server_as_the_generated_client_sends_them(aclient, lago):
    customers = aclient.customers
    sent = [
        (customers.create_customer({"customer": {"external_id": "c-1", "name": "Acme", "currency": "EUR"}}),
         "POST", "/api/v1/customers", ""),
        (customers.find_customer("c-1"), "GET", "/api/v1/customers/c-1", ""),
        (customers.find_all_customers(page=1, per_page=20), "GET", "/api/v1/customers", "page=1&per_page=20"),
        (customers.find_all_customer_past_usage("c-1", "sub-1", page=2, per_page=20), "GET",
         "/api/v1/customers/c-1/past_usage", "page=2&per_page=20&external_subscription_id=sub-1"),
        (customers.find_customer_current_usage("c-1", "sub-1"), "GET", "/api/v1/customers/c-1/current_usage",
         "external_subscription_id=sub-1"),
        (customers.generate_customer_checkout_url("c-1"), "POST", "/api/v1/customers/c-1/checkout_url", ""),
        (customers.get_customer_portal_url(external_customer_id="c-1"), "GET", "/api/v1/customers/c-1/portal_url", ""),
        (customers.delete_applied_coupon("c-1", "1a901a90-1a90-1a90-1a90-1a901a901a90"), "DELETE",
         "/api/v1/customers/c-1/applied_coupons/1a901a90-1a90-1a90-1a90-1a901a901a90", ""),
        (customers.destroy_customer(external_id="c-1"), "DELETE", "/api/v1/customers/c-1", ""),
    ]
    results = []
    for call, method, path, query in sent:  # one at a time: the server's customer store sees them in order
        results.append(await call)
        request = lago.requests[-1]
        assert (request.method, request.path, request.query) == (method, path, query)
        assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    created, found, page, usage, current, checkout, portal, coupon, deleted = results
    assert created.customer.external_id == found.customer.external_id == deleted.customer.external_id == "c-1"
    assert lago.requests[0].json == {"customer": {"external_id": "c-1", "name": "Acme", "currency": "EUR"}}
    assert [c.external_id for c in page.customers] == ["c-1"]
    assert usage.meta.current_page >= 1 and current.customer_usage.amount_cents >= 0
    assert checkout.customer.checkout_url.startswith("https://") and portal.customer.portal_url
    assert coupon.applied_coupon.status in ("active", "terminated")
    with pytest.raises(lago_dyn.NotFoundError):
        await customers.find_customer("c-1")


async def test_operations_are_coroutine_functions_with_the_sync_signature_and_docstring(aclient, lago, default_spec):
    sync = lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY)
    for name, function in aclient.operations.items():
        twin = sync.operations[name]
        assert inspect.iscoroutinefunction(function) and asyncio.iscoroutinefunction(function.with_http_info)
        assert inspect.signature(function) == inspect.signature(twin)
        assert function.__doc__ == twin.__doc__ and function.__name__ == twin.__name__
    assert aclient.create_customer is aclient.customers.create_customer is aclient.operation("createCustomer")
    assert inspect.signature(lago_dyn.AsyncClient) == inspect.signature(lago_dyn.Client)
    # the same names, but for the lifecycle
    assert dir(aclient) == sorted({*dir(sync), "aclose", "create"} - {"close"})
    sync.close()


async def test_wrong_arguments_raise_at_the_call_like_any_async_def(aclient, lago):
    with pytest.raises(TypeError, match="did you mean 'per_page'"):
        aclient.find_all_customers(perpage=3)  # not awaited: Python binds arguments when the coroutine is made
    with pytest.raises(TypeError, match="multiple values"):
        aclient.find_customer("a", external_id="b")
    with pytest.raises(lago_dyn.RequestValidationError, match="body.customer.external_id"):
        await aclient.create_customer({"customer": {"name": "no id"}})
    with pytest.raises(lago_dyn.OperationNotFoundError, match="did you mean 'find_customer'"):
        aclient.customers.find_custmer
    assert lago.requests == []


async def test_with_http_info_and_lazy_pages(aclient, lago):
    info = await aclient.customers.create_customer.with_http_info({"customer": {"external_id": "p-0"}})
    assert (info.status_code, info.data.customer.external_id) == (200, "p-0")
    for index in range(1, 7):
        await aclient.create_customer({"customer": {"external_id": f"p-{index}"}})
    before = len(lago.requests)
    pages = aclient.paginate("find_all_customers", per_page=3)
    assert len(lago.requests) == before  # nothing fetched until iterated
    assert [c.external_id async for c in pages] == [f"p-{index}" for index in range(7)]
    assert [r.query for r in lago.requests[before:]] == ["page=1&per_page=3", "page=2&per_page=3", "page=3&per_page=3"]
    with pytest.raises(lago_dyn.OperationNotFoundError, match="not a paginated list operation"):
        [item async for item in aclient.paginate("find_customer", "p-1")]


async def test_paginate_with_progress_counts_every_item(aclient, lago, capsys, monkeypatch):
    from lago_dyn import progress

    monkeypatch.setattr(progress, "INTERVAL", 0.0)  # a line per item: every count is visible
    for index in range(3):
        await aclient.create_customer({"customer": {"external_id": f"q-{index}"}})
    assert len([c async for c in aclient.paginate("find_all_customers", per_page=2, progress=True)]) == 3
    lines = capsys.readouterr().err.splitlines()
    assert [line.split(" in ")[0] for line in lines] == ["find_all_customers: 1", "find_all_customers: 2",
                                                           "find_all_customers: 3", "find_all_customers: 3"]
    assert lines[-1].endswith(" done")  # the closing line, once the pages ran out


@pytest.mark.parametrize("version", ["1.6.4", "1.21.0", "1.51.0"])
async def test_each_lago_release_binds_the_same_operations_as_client(version, spec_1_51):
    spec = spec_1_51 if version == "1.51.0" else lago_dyn.load_spec(shared_spec(version), cache_dir=False)
    sync = lago_dyn.Client(spec, base_url="http://127.0.0.1:9/api/v1", api_key=API_KEY)
    async with lago_dyn.AsyncClient(spec, base_url="http://127.0.0.1:9/api/v1", api_key=API_KEY) as client:
        assert client.spec is sync.spec  # one Spec, one set of compiled validators
        assert list(client.operations) == list(sync.operations) and len(client.operations) > 80
        assert client.tags.keys() == sync.tags.keys()
        for name, function in client.operations.items():
            assert inspect.signature(function) == inspect.signature(sync.operations[name]), name
            assert list(getattr(client, tag) for tag in client.tags) and inspect.iscoroutinefunction(function)
        assert sorted(client.webhooks) == sorted(sync.webhooks)
    sync.close()


async def test_oauth2_tokens_are_fetched_once_for_many_concurrent_calls(server):  # noqa: F811
    credential = lago_dyn.OAuth2ClientCredentials("client-1", "client-secret", scopes=["read"])
    async with lago_dyn.AsyncClient(make_spec(server.base + "/token"), base_url=server.base + "/v1",
                                    auth={"oauth": credential}) as client:
        answers = await asyncio.gather(*(client.via_oauth() for _ in range(20)))
    assert answers == [{"ok": True}] * 20
    token_requests = [r for r in server.received if r["path"] == "/token"]
    assert len(token_requests) == 1 and credential.fetches == 1
    assert parse_qsl(token_requests[0]["body"].decode()) == [("grant_type", "client_credentials"), ("scope", "read")]
    calls = [r for r in server.received if r["path"] == "/v1/oauth"]
    assert len(calls) == 20 and {r["headers"]["Authorization"] for r in calls} == {"Bearer tok-1"}


async def test_a_users_httpx2_client_is_used_and_left_open(lago, default_spec):
    import httpx2
    import requests

    session = httpx2.AsyncClient(headers={"X-From-Session": "yes"})
    async with lago_dyn.AsyncClient(default_spec, base_url=lago.base_url, api_key=API_KEY, session=session) as client:
        await client.find_all_customers()
    assert lago.requests[-1].headers["X-From-Session"] == "yes"
    assert not session.is_closed  # the client did not close what it did not create
    await session.aclose()
    with pytest.raises(lago_dyn.ConfigurationError, match="must be an httpx2.AsyncClient, not requests.sessions.Session"):
        lago_dyn.AsyncClient(default_spec, base_url=lago.base_url, session=requests.Session())


async def test_create_loads_the_spec_without_stalling_the_event_loop(lago):
    ticks = 0

    async def heartbeat():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    beating = asyncio.create_task(heartbeat())
    client = await lago_dyn.AsyncClient.create(shared_spec("1.51.0"), base_url=lago.base_url, cache_dir=False)
    beating.cancel()
    assert len(client.operations) > 200
    assert ticks >= 10  # a 0.4 s parse on the loop's thread would have allowed none
    await client.aclose()


async def test_the_local_lago_fixture_serves_an_async_client(local_lago):
    async with lago_dyn.AsyncClient(base_url=local_lago.base_url, api_key="test") as client:
        await client.create_customer({"customer": {"external_id": "c-1"}})
        local_lago.reply("find_customer", status=404, body={"status": 404, "error": "Not Found",
                                                            "code": "customer_not_found"})
        with pytest.raises(lago_dyn.NotFoundError) as caught:
            await client.find_customer("c-1")
    assert caught.value.code == "customer_not_found"
    assert local_lago.requests[0].json == {"customer": {"external_id": "c-1"}}


async def test_openapi_3_2_calls_go_through_and_streamed_answers_stream(billing, oas32_spec):  # noqa: F811
    async with lago_dyn.AsyncClient(oas32_spec, base_url=f"http://127.0.0.1:{billing.server_port}/api",
                                    profile=lago_dyn.GENERIC, auth={"device": "device-token"}) as client:
        found = await client.search_invoices({"customer": "acme", "min_amount_cents": 10}, selector={"fields": ["number"]})
        assert found[0].number == "F-1" and billing.received[-1]["method"] == "QUERY"
        await client.purge_invoice("F-1")
        assert (billing.received[-1]["method"], billing.received[-1]["path"]) == ("PURGE", "/api/invoices/F-1")
        async with await client.stream_events(2) as events:
            assert [event.id async for event in events] == ["0", "1"]
        raw = await client.send("search_invoices", {"body": {"customer": "acme"}})
        assert raw.status == 200 and raw.content.startswith(b"[")  # the answer as it came, not decoded
