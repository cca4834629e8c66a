"""Bodies and answers by media type (codecs.py), seen from both ends of a real HTTP exchange on 127.0.0.1:
what `Accept` an operation sends (its declared answer types, so a server that negotiates sends the CSV or
the PDF, not JSON), the bytes a JSON, form or multipart body is made of for the Python values users pass
(enums, sets, dataclasses, pydantic models, files in every form requests accepts), and how answers of each
type come back (JSON, text in its charset, bytes)."""

import dataclasses
import datetime
import decimal
import email.parser
import email.policy
import enum
import io
import json
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest

import lago_dyn
from lago_dyn.testing import LocalLago

from conftest import API_KEY, http_server

ANY = {"description": "ok", "content": {"application/json": {"schema": {}}}}
ERROR = {"description": "error", "content": {"application/json": {"schema": {"type": "object"}}}}


def answers(*media_types, status="200"):
    return {status: {"description": "ok", "content": {m: {"schema": {}} for m in media_types}}}


def body_op(operation_id, media_type, schema=None, encoding=None):
    content = {"schema": schema if schema is not None else {}}
    if encoding is not None:
        content["encoding"] = encoding
    return {"post": {"operationId": operation_id, "requestBody": {"required": True, "content": {media_type: content}},
                     "responses": {"200": ANY}}}


FILES = {"type": "object", "properties": {
    "file": {"type": "string", "format": "binary"}, "note": {"type": "string"}, "count": {"type": "integer"},
    "flag": {"type": "boolean"}, "meta": {"type": "object"}, "tags": {"type": "array", "items": {"type": "string"}},
    "anything": {}}}
FORM = {"type": "object", "properties": {
    "name": {"type": "string"}, "active": {"type": "boolean"}, "tags": {"type": "array", "items": {"type": "string"}},
    "point": {"type": "object"}, "label": {}, "path": {"type": "string"}, "filter": {"type": "object"},
    "a/b c": {}, "styled": {}, "unexploded": {}, "reserved": {}, "spaced": {}}}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Media types", "version": "1"},
    "servers": [{"url": "http://127.0.0.1:9/v1"}],
    "paths": {
        "/export.csv": {"get": {"operationId": "exportCsv",
                                "responses": {**answers("text/csv; charset=utf-8"), "401": ERROR}}},
        "/invoice.pdf": {"get": {"operationId": "invoicePdf",
                                 "responses": {**answers("application/pdf"), "404": ERROR, "default": ERROR}}},
        "/report": {"get": {"operationId": "report", "responses": {
            **answers("application/xml", "application/problem+json", "application/xml"), "400": ERROR}}},
        "/nothing": {"delete": {"operationId": "deleteNothing",
                                "responses": {"204": {"description": "gone"}, "default": {
                                    "description": "error", "content": {"application/problem+json": {"schema": {}}}}}}},
        "/bare": {"delete": {"operationId": "deleteBare", "responses": {"204": {"description": "gone"}}}},
        "/echo": {"get": {"operationId": "echo", "responses": {"200": ANY}}},
        "/json": body_op("postJson", "application/json"),
        "/vendor": body_op("postVendor", "application/vnd.acme+json"),
        "/form": body_op("postForm", "application/x-www-form-urlencoded", FORM, {
            "point": {"contentType": "application/json"}, "label": {"contentType": "text/plain"},
            "path": {"allowReserved": True}, "tags": {"style": "pipeDelimited", "explode": False},
            "filter": {"style": "deepObject", "explode": True}, "a/b c": {"contentType": "text/plain"},
            # With style, explode or allowReserved, a field is serialized by them, not by its contentType.
            "styled": {"contentType": "application/json", "style": "form"},
            "unexploded": {"contentType": "application/json", "explode": False},
            "reserved": {"contentType": "application/json", "allowReserved": True},
            "spaced": {"style": "spaceDelimited"}}),
        "/files": body_op("postFiles", "multipart/form-data", FILES, {"note": {"contentType": "text/markdown"}}),
        "/typed-file": body_op("postTypedFile", "multipart/form-data", FILES,
                              {"file": {"contentType": "image/png, image/jpeg"}}),  # a list: the first one
        "/mixed": body_op("postMixed", "multipart/mixed", FILES),
        "/text": body_op("postText", "text/plain", {"type": "string"}),
        "/raw": body_op("postRaw", "application/octet-stream"),
        "/binary": body_op("postBinary", "application/octet-stream", {"type": "string", "format": "binary"}),
        "/short": body_op("postShort", "text/plain", {"type": "string", "maxLength": 3}),
        "/xml": body_op("postXml", "application/xml", {"type": "object"}),
        "/text-xml": body_op("postTextXml", "text/xml", {"type": "object", "required": ["Action"]}),
        "/strict-form": body_op("postStrictForm", "application/x-www-form-urlencoded", {
            "type": "object", "required": ["active"], "properties": {"active": {"type": "boolean"},
                                                                   "name": {"type": "string"}}}),
        "/strict-files": body_op("postStrictFiles", "multipart/form-data", {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"}, "count": {"type": "integer"},
                "tags": {"type": "array", "maxItems": 2, "items": {"type": "string"}},
                "meta": {"type": "object", "required": ["k"]}}}),
    },
}


