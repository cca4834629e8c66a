"""What lago-python-client does that a migrating user relies on: webhook signatures (JWT and HMAC), Lago's
rate-limit headers and 429 retries, a separate ingestion host for events, and events sent in bulk.
Every test talks HTTP to LocalLago on 127.0.0.1."""

import base64
import hashlib
import hmac
import json
import sys
from collections import Counter

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

import lago_dyn
from conftest import API_KEY
from lago_dyn.binding.examples import valid_example
from lago_dyn.testing import LocalLago
from lago_dyn.validation import WRITE

NO_RETRY = lago_dyn.RetryPolicy(retries=0)
HMAC_KEY = "org-hmac-key-3f9a"


def key_pair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public_pem


@pytest.fixture(scope="module")
def signing_keys():
    return key_pair()


@pytest.fixture(scope="module")
def payload(spec_1_51):
    """A `customer.created` webhook as Lago would send it: bytes, valid for the spec."""
    schema_uri = spec_1_51.webhooks["customer_created"].body.schema_uri
    return json.dumps(valid_example(spec_1_51, schema_uri, spec_1_51.validators, WRITE)).encode()


def jwt_headers(payload, private_key):
    token = jwt.encode({"data": payload.decode(), "iss": "https://api.getlago.com"}, private_key, algorithm="RS256")
    return {"X-Lago-Signature": token, "X-Lago-Signature-Algorithm": "jwt", "X-Lago-Unique-Key": "u-1"}


def hmac_headers(payload, key=HMAC_KEY):
    signature = base64.b64encode(hmac.new(key.encode(), payload, hashlib.sha256).digest()).decode()
    return {"X-Lago-Signature": signature, "X-Lago-Signature-Algorithm": "hmac"}


@pytest.fixture
def signing_lago(spec_1_51, signing_keys):
    with LocalLago(spec_1_51, webhook_public_key=signing_keys[1]) as lago:
        with lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=API_KEY, retry=NO_RETRY) as client:
            yield lago, client


# -- webhook signatures --------------------------------------------------------------------------------


def test_jwt_signed_webhook_is_verified_with_the_public_key_fetched_once(signing_lago, signing_keys, payload):
    lago, client = signing_lago
    for _ in range(5):
        received = client.webhooks.verify(payload, jwt_headers(payload, signing_keys[0]))
        assert received.webhook_type == "customer.created" and received.to_dict() == json.loads(payload)
    assert [r.operation for r in lago.requests] == ["fetch_json_public_key"]
    assert client.webhooks.verify(payload, jwt_headers(payload, signing_keys[0]), issuer="https://api.getlago.com")
    with pytest.raises(lago_dyn.WebhookSignatureError, match="issued by another Lago"):
        client.webhooks.verify(payload, jwt_headers(payload, signing_keys[0]), issuer="https://lago.example")


def test_jwt_tampered_payload_wrong_key_and_missing_header_are_refused(signing_lago, signing_keys, payload):
    _, client = signing_lago
    headers = jwt_headers(payload, signing_keys[0])
    tampered = payload.replace(b"customer.created", b"customer.updated")
    with pytest.raises(lago_dyn.WebhookSignatureError, match="payload is not the one the JWT signs"):
        client.webhooks.verify(tampered, headers)
    forged = jwt_headers(payload, key_pair()[0])
    with pytest.raises(lago_dyn.WebhookSignatureError, match="does not verify with the public key") as caught:
        client.webhooks.verify(payload, forged)
    assert forged["X-Lago-Signature"] not in str(caught.value)
    with pytest.raises(lago_dyn.WebhookSignatureError, match="X-Lago-Signature header is missing"):
        client.webhooks.verify(payload, {"X-Lago-Signature-Algorithm": "jwt"})
    with pytest.raises(lago_dyn.WebhookSignatureError, match="not a valid RS256 JWT"):
        client.webhooks.verify(payload, {**headers, "X-Lago-Signature": "not.a.jwt"})


def test_hmac_signed_webhook_valid_tampered_wrong_key_missing_header(signing_lago, payload):
    lago, client = signing_lago
    assert client.webhooks.verify(payload, hmac_headers(payload), hmac_key=HMAC_KEY).object_type == "customer"
    assert lago.requests == []  # HMAC needs no public key
    with pytest.raises(lago_dyn.WebhookSignatureError, match="does not match the payload") as caught:
        client.webhooks.verify(payload + b" ", hmac_headers(payload), hmac_key=HMAC_KEY)
    assert HMAC_KEY not in str(caught.value) and hmac_headers(payload)["X-Lago-Signature"] not in str(caught.value)
    with pytest.raises(lago_dyn.WebhookSignatureError, match="does not match the payload"):
        client.webhooks.verify(payload, hmac_headers(payload, key="another-org"), hmac_key=HMAC_KEY)
    with pytest.raises(lago_dyn.WebhookSignatureError, match="header is missing"):
        client.webhooks.verify(payload, {"X-Lago-Signature-Algorithm": "hmac"}, hmac_key=HMAC_KEY)
    with pytest.raises(lago_dyn.ConfigurationError, match="pass hmac_key="):
        client.webhooks.verify(payload, hmac_headers(payload))


