"""LocalLago driven by plain `requests` (so a bug in the client cannot hide one in the server), by the
client, and through the pytest fixture from a user's test file."""

import subprocess
import sys
import textwrap

import pytest
import requests

import lago_dyn
from lago_dyn.testing import LocalLago

AUTH = {"Authorization": "Bearer k"}


def test_stateful_customers_over_plain_http(lago):
    url = lago.base_url + "/customers"
    created = requests.post(url, json={"customer": {"external_id": "c-1", "name": "Acme"}}, headers=AUTH)
    assert created.status_code == 200 and created.json()["customer"]["name"] == "Acme"
    again = requests.post(url, json={"customer": {"external_id": "c-1", "name": "Acme Corp"}}, headers=AUTH)
    assert again.json()["customer"]["lago_id"] == created.json()["customer"]["lago_id"]  # updated, not duplicated
    for index in range(2, 6):
        requests.post(url, json={"customer": {"external_id": f"c-{index}"}}, headers=AUTH)
    page = requests.get(url, params={"page": 2, "per_page": 2}, headers=AUTH).json()
    assert [c["external_id"] for c in page["customers"]] == ["c-3", "c-4"]
    assert page["meta"] == {"current_page": 2, "next_page": 3, "prev_page": 1, "total_pages": 3, "total_count": 5}
    assert requests.get(f"{url}/c-1", headers=AUTH).json()["customer"]["name"] == "Acme Corp"
    assert requests.delete(f"{url}/c-1", headers=AUTH).status_code == 200
    gone = requests.get(f"{url}/c-1", headers=AUTH)
    assert gone.status_code == 404 and gone.json() == {"status": 404, "error": "Not Found", "code": "customer_not_found"}


def test_invalid_requests_get_lago_shaped_errors(lago):
    url = lago.base_url + "/customers"
    unprocessable = requests.post(url, json={"customer": {"name": 3}}, headers=AUTH)
    assert unprocessable.status_code == 422
    body = unprocessable.json()
    assert (body["status"], body["error"], body["code"]) == (422, "Unprocessable entity", "validation_errors")
    assert set(body["error_details"]) == {"body.customer.external_id", "body.customer.name"}
    bad_json = requests.post(url, data=b"{nope", headers={**AUTH, "Content-Type": "application/json"})
    assert (bad_json.status_code, bad_json.json()["error"]) == (400, "Bad request")
    assert requests.get(lago.base_url + "/nowhere", headers=AUTH).status_code == 404
    assert requests.get(url).status_code == 401
    missing_query = requests.get(lago.base_url + "/customers/c-1/current_usage", headers=AUTH)
    assert missing_query.status_code in (400, 422)
    assert "query.external_subscription_id" in missing_query.json()["error_details"]


def test_other_operations_answer_with_valid_examples(lago, client):
    raw = requests.get(lago.base_url + "/customers/c-1/portal_url", headers=AUTH)
    assert raw.json()["customer"]["portal_url"].startswith("https://")
    assert client.get_customer_portal_url("c-1").customer.portal_url == raw.json()["customer"]["portal_url"]


def test_replies_can_be_overridden_a_number_of_times(lago, client):
    lago.reply("findCustomer", status=404, body={"status": 404, "error": "Not Found", "code": "customer_not_found"},
               times=1)
    client.create_customer({"customer": {"external_id": "c-1"}})
    try:
        client.find_customer("c-1")
        raise AssertionError("the override was not used")
    except lago_dyn.NotFoundError as error:
        assert error.code == "customer_not_found"
    assert client.find_customer("c-1").customer.external_id == "c-1"
    assert [r.operation for r in lago.requests] == ["create_customer", "find_customer", "find_customer"]


def test_serves_an_upstream_spec(tmp_path):
    from conftest import shared_spec
    with LocalLago(shared_spec("1.51.0")) as lago:
        client = lago_dyn.Client(lago.spec, base_url=lago.base_url, api_key="k")
        wallets = client.wallets.find_all_wallets(external_customer_id="c-1")
        assert isinstance(wallets.wallets, list)


def test_the_pytest_fixture_works_from_a_users_test_file(tmp_path):
    (tmp_path / "test_user.py").write_text(textwrap.dedent("""
        import lago_dyn

        def test_signup(local_lago):
            client = lago_dyn.Client(base_url=local_lago.base_url, api_key="test")
            client.create_customer({"customer": {"external_id": "u-1", "name": "User"}})
            assert client.find_customer("u-1").customer.name == "User"
            assert local_lago.requests[0].json == {"customer": {"external_id": "u-1", "name": "User"}}
    """))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


def test_demo_runs_and_exits_zero():
    result = subprocess.run([sys.executable, "-m", "lago_dyn", "demo"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for expected in ("create_customer", "find_all_customer_past_usage", "delete_applied_coupon",
                     "Rejected before sending", "NotFoundError(status=404", "demo: ok"):
        assert expected in result.stdout
    assert result.stdout.count("-> ") == 9


def test_the_most_recent_scripted_reply_answers_first_and_replies_lists_the_queue(lago, client):
    not_found = {"status": 404, "error": "Not Found", "code": "customer_not_found"}
    lago.reply("find_customer", status=404, body=not_found)               # every call
    lago.reply("find_customer", status=500, body={"status": 500, "error": "Internal Server Error"}, times=1)
    assert {name: [(r.status, r.times) for r in queue] for name, queue in lago.replies().items()} == {
        "find_customer": [(500, 1), (404, None)]}
    with pytest.raises(lago_dyn.ServerError):                             # the later one, although the first is "always"
        client.customers.find_customer("c-1")
    for _ in range(2):
        with pytest.raises(lago_dyn.NotFoundError):                       # spent: the earlier one again
            client.customers.find_customer("c-1")
    assert [r.status for queue in lago.replies().values() for r in queue] == [404]