class Negotiator(BaseHTTPRequestHandler):
    """A server that records each request and, like Rails' `respond_to`, answers with the first media type
    of the request's Accept it can produce (q=0 refuses one); a test may set the next answer instead."""

    protocol_version = "HTTP/1.1"
    CAN = {"text/csv": b"id,amount\n1,100\n", "application/pdf": b"%PDF-1.7 ...",
           "application/xml": b"<ok/>", "application/problem+json": b'{"title": "nope"}',
           "application/json": b'{"ok": true}'}

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.received.append({"method": self.command, "path": urlsplit(self.path).path,
                                     "headers": dict(self.headers.items()), "body": body})
        if self.server.next_answer is not None:
            content_type, content = self.server.next_answer
            self.server.next_answer = None
            return self._answer(200, content_type, content)
        if self.command == "DELETE":
            self.send_response(204)
            return self.end_headers()
        offered = []
        for item in self.headers.get("Accept", "").split(","):
            media, *options = [piece.strip() for piece in item.split(";")]
            q = float(next((o[2:] for o in options if o.startswith("q=")), "1"))
            if media in self.CAN and q > 0:
                offered.append((-q, len(offered), media))
        if not offered:
            return self._answer(406, "application/json", b'{"error": "not acceptable"}')
        media = min(offered)[2]
        self._answer(200, media, self.CAN[media])

    def _answer(self, status, content_type, content):
        self.send_response(status)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    with http_server(Negotiator, received=[], next_answer=None) as httpd:
        yield httpd


@pytest.fixture(scope="module")
def spec():
    return lago_dyn.load_spec(SPEC, cache_dir=False)


@pytest.fixture
def client(server, spec):
    server.received.clear()
    with lago_dyn.Client(spec, base_url=f"http://127.0.0.1:{server.server_address[1]}/v1",
                         retry=lago_dyn.RetryPolicy(retries=0)) as c:
        yield c


def sent(server):
    return server.received[-1]