def test_a_signed_payload_that_breaks_the_spec_is_a_validation_error(signing_lago):
    _, client = signing_lago
    bad = json.dumps({"webhook_type": "customer.created", "object_type": "customer"}).encode()
    with pytest.raises(lago_dyn.WebhookValidationError, match="customer"):
        client.webhooks.verify(bad, hmac_headers(bad), hmac_key=HMAC_KEY)


def test_standalone_verification_takes_the_key_as_lago_serves_it(signing_keys, payload):
    served = base64.b64encode(signing_keys[1])
    data = lago_dyn.verify_signature(payload, jwt_headers(payload, signing_keys[0]), public_key=served)
    assert data["webhook_type"] == "customer.created"
    assert lago_dyn.verify_signature(payload, hmac_headers(payload), hmac_key=HMAC_KEY) == json.loads(payload)
    with pytest.raises(lago_dyn.WebhookSignatureError, match="exact bytes"):
        lago_dyn.verify_signature(payload.decode(), hmac_headers(payload), hmac_key=HMAC_KEY)


# -- rate limits -----------------------------------------------------------------------------------------


def rate_headers(remaining, reset="30"):
    return {"x-ratelimit-limit": "100", "x-ratelimit-remaining": str(remaining), "x-ratelimit-reset": reset}


def test_on_rate_limit_sees_the_headers_on_every_answer(lago, default_spec):
    seen = []
    with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, retry=NO_RETRY,
                         on_rate_limit=seen.append) as client:
        page = client.find_all_customers().to_dict()
        assert seen == []  # no headers, no call
        for remaining in (7, 6):
            lago.reply("find_all_customers", body=page, headers=rate_headers(remaining), times=1)
            client.find_all_customers()
        lago.reply("find_customer", status=429, body={"status": 429, "error": "Too Many Requests"},
                   headers=rate_headers(0, reset="12"), times=1)
        with pytest.raises(lago_dyn.RateLimitError) as caught:
            client.find_customer("c-1")
    assert [(r.limit, r.remaining, r.reset, r.operation) for r in seen] == [
        (100, 7, 30, "find_all_customers"), (100, 6, 30, "find_all_customers"), (100, 0, 12, "find_customer")]
    assert seen[0].used == pytest.approx(0.93)
    assert caught.value.retry_after == 12.0 and caught.value.rate_limit.remaining == 0


@pytest.mark.parametrize("headers, expected", [
    ({"Retry-After": "2", "x-ratelimit-reset": "40"}, 2.0),
    ({"x-ratelimit-reset": "40"}, 40.0),
    ({"x-ratelimit-reset": "999999999"}, 3600.0),
    ({"x-ratelimit-reset": "soon"}, None),
])
def test_retry_after_prefers_retry_after_then_the_reset_bounded(client, lago, headers, expected):
    lago.reply("find_customer", status=429, body={"status": 429, "error": "Too Many Requests"}, headers=headers)
    with pytest.raises(lago_dyn.RateLimitError) as caught:
        client.find_customer("c-1")
    assert caught.value.retry_after == expected


def test_a_429_is_retried_for_a_post_but_a_503_is_not(lago, default_spec):
    policy = lago_dyn.RetryPolicy(retries=2, backoff=0.0)
    with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, retry=policy) as client:
        lago.reply("create_customer", status=429, body={"status": 429, "error": "Too Many Requests"},
                   headers={"Retry-After": "0"}, times=1)
        assert client.create_customer({"customer": {"external_id": "c-1"}}).customer.external_id == "c-1"
        assert [r.operation for r in lago.requests] == ["create_customer", "create_customer"]
        lago.requests.clear()
        lago.reply("create_customer", status=503, body={"status": 503, "error": "Unavailable"}, times=1)
        with pytest.raises(lago_dyn.ServerError):
            client.create_customer({"customer": {"external_id": "c-2"}})
        assert len(lago.requests) == 1  # the server may have processed it: never replayed
        lago.reply("find_customer", status=503, body={"status": 503, "error": "Unavailable"}, times=1)
        assert client.find_customer("c-1").customer.external_id == "c-1"  # a GET is


