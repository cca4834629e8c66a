"""The style table of OpenAPI 3.1 (§4.8.12.4 "Style Examples"), row by row, with the specification's own
values (`color` = "blue", ["blue", "black", "brown"], {"R": 100, "G": 200, "B": 150}): each serialized to
the exact string the table shows, and parsed back (LocalLago's direction) to the same value."""

import datetime
import enum
import json

import pytest

from lago_dyn.codecs import params

PRIMITIVE, ARRAY, OBJECT = "blue", ["blue", "black", "brown"], {"R": 100, "G": 200, "B": 150}

TABLE = [  # style, explode, primitive, array, object  (None: "n/a" in the specification)
    ("matrix", False, ";color=blue", ";color=blue,black,brown", ";color=R,100,G,200,B,150"),
    ("matrix", True, ";color=blue", ";color=blue;color=black;color=brown", ";R=100;G=200;B=150"),
    ("label", False, ".blue", ".blue,black,brown", ".R,100,G,200,B,150"),
    ("label", True, ".blue", ".blue.black.brown", ".R=100.G=200.B=150"),
    ("simple", False, "blue", "blue,black,brown", "R,100,G,200,B,150"),
    ("simple", True, "blue", "blue,black,brown", "R=100,G=200,B=150"),
    ("form", False, "color=blue", "color=blue,black,brown", "color=R,100,G,200,B,150"),
    ("form", True, "color=blue", "color=blue&color=black&color=brown", "R=100&G=200&B=150"),
    ("spaceDelimited", False, None, "color=blue%20black%20brown", "color=R%20100%20G%20200%20B%20150"),
    ("pipeDelimited", False, None, "color=blue|black|brown", "color=R|100|G|200|B|150"),
    ("deepObject", True, None, None, "color[R]=100&color[G]=200&color[B]=150"),
]


@pytest.mark.parametrize("style, explode, primitive, array, obj", TABLE)
def test_serialization_matches_the_specification_table(style, explode, primitive, array, obj):
    for value, expected in ((PRIMITIVE, primitive), (ARRAY, array), (OBJECT, obj)):
        if expected is not None:
            assert params.serialize("color", value, style, explode) == expected


@pytest.mark.parametrize("style, explode, primitive, array, obj", [row for row in TABLE if row[0] in ("matrix", "label", "simple")])
def test_path_styles_parse_back_to_the_value(style, explode, primitive, array, obj):
    assert params.parse_simple(primitive, style, explode, "string", "color") == "blue"
    assert params.parse_simple(array, style, explode, "array", "color") == ARRAY
    assert params.parse_simple(obj, style, explode, "object", "color") == {"R": "100", "G": "200", "B": "150"}


@pytest.mark.parametrize("style, explode, primitive, array, obj",
                         [row for row in TABLE if row[0] in ("form", "spaceDelimited", "pipeDelimited", "deepObject")])
def test_query_styles_parse_back_to_the_value(style, explode, primitive, array, obj):
    from urllib.parse import parse_qsl

    def pairs(text):
        return parse_qsl(text, keep_blank_values=True)

    if primitive:
        assert params.parse_query("color", pairs(primitive), style, explode, "string") == "blue"
    if array:
        assert params.parse_query("color", pairs(array), style, explode, "array") == ARRAY
    assert params.parse_query("color", pairs(obj), style, explode, "object", OBJECT) == {
        "R": "100", "G": "200", "B": "150"}


def test_empty_values_follow_the_table():
    assert params.serialize("color", "", "matrix", False) == ";color"
    assert params.serialize("color", "", "label", False) == "."
    assert params.serialize("color", "", "form", False) == "color="


def test_values_are_percent_encoded_unless_reserved_characters_are_allowed():
    assert params.serialize("q", "a b/c?d", "form", True) == "q=a%20b%2Fc%3Fd"
    assert params.serialize("q", "a b/c?d", "form", True, encode=params.encoder(True)) == "q=a%20b/c?d"
    assert params.serialize_path("id", "..", "simple", False) == "%2E%2E"


def test_deep_objects_nest_with_indices_for_arrays():
    value = {"order_id": "6735", "items": [{"price": "p_1", "quantity": 2}], "flag": True}
    assert params.serialize("metadata", value, "deepObject", True) == (
        "metadata[order_id]=6735&metadata[items][0][price]=p_1&metadata[items][0][quantity]=2&metadata[flag]=true")


def test_cookies_and_headers():
    assert params.serialize_header(ARRAY, False) == "blue,black,brown"
    assert params.serialize_header(OBJECT, True) == "R=100,G=200,B=150"
    assert params.serialize_cookie("color", ARRAY, False) == "color=blue,black,brown"
    assert params.serialize_cookie("session", "a b", False) == "session=a%20b"


