"""`lago_dyn.lago_api`: code written for the generated `lago_api` client runs with its imports pointed here.
The seed's nine examples are read from ../shared/seed/CustomersApi.md and run against LocalLago."""

import contextlib
import datetime as dt
import inspect
import io
import re

import pytest

import lago_dyn
import lago_dyn.lago_api as lago_api
from conftest import API_KEY, SHARED, shared_spec
from lago_dyn.binding.examples import valid_example
from lago_dyn.lago_api.models import namespace
from lago_dyn.testing import LocalLago
from lago_dyn.validation import READ

SEED = SHARED / "seed" / "CustomersApi.md"
CUSTOMER_ID = "5eb02857-a71e-4ea2-bcf9-57d3a41bc6ba"
#: The one placeholder that fails in the generated client too: a CustomerCreateInput without its fields.
PLACEHOLDER = "lago_api.CustomerCreateInput()"
FILLED = (f"lago_api.CustomerCreateInput(customer=lago_api.CustomerCreateInputCustomer("
          f"external_id={CUSTOMER_ID!r}, name='Acme', currency='EUR'))")


def seed_examples():
    if not SEED.is_file():
        pytest.skip("../shared/seed/CustomersApi.md is not beside the project")
    text = SEED.read_text()
    return re.findall(r"^# \*\*(\w+)\*\*$.*?^```python\n(.*?)^```", text, flags=re.S | re.M)


def migrated(code):
    """Only the import lines change (and the placeholder above is filled)."""
    lines = []
    for line in code.splitlines():
        if line == "import lago_api":
            line = "import lago_dyn.lago_api as lago_api"
        elif line.startswith("from lago_api"):
            line = "from lago_dyn." + line[len("from "):]
        lines.append(line)
    return "\n".join(lines).replace(PLACEHOLDER, FILLED)


def test_the_seed_has_nine_examples_and_only_their_imports_change():
    examples = seed_examples()
    assert [name for name, _ in examples] == [
        "create_customer", "delete_applied_coupon", "destroy_customer", "find_all_customer_past_usage",
        "find_all_customers", "find_customer", "find_customer_current_usage", "generate_customer_checkout_url",
        "get_customer_portal_url"]
    for _, code in examples:
        changed = [(a, b) for a, b in zip(code.splitlines(), migrated(code).splitlines()) if a != b]
        assert changed and all("lago_api" in a and ("import" in a or a.strip().startswith("customer_create_input"))
                               for a, _ in changed)


def test_every_seed_example_runs_against_local_lago(default_spec, monkeypatch):
    with LocalLago(default_spec) as lago:
        monkeypatch.setenv("LAGO_API_URL", lago.base_url)
        monkeypatch.setenv("BEARER_TOKEN", API_KEY)
        monkeypatch.delenv("LAGO_DYN_SPEC", raising=False)
        with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY) as setup:
            for name, code in seed_examples():
                setup.create_customer({"customer": {"external_id": CUSTOMER_ID, "name": "Acme"}})
                output = io.StringIO()
                with contextlib.redirect_stdout(output):
                    exec(compile(migrated(code), f"CustomersApi.md:{name}", "exec"), {"__name__": "__main__"})
                printed = output.getvalue()
                assert "Exception when calling" not in printed, printed
                assert printed.startswith(f"The response of CustomersApi->{name}:\n\n"), printed
                response = printed.split("\n\n", 1)[1]
                assert re.match(r"[A-Z]\w+\(", response), response  # a model, printed by pprint
                request = lago.requests[-1]
                assert request.operation == name
                assert request.headers["Authorization"] == f"Bearer {API_KEY}"
        created = [r for r in lago.requests if r.operation == "create_customer"][1]  # the example's own
        assert created.json == {"customer": {"external_id": CUSTOMER_ID, "name": "Acme", "currency": "EUR"}}


@pytest.fixture
def api_client(default_spec, monkeypatch):
    monkeypatch.delenv("LAGO_DYN_SPEC", raising=False)
    with LocalLago(default_spec) as lago:
        with lago_api.ApiClient(lago_api.Configuration(host=lago.base_url, access_token=API_KEY)) as client:
            client.lago = lago
            yield client