def parts_of(request):
    """The parts of a multipart body as the standard library's email parser reads them."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {request['headers']['Content-Type']}\r\n\r\n".encode() + request["body"])
    return [(part.get_param("name", header="content-disposition"), part.get_filename(), part.get_content_type(),
             part.get_payload(decode=True)) for part in message.iter_parts()]


# -- Accept: what the operation answers with --------------------------------------------------------------

@pytest.mark.parametrize("operation, accept, result", [
    ("export_csv", "text/csv, application/json;q=0.5", "id,amount\n1,100\n"),
    ("invoice_pdf", "application/pdf, application/json;q=0.5", b"%PDF-1.7 ..."),
    # Several success types: JSON (here a +json one) first, the other success type after, errors' last.
    ("report", "application/problem+json, application/xml;q=0.5, application/json;q=0.5", {"title": "nope"}),
    # No success body: the error answers' type is all there is; nothing declared at all: JSON.
    ("delete_nothing", "application/problem+json", None),
    ("delete_bare", "application/json", None),
])
def test_accept_asks_for_what_the_operation_answers_with_so_a_negotiating_server_sends_it(
        client, server, operation, accept, result):
    answer = client.operations[operation]()
    assert sent(server)["headers"]["Accept"] == accept
    assert answer == result


def test_lago_public_key_is_asked_for_as_text_and_comes_back_as_text(spec_1_51):
    with LocalLago(spec_1_51, webhook_public_key=b"-----BEGIN PUBLIC KEY-----") as lago, \
            lago_dyn.Client(spec_1_51, base_url=lago.base_url, api_key=API_KEY) as client:
        key = client.fetch_public_key()
        assert lago.requests[-1].headers["Accept"] == "text/plain, application/json;q=0.5"
        assert key == "LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0="
        client.fetch_json_public_key()
        assert lago.requests[-1].headers["Accept"] == "application/json"


# -- answers ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("content_type, content, expected", [
    ("application/json", b'{"a": [1, 2]}', {"a": [1, 2]}),
    ("application/vnd.api+json; charset=utf-8", b'{"a": 1}', {"a": 1}),
    ("application/json", b"", None),
    ("text/plain; charset=ISO-8859-1", "héllo".encode("latin-1"), "héllo"),
    ('text/plain; format=flowed; charset="iso-8859-1"', "é".encode("latin-1"), "é"),
    ("text/plain; charset=no-such-codec", "héllo".encode(), "héllo"),  # unknown charset: UTF-8
    ('text/plain;CHARSET = "latin-1"', "é".encode("latin-1"), "é"),  # parameter names are case-insensitive
    ("text/plain", "héllo".encode(), "héllo"),
    ("text/csv", b"caf\xe9", "caf\ufffd"),  # not UTF-8 as announced: the bad byte replaced, not an error
    ("text/plain", b"", None),
    ("application/octet-stream", b"\x00\x01", b"\x00\x01"),
    ("application/octet-stream", b"", None),
    (None, b'{"sniffed": true}', {"sniffed": True}),  # no Content-Type: JSON when it looks like JSON
    (None, b"[1]", [1]),
    (None, b"plain bytes", b"plain bytes"),
])
def test_answers_come_back_by_their_content_type(client, server, content_type, content, expected):
    server.next_answer = (content_type, content)
    with lago_dyn.Client(client.spec, base_url=client.base_url, response_validation="off") as loose:
        assert loose.echo() == expected


# -- JSON bodies ------------------------------------------------------------------------------------------

class Plan(enum.Enum):
    GOLD = "gold"


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Address:
    city: str
    zipcode: str = "75001"


@dataclasses.dataclass
class Signup:
    name: str
    active: bool


class Duck:
    """Not pydantic: just the `model_dump()` that pydantic v2 models offer."""

    def model_dump(self):
        return {"kind": "duck"}


class Legacy:
    def to_dict(self):
        return {"kind": "legacy"}


@pytest.mark.parametrize("value, sent_json", [
    ({"plan": Plan.GOLD, "level": Level.HIGH}, '{"plan":"gold","level":3}'),
    ({"tags": {"vip"}, "frozen": frozenset({1}), "pair": (1, 2)}, '{"tags":["vip"],"frozen":[1],"pair":[1,2]}'),
    ({"address": Address("Paris")}, '{"address":{"city":"Paris","zipcode":"75001"}}'),
    ({"model": Duck(), "legacy": Legacy()}, '{"model":{"kind":"duck"},"legacy":{"kind":"legacy"}}'),
    ({"at": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), "on": datetime.date(2024, 1, 2),
      "time": datetime.time(9, 30)}, '{"at":"2024-01-02T03:04:05+00:00","on":"2024-01-02","time":"09:30:00"}'),
    ({"id": uuid.UUID(int=1)}, '{"id":"00000000-0000-0000-0000-000000000001"}'),
    ({"whole": decimal.Decimal("12.00"), "half": decimal.Decimal("0.5"), "exact": decimal.Decimal("0.1"),
      "long": decimal.Decimal("0.1000000000000000000001")}, '{"whole":12,"half":0.5,"exact":0.1,"long":"0.1000000000000000000001"}'),
    ({"name": "Zoë ✓"}, '{"name":"Zoë ✓"}'),  # UTF-8 as it is, not \\u escapes
])
def test_python_values_go_out_as_their_json_form(client, server, value, sent_json):
    client.post_json(value)
    assert sent(server)["body"] == sent_json.encode()
    assert sent(server)["headers"]["Content-Type"] == "application/json"


def test_a_pydantic_model_is_sent_as_its_model_dump(client, server):
    pydantic = pytest.importorskip("pydantic")

    class Customer(pydantic.BaseModel):
        external_id: str
        plan: Plan

    client.post_json({"customer": Customer(external_id="c-1", plan=Plan.GOLD)})
    assert json.loads(sent(server)["body"]) == {"customer": {"external_id": "c-1", "plan": "gold"}}
    client.post_json(Customer(external_id="c-2", plan=Plan.GOLD))  # the whole body, too
    assert json.loads(sent(server)["body"]) == {"external_id": "c-2", "plan": "gold"}


def test_a_vendor_json_type_is_sent_as_json_with_its_own_content_type(client, server):
    client.post_vendor({"plan": Plan.GOLD})
    assert sent(server)["body"] == b'{"plan":"gold"}'
    assert sent(server)["headers"]["Content-Type"] == "application/vnd.acme+json"


@pytest.mark.parametrize("value, message", [  # each line: location: message (rule: ..., got <type>)
    ({"a": {"b": [1, object()]}}, r"body\.a\.b\[1\]: a value of type object is not JSON data \(rule: json, got object\)"),
    ({"when": datetime.timedelta(1)}, r"body\.when: a value of type timedelta is not JSON data \(rule: json, got timedelta\)"),
    ({"a": float("nan")}, r"body: NaN, infinity or an integer too long for JSON \(rule: json, got number\)"),
    ({"a": "\udc80"}, r"body: a string holds a lone surrogate, which UTF-8 cannot carry \(rule: json, got string\)"),
    ({("tuple", "key"): 1}, r"body: a mapping key is not a string, number or boolean \(rule: json, got object\)"),
    ({"a": 1, "b": [2, object()], "c": object()}, r"body\.b\[1\]: a value of type object"),  # the first one
    ({"p": Address(object())}, r"body\.p\.city: a value of type object"),  # inside a dataclass too
    ({"kind": Address}, r"body\.kind: a value of type type is not JSON data"),  # the class, not an instance
])
def test_values_with_no_json_form_are_refused_before_sending_by_where_they_are(client, server, value, message):
    with pytest.raises(lago_dyn.RequestValidationError, match=message):
        client.post_json(value)
    assert server.received == []


def test_a_body_nested_too_deeply_is_refused_in_our_words(client, server):
    value: list = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(lago_dyn.RequestValidationError,
                       match=r"body: nested too deeply to be sent as JSON \(rule: json, got object\)"):
        client.post_json({"deep": value, "at": datetime.date(2024, 1, 1)})
    assert server.received == []


# -- form bodies ------------------------------------------------------------------------------------------

def test_form_fields_follow_their_encoding_objects(client, server):
    client.post_form({"name": "Ada L", "skipped": None, "active": False, "tags": ["a", "b"], "point": {"x": Plan.GOLD},
                      "label": True, "path": "a/b?c", "filter": {"plan": Plan.GOLD}, "a/b c": "d/e f"})
    assert sent(server)["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    assert sent(server)["body"] == (b"name=Ada%20L&active=false&tags=a|b&point=%7B%22x%22%3A%22gold%22%7D"
                                    b"&label=true&path=a/b?c&filter[plan]=gold&a%2Fb%20c=d%2Fe%20f")
    client.post_form({"styled": ["a", "b"], "unexploded": ["a", "b"], "reserved": "a/b", "spaced": ["a", "b"]})
    assert sent(server)["body"] == b"styled=a&styled=b&unexploded=a,b&reserved=a/b&spaced=a%20b"


@pytest.mark.parametrize("value, text", [
    (datetime.date(2024, 1, 2), b"2024-01-02"), (Plan.GOLD, b"gold"), (False, b"false"), (12, b"12"),
    ({"k": "v"}, b"%7B%22k%22%3A%22v%22%7D"),  # text/plain of an object: its JSON text
    ([datetime.date(2024, 1, 2)], b"%5B%222024-01-02%22%5D"),
])
def test_a_text_plain_form_field_is_the_values_text(client, server, value, text):
    client.post_form({"label": value})
    assert sent(server)["body"] == b"label=" + text


def test_a_form_body_is_an_object_of_fields(client, server):
    with pytest.raises(lago_dyn.RequestValidationError,
                       match="body: a application/x-www-form-urlencoded body is an object of fields"):
        client.post_form(["name", "Ada"])
    client.post_form(Signup("Ada", True))  # an object with fields is taken as its fields
    assert sent(server)["body"] == b"name=Ada&active=true"


# -- multipart bodies -------------------------------------------------------------------------------------

class NamedFile(io.BytesIO):
    name = "/tmp/uploads/report.csv"


@pytest.mark.parametrize("file, part", [
    (b"raw", ("file", "file", "application/octet-stream", b"raw")),
    (bytearray(b"raw"), ("file", "file", "application/octet-stream", b"raw")),
    (io.BytesIO(b"from a file"), ("file", "file", "application/octet-stream", b"from a file")),
    (NamedFile(b"a,b"), ("file", "report.csv", "application/octet-stream", b"a,b")),
    (io.StringIO("text file é"), ("file", "file", "application/octet-stream", "text file é".encode())),
    # requests' tuple forms: (filename, content), (filename, content, content_type)
    (("a.bin", b"two"), ("file", "a.bin", "application/octet-stream", b"two")),
    (("a.bin", io.BytesIO(b"two")), ("file", "a.bin", "application/octet-stream", b"two")),
    (("a.png", b"png", "image/png"), ("file", "a.png", "image/png", b"png")),
    (("a.png", b"png", None), ("file", "a.png", "application/octet-stream", b"png")),
    ((None, b"anonymous"), ("file", None, "application/octet-stream", b"anonymous")),
])
def test_a_file_goes_out_in_every_form_requests_accepts(client, server, file, part):
    client.post_files({"file": file})
    assert sent(server)["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")
    assert parts_of(sent(server)) == [part]


def test_a_file_tuple_may_carry_headers_of_its_part(client, server):
    client.post_files({"file": ("a.txt", b"hi", "text/plain", {"X-Checksum": "abc"})})
    assert b'X-Checksum: abc\r\n' in sent(server)["body"]
    assert parts_of(sent(server)) == [("file", "a.txt", "text/plain", b"hi")]


def test_a_file_takes_the_encoding_objects_content_type_unless_given_its_own(client, server):
    client.post_typed_file({"file": ("a.png", b"png")})
    assert parts_of(sent(server)) == [("file", "a.png", "image/png", b"png")]
    client.post_typed_file({"file": io.BytesIO(b"png")})
    assert parts_of(sent(server)) == [("file", "file", "image/png", b"png")]
    client.post_typed_file({"file": ("a.gif", b"gif", "image/gif")})
    assert parts_of(sent(server)) == [("file", "a.gif", "image/gif", b"gif")]


def test_plain_values_are_text_parts_and_structures_json_parts(client, server):
    client.post_files({"note": "# Hi", "count": 3, "flag": False, "meta": {"plan": Plan.GOLD},
                       "tags": ["a", "b"], "anything": Address("Paris"), "gone": None})
    assert parts_of(sent(server)) == [
        ("note", None, "text/markdown", b"# Hi"),
        ("count", None, "text/plain", b"3"),
        ("flag", None, "text/plain", b"false"),
        ("meta", None, "application/json", b'{"plan":"gold"}'),
        ("tags", None, "text/plain", b"a"),  # an array property: one part per item
        ("tags", None, "text/plain", b"b"),
        ("anything", None, "application/json", b'{"city":"Paris","zipcode":"75001"}'),
    ]


def test_multipart_mixed_keeps_its_own_type_with_the_same_framing(client, server):
    client.post_mixed({"note": "hello"})
    content_type = sent(server)["headers"]["Content-Type"]
    assert content_type.startswith("multipart/mixed; boundary=")
    assert parts_of(sent(server)) == [("note", None, "text/plain", b"hello")]


def test_a_multipart_body_is_an_object_of_fields(client, server):
    with pytest.raises(lago_dyn.RequestValidationError, match="body: a multipart/form-data body is an object"):
        client.post_files("just text")
    assert server.received == []


# -- text and binary bodies -------------------------------------------------------------------------------

def test_text_and_binary_bodies_are_sent_as_given(client, server):
    client.post_text("héllo")
    assert sent(server)["body"] == "héllo".encode() and sent(server)["headers"]["Content-Type"] == "text/plain"
    client.post_raw(memoryview(b"\x00raw"))
    assert sent(server)["body"] == b"\x00raw"
    assert sent(server)["headers"]["Content-Type"] == "application/octet-stream"
    client.post_raw("as text")
    assert sent(server)["body"] == b"as text"
    with pytest.raises(lago_dyn.RequestValidationError,
                       match=r"body: the text holds a lone surrogate \(rule: text, got string\)"):
        client.post_text("\udc80")
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body: a application/octet-stream body is sent as "
                       r"given: pass str, bytes or a binary file object \(rule: media-type, got int\)"):
        client.post_raw(12)
    client.post_binary(b"\x00\x01")  # bytes for a `format: binary` string schema: sent, not judged as JSON
    assert sent(server)["body"] == b"\x00\x01"


def test_a_form_field_with_no_json_form_is_named_by_its_field(client, server):
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body\.point\.x: a value of type object"):
        client.post_form({"point": {"x": object()}})  # a contentType field
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body\.tags\[0\]: a value of type object"):
        client.post_form({"tags": [object()]})  # a styled field
    assert server.received == []


# -- what validation sees of each body --------------------------------------------------------------------

def test_a_text_body_is_judged_by_its_schema_and_other_types_are_not(client, server):
    with pytest.raises(lago_dyn.RequestValidationError, match="body: has more than 3 characters"):
        client.post_short("four")
    client.post_xml("<a/>")  # a str, not the JSON object the schema describes: XML is not judged by it
    assert sent(server)["body"] == b"<a/>"
    # text/xml too (AWS's query APIs): the schema maps to the document's elements (the XML Object), not its text
    client.post_text_xml("<Request><Action>List</Action></Request>")
    assert sent(server)["body"] == b"<Request><Action>List</Action></Request>"
    assert sent(server)["headers"]["Content-Type"] == "text/xml"


def test_form_and_multipart_bodies_are_judged_as_the_fields_they_carry(client, server):
    with pytest.raises(lago_dyn.RequestValidationError, match=r'body\.active: "yes" is not of type boolean' ):
        client.post_strict_form({"active": "yes"})
    client.post_strict_form({"active": True, "name": None})  # a None field is left out, not judged as null
    assert sent(server)["body"] == b"active=true"
    with pytest.raises(lago_dyn.RequestValidationError, match=r'body\.count: "three" is not of type integer' ):
        client.post_strict_files({"file": b"x", "count": "three"})
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body\.tags: has more than 2 items"):
        client.post_strict_files({"file": b"x", "tags": ["a", "b", "c"]})
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body\.meta\.k: required field 'k' is missing"):
        client.post_strict_files({"file": b"x", "meta": {}})
    with pytest.raises(lago_dyn.RequestValidationError, match=r"body\.file: required field 'file' is missing"):
        client.post_strict_files({"count": 1})
    client.post_strict_files({"file": ("a.txt", b"x"), "tags": "one", "count": 2})  # one item for an array: fine
    assert parts_of(sent(server)) == [("file", "a.txt", "application/octet-stream", b"x"),
                                      ("tags", None, "text/plain", b"one"), ("count", None, "text/plain", b"2")]
