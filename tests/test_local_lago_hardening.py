"""LocalLago under abuse (issue 12, items 10, 11 and 13): it stores only what the real API would keep,
serves only answers its own validators accept, and reads HTTP framing it is sent with care."""

import shutil
import socket
import subprocess
import time

import pytest
import requests

import lago_dyn
from conftest import API_KEY, shared_spec
from lago_dyn.testing import LocalLago
from lago_dyn.validation import READ, SchemaValidators

AUTH = {"Authorization": "Bearer k"}
VERSIONS = ["1.6.4", "1.21.0", "1.51.0"]


@pytest.fixture(scope="module")
def upstream_specs():
    return {version: lago_dyn.load_spec(shared_spec(version), cache_dir=False) for version in VERSIONS}


# -- item 10: what is stored ---------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["default", "1.51.0"])
def test_response_only_and_forbidden_values_are_not_stored(version, default_spec, upstream_specs):
    spec = default_spec if version == "default" else upstream_specs[version]
    with LocalLago(spec) as lago:
        client = lago_dyn.Client(spec, base_url=lago.base_url, api_key=API_KEY)  # strict: answers are checked
        sent = {"external_id": "c-1", "name": "Acme", "account_type": None, "lago_id": "mine",
                "sequential_id": "not a number", "created_at": "yesterday"}
        with pytest.warns(lago_dyn.UnknownFieldsWarning, match="body.customer.lago_id"):  # answer-only fields
            created = client.create_customer({"customer": sent}).customer
        assert created.name == "Acme"
        assert created.lago_id != "mine" and created.created_at != "yesterday"
        assert isinstance(created.sequential_id, int)
        assert "account_type" not in created  # a null the answer refuses is dropped, and nothing invented
        client.create_customer({"customer": {"external_id": "c-2"}})
        listed = client.find_all_customers()  # validated: one bad stored value would fail every listing
        assert [c.external_id for c in listed.customers] == ["c-1", "c-2"]
        assert client.find_customer("c-1").customer.account_type == created.account_type


def test_the_list_handler_survives_odd_page_values(lago):
    requests.post(lago.base_url + "/customers", json={"customer": {"external_id": "c-1"}}, headers=AUTH)
    for page in ("0", "-3", "99999999999999999999", "abc", ""):
        answer = requests.get(lago.base_url + "/customers", params={"page": page}, headers=AUTH, timeout=5)
        assert answer.status_code in (200, 400, 422), (page, answer.status_code)


# -- item 11: served examples --------------------------------------------------------------------------

@pytest.mark.parametrize("version", VERSIONS)
def test_every_served_example_is_valid(version, upstream_specs):
    spec = upstream_specs[version]
    lago = LocalLago(spec)  # example_body needs no running server
    judge = SchemaValidators(spec)
    invalid = []
    for operation in spec.operations.values():
        for status, response in operation.responses.items():
            for schema_uri in response.content.values():
                if not schema_uri or not status.startswith("2"):
                    continue
                try:
                    body = lago.example_body(schema_uri)
                except lago_dyn.SpecError as failure:
                    invalid.append(f"{operation.name} {status}: {failure}")
                    continue
                invalid += [f"{operation.name} {status}: {v}" for v in judge.violations(schema_uri, body, "body", READ)]
    assert not invalid, "\n".join(invalid[:20])


def test_an_answer_no_valid_example_exists_for_is_a_500_that_says_so():
    impossible = {"allOf": [{"type": "string"}, {"type": "integer"}]}
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/thing": {"get": {
        "operationId": "getThing",
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": impossible}}}}}}}}
    with LocalLago(lago_dyn.load_spec(spec)) as lago:
        answer = requests.get(lago.base_url + "/thing", timeout=5)
    assert answer.status_code == 500
    assert answer.json()["code"] == "local_lago_no_valid_example"
    assert "no valid example could be made" in answer.json()["error_details"]


# -- item 13: framing ----------------------------------------------------------------------------------