@pytest.mark.parametrize("text, types, value", [
    ("false", ("boolean",), False), ("true", ("string", "boolean"), True), ("False", ("boolean",), "False"),
    ("1e3", ("number",), 1000.0), ("-2", ("number",), -2), ("2.50", ("integer", "number"), 2.5),
    ("x", ("number", "integer"), "x"), ("", ("integer", "null"), None), ("null", ("null",), None),
    ("none", ("null",), "none"), ("", ("boolean",), ""), (7, ("string",), 7),  # a value already typed stays
])
def test_text_takes_the_first_type_the_schema_allows_that_reads_it(text, types, value):
    coerced = params.coerce(text, types)
    assert coerced == value and type(coerced) is type(value)


def test_text_is_coerced_by_the_types_the_schema_allows():
    assert params.coerce("404", ("string", "integer")) == 404  # anyOf[string enum, integer]
    assert params.coerce("404", ("string",)) == "404"
    assert params.coerce("true", ("boolean",)) is True
    assert params.coerce("1.5", ("number",)) == 1.5
    assert params.coerce("abc", ("integer",)) == "abc"  # left for validation to refuse


# -- both ways at once: every style, explode and location the table serves, for any value ------------------
# What the client serializes, LocalLago must read back to the same value (the style table is used both
# ways). Values avoid what a style cannot tell apart by its own definition: the query styles' separators
# inside items (LocalLago reads a query with `parse_qsl`, which decodes before splitting), dots under exploded
# label (`.` is unreserved, so never encoded), spaces under
# spaceDelimited, brackets in deepObject keys, empty arrays and objects (`color=` is also [""]).

from urllib.parse import parse_qsl  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402

ITEM = st.text(st.characters(codec="utf-8", exclude_characters=",| []."), min_size=1, max_size=6)
ARRAYS = st.lists(ITEM, min_size=1, max_size=4)
OBJECTS = st.dictionaries(ITEM, ITEM, min_size=1, max_size=4)
PATH_STYLES = [(style, explode) for style in ("simple", "label", "matrix") for explode in (False, True)]
QUERY_STYLES = [("form", False), ("form", True), ("spaceDelimited", False), ("pipeDelimited", False)]


def query_pairs(text):
    return parse_qsl(text, keep_blank_values=True)


@pytest.mark.parametrize("style, explode", PATH_STYLES)
@settings(max_examples=25, deadline=None)
@given(primitive=st.text(max_size=6), array=ARRAYS, obj=OBJECTS)
def test_path_values_round_trip_in_every_path_style(style, explode, primitive, array, obj):
    for value, kind in ((primitive, "string"), (array, "array"), (obj, "object")):
        text = params.serialize_path("color", value, style, explode)
        assert "/" not in text and "?" not in text and "#" not in text and text not in (".", "..")
        assert params.parse_simple(text, style, explode, kind, "color") == value


@pytest.mark.parametrize("style, explode", QUERY_STYLES)
@settings(max_examples=25, deadline=None)
@given(primitive=st.text(max_size=6), array=ARRAYS, obj=OBJECTS)
def test_query_values_round_trip_in_every_query_style(style, explode, primitive, array, obj):
    if style == "form":
        text = params.serialize("color", primitive, style, explode)
        assert params.parse_query("color", query_pairs(text), style, explode, "string") == primitive
    text = params.serialize("color", array, style, explode)
    assert params.parse_query("color", query_pairs(text), style, explode, "array") == array
    if not explode:  # exploded form objects are read by their declared properties (the next test)
        text = params.serialize("color", obj, style, explode)
        assert params.parse_query("color", query_pairs(text), style, explode, "object") == obj


@settings(max_examples=25, deadline=None)
@given(obj=OBJECTS, other=st.text(max_size=4))
def test_an_exploded_form_object_is_its_declared_properties_among_other_parameters(obj, other):
    text = params.serialize("color", obj, "form", True) + "&" + params.serialize("page", other, "form", True)
    assert params.parse_query("color", query_pairs(text), "form", True, "object", list(obj)) == obj
    assert params.parse_query("color", query_pairs("page=2"), "form", True, "object", list(obj)) is None


NESTED = st.recursive(ITEM, lambda children: st.dictionaries(ITEM, children, min_size=1, max_size=3), max_leaves=8)


@settings(max_examples=40, deadline=None)
@given(obj=st.dictionaries(ITEM, NESTED, min_size=1, max_size=4))
def test_deep_objects_round_trip_at_any_depth(obj):
    text = "page=1&" + params.serialize("filter", obj, "deepObject", True) + "&filterx[a]=1&other[a]=2&filter=3&filter[b=4"
    assert params.parse_query("filter", query_pairs(text), "deepObject", True, "object") == obj