def test_calls_return_models_with_datetimes_and_none_for_absent_fields(api_client):
    from lago_dyn.lago_api.models.customer import Customer

    api = lago_api.CustomersApi(api_client)
    body = lago_api.CustomerCreateInput(customer=lago_api.CustomerCreateInputCustomer(external_id="c-1"))
    created = api.create_customer(body)
    assert isinstance(created, Customer) and type(created.customer).__name__ == "CustomerObject"
    assert isinstance(created.customer.created_at, dt.datetime)
    assert created.customer.legal_name is None  # declared, optional, not sent
    assert created.to_dict()["customer"]["created_at"] == api_client.lago.store.records("customer")[0]["created_at"]
    assert isinstance(created.customer.lago_id, str)  # uuid stays a string, as generated
    info = api.find_customer_with_http_info("c-1")
    assert info.status_code == 200 and isinstance(info.data, Customer) and info.raw_data.startswith(b"{")
    page = api.find_all_customers(page=1, per_page=20)
    assert type(page).__name__ == "CustomersPaginated" and type(page.customers[0]).__name__ == "CustomerObject"


def test_error_statuses_raise_the_generated_exceptions(api_client):
    from lago_dyn.lago_api.exceptions import NotFoundException as FromExceptions
    from lago_dyn.lago_api.rest import ApiException, NotFoundException

    api = lago_api.CustomersApi(api_client)
    with pytest.raises(ApiException) as caught:
        api.find_customer("nobody")
    error = caught.value
    assert type(error) is NotFoundException is FromExceptions
    assert isinstance(error, lago_dyn.LagoDynError)
    assert (error.status, error.reason) == (404, "Not Found")
    assert '"customer_not_found"' in error.body and error.headers["Content-Type"] == "application/json"
    assert type(error.data).__name__ == "ApiErrorNotFound" and error.data.code == "customer_not_found"
    assert "findCustomer" in str(error) and API_KEY not in str(error) + repr(error.__dict__)
    api_client.lago.reply("find_customer", status=503, body={"status": 503, "error": "Unavailable"})
    with pytest.raises(lago_api.ServiceException):
        lago_api.CustomersApi(api_client).find_customer_with_http_info("c-1")


def test_without_preload_content_returns_the_answer_as_it_came(api_client):
    raw = lago_api.CustomersApi(api_client).find_customer_without_preload_content("nobody")
    assert raw.status == 404 and raw.reason == "Not Found"
    assert raw.read() == raw.data and b"customer_not_found" in raw.data
    assert raw.getheader("content-type") == "application/json"
    assert api_client.lago.requests[-1].path.endswith("/customers/nobody")


