"""Request and response bodies by media type: JSON (and every `+json`), form-urlencoded, multipart, text and
binary. Each codec turns the caller's value into bytes and into the data validation sees, and answers back
into Python values.

Form and multipart bodies follow the Encoding Object of OpenAPI 3.0/3.1 (`style`, `explode`,
`allowReserved`, `contentType`, `headers`): form properties through the same style table as query
parameters (`params.py`), multipart properties as parts whose content type defaults by the property's
schema (a primitive as text/plain, an object or array as application/json, binary data as
application/octet-stream). Files are `bytes`, a binary file object, or `(filename, content[,
content_type[, headers]])`.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import decimal
import enum
import functools
import json
import os
import uuid
from collections.abc import Mapping
from typing import Any, Callable, NamedTuple, Sequence
from urllib.parse import quote

from . import params
from ..errors import Violation
from ..models import parse_json
from ..wire import media_type_of

#: Property schema lookup for form and multipart bodies: name -> (JSON types, format) of its schema.
PropertyTypes = Callable[[str], "tuple[tuple[str, ...], str | None]"]


class BodyError(Exception):
    """A value a codec cannot encode; carries the violation to report (internal to the pipeline)."""

    def __init__(self, violation: Violation):
        super().__init__(violation.message)
        self.violation = violation


class Encoded(NamedTuple):  # made for every body: a tuple is the cheapest record
    content: bytes
    content_type: str
    #: The body as validation sees it: JSON data (files stand as empty strings: `format: binary`).
    data: Any
    validate: bool = True
    #: Whether a `Decimal` was made a number on the way (the pipeline may place it by the schema instead).
    had_decimals: bool = False


def is_json(media_type: str) -> bool:
    media_type = media_type_of(media_type)
    return media_type == "application/json" or media_type.endswith("+json")


def is_form(media_type: str) -> bool:
    return media_type_of(media_type) == "application/x-www-form-urlencoded"


def is_multipart(media_type: str) -> bool:
    return media_type_of(media_type).startswith("multipart/")


def is_text(media_type: str) -> bool:
    return media_type_of(media_type).startswith("text/")


def is_xml(media_type: str) -> bool:
    """`text/xml`, `application/xml` or any `+xml` type: its schema describes the document's elements (the
    XML Object maps properties to them), never the text itself."""
    return media_type_of(media_type).endswith(("/xml", "+xml"))


# -- Python values as JSON data --------------------------------------------------------------------------


def json_default(value: Any) -> Any:
    """Python values with one obvious JSON form: dates and times (ISO 8601), UUIDs, enums, sets, Decimals
    (a number when it is exact as one, else its digits as a string), dataclasses, and objects that offer
    `to_dict()` or pydantic's `model_dump()`."""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, decimal.Decimal):
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if decimal.Decimal(repr(as_float)) == value else str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    for method in ("to_dict", "model_dump"):
        if callable(getattr(value, method, None)):
            return getattr(value, method)()
    raise TypeError(type(value).__name__)


#: Plain JSON data (nearly every body) is encoded by this one encoder; anything it refuses takes the full path
#: below, which converts what it can and words what it cannot. `json.dumps` with options makes an encoder a call.
_PLAIN_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def to_json_bytes(value: Any, location: str = "body") -> tuple[bytes, list[type]]:
    """`to_json_text`, UTF-8 encoded: a body is encoded once (the encoding is also the check that every
    string is one UTF-8 can carry)."""
    try:
        return _PLAIN_JSON.encode(value).encode("utf-8"), []
    except (TypeError, ValueError, RecursionError):  # a lone surrogate is a UnicodeEncodeError, a ValueError
        text, converted = _converted_json_text(value, location)
        return text.encode("utf-8"), converted


def to_json_text(value: Any, location: str = "body") -> tuple[str, list[type]]:
    """Compact JSON text for a value, and the types that had to be converted on the way (empty: none)."""
    try:
        text = _PLAIN_JSON.encode(value)
        text.encode("utf-8")
        return text, []
    except (TypeError, ValueError, RecursionError):  # a value to convert, or one to refuse in our words
        return _converted_json_text(value, location)