# -- ingestion host and bulk events ----------------------------------------------------------------------


@pytest.fixture
def api_and_ingest(spec_1_51):
    with LocalLago(spec_1_51) as api, LocalLago(spec_1_51) as ingest:
        yield api, ingest


def event(number):
    return {"external_subscription_id": "sub-1", "code": "api_calls", "properties": {"region": f"eu-{number}"}}


def test_events_go_to_the_ingestion_host_and_nothing_else_does(api_and_ingest, spec_1_51):
    api, ingest = api_and_ingest
    with lago_dyn.Client(spec_1_51, base_url=api.base_url, events_base_url=ingest.base_url, api_key=API_KEY,
                         retry=NO_RETRY) as client:
        client.create_event({"event": {**event(1), "transaction_id": "t-1"}})
        client.create_batch_events({"events": [{**event(2), "transaction_id": "t-2"}]})
        client.find_all_customers()
    assert [r.operation for r in ingest.requests] == ["create_event", "create_batch_events"]
    assert [r.operation for r in api.requests] == ["find_all_customers"]
    assert ingest.requests[0].headers["Authorization"] == f"Bearer {API_KEY}"
    with pytest.raises(lago_dyn.ConfigurationError):
        lago_dyn.Client(spec_1_51, base_url=api.base_url, events_base_url="ingest.example", api_key=API_KEY)


def test_send_events_batches_retries_and_never_counts_an_event_twice(api_and_ingest, spec_1_51):
    api, ingest = api_and_ingest
    progress = []
    ingest.reply("create_batch_events", status=503, body={"status": 503, "error": "Unavailable"}, times=1)
    events = ({**event(n), **({"transaction_id": f"mine-{n}"} if n % 100 == 7 else {})} for n in range(1050))
    with lago_dyn.Client(spec_1_51, base_url=api.base_url, events_base_url=ingest.base_url, api_key=API_KEY,
                         on_event=progress.append) as client:
        report = client.send_events(events, batch_size=100, backoff=0.0)
    assert (report.sent, report.batches, report.failures) == (1050, 11, [])
    batches = [r for r in ingest.requests if r.operation == "create_batch_events"]
    assert len(batches) == 12 and api.requests == []
    assert batches[0].json == batches[1].json  # the failed batch was resent with the same transaction ids
    accepted = Counter(e["transaction_id"] for r in batches[1:] for e in r.json["events"])
    assert len(accepted) == 1050 and set(accepted.values()) == {1}
    assert [len(r.json["events"]) for r in batches[1:]] == [100] * 10 + [50]
    assert {f"mine-{n}" for n in range(7, 1050, 100)} <= set(accepted)
    batch_events = [p for p in progress if p["event"] == "events_batch"]
    assert [p["sent"] for p in batch_events] == [100 * n for n in range(1, 11)] + [1050]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="AsyncClient needs Python 3.11+ (httpx2)")
@pytest.mark.anyio
async def test_the_async_client_sends_events_the_same_way(api_and_ingest, spec_1_51):
    api, ingest = api_and_ingest
    ingest.reply("create_batch_events", status=503, body={"status": 503, "error": "Unavailable"}, times=1)
    async with lago_dyn.AsyncClient(spec_1_51, base_url=ingest.base_url, api_key=API_KEY) as client:
        report = await client.send_events([event(n) for n in range(150)], batch_size=100, backoff=0.0)
    assert (report.sent, report.batches, report.failures) == (150, 2, [])
    batches = [r for r in ingest.requests if r.operation == "create_batch_events"]
    assert len(batches) == 3 and batches[0].json == batches[1].json  # resent with the same transaction ids


def test_a_refused_batch_is_reported_not_resent(api_and_ingest, spec_1_51):
    api, ingest = api_and_ingest
    ingest.reply("create_batch_events", status=422, body={"status": 422, "error": "Unprocessable Entity",
                                                          "code": "validation_errors"}, times=1)
    with lago_dyn.Client(spec_1_51, base_url=ingest.base_url, api_key=API_KEY) as client:
        report = client.send_events([event(n) for n in range(150)], batch_size=100, backoff=0.0)
    assert (report.sent, report.batches, report.failed) == (50, 2, 100)
    assert isinstance(report.failures[0].error, lago_dyn.UnprocessableEntityError)
    assert len(ingest.requests) == 2
    assert all(e["transaction_id"] for e in report.failures[0].events)  # resendable later, same ids