HEADER_TEXT = st.characters(codec="latin-1", exclude_characters=",\r\n\0")
HEADER_KEY = st.characters(codec="latin-1", exclude_characters=",=\r\n\0")


def test_a_deep_object_member_given_as_text_and_as_object_keeps_the_first_and_reads_on():
    pairs = query_pairs("f[a]=1&f[a][b]=2&f[c][d]=3")
    assert params.parse_query("f", pairs, "deepObject", True, "object") == {"a": "1", "c": {"d": "3"}}


@pytest.mark.parametrize("explode", [False, True])
@settings(max_examples=25, deadline=None)
@given(primitive=st.text(HEADER_TEXT, max_size=6), array=st.lists(st.text(HEADER_TEXT, min_size=1), min_size=1),
       obj=st.dictionaries(st.text(HEADER_KEY, min_size=1), st.text(HEADER_TEXT, min_size=1), min_size=1))
def test_header_values_round_trip_unencoded(explode, primitive, array, obj):
    text = params.serialize_header(primitive, explode)
    assert params.parse_simple(text, "simple", explode, "string", decode=str) == primitive == text
    text = params.serialize_header(array, explode)
    assert params.parse_simple(text, "simple", explode, "array", decode=str) == array
    text = params.serialize_header(obj, explode)  # exploded: `k=v,k2=v2`, and a value may hold a "="
    assert params.parse_simple(text, "simple", explode, "object", decode=str) == obj


# -- over HTTP: what LocalLago reads is what the client meant ---------------------------------------------

import lago_dyn  # noqa: E402
from lago_dyn.testing import LocalLago  # noqa: E402

