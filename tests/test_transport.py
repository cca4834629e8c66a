"""The sync transports (requests, the default, and httpx2): one connection reused, explicit timeouts, user
sessions and headers, closing. Each test runs on both (the `make_client` fixture)."""

import importlib
import socket
import sys
import threading
import time

import pytest
import requests

import lago_dyn
from conftest import API_KEY


def test_connections_are_reused(make_client, watcher, default_spec):
    client = make_client(default_spec, base_url=watcher.url, api_key=API_KEY, response_validation="off")
    for _ in range(3):
        client.find_all_customers()
    assert len(watcher.headers) == 3 and watcher.opened == 1


def _requests_session():
    return requests.Session()


def _httpx2_client():
    httpx2 = pytest.importorskip("httpx2", reason="httpx2 needs Python 3.11+")
    return httpx2.Client()


@pytest.mark.parametrize("make_session", [_requests_session, _httpx2_client], ids=["requests", "httpx2"])
def test_user_session_and_headers_are_used_and_not_closed(make_session, watcher, default_spec):
    session = make_session()
    session.headers["X-From-Session"] = "yes"
    with lago_dyn.Client(default_spec, base_url=watcher.url, api_key=API_KEY, session=session,
                         headers={"X-Extra": "1"}, response_validation="off") as client:
        client.find_all_customers()
    assert watcher.headers[-1]["X-From-Session"] == "yes"
    assert watcher.headers[-1]["X-Extra"] == "1"
    # Still usable, on the same pooled connection: the client did not close what it did not create.
    assert session.get(watcher.url + "/again", timeout=5).status_code == 200
    assert watcher.opened == 1
    session.close()
    assert watcher.saw_a_close()


def test_a_proxy_named_in_the_environment_carries_every_call(watcher, default_spec, monkeypatch):
    for name in ("HTTP_PROXY", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", watcher.url)
    with lago_dyn.Client(default_spec, base_url="http://127.0.0.1:9/api/v1", api_key=API_KEY,
                         response_validation="off") as client:
        client.find_all_customers()
        client.find_all_customers()
    assert watcher.paths == ["http://127.0.0.1:9/api/v1/customers"] * 2  # nothing listens on port 9


def test_a_session_of_another_kind_is_refused_at_construction(default_spec):
    with pytest.raises(lago_dyn.ConfigurationError, match="must be a requests.Session or an httpx2.Client, not "
                                                          "builtins.dict"):
        lago_dyn.Client(default_spec, base_url="http://127.0.0.1:9", session={})


def test_a_silent_server_times_out(make_client, default_spec):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    client = make_client(default_spec, base_url=f"http://127.0.0.1:{listener.getsockname()[1]}",
                         api_key=API_KEY, timeout=(1, 0.3))
    started = time.monotonic()
    with pytest.raises(lago_dyn.RequestTimeoutError):
        client.find_all_customers()
    assert time.monotonic() - started < 5
    listener.close()


def test_refused_connection_is_a_transport_error(make_client, default_spec):
    client = make_client(default_spec, base_url="http://127.0.0.1:9", api_key=API_KEY,
                         retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.TransportError, match=r"connection refused \(127\.0\.0\.1:9\)"):
        client.find_all_customers()


def test_context_manager_closes_the_connections(make_client, watcher, default_spec):
    with make_client(default_spec, base_url=watcher.url, api_key=API_KEY, response_validation="off") as client:
        client.find_all_customers()
    assert watcher.saw_a_close()


def test_without_httpx2_its_transports_are_a_configuration_error(monkeypatch, default_spec):
    monkeypatch.setitem(sys.modules, "httpx2", None)  # not importable, as on Python < 3.11
    monkeypatch.delitem(sys.modules, "lago_dyn.http.httpx2_transport", raising=False)
    with pytest.raises(lago_dyn.ConfigurationError, match=r"need httpx2, which is not installed \(it needs Python "
                                                          r"3\.11\+\): pip install 'httpx2"):
        importlib.import_module("lago_dyn.http.httpx2_transport")
    with pytest.raises(lago_dyn.ConfigurationError, match="need httpx2"):
        lago_dyn.AsyncClient(default_spec, base_url="http://127.0.0.1:9")


def test_an_operation_kept_beyond_its_client_still_works(make_client, watcher, default_spec):
    client = make_client(default_spec, base_url=watcher.url, api_key=API_KEY, response_validation="off")
    client.find_all_customers()
    find_all_customers = client.find_all_customers
    del client
    assert watcher.saw_a_close()  # the dropped client closed its connection...
    assert find_all_customers() == {} and watcher.opened == 2  # ...and the operation opens another


def test_a_users_httpx2_client_closed_by_its_owner_is_said_so(watcher, default_spec):
    session = _httpx2_client()
    client = lago_dyn.Client(default_spec, base_url=watcher.url, api_key=API_KEY, session=session)
    session.close()
    with pytest.raises(lago_dyn.ConfigurationError, match=r"GET http://127\.0\.0\.1:\d+/customers: the httpx2 client "
                                                          r"this call sends with was closed \(nothing was sent\)"):
        client.find_all_customers()
    assert watcher.opened == 0