def _converted_json_text(value: Any, location: str) -> tuple[str, list[type]]:
    converted: list[type] = []

    def default(item: Any) -> Any:
        converted.append(type(item))
        return json_default(item)

    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=default)
        text.encode("utf-8")
    except TypeError as exc:
        kind = str(exc)  # json_default's own: the type's name
        if not kind.isidentifier():  # json's own refusal (a dict key that is not a string): not our text
            raise BodyError(Violation(location, "json", "a mapping key is not a string, number or boolean",
                                      "object")) from None
        where = _unconvertible_at(value, location)
        raise BodyError(Violation(where, "json", f"a value of type {kind} is not JSON data", kind)) from None
    except RecursionError:
        raise BodyError(Violation(location, "json", "nested too deeply to be sent as JSON", "object")) from None
    except UnicodeEncodeError:
        raise BodyError(Violation(location, "json", "a string holds a lone surrogate, which UTF-8 cannot carry",
                                  "string")) from None
    except ValueError:
        raise BodyError(Violation(location, "json", "NaN, infinity or an integer too long for JSON",
                                  "number")) from None
    return text, converted


def _unconvertible_at(value: Any, location: str) -> str:
    """Where, inside `value`, the first value with no JSON form is (`body.plan.amount_cents`)."""
    stack = [(value, location)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, Mapping):
            stack.extend((child, f"{where}.{key}") for key, child in reversed(list(item.items())))
        elif isinstance(item, (list, tuple)):
            stack.extend((child, f"{where}[{index}]") for index, child in reversed(list(enumerate(item))))
        elif not isinstance(item, (str, int, float, bool, type(None))):
            try:
                converted = json_default(item)
            except TypeError:
                return where
            if isinstance(converted, (Mapping, list)):
                stack.append((converted, where))
    return location


def to_json_data(value: Any, location: str = "body") -> Any:
    """The value as plain JSON data (what the server will receive, and what validation sees). A parameter's
    usual value (a bool, ASCII text) is that already: it is not encoded to find out. An int is, for an int
    too long for Python to print (over 4,300 digits) is refused in our words there."""
    kind = type(value)
    if kind is bool or (kind is str and value.isascii()):
        return value
    text, converted = to_json_text(value, location)
    return json.loads(text) if converted else value


# -- request bodies -------------------------------------------------------------------------------------


def encode(value: Any, media_type: str, encoding: Mapping[str, Any], property_types: PropertyTypes) -> Encoded:
    """The body for a declared media type. Raises BodyError for a value that type cannot carry."""
    return encoder_for(media_type)(value, media_type, encoding, property_types)


def encoder_for(media_type: str) -> Callable[[Any, str, Mapping[str, Any], PropertyTypes], Encoded]:
    """The codec for a media type (a microsecond's string tests: not cached, as a cache would hide a
    wrong choice from the mutation run's forked workers)."""
    if is_json(media_type):
        return _encode_json
    if is_form(media_type):
        return _encode_form
    if is_multipart(media_type):
        return _encode_multipart
    return _encode_as_given


def _encode_json(value: Any, media_type: str, encoding: Mapping[str, Any], property_types: PropertyTypes) -> Encoded:
    content, converted = to_json_bytes(value)
    if not converted:
        return Encoded(content, media_type, value)
    return Encoded(content, media_type, json.loads(content), had_decimals=decimal.Decimal in converted)


