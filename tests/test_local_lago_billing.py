"""LocalLago that bills (issue 23): state for any spec, and Lago's usage -> invoice -> webhook chain with
real numbers, on the real 1.51.0 spec. Everything talks to 127.0.0.1; webhooks are awaited, never slept on."""

from __future__ import annotations

import json
import queue
import threading
from datetime import datetime, timezone
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer

import pytest
import requests

import lago_dyn
from lago_dyn.lago import billing
from lago_dyn.lago.billing import Event
from lago_dyn.testing import LocalLago

KEY = "sk_local_lago_test"
JAN_10 = datetime(2027, 1, 10, 12, 0, tzinfo=timezone.utc)


class Receiver:
    """A webhook receiver on 127.0.0.1: answers `statuses` in turn (then 200), queues what arrives."""

    def __init__(self, statuses=()):
        self.received: queue.Queue = queue.Queue()
        self.statuses = list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                if status == 200:
                    receiver.received.put((body, dict(self.headers.items())))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"

    def next(self, webhook_type, timeout=10):
        """The next webhook of that type (others are skipped), waiting at most `timeout` seconds."""
        while True:
            body, headers = self.received.get(timeout=timeout)
            if json.loads(body)["webhook_type"] == webhook_type:
                return body, headers

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def test_the_billing_flow_on_lago_1_51(spec_1_51, receiver):
    with LocalLago(spec_1_51, api_key=KEY) as lago:
        lago.now = JAN_10
        client = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=KEY)
        with pytest.raises(lago_dyn.UnauthorizedError) as refused:
            lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key="another").find_all_plans()
        assert refused.value.body == {"status": 401, "error": "Unauthorized"}

        client.create_webhook_endpoint({"webhook_endpoint": {"webhook_url": receiver.url, "signature_algo": "hmac"}})
        metric = client.create_billable_metric({"billable_metric": {
            "name": "API calls", "code": "api_calls", "aggregation_type": "count_agg"}}).billable_metric
        assert (metric.code, metric.name, metric.aggregation_type) == ("api_calls", "API calls", "count_agg")
        charge = {"billable_metric_id": metric.lago_id, "charge_model": "standard", "properties": {"amount": "0.01"}}
        plan = client.create_plan({"plan": {"name": "Startup", "code": "startup", "interval": "monthly",
                                            "amount_cents": 100000, "amount_currency": "EUR",
                                            "pay_in_advance": False, "charges": [charge]}}).plan
        assert (plan.amount_cents, plan.amount_currency, len(plan.charges)) == (100000, "EUR", 1)
        assert plan.charges[0].billable_metric_code == "api_calls"

        customer = client.create_customer({"customer": {"external_id": "cust-1", "name": "Acme",
                                                        "currency": "EUR"}}).customer
        assert "email" not in customer and customer.currency == "EUR"  # nothing invented
        with pytest.raises(lago_dyn.NotFoundError) as missing_plan:
            client.create_subscription({"subscription": {"external_customer_id": "cust-1", "plan_code": "premium",
                                                         "external_id": "sub-42"}})
        assert missing_plan.value.code == "plan_not_found"
        subscription = client.create_subscription({"subscription": {
            "external_customer_id": "cust-1", "plan_code": "startup", "external_id": "sub-42"}}).subscription
        assert (subscription.plan_code, subscription.external_id, subscription.status) == ("startup", "sub-42", "active")
        assert subscription.current_billing_period_started_at.startswith("2027-01-01")

        events = [{"transaction_id": f"tr-{i}", "external_subscription_id": "sub-42", "code": "api_calls"}
                  for i in range(100)]
        client.create_batch_events({"events": events[:50]})
        for event in events[50:]:
            client.create_event({"event": event})
        for event in events[:10]:  # resent: Lago refuses a transaction_id it has, and counts it once
            with pytest.raises(lago_dyn.UnprocessableEntityError) as again:
                client.create_event({"event": event})
            assert again.value.error_details == {"transaction_id": ["value_already_exist"]}
        assert client.find_event("tr-7").event.transaction_id == "tr-7"
        listed = client.find_all_events(external_subscription_id="sub-42", per_page=40, page=3)
        assert len(listed.events) == 20 and listed.meta.total_count == 100 and listed.meta.next_page is None

        usage = client.find_customer_current_usage("cust-1", "sub-42").customer_usage
        assert (usage.currency, usage.amount_cents, usage.taxes_amount_cents) == ("EUR", 100, 0)
        assert [(u.units, u.events_count, u.amount_cents) for u in usage.charges_usage] == [("100.0", 100, 100)]
        with pytest.raises(lago_dyn.NotFoundError):
            client.find_customer_current_usage("nobody", "sub-42")

        terminated = client.destroy_subscription("sub-42").subscription
        assert terminated.status == "terminated" and terminated.terminated_at
        with pytest.raises(lago_dyn.NotFoundError):
            client.find_subscription("sub-42")
        invoices = client.find_all_invoices(per_page=10)
        assert invoices.meta.total_count == 1 and invoices.meta.next_page is None
        invoice = client.find_invoice(invoices.invoices[0].lago_id).invoice  # a list shows no fees (the spec's)
        charge_fee = next(f for f in invoice.fees if f.item.type == "charge")
        subscription_fee = next(f for f in invoice.fees if f.item.type == "subscription")
        assert (charge_fee.amount_cents, charge_fee.amount_currency, charge_fee.units) == (100, "EUR", "100.0")
        assert subscription_fee.amount_cents == 3226  # 1 000 EUR for 1 day of January's 31
        assert invoice.fees_amount_cents == 3326 and invoice.taxes_amount_cents == 0
        assert invoice.total_amount_cents == 3326 and invoice.currency == "EUR"
        assert client.find_all_customer_invoices("cust-1").invoices[0].lago_id == invoice.lago_id

        body, headers = receiver.next("invoice.created")
        checked = client.webhooks.verify(body, headers, hmac_key=lago.hmac_key)
        assert checked.invoice.lago_id == invoice.lago_id and checked.invoice.fees_amount_cents == 3326
        lago.wait_for_webhooks()
        kinds = [d.webhook_type for d in lago.webhooks]
        for kind in ("customer.created", "subscription.started", "subscription.terminated", "invoice.created"):
            assert kind in kinds


