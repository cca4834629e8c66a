"""Turning a call's arguments into the exact HTTP request the spec describes.

Parameter serialization follows OpenAPI 3's `style`/`explode` table (path: simple/label/matrix; query:
form/spaceDelimited/pipeDelimited/deepObject; header: simple; cookie: form). Every path value is
percent-encoded whole, so `/`, `?`, `#` or `..` in a value stay inside their path segment.

Validation happens here too, before anything is sent: every argument against its schema, the body against
the body schema, and every broken rule is collected into one `RequestValidationError`.
"""

from __future__ import annotations

import datetime as _dt
import enum
import json
import uuid
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote

from .errors import RequestValidationError, Violation
from .spec import Operation, Parameter
from .validation import WRITE, SchemaValidators, json_type

_RESERVED = ":/?#[]@!$&'()*+,;="
_MISSING = object()


@dataclass(frozen=True)
class BuiltRequest:
    method: str
    path: str  # with path parameters filled in, relative to the base URL
    query: str  # already encoded, without "?"
    headers: dict[str, str]
    body: bytes | None


def build_request(operation: Operation, arguments: Mapping[str, Any], validators: SchemaValidators | None) -> BuiltRequest:
    """The request for `operation` with `arguments` (by Python name). With `validators`, raises
    RequestValidationError listing every problem instead of building a bad request."""
    violations: list[Violation] = []
    path = operation.path
    query: list[str] = []
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for parameter in operation.parameters:
        value = arguments.get(parameter.python_name, _MISSING)
        where = f"{parameter.location}.{parameter.name}"
        if value is _MISSING or value is None:
            # Without validation the user's request goes out as given, but a path needs all its parts.
            if parameter.required and (validators is not None or parameter.location == "path"):
                violations.append(Violation(where, "required", "required parameter is missing", "nothing"))
            continue
        value = _plain(value)
        if validators is not None and parameter.schema_uri is not None:
            reveal = parameter.location in ("path", "query")
            found = validators.violations(parameter.schema_uri, value, where, WRITE, reveal_values=reveal)
            if found:
                violations.extend(found)
                continue
        if parameter.location == "path":
            path = path.replace("{" + parameter.name + "}", _path_value(parameter, value))
        elif parameter.location == "query":
            query.extend(_query_pairs(parameter, value))
        elif parameter.location == "header":
            text = _simple(parameter, value, encode=False)
            if "\r" in text or "\n" in text or "\0" in text:
                violations.append(Violation(where, "header-value", "a header value cannot contain CR, LF or NUL", json_type(value)))
                continue
            headers[parameter.name] = text
        else:
            cookies.append(f"{parameter.name}={quote(_simple(parameter, value, encode=False), safe='')}")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)

    body_bytes = None
    body = operation.body
    if body is not None:
        value = arguments.get(body.python_name)
        if value is None:
            if body.required and validators is not None:
                violations.append(Violation("body", "required", "the request body is required", "nothing"))
        else:
            value, body_bytes, problem = _encode_body(value, body.media_type)
            if problem:
                violations.append(problem)
            elif validators is not None and body.schema_uri is not None:
                violations.extend(validators.violations(body.schema_uri, value, "body", WRITE))
            headers["Content-Type"] = body.media_type
    if violations:
        raise RequestValidationError(operation.label, violations)
    return BuiltRequest(operation.method, path, "&".join(query), headers, body_bytes)


# -- bodies -------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    """Python values with one obvious JSON form: dates and times (ISO 8601), UUIDs, enums, sets."""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(type(value).__name__)


def _encode_body(value: Any, media_type: str) -> tuple[Any, bytes | None, Violation | None]:
    """The body as sent (bytes) and as validated (JSON data, after converting dates and the like)."""
    if isinstance(value, (bytes, bytearray)) and not media_type.endswith("json"):
        return value, bytes(value), None
    if media_type == "application/x-www-form-urlencoded" and isinstance(value, Mapping):
        from urllib.parse import urlencode

        return value, urlencode(value, doseq=True).encode(), None
    converted = []

    def default(item: Any) -> Any:
        converted.append(True)
        return _json_default(item)

    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=default)
    except TypeError as exc:
        return value, None, Violation("body", "json", f"a value of type {exc} is not JSON data", str(exc))
    except ValueError:
        return value, None, Violation("body", "json", "NaN and infinity are not JSON numbers", "number")
    if converted:
        value = json.loads(text)
    return value, text.encode("utf-8"), None


# -- parameters ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Arguments as JSON data, so that a `date` or a `UUID` given for a string parameter is checked and
    sent as the string it stands for."""
    if isinstance(value, (str, int, float, type(None))):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    try:
        return _json_default(value)
    except TypeError:
        return value  # validation names the field and its type


def _scalar(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    if isinstance(value, (_dt.datetime, _dt.date, _dt.time, uuid.UUID, enum.Enum)):
        return str(_json_default(value))
    return str(value)


def _encode(text: str, allow_reserved: bool = False) -> str:
    return quote(text, safe=_RESERVED if allow_reserved else "")


def _path_value(parameter: Parameter, value: Any) -> str:
    style = parameter.style
    if style == "label":
        return "." + _simple(parameter, value, separator="." if parameter.explode else ",")
    if style == "matrix":
        if isinstance(value, (list, tuple)) and parameter.explode:
            return "".join(f";{parameter.name}={_encode(_scalar(v))}" for v in value)
        if isinstance(value, Mapping) and parameter.explode:
            return "".join(f";{_encode(str(k))}={_encode(_scalar(v))}" for k, v in value.items())
        return f";{parameter.name}={_simple(parameter, value)}"
    encoded = _simple(parameter, value)
    # A whole segment of "." or ".." would be read as a dot-segment and move the path: encode the dots.
    return encoded.replace(".", "%2E") if encoded in (".", "..") else encoded


def _simple(parameter: Parameter, value: Any, *, separator: str = ",", encode: bool = True) -> str:
    enc = _encode if encode else (lambda text, allow_reserved=False: text)
    if isinstance(value, (list, tuple)):
        return separator.join(enc(_scalar(v)) for v in value)
    if isinstance(value, Mapping):
        if parameter.explode:
            return separator.join(f"{enc(str(k))}={enc(_scalar(v))}" for k, v in value.items())
        return separator.join(f"{enc(str(k))},{enc(_scalar(v))}" for k, v in value.items())
    return enc(_scalar(value))


def _query_pairs(parameter: Parameter, value: Any) -> list[str]:
    name = quote(parameter.name, safe="[]")
    reserved = parameter.allow_reserved
    if parameter.media_type is not None:  # `content:` parameters carry a serialized document
        return [f"{name}={_encode(json.dumps(value, separators=(',', ':'), default=_json_default))}"]
    style = parameter.style
    if style == "deepObject" and isinstance(value, Mapping):
        return [f"{name}[{quote(str(k), safe='')}]={_encode(_scalar(v), reserved)}" for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        if parameter.explode and style == "form":
            return [f"{name}={_encode(_scalar(v), reserved)}" for v in value]
        separator = {"spaceDelimited": "%20", "pipeDelimited": "|"}.get(style, ",")
        return [f"{name}=" + separator.join(_encode(_scalar(v), reserved) for v in value)]
    if isinstance(value, Mapping):
        if parameter.explode:
            return [f"{quote(str(k), safe='[]')}={_encode(_scalar(v), reserved)}" for k, v in value.items()]
        return [f"{name}=" + ",".join(f"{_encode(str(k))},{_encode(_scalar(v), reserved)}" for k, v in value.items())]
    return [f"{name}={_encode(_scalar(value), reserved)}"]
