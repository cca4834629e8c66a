"""Parameter serialization as OpenAPI 3 specifies it, checked with a fake transport (no network), and
hostile path values that must stay inside their segment."""

import pytest

import lago_dyn
from lago_dyn.wire import WireResponse


class RecordingTransport:
    def __init__(self):
        self.sent = []

    def send(self, request):
        self.sent.append(request)
        return WireResponse(200, {"Content-Type": "application/json"}, b"{}")

    def close(self):
        pass


def spec_with(parameters, path="/items/{id}"):
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "servers": [{"url": "https://h.test/v1"}],
            "paths": {path: {"get": {"operationId": "listItems", "parameters": parameters,
                                     "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}}}}}


def sent_url(parameters, path="/items/{id}", **arguments):
    transport = RecordingTransport()
    client = lago_dyn.Client(spec_with(parameters, path), transport=transport)
    client.list_items(**arguments)
    return transport.sent[-1].url


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def test_lago_bracket_arrays_explode_into_repeated_names():
    param = {"name": "external_customer_ids[]", "in": "query", "schema": {"type": "array", "items": {"type": "string"}}}
    url = sent_url([ID, param], id="x", external_customer_ids=["a", "b c"])
    assert url == "https://h.test/v1/items/x?external_customer_ids[]=a&external_customer_ids[]=b%20c"


@pytest.mark.parametrize("style, explode, expected", [
    ("form", False, "tags=a,b"), ("spaceDelimited", False, "tags=a%20b"), ("pipeDelimited", False, "tags=a|b"),
])
def test_array_styles(style, explode, expected):
    param = {"name": "tags", "in": "query", "style": style, "explode": explode,
             "schema": {"type": "array", "items": {"type": "string"}}}
    assert sent_url([ID, param], id="x", tags=["a", "b"]).endswith("?" + expected)


def test_deep_object_and_booleans():
    group = {"name": "group", "in": "query", "style": "deepObject", "explode": True,
             "schema": {"type": "object", "additionalProperties": {"type": "string"}}}
    flag = {"name": "full_usage", "in": "query", "schema": {"type": "boolean"}}
    url = sent_url([ID, group, flag], id="x", group={"cloud": "aws"}, full_usage=True)
    assert url.endswith("?group[cloud]=aws&full_usage=true")


@pytest.mark.parametrize("value, segment", [
    ("a/b", "a%2Fb"), ("..", "%2E%2E"), (".", "%2E"), ("a?b#c", "a%3Fb%23c"), ("%2F", "%252F"), ("é", "%C3%A9"),
])
def test_path_values_cannot_change_the_path(value, segment):
    assert sent_url([ID], id=value) == f"https://h.test/v1/items/{segment}"


def test_header_values_with_line_breaks_are_refused():
    header = {"name": "X-Key", "in": "header", "schema": {"type": "string"}}
    transport = RecordingTransport()
    client = lago_dyn.Client(spec_with([ID, header]), transport=transport)
    with pytest.raises(lago_dyn.RequestValidationError, match="CR, LF"):
        client.list_items("x", x_key="a\r\nInjected: yes")
    assert transport.sent == []
    client.list_items("x", x_key="fine")
    assert transport.sent[-1].headers["X-Key"] == "fine"


def test_python_keywords_and_brackets_become_valid_argument_names():
    params = [ID, {"name": "class", "in": "query", "schema": {"type": "string"}},
              {"name": "metadata[key]", "in": "query", "schema": {"type": "string"}}]
    url = sent_url(params, id="x", class_="gold", metadata_key="v")
    assert url.endswith("?class=gold&metadata[key]=v")