def test_jwt_webhooks_verify_with_the_key_lago_serves(spec_1_51, receiver):
    with LocalLago(spec_1_51) as lago:
        client = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=KEY)
        client.create_webhook_endpoint({"webhook_endpoint": {"webhook_url": receiver.url, "signature_algo": "jwt"}})
        client.create_customer({"customer": {"external_id": "c-jwt"}})
        body, headers = receiver.next("customer.created")
        assert headers["X-Lago-Signature-Algorithm"] == "jwt"
        assert client.webhooks.verify(body, headers).customer.external_id == "c-jwt"
        with pytest.raises(lago_dyn.WebhookSignatureError):
            client.webhooks.verify(body.replace(b"c-jwt", b"c-xxx"), headers)


def test_webhook_delivery_retries_a_failing_receiver(spec_1_51):
    failing = Receiver(statuses=[500, 503])
    try:
        with LocalLago(spec_1_51, webhook_retry_wait=0.01) as lago:
            client = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=KEY)
            client.create_webhook_endpoint({"webhook_endpoint": {"webhook_url": failing.url, "signature_algo": "hmac"}})
            client.create_customer({"customer": {"external_id": "c-retry"}})  # answered before any delivery
            body, headers = failing.next("customer.created")
            assert client.webhooks.verify(body, headers, hmac_key=lago.hmac_key).customer.external_id == "c-retry"
            lago.wait_for_webhooks()
            assert lago.webhooks[0].attempts == [500, 503, 200] and lago.webhooks[0].delivered
    finally:
        failing.close()