def _encode_as_given(value: Any, media_type: str, encoding: Mapping[str, Any],
                     property_types: PropertyTypes) -> Encoded:
    """Text from a str, any other type from bytes or a binary file object, sent as they are. Text is judged
    by the schema as the string it is, unless it is XML (whose schema describes elements, not text)."""
    if isinstance(value, str):
        try:
            return Encoded(value.encode("utf-8"), media_type, value,
                           validate=is_text(media_type) and not is_xml(media_type))
        except UnicodeEncodeError:
            raise BodyError(Violation("body", "text", "the text holds a lone surrogate", "string")) from None
    content = _file_content(value)
    if content is None:
        raise BodyError(Violation("body", "media-type", f"a {media_type} body is sent as given: pass str, bytes "
                                  "or a binary file object", type(value).__name__))
    return Encoded(content, media_type, None, validate=False)


def _require_mapping(value: Any, media_type: str) -> Mapping[str, Any]:
    value = to_json_data(value) if not isinstance(value, Mapping) and hasattr(value, "__dict__") else value
    if not isinstance(value, Mapping):
        raise BodyError(Violation("body", "type", f"a {media_type} body is an object of fields",
                                  type(value).__name__))
    return value


def _encode_form(value: Any, media_type: str, encoding: Mapping[str, Any], property_types: PropertyTypes) -> Encoded:
    fields = _require_mapping(value, media_type)
    fragments = []
    for name, item in fields.items():
        if item is None:
            continue
        rules = encoding.get(name) or {}
        if "contentType" in rules and not {"style", "explode", "allowReserved"} & set(rules):
            # Serialized by its own media type, then percent-encoded as one value (OAS 3.1.1 §4.8.15).
            text = to_json_text(item, f"body.{name}")[0] if is_json(rules["contentType"]) else params.scalar_text(item)
            fragments.append(f"{quote(str(name), safe='')}={quote(text, safe='')}")
            continue
        style = rules.get("style", "form")
        explode = rules.get("explode", style == "form")
        item = to_json_data(item, f"body.{name}")
        fragments.append(params.serialize(str(name), item, style, explode,
                                          encode=params.encoder(bool(rules.get("allowReserved")))))
    data = to_json_data({name: item for name, item in fields.items() if item is not None})
    return Encoded("&".join(fragment for fragment in fragments if fragment).encode("ascii"), media_type, data)


def _encode_multipart(value: Any, media_type: str, encoding: Mapping[str, Any],
                      property_types: PropertyTypes) -> Encoded:
    from urllib3.fields import RequestField
    from urllib3.filepost import encode_multipart_formdata

    fields = _require_mapping(value, media_type)
    parts: list[RequestField] = []
    data: dict[str, Any] = {}
    for name, item in fields.items():
        if item is None:
            continue
        rules = encoding.get(name) or {}
        types, _ = property_types(str(name))
        items = item if isinstance(item, (list, tuple)) and "array" in types and not _is_file_tuple(item) else [item]
        shown = []
        for one in items:
            part, seen = _part(str(name), one, rules, types if len(items) == 1 else ())
            parts.append(part)
            shown.append(seen)
        data[str(name)] = shown if items is item or "array" in types else shown[0]
    content, content_type = encode_multipart_formdata(parts)
    if media_type_of(media_type) != "multipart/form-data":  # multipart/mixed and friends: same framing
        content_type = media_type_of(media_type) + content_type[len("multipart/form-data"):]
    return Encoded(content, content_type, data)


def _part(name: str, value: Any, rules: Mapping[str, Any], types: tuple[str, ...]) -> tuple[Any, Any]:
    """One part, and the value validation sees for it."""
    from urllib3.fields import RequestField

    headers: dict[str, str] = {}
    filename = None
    if _is_file_tuple(value):
        filename, content, *rest = value
        content_type = rest[0] if rest and rest[0] else rules.get("contentType") or "application/octet-stream"
        headers.update(rest[1] if len(rest) > 1 else {})
        body, seen = _file_content(content), ""
    elif _is_file(value):
        body, seen = _file_content(value), ""
        filename = os.path.basename(str(getattr(value, "name", "") or name))
        content_type = rules.get("contentType") or "application/octet-stream"
    else:
        # Judged by the value as JSON data: a dataclass, a model or a tuple is an object or array like a dict.
        seen = to_json_data(value, f"body.{name}")
        structured = isinstance(seen, (Mapping, list)) or (
            not isinstance(value, (str, int, float, bool)) and "object" in types)
        content_type = rules.get("contentType") or ("application/json" if structured else "text/plain")
        text = to_json_text(seen, f"body.{name}")[0] if structured or is_json(content_type) \
            else params.scalar_text(seen)
        body = text.encode("utf-8")
    if body is None:
        raise BodyError(Violation(f"body.{name}", "file", "a file is bytes, a binary file object or "
                                  "(filename, content, content_type)", type(value).__name__))
    part = RequestField(name=name, data=body, filename=filename, headers=headers)
    part.make_multipart(content_type=content_type.split(",")[0].strip())
    return part, seen


