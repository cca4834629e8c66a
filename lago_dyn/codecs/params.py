"""OpenAPI's parameter styles, one table used both ways: to serialize a value (the client) and to parse it
back (LocalLago), so the two can never disagree.

The table is the specification's own (OpenAPI 3.1 §4.8.12.4, "Style Examples"): each style says what
comes before the value, what separates array items and object members, and what joins a key to its value
when exploded. Form bodies (`application/x-www-form-urlencoded`) use the same table through the Encoding
Object, so `codecs.py` calls `serialize_pairs` too.

Percent-encoding follows RFC 3986: everything but unreserved characters is encoded unless `allowReserved`;
a path value is encoded whole, so `/`, `?`, `#` or `..` in a value stay inside their segment.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
from dataclasses import dataclass
from collections.abc import Mapping
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import quote, unquote

_RESERVED = ":/?#[]@!$&'()*+,;="


@dataclass(frozen=True)
class Style:
    """One row of the style table (its name is the key in STYLES)."""

    #: Before the value when not exploded; `{name}` stands for the parameter's name (form: `{name}=`).
    prefix: str
    #: Between array items and object members when not exploded (objects: between key and value too).
    separator: str
    #: Before the first item when exploded (label: `.`, matrix: `;`).
    lead: str
    #: Between items when exploded.
    exploded_separator: str
    #: Whether each exploded array item repeats the name (`color=blue&color=black`).
    repeats_name: bool


STYLES: dict[str, Style] = {
    "simple": Style("", ",", "", ",", False),
    "label": Style(".", ",", ".", ".", False),
    "matrix": Style(";{name}=", ",", ";", ";", True),
    "form": Style("{name}=", ",", "", "&", True),
    "spaceDelimited": Style("{name}=", "%20", "", "&", True),
    "pipeDelimited": Style("{name}=", "|", "", "&", True),
}


def scalar_text(value: Any) -> str:
    """A primitive as the text a URL or header carries: JSON's spelling of booleans and null."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return scalar_text(value.value)
    if isinstance(value, (Mapping, list, tuple)):  # nested deeper than a style describes: JSON, not a repr
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def _encode_all(text: str) -> str:
    return quote(text, safe="")


def _encode_unreserved(text: str) -> str:
    return quote(text, safe=_RESERVED)


def encoder(allow_reserved: bool = False) -> Callable[[str], str]:
    """Percent-encoding for a value: everything but RFC 3986's unreserved characters, or with
    `allowReserved` the reserved ones kept too."""
    return _encode_unreserved if allow_reserved else _encode_all


def _identity(text: str) -> str:
    return text


def _is_array(value: Any) -> bool:
    return isinstance(value, (list, tuple))


# -- serializing ----------------------------------------------------------------------------------------


def serialize(name: str, value: Any, style: str, explode: bool, *, encode: Callable[[str], str] = encoder(),
              encode_name: Callable[[str], str] | None = None) -> str:
    """A value in a style: `.blue.black`, `;color=blue;color=black`, `color=blue&color=black`, ...
    (the exact strings of the specification's table). Query and form fragments are joined with `&`."""
    key = (encode_name or encode)(name)
    if style == "deepObject":
        return "&".join(f"{k}={v}" for k, v in deep_object_pairs(key, value, encode))
    row = STYLES.get(style, STYLES["simple"])
    prefix = row.prefix.replace("{name}", key)
    if _is_array(value):
        items = [encode(scalar_text(item)) for item in value]
        if not explode:
            return prefix + row.separator.join(items)
        if not items:
            return prefix.rstrip("=") if row.repeats_name else row.lead
        if row.repeats_name:
            items = [f"{key}={item}" for item in items]
        return row.lead + row.exploded_separator.join(items)
    if isinstance(value, Mapping):
        members = [(encode(str(k)), encode(scalar_text(v))) for k, v in value.items()]
        if not explode:
            return prefix + row.separator.join(f"{k}{row.separator}{v}" for k, v in members)
        return row.lead + row.exploded_separator.join(f"{k}={v}" for k, v in members)
    if (value is None or value == "") and style == "matrix":
        return prefix.rstrip("=")
    return prefix + encode(scalar_text(value))


def deep_object_pairs(key: str, value: Any, encode: Callable[[str], str]) -> list[tuple[str, str]]:
    """`name[a][b]=v` pairs, nesting as deep as the value (Rails, Rack and Stripe read it so); arrays
    inside take their index (`items[0][price]`)."""
    if isinstance(value, Mapping):
        members: Iterable[tuple[Any, Any]] = value.items()
    elif _is_array(value):
        members = enumerate(value)
    else:
        return [(key, encode(scalar_text(value)))]
    pairs: list[tuple[str, str]] = []
    for member, item in members:
        pairs.extend(deep_object_pairs(f"{key}[{encode(str(member))}]", item, encode))
    return pairs