def test_an_event_for_an_unknown_metric_is_kept_and_reported(spec_1_51, receiver):
    with LocalLago(spec_1_51) as lago:
        client = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=KEY)
        client.create_webhook_endpoint({"webhook_endpoint": {"webhook_url": receiver.url, "signature_algo": "hmac",
                                                             "event_types": ["event.error"]}})
        client.create_event({"event": {"transaction_id": "t-1", "external_subscription_id": "nope", "code": "nope"}})
        body, headers = receiver.next("event.error")
        assert client.webhooks.verify(body, headers, hmac_key=lago.hmac_key).webhook_type == "event.error"


def test_references_and_lago_ids(spec_1_51):
    with LocalLago(spec_1_51) as lago:
        client = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=KEY)
        with pytest.raises(lago_dyn.NotFoundError) as no_metric:
            client.create_plan({"plan": {"name": "P", "code": "p", "interval": "monthly", "amount_cents": 0,
                                         "amount_currency": "EUR", "pay_in_advance": False,
                                         "charges": [{"billable_metric_id": "00000000-0000-0000-0000-000000000000",
                                                      "charge_model": "standard", "properties": {"amount": "1"}}]}})
        assert no_metric.value.code == "billable_metric_not_found"
        body = {"billable_metric": {"name": "Storage", "code": "storage", "aggregation_type": "max_agg",
                                    "field_name": "gb"}}
        client.create_billable_metric(body)
        with pytest.raises(lago_dyn.UnprocessableEntityError) as taken:
            client.create_billable_metric(body)
        assert taken.value.error_details == {"code": ["value_already_exist"]}
        client.update_billable_metric("storage", {"billable_metric": {"name": "Disk"}})
        assert client.find_billable_metric("storage").billable_metric.name == "Disk"
        client.destroy_billable_metric("storage")
        with pytest.raises(lago_dyn.NotFoundError) as gone:
            client.find_billable_metric("storage")
        assert gone.value.code == "billable_metric_not_found"
        # Lago makes the customer a subscription names (api/v1/subscriptions_controller.rb)
        client.create_plan({"plan": {"name": "Free", "code": "free", "interval": "monthly", "amount_cents": 0,
                                     "amount_currency": "USD", "pay_in_advance": False}})
        client.create_subscription({"subscription": {"external_customer_id": "new", "plan_code": "free",
                                                     "external_id": "sub-new"}})
        assert client.find_customer("new").customer.external_id == "new"
        assert [s.external_id for s in client.find_all_customer_subscriptions("new").subscriptions] == ["sub-new"]
        with pytest.raises(lago_dyn.NotFoundError) as no_coupon:
            client.apply_coupon({"applied_coupon": {"external_customer_id": "new", "coupon_code": "none"}})
        assert no_coupon.value.code == "coupon_not_found"
        client.create_coupon({"coupon": {"name": "Welcome", "code": "welcome", "coupon_type": "fixed_amount",
                                         "amount_cents": 500, "amount_currency": "USD", "frequency": "once",
                                         "expiration": "no_expiration", "reusable": True}})
        applied = client.apply_coupon({"applied_coupon": {"external_customer_id": "new", "coupon_code": "welcome"}})
        assert (applied.applied_coupon.coupon_name, applied.applied_coupon.amount_cents) == ("Welcome", 500)
        assert "find_all_customers" not in lago.stateless_operations()
        assert "find_all_mrrs" in lago.stateless_operations()


def test_advancing_the_clock_invoices_the_period_that_ended(spec_1_51):
    with LocalLago(spec_1_51) as lago:
        lago.now = datetime(2027, 1, 1, tzinfo=timezone.utc)
        client = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=KEY)
        client.create_plan({"plan": {"name": "Base", "code": "base", "interval": "monthly", "amount_cents": 3100,
                                     "amount_currency": "EUR", "pay_in_advance": False}})
        client.create_subscription({"subscription": {"external_customer_id": "c", "plan_code": "base",
                                                     "external_id": "s"}})
        assert client.find_all_invoices().invoices == []
        lago.advance(days=31)
        invoices = client.find_all_invoices().invoices
        assert [i.fees_amount_cents for i in invoices] == [3100]
        assert client.find_subscription("s").subscription.current_billing_period_started_at.startswith("2027-02-01")