def _is_file_tuple(value: Any) -> bool:
    """`(filename, content[, content_type[, headers]])`, content being bytes or a binary file object."""
    return (isinstance(value, tuple) and 2 <= len(value) <= 4 and isinstance(value[0], (str, type(None)))
            and _is_file(value[1]))


def _is_file(value: Any) -> bool:
    return isinstance(value, (bytes, bytearray, memoryview)) or callable(getattr(value, "read", None))


def _file_content(value: Any) -> bytes | None:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if callable(getattr(value, "read", None)):
        content = value.read()
        return content.encode("utf-8") if isinstance(content, str) else bytes(content)
    return None


# -- answers --------------------------------------------------------------------------------------------


def decode(content: bytes, content_type: str) -> Any:
    """An answer's body as Python data: JSON parsed (objects as ApiObject), text as str, else bytes.
    Raises ValueError for a JSON body that does not parse."""
    return answer_decoder(content_type)(content)


def answer_decoder(content_type: str) -> Callable[[bytes], Any]:
    """How answers with this Content-Type are read (an empty body is None whatever the type): worked out
    once per content type by a caller that sees the same one on every answer."""
    media_type = media_type_of(content_type)
    if is_json(media_type):
        return _json_answer
    if not media_type:
        return _sniffed_answer
    if media_type.startswith("text/"):
        return functools.partial(_text_answer, charset=_charset(content_type))
    return _bytes_answer


def _json_answer(content: bytes) -> Any:
    return parse_json(content) if content else None


def _sniffed_answer(content: bytes) -> Any:
    """No Content-Type: JSON when it looks like a JSON object or array, else the bytes."""
    return parse_json(content) if content[:1] in (b"{", b"[") else _bytes_answer(content)


def _text_answer(content: bytes, charset: str) -> str | None:
    return content.decode(charset, errors="replace") if content else None


def _bytes_answer(content: bytes) -> bytes | None:
    return content or None


def _charset(content_type: str) -> str:
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        if key.strip().lower() == "charset":
            charset = value.strip()  # quoted or not: codec lookup ignores the quotes around a name
            try:
                "".encode(charset)
            except LookupError:  # a charset Python does not know: read as UTF-8, bad bytes replaced
                return "utf-8"
            return charset
    return "utf-8"


def accept_header(answers: Sequence[str], errors: Sequence[str] = ()) -> str:
    """The Accept header from the media types an operation declares: its success answers first (JSON first
    among several, as it is what lago_dyn decodes and validates), then at q=0.5 the other success types and
    the types only its error answers declare. A server that negotiates then picks a success type: a CSV or
    PDF download gets `text/csv` or `application/pdf`, Lago's public key `text/plain`, not an error's JSON."""
    wanted = list(dict.fromkeys(media_type_of(m) for m in answers if m))
    rest = [m for m in dict.fromkeys(media_type_of(m) for m in errors if m) if m not in wanted]
    if not wanted:  # no success answer declares a body: the error answers' types are all there is
        wanted, rest = rest, []
    if not wanted:
        return "application/json"
    preferred = [m for m in wanted if is_json(m)] or wanted
    lower = [m for m in wanted if m not in preferred] + rest
    return ", ".join(preferred + [f"{m};q=0.5" for m in lower])
