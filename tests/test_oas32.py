"""OpenAPI 3.2 over the wire (issue 13, part 2): tests/oas32/openapi.yaml served by a real HTTP server on
127.0.0.1. Streams of Server-Sent Events, JSON Lines, JSON Text Sequences and multipart/mixed read as they
arrive and checked item by item; QUERY with a body; `querystring` parameters; a method named by
`additionalOperations`; nested tags; `$self`; a device-authorization-only OAuth2 scheme; the spec diff."""

import copy
import json
import socket
import threading
import tracemalloc
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

import lago_dyn
from lago_dyn.tools import diff
from lago_dyn.codecs import streams
from conftest import http_server

EVENT_PADDING = "x" * 300  # makes 10,000 events about 3.4 MB on the wire


class Billing(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        parts = urlsplit(self.path)
        self.server.received.append({"method": self.command, "path": parts.path, "query": parts.query,
                                     "headers": dict(self.headers.items()),
                                     "body": self.rfile.read(length) if length else b""})
        route = parts.path.rstrip("/").split("/")[2:]  # after /api
        try:
            if route == ["events"] and self.server.hiccups:
                status = self.server.hiccups.pop(0)
                self.send_response(status)
                self.send_header("Location" if status == 307 else "Retry-After", self.path if status == 307 else "0")
                self.send_header("Content-Length", "0")
                return self.end_headers()
            if route == ["events"]:
                return self._events(int(dict(parse_qsl(parts.query))["count"]))
            if route == ["ledger"]:
                return self._ledger()
            if route == ["bundle"]:
                return self._bundle()
            if route == ["invoices", "bad"]:
                return self._json(200, {"number": "F-1", "total_cents": -5})
            if route[:1] == ["invoices"] and self.command == "PURGE":
                return self._answer(204, None, b"")
            invoice = {"number": "F-1", "total_cents": 100}
            return self._json(200, invoice if route[:1] == ["invoices"] and len(route) == 2 else [invoice])
        except (BrokenPipeError, ConnectionResetError):
            self.server.disconnected.set()
            self.close_connection = True

    do_GET = do_QUERY = do_PURGE = _serve

    def _answer(self, status, content_type, content):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _json(self, status, value):
        self._answer(status, "application/json", json.dumps(value).encode())

    def _start_chunked(self, content_type):
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()
        self.server.sent_bytes += len(data)

    def _end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")

    def _events(self, count):
        """SSE as servers write it: comments, ids, a retry, data split over two lines, CRLF line ends,
        several events per write and events split across writes."""
        self._start_chunked("text/event-stream")
        batch = [b": stream opened\r\nretry: 1500\r\n"]
        for number in range(count):
            batch.append(f"id: {number}\r\nevent: tick\r\ndata: {number}\r\ndata: {EVENT_PADDING}\r\n\r\n".encode())
            if len(batch) == 25 or number == count - 1:
                data = b"".join(batch)
                self._chunk(data[:len(data) // 2])  # an event cut in the middle, as TCP may cut it
                self._chunk(data[len(data) // 2:])
                batch = []
        self._end_chunks()

    def _ledger(self):
        """Ten entries; entry 5 lacks `amount_cents`. After the first entry the server waits until the
        test says it has it: a client that read the whole answer before giving items would never say so."""
        if self.server.ledger_format == "missing":
            return self._json(404, {"error": "no ledger yet"})
        seq = self.server.ledger_format == "json-seq"
        self._start_chunked("application/json-seq" if seq else "application/jsonl")
        for number in range(10):
            entry = {"seq": number} if number == 5 else {"seq": number, "amount_cents": number * 100}
            text = json.dumps(entry, indent=1 if seq else None).encode()  # json-seq: one entry over lines
            self._chunk(b"\x1e" + text + b"\n" if seq else text + b"\n")
            if number == 0 and self.server.ledger_format == "broken":
                self.close_connection = True
                return self.connection.shutdown(socket.SHUT_RDWR)  # gone without the closing chunk
            if number == 0:
                self.server.waited_for_client = self.server.first_item_seen.wait(10)
        self._end_chunks()

    def _bundle(self):
        boundary = "b0und4ry"
        invoice = json.dumps({"number": "F-7", "total_cents": 700}).encode()
        body = (b"preamble to ignore\r\n--b0und4ry\r\nContent-Type: application/json\r\n\r\n" + invoice
                + b"\r\n--b0und4ry\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.7 \x00\x01binary"
                + b"\r\n--b0und4ry\r\nContent-Type: application/json\r\n\r\n{\"number\": \"F-8\", \"total_cents\": 8}"
                + b"\r\n--b0und4ry--\r\nepilogue")
        self._start_chunked(f"multipart/mixed; boundary={boundary}")
        for start in range(0, len(body), 7):  # 7-byte writes: boundaries split everywhere
            self._chunk(body[start:start + 7])
        self._end_chunks()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    with http_server(Billing, received=[], sent_bytes=0, ledger_format="jsonl", hiccups=[],
                     first_item_seen=threading.Event(), disconnected=threading.Event(), waited_for_client=None) as httpd:
        yield httpd


@pytest.fixture
def client(server, oas32_spec, make_client):
    """On each sync transport: streams, QUERY and PURGE go through both."""
    with make_client(oas32_spec, base_url=f"http://127.0.0.1:{server.server_port}/api",
                     profile=lago_dyn.GENERIC, auth={"device": "device-token"},
                     retry=lago_dyn.RetryPolicy(retries=0)) as made:
        yield made


def test_ten_thousand_events_stream_through_in_bounded_memory(client, server):
    events = client.stream_events(10_000)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        ids = [int(event.id) for event in events]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert ids == list(range(10_000))
    assert server.sent_bytes > 3_000_000
    assert peak < 2 * 1024 * 1024, f"peak {peak:,} bytes while reading {server.sent_bytes:,}"
    assert events.closed


def test_an_event_is_an_object_with_the_fields_it_set(client):
    first, second = list(client.stream_events(2))
    assert first == {"id": "0", "event": "tick", "retry": 1500, "data": "0\n" + EVENT_PADDING}
    assert second.data.startswith("1\n") and "retry" not in second


def test_items_arrive_before_the_answer_ends_and_a_bad_one_raises_at_its_place(client, server):
    delivered = []
    with pytest.raises(lago_dyn.ResponseValidationError) as raised:
        for entry in client.stream_ledger():
            delivered.append(entry.seq)
            server.first_item_seen.set()
    assert server.waited_for_client is True  # the first entry was ours while the server still held the rest
    assert delivered == [0, 1, 2, 3, 4]
    assert "body[5].amount_cents: required field 'amount_cents' is missing" in str(raised.value)
    assert raised.value.result == {"seq": 5}
    assert server.received[-1]["headers"]["Authorization"] == "Bearer device-token"


def test_a_json_text_sequence_streams_too(client, server):
    server.ledger_format = "json-seq"
    client_warns = lago_dyn.Client(client.spec, base_url=client.base_url, profile=lago_dyn.GENERIC,
                                   auth={"device": "t"}, response_validation="warn")
    with client_warns:
        entries = client_warns.stream_ledger()
        seqs = []
        for entry in entries:
            seqs.append(entry.seq)
            server.first_item_seen.set()
    assert seqs == list(range(10))  # warn mode: the bad entry is logged and given


def test_closing_the_iterator_closes_the_connection(client, server):
    events = client.stream_events(1_000_000)
    assert [next(events).id for _ in range(3)] == ["0", "1", "2"]
    events.close()
    assert server.disconnected.wait(10), "the server kept writing to an open connection"
    with pytest.raises(StopIteration):
        next(events)
    assert client.find_invoice("F-1").number == "F-1"  # the pool serves the next call


def test_a_stream_follows_redirects_and_retries_before_its_first_byte(oas32_spec, server, make_client):
    server.hiccups = [307, 503]
    with make_client(oas32_spec, base_url=f"http://127.0.0.1:{server.server_port}/api", profile=lago_dyn.GENERIC,
                     retry=lago_dyn.RetryPolicy(retries=1, backoff=0)) as retrying:
        assert [event.id for event in retrying.stream_events(3)] == ["0", "1", "2"]
    assert [entry["path"] for entry in server.received] == ["/api/events"] * 3


def test_an_error_answer_to_a_streaming_operation_is_its_exception(client, server):
    server.ledger_format = "missing"
    with pytest.raises(lago_dyn.NotFoundError) as raised:
        client.stream_ledger()
    assert raised.value.body == {"error": "no ledger yet"}


def test_a_stream_cut_off_by_the_server_says_so_after_the_items_it_gave(client, server):
    server.ledger_format = "broken"
    entries = client.stream_ledger()
    assert next(entries).seq == 0
    with pytest.raises(lago_dyn.TransportError, match=r"/api/ledger: the connection broke while reading the stream"):
        next(entries)
    assert entries.closed


def test_multipart_parts_are_items_decoded_by_their_own_type(client):
    parts = list(client.fetch_bundle())
    assert parts[0] == {"number": "F-7", "total_cents": 700}
    assert parts[1] == b"%PDF-1.7 \x00\x01binary"
    assert parts[2].total_cents == 8


def test_query_method_sends_its_body_and_a_json_querystring(client, server):
    found = client.search_invoices({"customer": "acme", "min_amount_cents": 10}, selector={"fields": ["number"]})
    assert found[0].number == "F-1"
    sent = server.received[-1]
    assert sent["method"] == "QUERY"
    assert json.loads(sent["body"]) == {"customer": "acme", "min_amount_cents": 10}
    assert json.loads(unquote(sent["query"])) == {"fields": ["number"]}
    assert "=" not in sent["query"]  # the whole query string is the value: no name


def test_form_querystring_is_the_whole_query_and_is_validated(client, server):
    client.find_invoices(filter={"status": "draft", "customer": "a b&c=d", "page": 2})
    assert dict(parse_qsl(server.received[-1]["query"])) == {"status": "draft", "customer": "a b&c=d", "page": "2"}
    with pytest.raises(lago_dyn.RequestValidationError) as raised:
        client.find_invoices(filter={"status": "paid"})
    assert "querystring.filter.status" in str(raised.value)


def test_additional_operations_send_their_method_as_written(client, server):
    client.purge_invoice("F-1")
    assert (server.received[-1]["method"], server.received[-1]["path"]) == ("PURGE", "/api/invoices/F-1")


def test_tags_nest_under_their_parent_and_flat_names_still_work(client):
    assert client.billing.invoices.find_invoice is client.find_invoice is client.invoices.find_invoice
    assert client.billing.ledger.stream_ledger is client.stream_ledger
    assert sorted(dir(client.billing)) == ["invoices", "ledger"]
    assert "Money in and out" in client.billing.__doc__ and "Invoices and their lines" in client.invoices.__doc__
    with pytest.raises(lago_dyn.OperationNotFoundError, match="did you mean 'invoices'"):
        client.billing.invoice


def test_ops_lists_a_parent_tag_with_its_summary_and_nested_operations(capsys):
    from lago_dyn.tools import cli

    assert cli.main(["--spec", str(_spec_path()), "ops", "--tag", "billing"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "billing: Money in and out"
    assert any(line.startswith("search_invoices") and "QUERY" in line for line in lines)
    assert not any(line.startswith("stream_events") for line in lines)


def test_self_is_the_base_uri_of_references(oas32_spec, client):
    assert oas32_spec.base_uri == "https://billing.example.test/api/openapi.yaml"
    assert list(oas32_spec.loaded.externals) == ["https://billing.example.test/api/shared/invoice.yaml"]
    with pytest.raises(lago_dyn.ResponseValidationError, match="total_cents"):
        client.find_invoice("bad")  # judged by the schema the $self-relative reference names


def test_a_device_flow_scheme_takes_a_token_and_says_where_to_get_one(oas32_spec, server):
    anonymous = lago_dyn.Client(oas32_spec, base_url=f"http://127.0.0.1:{server.server_port}/api",
                                profile=lago_dyn.GENERIC)
    with anonymous, pytest.raises(lago_dyn.MissingCredentialsError,
                                  match="device authorization at https://auth.example.test/device"):
        anonymous.stream_ledger()


def test_diff_knows_query_operations_querystrings_and_streams(oas32_spec):
    changed = copy.deepcopy(oas32_spec.root)
    del changed["paths"]["/search"]
    changed["paths"]["/invoices"]["get"]["parameters"][0]["content"] = {
        "application/json": changed["paths"]["/invoices"]["get"]["parameters"][0]["content"].popitem()[1]}
    del changed["components"]["schemas"]["LedgerEntry"]["properties"]["amount_cents"]
    changed["components"]["schemas"]["LedgerEntry"]["required"] = ["seq"]
    changed["paths"]["/events"]["get"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"type": "object"}}}
    new = lago_dyn.load_spec(changed, base_uri=str(_spec_path()), cache_dir=False)
    found = {entry.operation: entry for entry in diff.diff(oas32_spec, new)}
    assert found["search_invoices"].status == "removed" and found["search_invoices"].breaking
    assert [(c.location, c.breaking) for c in found["find_invoices"].changes] == [("querystring", True)]
    assert ("response[item].amount_cents", "field removed", True) in [
        (c.location, c.detail, c.breaking) for c in found["stream_ledger"].changes]
    assert [(c.detail, c.breaking) for c in found["stream_events"].changes] == [
        ("the answer is no longer a stream of items", True)]


def _spec_path():
    from pathlib import Path

    return Path(__file__).resolve().parent / "oas32" / "openapi.yaml"


# -- the decoders alone: any split of the bytes gives the same items ----------------------------------------


def _decode(decoder, data, step):
    items = []
    for start in range(0, len(data), step):
        items += decoder.feed(data[start:start + step])
    return items + decoder.end()


@pytest.mark.parametrize("step", [1, 2, 5, 1000])
def test_event_stream_parsing_follows_the_html_standard(step):
    data = ("\ufeffretry: 5\r\nevent: tick\r\ndata: a\r\ndata:b\r\n\r\n"  # BOM, CRLF, "data:" without space
            ": a comment\rdata: {\"x\": 1}\rid: 7\rretry: 5s\runknown: field\r\r"  # CR only, bad retry ignored
            "event: no data\n\n"  # an event without data is not given
            "data: é\n\n"
            "data: cut off by the end of the stream").encode()
    assert _decode(streams.EventStream(), data, step) == [
        {"retry": 5, "event": "tick", "data": "a\nb"}, {"data": '{"x": 1}', "id": "7"}, {"data": "é"}]


@pytest.mark.parametrize("step", [1, 3, 1000])
def test_json_text_sequences_and_lines_survive_any_split(step):
    records = b'\x1e{"a": 1}\n\x1e[1,\n2]\n\x1e3\n\x1enot json\n\x1e"end"\n'
    decoded = _decode(streams.JsonSequence(), records, step)
    assert decoded[:3] == [{"a": 1}, [1, 2], 3] and decoded[4] == "end"
    assert isinstance(decoded[3], streams.Malformed) and decoded[3].rule == "json"
    lines = b'{"a": 1}\r\n\n[2]\n{"b"\n"last without newline"'
    decoded = _decode(streams.JsonLines(), lines, step)
    assert decoded[:2] == [{"a": 1}, [2]] and isinstance(decoded[2], streams.Malformed)
    assert decoded[3] == "last without newline"


def test_an_item_over_the_limit_is_refused_not_buffered():
    decoder = streams.JsonLines(max_item_bytes=1000)
    assert decoder.feed(b'{"ok": 1}\n' + b"x" * 900) == [{"ok": 1}]
    with pytest.raises(streams.ItemTooLarge):
        decoder.feed(b"x" * 200)
    items = streams.ItemStream(iter([b"y" * 2000]), streams.JsonLines(max_item_bytes=1000), lambda item, i: item,
                               lambda: None, "stream_ledger")
    with pytest.raises(lago_dyn.TransportError, match="stream_ledger: item 0: one item of the stream is over"):
        list(items)


# -- the same streams through AsyncClient ------------------------------------------------------------------

@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_streams_items_as_they_arrive_and_raises_at_the_bad_one(server, oas32_spec):
    async with lago_dyn.AsyncClient(oas32_spec, base_url=f"http://127.0.0.1:{server.server_port}/api",
                                    profile=lago_dyn.GENERIC, auth={"device": "device-token"},
                                    retry=lago_dyn.RetryPolicy(retries=0)) as client:
        events = await client.stream_events(2_000)
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            ids = [int(event.id) async for event in events]
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert ids == list(range(2_000)) and events.closed
        assert peak < 2 * 1024 * 1024, f"peak {peak:,} bytes"
        delivered = []
        with pytest.raises(lago_dyn.ResponseValidationError, match=r"body\[5\]\.amount_cents"):
            async for entry in await client.stream_ledger():
                delivered.append(entry.seq)
                server.first_item_seen.set()
        assert delivered == [0, 1, 2, 3, 4]
        early = await client.stream_events(1_000_000)
        assert [(await early.__anext__()).id for _ in range(3)] == ["0", "1", "2"]
        await early.aclose()
        assert server.disconnected.wait(10), "the server kept writing to an open connection"
        assert (await client.find_invoice("F-1")).number == "F-1"  # the pool serves the next call