# -- each rule against a worked example of Lago's documentation ------------------------------------------

def _events(*pairs, field="pageviews"):
    return [Event(f"t-{i}", "tracked_pages", when, {field: value, "tracked_user_id": "1234-5678-9098-7654"})
            for i, (when, value) in enumerate(pairs)]


@pytest.mark.parametrize("aggregation, expected", [
    ("count_agg", Decimal(2)), ("sum_agg", Decimal(30)), ("max_agg", Decimal(20)), ("latest_agg", Decimal(20)),
    ("unique_count_agg", Decimal(1)), ("weighted_sum_agg", Decimal("14.84")),
])
def test_aggregations_match_lagos_aggregation_examples(aggregation, expected):
    """getlago.com/docs/v2/guide/billable-metrics/aggregation-types/aggregation-examples: pageviews 10 on
    January 16 and 20 on January 17, a January 2027 billing period."""
    start, end = datetime(2027, 1, 1, tzinfo=timezone.utc), datetime(2027, 2, 1, tzinfo=timezone.utc)
    events = _events((datetime(2027, 1, 16, tzinfo=timezone.utc), 10), (datetime(2027, 1, 17, tzinfo=timezone.utc), 20))
    field = "tracked_user_id" if aggregation == "unique_count_agg" else "pageviews"
    chosen = billing.matching(events, "tracked_pages", start, end)
    result = billing.aggregate(aggregation, chosen, field, start, end)
    assert round(result.units, 2) == expected


def test_filters_keep_only_matching_events():
    when = datetime(2027, 1, 2, tzinfo=timezone.utc)
    events = [Event("a", "gb", when, {"region": "eu", "gb": 3}), Event("b", "gb", when, {"region": "us", "gb": 5})]
    chosen = billing.matching(events, "gb", when, datetime(2027, 2, 1, tzinfo=timezone.utc), {"region": ["eu"]})
    assert billing.aggregate("sum_agg", chosen, "gb").units == 3


@pytest.mark.parametrize("model, properties, units, expected", [
    ("standard", {"amount": "0.01"}, 100, Decimal("1.00")),
    # charge-models/graduated: $1 for the first 100 units, $0.50 for the next 100, $0.10 after: 250 -> 155
    ("graduated", {"graduated_ranges": [
        {"from_value": 0, "to_value": 100, "per_unit_amount": "1", "flat_amount": "0"},
        {"from_value": 101, "to_value": 200, "per_unit_amount": "0.5", "flat_amount": "0"},
        {"from_value": 201, "to_value": None, "per_unit_amount": "0.1", "flat_amount": "0"}]}, 250, Decimal(155)),
    # charge-models/volume: 65,000 calls x $0.0006 + $10 = $49
    ("volume", {"volume_ranges": [
        {"from_value": 0, "to_value": 10000, "per_unit_amount": "0.001", "flat_amount": "10"},
        {"from_value": 10001, "to_value": 50000, "per_unit_amount": "0.0008", "flat_amount": "10"},
        {"from_value": 50001, "to_value": 100000, "per_unit_amount": "0.0006", "flat_amount": "10"},
        {"from_value": 100001, "to_value": None, "per_unit_amount": "0.0004", "flat_amount": "10"}]}, 65000, Decimal(49)),
    # charge-models/package: $5 per 100 units, the first 100 free: 201 units -> $10
    ("package", {"amount": "5", "package_size": 100, "free_units": 100}, 201, Decimal(10)),
])
def test_charge_models_match_lagos_documentation(model, properties, units, expected):
    result = billing.Aggregate(Decimal(units), units)
    assert billing.charge_amount(model, properties, result) == expected


def test_percentage_charge_model():
    """charge-models/percentage: a rate on the amount past the free amount, a fixed fee per event past
    the free events (as percentage_service.rb counts them)."""
    values = tuple(Decimal(v) for v in (100, 200, 300, 400, 500))
    result = billing.Aggregate(sum(values), len(values), values)
    assert billing.charge_amount("percentage", {"rate": "1.2", "fixed_amount": "0.1"}, result) == Decimal("18.5")
    free = {"rate": "1.2", "fixed_amount": "0.1", "free_units_per_events": 3, "free_units_per_total_aggregation": "500"}
    assert billing.charge_amount("percentage", free, result) == Decimal("11.1")