def serialize_path(name: str, value: Any, style: str, explode: bool) -> str:
    text = serialize(name, value, style, explode)
    # A whole segment of "." or ".." would be read as a dot-segment and move the path: encode the dots.
    return text.replace(".", "%2E") if text in (".", "..") else text


def serialize_header(value: Any, explode: bool) -> str:
    """Headers are `simple` and not percent-encoded (RFC 9110 field values)."""
    return serialize("", value, "simple", explode, encode=_identity)


def serialize_cookie(name: str, value: Any, explode: bool) -> str:
    """`form` style with `; ` between cookies (RFC 6265); values percent-encoded, as OpenAPI 3.2's `form`
    cookies are (the `cookie` style of 3.2 would not encode)."""
    if explode and _is_array(value):
        return "; ".join(f"{name}={quote(scalar_text(item), safe='')}" for item in value)
    if explode and isinstance(value, Mapping):
        return "; ".join(f"{quote(str(k), safe='')}={quote(scalar_text(v), safe='')}" for k, v in value.items())
    return serialize(name, value, "form", False, encode_name=_identity)


# -- parsing (LocalLago) ----------------------------------------------------------------------------------


def parse_query(name: str, pairs: Sequence[tuple[str, str]], style: str, explode: bool, kind: str | None,
                properties: Iterable[str] = ()) -> Any:
    """The value of one query parameter from the decoded pairs of a query string, or None when absent.
    `kind` is the schema's type (array, object or a primitive); `properties`, for exploded form objects,
    the names the schema declares (their pairs stand as parameters of their own)."""
    if style == "deepObject":
        found = _deep_object_value(name, pairs)
        return found if found else None
    if kind == "object" and explode and style == "form":
        wanted = set(properties)
        found = {key: value for key, value in pairs if key in wanted}
        return found or None
    values = [value for key, value in pairs if key == name]
    if not values:
        return None
    if kind == "array":
        if explode:
            return values
        return values[-1].split({"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ","))
    if kind == "object":
        separator = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
        return _pairs_to_object(values[-1].split(separator))
    return values[-1]


def _deep_object_value(name: str, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    prefix = name + "["
    result: dict[str, Any] = {}
    for key, value in pairs:
        if not key.startswith(prefix) or not key.endswith("]"):
            continue
        path = key[len(name) + 1:-1].split("][")
        node = result
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                break
        else:
            node[path[-1]] = value
    return result


def _pairs_to_object(items: list[str]) -> dict[str, str]:
    return {items[i]: items[i + 1] for i in range(0, len(items) - 1, 2)}


def parse_simple(text: str, style: str, explode: bool, kind: str | None, name: str = "", *,
                 decode: Callable[[str], str] = unquote) -> Any:
    """A path or header value in the simple, label or matrix style, read back by the same table row
    (percent-decoded here, after splitting, so an encoded separator stays part of its item; a header,
    never percent-encoded, is read with `decode=str`)."""
    row = STYLES.get(style, STYLES["simple"])
    compound = kind in ("array", "object")
    if text in ("%2E", "%2E%2E"):  # a whole segment serialize_path kept from being a dot-segment
        text = decode(text)
    lead = row.lead if explode and compound else row.prefix.replace("{name}", name)
    if lead and text.startswith(lead):
        text = text[len(lead):]
    elif style == "matrix" and text == f";{name}":
        text = ""
    if not compound:
        return decode(text)
    parts = text.split(row.exploded_separator if explode else row.separator) if text else []
    if kind == "array":
        if explode and row.repeats_name:
            parts = [part.split("=", 1)[-1] for part in parts]
        return [decode(part) for part in parts]
    if explode:
        return dict((decode(k), decode(v)) for k, _, v in (part.partition("=") for part in parts))
    return _pairs_to_object([decode(part) for part in parts])


def coerce(text: Any, types: Sequence[str]) -> Any:
    """Text from a URL or header as the JSON value the schema's types allow: `404` is an integer where
    the schema allows one (even as one branch of an anyOf), `true` a boolean; otherwise it stays text."""
    if not isinstance(text, str):
        return text
    for kind in types:
        if kind == "integer":
            try:
                return int(text)
            except ValueError:
                continue
        if kind == "number":
            try:
                return float(text) if any(c in text for c in ".eE") else int(text)
            except ValueError:
                continue
        if kind == "boolean" and text in ("true", "false"):
            return text == "true"
        if kind == "null" and text in ("", "null"):
            return None
    return text