def test_methods_have_the_generated_signatures():
    api = lago_api.CustomersApi
    assert issubclass(api, lago_api.TagApi)
    client_api = lago_api.CustomersApi(lago_api.ApiClient(lago_api.Configuration(host="http://127.0.0.1:9")))
    parameters = inspect.signature(client_api.find_all_customer_past_usage).parameters
    assert list(parameters)[:3] == ["external_customer_id", "external_subscription_id", "page"]
    assert parameters["page"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "Retrieve customer past usage" in type(client_api).find_all_customer_past_usage.__doc__
    assert {"create_customer_with_http_info", "create_customer_without_preload_content"} <= set(dir(client_api))
    with pytest.raises(lago_dyn.OperationNotFoundError, match="InvoicesApi"):
        lago_api.InvoicesApi(client_api.api_client)  # the default spec covers only customers


def test_api_classes_follow_the_spec_release():
    assert lago_api.CustomerCreateInput  # the module-level models are now the shipped spec's ...
    # ... so a Configuration for another spec says where its models are.
    with pytest.warns(UserWarning, match="api_client.models"):
        old = lago_api.ApiClient(lago_api.Configuration(host="http://127.0.0.1:9", spec=shared_spec("1.21.0")))
    with pytest.warns(UserWarning, match="api_client.models"):
        new = lago_api.ApiClient(lago_api.Configuration(host="http://127.0.0.1:9", spec=shared_spec("1.51.0")))
    assert not hasattr(lago_api.WalletsApi(old), "create_customer_wallet_alert")
    wallets = lago_api.WalletsApi(new)
    assert isinstance(wallets, lago_api.WalletsApi)
    assert callable(wallets.create_customer_wallet_alert)
    assert new.models.CreateCustomerWalletAlertRequest is not None


def test_host_from_the_environment_gets_the_spec_path(monkeypatch, default_spec):
    monkeypatch.setenv("LAGO_API_URL", "http://lago.internal:3000")
    assert lago_api.Configuration().base_url(default_spec) == "http://lago.internal:3000/api/v1"
    monkeypatch.setenv("LAGO_API_URL", "http://lago.internal:3000/api/v1")
    assert lago_api.Configuration().base_url(default_spec) == "http://lago.internal:3000/api/v1"
    assert "sk_" not in repr(lago_api.Configuration(access_token="sk_secret"))


# -- models ----------------------------------------------------------------------------------------------


def test_model_names_follow_openapi_generator(default_spec):
    names = namespace(default_spec).names.uris
    assert {"Customer", "CustomerCreateInput", "CustomerCreateInputCustomer", "CustomerObjectTaxesInner",
            "GenerateCustomerCheckoutURL200Response", "GetCustomerPortalUrl200Response"} <= set(names)
    from lago_dyn.lago_api.models.generate_customer_checkout_url200_response import (
        GenerateCustomerCheckoutURL200Response)

    assert GenerateCustomerCheckoutURL200Response is lago_api.GenerateCustomerCheckoutURL200Response
    with pytest.raises(AttributeError, match="did you mean 'Customer'"):
        lago_api.models.Custommer


def test_every_object_schema_of_1_51_round_trips_its_example(spec_1_51):
    """Each object component schema (287), read from an example made of the spec's own examples."""
    models = namespace(spec_1_51)
    checked = 0
    for name, node in spec_1_51.root["components"]["schemas"].items():
        model = models.for_schema(models.names.uris[name])
        if model is None:
            continue
        example = valid_example(spec_1_51, models.names.uris[name], spec_1_51.validators, READ)
        read = model.from_dict(example)
        assert type(read) is model, name
        assert model.from_dict(read.to_dict()) == read, name
        assert read.to_dict() == example, name  # exactly the JSON it came from
        assert model.from_json(read.to_json()) == read, name
        checked += 1
    assert checked == 287


def test_string_enum_schemas_are_str_enums(spec_1_51):
    currency = namespace(spec_1_51).model("Currency")
    assert currency.EUR == "EUR" and currency("USD") is currency.USD
    with pytest.raises(AttributeError, match="plain JSON values"):
        namespace(spec_1_51).model("TaxCodes")


def test_datetime_fields_and_absent_optional_fields(default_spec):
    customer = namespace(default_spec).model("CustomerObject").from_dict(
        {"lago_id": "1a901a90-1a90-1a90-1a90-1a901a901a90", "external_id": "c-1", "created_at": "2022-04-29T08:59:51Z"})
    assert customer.created_at == dt.datetime(2022, 4, 29, 8, 59, 51, tzinfo=dt.timezone.utc)
    assert customer.to_dict()["created_at"] == "2022-04-29T08:59:51Z"
    assert customer.name is None and customer.billing_configuration is None
    with pytest.raises(AttributeError, match="did you mean 'name'"):
        customer.nme
    made = lago_api.CustomerCreateInputCustomer(external_id="c-2", name=None)
    assert made.to_dict() == {"external_id": "c-2"} and made.name is None
    assert "CustomerCreateInputCustomer(external_id='c-2')" == repr(made)


def test_a_constructor_breaking_the_schema_names_the_field():
    with pytest.raises(lago_dyn.ModelValidationError) as caught:
        lago_api.CustomerCreateInput(customer={"external_id": 42, "currency": "eur"})
    text = str(caught.value)
    assert text.startswith("CustomerCreateInput: model is invalid (2 errors)")
    assert "customer.external_id: 42 is not of type string (rule: type, got integer)" in text
    assert "customer.currency" in text and isinstance(caught.value, ValueError)
    with pytest.raises(lago_dyn.ModelValidationError, match="customer: required field 'customer' is missing"):
        lago_api.CustomerCreateInput()