# -- any spec --------------------------------------------------------------------------------------------

PETSTORE = {
    "openapi": "3.1.0", "info": {"title": "Pets", "version": "1"}, "servers": [{"url": "/v1"}],
    "paths": {
        "/pets": {
            "get": {"operationId": "listPets", "parameters": [
                {"name": "page", "in": "query", "schema": {"type": "integer"}},
                {"name": "per_page", "in": "query", "schema": {"type": "integer"}},
                {"name": "kind", "in": "query", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"pets": {"type": "array", "items": {"$ref": "#/components/schemas/Pet"}},
                                                     "meta": {"type": "object"}}}}}}}},
            "post": {"operationId": "createPet", "requestBody": {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/NewPet"}}}},
                "responses": {"201": {"description": "made", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/Pet"}}}}}}},
        "/pets/{petId}": {
            "parameters": [{"name": "petId", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {"operationId": "showPet", "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}},
                "404": {"description": "no"}}},
            "put": {"operationId": "updatePet", "requestBody": {"content": {"application/json": {"schema": {
                "$ref": "#/components/schemas/NewPet"}}}}, "responses": {
                "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}},
            "delete": {"operationId": "deletePet", "responses": {"204": {"description": "gone"}}}},
        "/owners": {"post": {"operationId": "createOwner", "requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Owner"}}}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Owner"}}}}}}}}},
        "/owners/{owner_code}": {"get": {"operationId": "findOwner", "parameters": [
            {"name": "owner_code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"owner": {"$ref": "#/components/schemas/Owner"}}}}}}}}},
        "/owners/{owner_code}/toys": {
            "parameters": [{"name": "owner_code", "in": "path", "required": True, "schema": {"type": "string"}}],
            "post": {"operationId": "createToy", "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "properties": {"toy": {"$ref": "#/components/schemas/Toy"}}}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"toy": {"$ref": "#/components/schemas/Toy"}}}}}}}},
            "get": {"operationId": "listToys", "responses": {"200": {"description": "ok", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "toys": {"type": "array", "items": {"$ref": "#/components/schemas/Toy"}}}}}}}}}},
        "/stats": {"get": {"operationId": "stats", "responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"type": "object", "properties": {"count": {"type": "integer"}}}}}}}}},
    },
    "components": {"schemas": {
        "NewPet": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "kind": {"type": "string"}, "tag": {"type": ["string", "null"]}}},
        "Owner": {"type": "object", "properties": {"code": {"type": "string"}, "name": {"type": "string"}}},
        "Toy": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
        "Pet": {"type": "object", "required": ["id", "name", "tag"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string"}, "kind": {"type": "string"},
            "tag": {"type": ["string", "null"]}, "created_at": {"type": "string", "format": "date-time"}}},
    }},
}


def test_generic_statefulness_on_a_petstore():
    with LocalLago(PETSTORE, require_auth=False) as lago:
        url = lago.base_url + "/pets"
        made = [requests.post(url, json={"name": f"pet-{i}", "kind": "cat" if i % 2 else "dog"}).json()
                for i in range(5)]
        assert made[0]["name"] == "pet-0" and made[0]["tag"] is None and isinstance(made[0]["id"], int)
        assert "created_at" in made[0] and "owner" not in made[0]
        first = made[0]["id"]
        assert requests.get(f"{url}/{first}").json() == made[0]
        page = requests.get(url, params={"page": 2, "per_page": 2}).json()
        assert [p["name"] for p in page["pets"]] == ["pet-2", "pet-3"]
        assert page["meta"] == {"current_page": 2, "next_page": 3, "prev_page": 1, "total_pages": 3, "total_count": 5}
        assert [p["name"] for p in requests.get(url, params={"kind": "cat"}).json()["pets"]] == ["pet-1", "pet-3"]
        assert requests.put(f"{url}/{first}", json={"name": "Rex"}).json()["name"] == "Rex"
        assert requests.delete(f"{url}/{first}").status_code == 204
        assert requests.get(f"{url}/{first}").status_code == 404
        assert requests.put(f"{url}/{first}", json={"name": "Rex"}).status_code == 404
        assert lago.stateless_operations() == ["stats"]
        # a nested collection: its records belong to their parent, and a missing parent is a 404
        requests.post(lago.base_url + "/owners", json={"owner": {"code": "ann", "name": "Ann"}})
        requests.post(lago.base_url + "/owners", json={"owner": {"code": "bob"}})
        requests.post(lago.base_url + "/owners/ann/toys", json={"toy": {"name": "ball"}})
        assert [t["name"] for t in requests.get(lago.base_url + "/owners/ann/toys").json()["toys"]] == ["ball"]
        assert requests.get(lago.base_url + "/owners/bob/toys").json() == {"toys": []}
        assert requests.get(lago.base_url + "/owners/zed/toys").status_code == 404


def test_serve_with_an_api_key_refuses_any_other(tmp_path):
    import signal
    import subprocess
    import sys

    from conftest import shared_spec

    server = subprocess.Popen([sys.executable, "-m", "lago_dyn", "serve", "--spec", str(shared_spec("1.51.0")),
                               "--api-key", KEY], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()  # printed once it listens
        wrong = requests.get(f"{base_url}/plans", headers={"Authorization": "Bearer nope"}, timeout=10)
        assert (wrong.status_code, wrong.json()) == (401, {"status": 401, "error": "Unauthorized"})
        made = requests.post(f"{base_url}/billable_metrics", headers={"Authorization": f"Bearer {KEY}"}, timeout=10,
                             json={"billable_metric": {"name": "Calls", "code": "calls", "aggregation_type": "count_agg"}})
        assert made.status_code == 200
        found = requests.get(f"{base_url}/billable_metrics/calls", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
        assert found.json()["billable_metric"]["name"] == "Calls"
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=20) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "Traceback" not in server.stderr.read()


@pytest.mark.parametrize("version", ["1.6.4", "1.21.0", "1.51.0"])
def test_the_readme_flow_on_every_release(version):
    """The README's LocalLago example, as a user copies it, on each Lago release the project knows."""
    from conftest import shared_spec

    SPEC = shared_spec(version)
    received = queue.Queue()

    class Receiver(BaseHTTPRequestHandler):           # your webhook endpoint, on 127.0.0.1
        def do_POST(self):
            received.put((self.rfile.read(int(self.headers["Content-Length"])), dict(self.headers)))

        def log_message(self, *args):
            pass
            self.send_response(200)
            self.end_headers()

    hooks = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()

    with LocalLago(SPEC, api_key="test-key") as lago:
        client = lago_dyn.Client(lago.spec, base_url=lago.base_url, api_key="test-key")
        client.create_webhook_endpoint({"webhook_endpoint": {
            "webhook_url": f"http://127.0.0.1:{hooks.server_port}/", "signature_algo": "hmac"}})
        metric = client.create_billable_metric({"billable_metric": {
            "name": "API calls", "code": "api_calls", "aggregation_type": "count_agg"}}).billable_metric
        client.create_plan({"plan": {
            "name": "Startup", "code": "startup", "interval": "monthly", "amount_cents": 0,
            "amount_currency": "EUR", "pay_in_advance": False,
            "charges": [{"billable_metric_id": metric.lago_id, "charge_model": "standard",
                         "properties": {"amount": "0.01"}}]}})
        client.create_customer({"customer": {"external_id": "acme", "currency": "EUR"}})
        client.create_subscription({"subscription": {
            "external_customer_id": "acme", "plan_code": "startup", "external_id": "sub-1"}})

        client.send_events({"transaction_id": f"call-{i}", "external_subscription_id": "sub-1",
                            "code": "api_calls"} for i in range(100))
        usage = client.find_customer_current_usage("acme", "sub-1").customer_usage
        assert (usage.charges_usage[0].units, usage.amount_cents) == ("100.0", 100)   # 100 x 0.01 EUR

        client.destroy_subscription("sub-1")
        while True:                                      # waits for the webhook, no sleep
            body, headers = received.get(timeout=10)
            if json.loads(body)["webhook_type"] == "invoice.created":
                break
        invoice = client.webhooks.verify(body, headers, hmac_key=lago.hmac_key).invoice
        assert invoice.fees_amount_cents == 100 and invoice.currency == "EUR"
    hooks.shutdown()


def test_taxes_set_up_are_applied(spec_1_51):
    """guide/taxes: the organization's default taxes, unless the customer (or the plan) names its own."""
    with LocalLago(spec_1_51) as lago:
        lago.now = JAN_10
        client = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=KEY)
        client.create_tax({"tax": {"name": "VAT", "code": "vat", "rate": "20", "applied_to_organization": True}})
        client.create_tax({"tax": {"name": "Reduced", "code": "reduced", "rate": "10"}})
        metric = client.create_billable_metric({"billable_metric": {
            "name": "Calls", "code": "calls", "aggregation_type": "count_agg"}}).billable_metric
        client.create_plan({"plan": {"name": "P", "code": "p", "interval": "monthly", "amount_cents": 3100,
                                     "amount_currency": "EUR", "pay_in_advance": False, "charges": [
                                         {"billable_metric_id": metric.lago_id, "charge_model": "standard",
                                          "properties": {"amount": "1"}}]}})
        with pytest.raises(lago_dyn.NotFoundError) as no_tax:
            client.create_customer({"customer": {"external_id": "x", "tax_codes": ["nope"]}})
        assert no_tax.value.code == "tax_not_found"
        assert client.create_customer({"customer": {"external_id": "reduced", "tax_codes": ["reduced"]}}
                                      ).customer.taxes[0].code == "reduced"
        for customer in ("default", "reduced"):
            client.create_subscription({"subscription": {"external_customer_id": customer, "plan_code": "p",
                                                         "external_id": f"s-{customer}"}})
            client.create_event({"event": {"transaction_id": f"e-{customer}", "external_subscription_id": f"s-{customer}",
                                           "code": "calls"}})
        usage = client.find_customer_current_usage("default", "s-default").customer_usage
        assert (usage.amount_cents, usage.taxes_amount_cents, usage.total_amount_cents) == (100, 20, 120)
        for customer, taxes in (("default", 20 + 20), ("reduced", 10 + 10)):
            client.destroy_subscription(f"s-{customer}")
            invoice_id = client.find_all_customer_invoices(customer).invoices[0].lago_id
            invoice = client.find_invoice(invoice_id).invoice
            assert invoice.fees_amount_cents == 100 + 100  # a day of 31 EUR over 31 days, and 1 EUR of usage
            assert (invoice.taxes_amount_cents, invoice.total_amount_cents) == (taxes, 200 + taxes)


def test_a_stuck_receiver_never_blocks_the_api(spec_1_51):
    gate, arrived = threading.Event(), threading.Event()

    class Stuck(BaseHTTPRequestHandler):
        def do_POST(self):
            arrived.set()
            gate.wait(10)  # holds the delivery until the test has used the API
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    hooks = ThreadingHTTPServer(("127.0.0.1", 0), Stuck)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    try:
        with LocalLago(spec_1_51) as lago:
            client = lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=KEY)
            client.create_webhook_endpoint({"webhook_endpoint": {
                "webhook_url": f"http://127.0.0.1:{hooks.server_address[1]}/", "signature_algo": "hmac"}})
            client.create_customer({"customer": {"external_id": "first"}})
            assert arrived.wait(10)  # its webhook is being delivered, and held
            for index in range(5):  # the API answers all the same
                client.create_customer({"customer": {"external_id": f"c-{index}"}})
            assert client.find_all_customers().meta.total_count == 6
            gate.set()
            assert lago.wait_for_webhooks(10)
            assert all(d.delivered for d in lago.webhooks) and len(lago.webhooks) == 6
    finally:
        gate.set()
        hooks.shutdown()
        hooks.server_close()
