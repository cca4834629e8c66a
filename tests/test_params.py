"""The style table of OpenAPI 3.1 (§4.8.12.4 "Style Examples"), row by row, with the specification's own
values (`color` = "blue", ["blue", "black", "brown"], {"R": 100, "G": 200, "B": 150}): each serialized to
the exact string the table shows, and parsed back (LocalLago's direction) to the same value."""

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


def test_text_is_coerced_by_the_types_the_schema_allows():
    assert params.coerce("404", ("string", "integer")) == 404  # anyOf[string enum, integer]
    assert params.coerce("404", ("string",)) == "404"
    assert params.coerce("true", ("boolean",)) is True
    assert params.coerce("1.5", ("number",)) == 1.5
    assert params.coerce("abc", ("integer",)) == "abc"  # left for validation to refuse
