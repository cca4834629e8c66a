"""With OpenTelemetry installed, each call is one span named by its operationId with the templated route,
method, status and the API's error code; no credential and no path or query value in any attribute."""

import sys

import pytest

import lago_dyn
from conftest import API_KEY

trace = pytest.importorskip("opentelemetry.trace")
sdk_trace = pytest.importorskip("opentelemetry.sdk.trace")
from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: E402
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: E402

SECRET_VALUES = ("c-secret-id-9", API_KEY, "q-secret-7")


@pytest.fixture(scope="module")
def exporter():
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, sdk_trace.TracerProvider):  # a provider is set once per process
        provider = sdk_trace.TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(exporter):
    exporter.clear()
    yield exporter.get_finished_spans
    exporter.clear()


def no_secret_in(finished):
    for span in finished:
        text = repr(dict(span.attributes)) + repr(span.status.description) + span.name
        assert not any(secret in text for secret in SECRET_VALUES), text


def test_a_call_and_a_failed_call_are_spans_with_the_route_not_the_values(lago, default_spec, spans):
    with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY) as client:
        client.create_customer({"customer": {"external_id": "c-secret-id-9"}})
        with pytest.raises(lago_dyn.NotFoundError):
            client.customers.find_customer("nobody-q-secret-7")
    created, missing = spans()
    assert (created.name, missing.name) == ("createCustomer", "findCustomer")
    assert created.kind == trace.SpanKind.CLIENT
    assert dict(created.attributes) == {
        "http.request.method": "POST", "url.template": "/customers", "server.address": "127.0.0.1",
        "server.port": int(lago.base_url.split(":")[2].split("/")[0]), "lago_dyn.operation": "create_customer",
        "http.response.status_code": 200}
    assert missing.attributes["url.template"] == "/customers/{external_id}"
    assert missing.attributes["http.response.status_code"] == 404
    assert missing.attributes["error.type"] == "NotFoundError"
    assert missing.attributes["lago_dyn.error.code"] == "customer_not_found"
    assert missing.status.status_code == trace.StatusCode.ERROR
    no_secret_in([created, missing])


def test_a_request_refused_before_sending_is_a_span_without_a_status(default_spec, spans):
    client = lago_dyn.Client(default_spec, base_url="http://127.0.0.1:9/api/v1", api_key=API_KEY)
    with pytest.raises(lago_dyn.RequestValidationError):
        client.create_customer({"customer": {"external_id": 1, "email": "q-secret-7"}})
    [refused] = spans()
    assert refused.attributes["error.type"] == "RequestValidationError"
    assert "http.response.status_code" not in refused.attributes
    no_secret_in([refused])


@pytest.mark.skipif(sys.version_info < (3, 11), reason="AsyncClient needs Python 3.11+ (httpx2)")
@pytest.mark.anyio
async def test_an_async_call_is_a_span_too(lago, default_spec, spans):
    async with lago_dyn.AsyncClient(default_spec, base_url=lago.base_url, api_key=API_KEY) as client:
        await client.create_customer({"customer": {"external_id": "c-secret-id-9"}})
    [created] = spans()
    assert created.name == "createCustomer" and created.attributes["http.response.status_code"] == 200
    no_secret_in([created])


@pytest.mark.parametrize("setup", [
    "sys.modules['opentelemetry'] = None  # as if the extra were not installed",
    "pass  # the extra installed, and no tracer provider set",
], ids=["not-installed", "installed-no-provider"])
def test_without_a_tracer_provider_nothing_of_opentelemetry_is_imported_and_calls_work(setup):
    import subprocess

    code = (f"import sys\n{setup}\n"
            "import lago_dyn\n"
            "answer = lago_dyn.WireResponse(200, {'Content-Type': 'application/json'}, b'{\"customer\": {}}')\n"
            "client = lago_dyn.Client(api_key='k', transport=lago_dyn.MockTransport(lambda request: answer),\n"
            "                         response_validation='off')\n"
            "print(client.find_customer('c-1').customer == {},\n"
            "      [name for name in sys.modules if name.startswith('opentelemetry') and sys.modules[name]])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.split(None, 1) == ["True", "[]\n"], done.stderr


def test_a_provider_set_after_the_first_call_traces_the_next_ones():
    """The check is made at every call: a program that sets its provider late (after a client made
    calls) gets spans from then on."""
    import subprocess

    code = ("import lago_dyn\n"
            "answer = lago_dyn.WireResponse(200, {'Content-Type': 'application/json'}, b'{\"customer\": {}}')\n"
            "client = lago_dyn.Client(api_key='k', transport=lago_dyn.MockTransport(lambda request: answer),\n"
            "                         response_validation='off')\n"
            "client.find_customer('c-1')\n"
            "from opentelemetry import trace\n"
            "from opentelemetry.sdk.trace import TracerProvider\n"
            "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
            "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
            "exporter = InMemorySpanExporter()\n"
            "provider = TracerProvider()\n"
            "provider.add_span_processor(SimpleSpanProcessor(exporter))\n"
            "trace.set_tracer_provider(provider)\n"
            "client.find_customer('c-2')\n"
            "print([span.name for span in exporter.get_finished_spans()])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "['findCustomer']", done.stderr