THING = {"type": "object", "properties": {"id": {"type": "string"}}}
THINGS_SPEC = {
    "openapi": "3.1.0", "info": {"title": "things", "version": "1"}, "servers": [{"url": "http://127.0.0.1:9/v1"}],
    "paths": {"/docs/{doc}": {"get": {"operationId": "findDoc", "parameters": [
        {"name": "doc", "in": "path", "required": True, "content": {"application/json": {"schema": {"type": "object"}}}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": THING}}}}}},
              "/things/{id}": {"get": {"operationId": "findThing", "parameters": [
        {"name": "id", "in": "path", "required": True, "style": "label", "schema": {"type": "string", "maxLength": 0}},
        {"name": "active", "in": "query", "schema": {"type": "boolean"}},
        {"name": "note", "in": "query", "schema": {"type": "string"}},
        {"name": "limit", "in": "query", "schema": {"type": ["integer", "null"]}},
        {"name": "filter", "in": "query", "style": "deepObject", "explode": True, "schema": {
            "type": "object", "additionalProperties": False, "properties": {
                "plan": {"type": "object", "required": ["code"], "additionalProperties": False,
                         "properties": {"code": {"type": "string", "const": "gold"}}},
                "count": {"type": "string"}}}},
        {"name": "ids", "in": "query", "explode": False, "schema": {"type": "array", "items": {"type": "integer"}}},
        {"name": "q", "in": "query", "schema": {}},
        {"name": "pair", "in": "query", "explode": False, "schema": {}},
        {"name": "prefs", "in": "cookie", "schema": {"type": "array", "items": {"type": "string"}}},
        {"name": "theme", "in": "cookie", "explode": False, "schema": {}},
        {"name": "ui", "in": "cookie", "schema": {"type": "object"}},
        {"name": "seen!", "in": "cookie", "schema": {"type": "string"}},
        {"name": "lookup", "in": "query", "required": True, "style": "deepObject", "explode": True,
         "schema": {"type": "object"}},
        {"name": "X-Note", "in": "header", "schema": {"type": "string", "const": "50%25 %2E"}},
        {"name": "X-Flags", "in": "header", "schema": {"type": "array", "items": {"type": "boolean"}}},
        {"name": "X-Point", "in": "header", "explode": True, "schema": {
            "type": "object", "properties": {"x": {"type": "number"}, "on": {"type": "boolean"}}}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": THING}}},
                      "422": {"description": "invalid", "content": {"application/json": {"schema": {}}}}}}}},
}


@pytest.fixture(scope="module")
def things():
    spec = lago_dyn.load_spec(THINGS_SPEC, cache_dir=False)
    with LocalLago(spec, require_auth=False) as lago, lago_dyn.Client(spec, base_url=lago.base_url) as client:
        yield lago, client


def test_local_lago_reads_back_false_empty_nested_and_typed_values_the_client_sent(things):
    lago, client = things
    client.find_thing("", lookup={"a": "1"}, active=False, note="", limit=0, filter={"plan": {"code": "gold"}, "count": "2"},
                      ids=[1, 2], x_note="50%25 %2E", x_flags=[True, False], x_point={"x": 1.5, "on": False})
    request = lago.requests[-1]
    assert request.path in ("/v1/things/%2E", "/v1/things/.")  # label style of "" is "."; requests unquotes %2E
    assert request.query_pairs == [("active", "false"), ("note", ""), ("limit", "0"), ("filter[plan][code]", "gold"),
                                   ("filter[count]", "2"), ("ids", "1,2"), ("lookup[a]", "1")]  # urllib3 sends the brackets encoded
    assert request.headers["X-Note"] == "50%25 %2E"  # headers are not percent-encoded, nor read as if they were
    assert request.headers["X-Flags"] == "true,false" and request.headers["X-Point"] == "x=1.5,on=false"


def test_a_content_path_parameter_is_its_json_text_encoded_whole(things):
    lago, client = things
    client.find_doc({"path": "a/b?c"})
    assert lago.requests[-1].path == "/v1/docs/%7B%22path%22%3A%22a%2Fb%3Fc%22%7D"


@pytest.mark.parametrize("query, rule", [
    ("active=False", "query.active"),  # Python's spelling is not a JSON boolean
    ("active=", "query.active"),  # an empty text is not a boolean (for a nullable integer it is null)
    ("limit=x", "query.limit"),
    ("filter[plan]=gold", "query.filter"),  # not nested as the schema says
    ("filter[plan][code]=silver", "query.filter"),
    ("ids=1|2", "query.ids"),
    ("filter[plan]=x&filter[plan][code]=gold", "query.filter"),  # a member both text and object: the first wins
])
def test_local_lago_refuses_what_the_client_would_never_send(things, query, rule):
    import urllib.request
    from urllib.error import HTTPError

    lago, _ = things
    with pytest.raises(HTTPError) as refused:
        urllib.request.urlopen(f"{lago.base_url}/things/.?lookup[a]=1&{query}")
    assert refused.value.code == 422
    assert [where for where in json.loads(refused.value.read())["error_details"] if where.startswith(rule)]


def test_a_required_deep_object_that_is_absent_is_missing_for_local_lago(things):
    import urllib.request
    from urllib.error import HTTPError

    lago, _ = things
    with pytest.raises(HTTPError) as refused:
        urllib.request.urlopen(f"{lago.base_url}/things/.?lookupx[a]=1&lookup=2")
    assert json.loads(refused.value.read())["error_details"] == {"query.lookup": ["required: required parameter is missing"]}


@pytest.mark.parametrize("external_id", ["50%25off", "a,b", ".", "..", "a/b", "é 1"])
def test_a_customer_is_found_by_any_external_id(client, external_id):
    client.create_customer({"customer": {"external_id": external_id}})
    assert client.find_customer(external_id).customer.external_id == external_id


class Plan(enum.Enum):
    GOLD = "gold"


@pytest.mark.parametrize("value, query", [
    (False, "q=false"), (True, "q=true"), (0, "q=0"), ("", "q="), (1.5, "q=1.5"), ("false", "q=false"),
    (datetime.date(2024, 1, 2), "q=2024-01-02"),
    (datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), "q=2024-01-02T03%3A04%3A05%2B00%3A00"),
    (Plan.GOLD, "q=gold"),
    ("a b/c?d&e=f#é", "q=a%20b%2Fc%3Fd%26e%3Df%23%C3%A9"),  # RFC 3986: all but unreserved characters encoded
    ([True, None, {"a": 1}, [1, 2]], "q=true&q=&q=%7B%22a%22%3A1%7D&q=%5B1%2C2%5D"),  # deeper: JSON text
    ({"a": [1, 2], "b": False}, "a=%5B1%2C2%5D&b=false"),  # an exploded form object: its members as parameters
])
def test_query_values_go_out_as_json_spells_them(things, value, query):
    lago, client = things
    client.find_thing("", q=value, lookup={"a": "1"})
    assert lago.requests[-1].query == query + "&lookup%5Ba%5D=1"  # urllib3 encodes the brackets


def test_unexploded_values_and_cookies(things):
    lago, client = things
    client.find_thing("", lookup={"a": "1"}, pair={"a": "x y", "b": True}, prefs=["a b/c", "c"], theme={"dark": True},
                      ui={"la/ng": "fr;en/ca", "wide": False}, seen="a/b")
    assert lago.requests[-1].query == "pair=a,x%20y,b,true&lookup%5Ba%5D=1"
    # form cookies explode by default; RFC 6265 separates cookies with "; ", so ";" in a value is encoded
    assert lago.requests[-1].headers["Cookie"] == (
        "prefs=a%20b%2Fc; prefs=c; theme=dark,true; la%2Fng=fr%3Ben%2Fca; wide=false; seen!=a%2Fb")  # names: tokens as given
