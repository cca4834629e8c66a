"""The transport: one session reused, explicit timeouts, user sessions and headers, context manager."""

import socket
import threading
import time

import pytest
import requests

import lago_dyn
from conftest import API_KEY


def test_connections_are_reused(client, lago):
    for _ in range(3):
        client.find_all_customers()
    session = client.transport.session
    pools = session.get_adapter(lago.base_url).poolmanager.pools
    assert len(pools.keys()) == 1


def test_user_session_and_headers_are_used_and_not_closed(lago, default_spec):
    session = requests.Session()
    session.headers["X-From-Session"] = "yes"
    with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY, session=session,
                         headers={"X-Extra": "1"}) as client:
        client.find_all_customers()
    assert lago.requests[-1].headers["X-From-Session"] == "yes"
    assert lago.requests[-1].headers["X-Extra"] == "1"
    assert session.adapters  # still usable: the client did not close what it did not create


def test_a_silent_server_times_out(default_spec):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    client = lago_dyn.Client(default_spec, base_url=f"http://127.0.0.1:{listener.getsockname()[1]}",
                             api_key=API_KEY, timeout=(1, 0.3))
    started = time.monotonic()
    with pytest.raises(lago_dyn.RequestTimeoutError):
        client.find_all_customers()
    assert time.monotonic() - started < 5
    listener.close()


def test_refused_connection_is_a_transport_error(default_spec):
    client = lago_dyn.Client(default_spec, base_url="http://127.0.0.1:9", api_key=API_KEY,
                             retry=lago_dyn.RetryPolicy(retries=0))
    with pytest.raises(lago_dyn.TransportError, match=r"connection refused \(127\.0\.0\.1:9\)"):
        client.find_all_customers()


def test_context_manager_closes_the_session(lago, default_spec):
    with lago_dyn.Client(default_spec, base_url=lago.base_url, api_key=API_KEY) as client:
        client.find_all_customers()
        adapter = client.transport.session.get_adapter(lago.base_url)
        assert adapter.poolmanager.pools.keys()
    assert not adapter.poolmanager.pools.keys()