def exchange(lago, raw, *, half_close=False):
    """Send raw bytes, return the status code of the answer and whether the server then closed."""
    with socket.create_connection(("127.0.0.1", lago.port), timeout=5) as connection:
        connection.sendall(raw)
        if half_close:
            connection.shutdown(socket.SHUT_WR)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            assert chunk, f"connection dropped without an answer to {raw[:60]!r}"
            received += chunk
        head, _, rest = received.partition(b"\r\n\r\n")
        length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
        while len(rest) < length:
            rest += connection.recv(65536)
        closed = connection.recv(1) == b""
        return int(head.split(b" ")[1]), closed


def post(length_header, body=b"", extra=b""):
    return (b"POST /api/v1/customers HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\n"
            b"Content-Type: application/json\r\n" + length_header + extra + b"\r\n" + body)


@pytest.mark.parametrize("header", [b"Content-Length: abc\r\n", b"Content-Length: -1\r\n", b"Content-Length: 1e3\r\n",
                                    b"Content-Length: 2\r\nContent-Length: 3\r\n",
                                    b"Transfer-Encoding: gzip\r\n",
                                    b"Transfer-Encoding: chunked\r\nContent-Length: 2\r\n"])
def test_malformed_framing_is_a_400_and_the_connection_closes(lago, header):
    assert exchange(lago, post(header, b"{}")) == (400, True)


def test_a_body_shorter_than_announced_is_a_400_when_the_client_hangs_up(lago):
    assert exchange(lago, post(b"Content-Length: 50\r\n", b'{"customer"'), half_close=True) == (400, True)


def test_a_body_that_never_arrives_is_a_408_within_the_read_timeout(default_spec):
    with LocalLago(default_spec, read_timeout=0.5) as lago:
        started = time.monotonic()
        assert exchange(lago, post(b"Content-Length: 50\r\n", b'{"customer"')) == (408, True)
        assert time.monotonic() - started < 3


def test_chunked_bodies_are_read(lago):
    parts = [b'{"customer": ', b'{"external_id": "chunked-1",', b' "name": "Chunks"}}']
    answer = requests.post(lago.base_url + "/customers", data=iter(parts), timeout=5,
                           headers={**AUTH, "Content-Type": "application/json"})
    assert lago.requests[-1].headers.get("Transfer-Encoding") == "chunked"
    assert answer.status_code == 200 and answer.json()["customer"]["name"] == "Chunks"
    assert lago.requests[-1].json == {"customer": {"external_id": "chunked-1", "name": "Chunks"}}


@pytest.mark.parametrize("chunks", [b"zz\r\n{}\r\n0\r\n\r\n", b"2\r\n{}XX0\r\n\r\n", b"99999999999\r\n"])
def test_malformed_chunks_are_a_400(lago, chunks):
    assert exchange(lago, post(b"Transfer-Encoding: chunked\r\n", chunks)) == (400, True)


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs `ss` (iproute2) to read the listen queue")
def test_the_listen_backlog_holds_a_burst(lago):
    listening = subprocess.run(["ss", "-ltnH", f"sport = :{lago.port}"], capture_output=True, text=True,
                               timeout=10).stdout.split()
    assert int(listening[2]) >= 128  # Send-Q of a listening socket: its backlog (the standard library's is 5)


def test_query_values_are_coerced_by_the_schemas_alternatives():
    """`http_statuses[]` is anyOf[string enum, integer]: `404` is the integer branch, `2XX` the string one."""
    import requests

    spec = lago_dyn.load_spec(shared_spec("1.51.0"))
    with LocalLago(spec) as lago:
        answer = requests.get(lago.base_url + "/api_logs?http_statuses[]=404&http_statuses[]=failed",
                              headers={"Authorization": "Bearer k"}, timeout=10)
        assert answer.status_code == 200, answer.text
        client = lago_dyn.Client(spec, base_url=lago.base_url, api_key="k")
        client.find_all_api_logs(http_statuses=[404, "failed"])
