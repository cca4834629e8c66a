"""What a call returns: JSON objects that behave like data, readable as attributes and as mappings.

`ApiObject` is a `dict`, so `json.dumps`, `==`, `dict(...)`, `pickle`, `copy.deepcopy`, `pprint` and
passing it back as a request body just work. Its fields are also attributes (`customer.external_id`),
but dict methods stay methods: Lago has fields named `items` and `values`, and a field that shadowed
`items` would break everything that calls `obj.items()` (json, pickle, copy). Such a field is read as
`obj["items"]` or `obj.items_`, with a trailing underscore as for Python keywords (`obj.from_`).

What the schema declares is known lazily. The response handler calls `shape(spec, schema_uri, data)`,
which only remembers the schema's URI on the answer (one attribute store: the hot path stays as fast as
before). The declared fields of a schema are worked out on the first attribute access that needs them,
once per schema per Spec, and passed down as fields are read by attribute. A declared field the server
left out then reads as None (as the generated client's models do); a name the schema does not declare
is an AttributeError with "did you mean".

`typed=True` turns `date-time`, `date`, `uuid` and `format: decimal` values into `datetime`, `date`,
`UUID` and `Decimal`; each remembers the JSON value it came from, so `to_dict()` gives back exactly
what the server sent.
"""

from __future__ import annotations

import copy
import itertools
import datetime as dt
import json
import threading
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from .spec.schema import view
from .suggest import did_you_mean

_DICT_NAMES = frozenset(dir(dict)) | {"to_dict", "to_json"}


class ApiObject(dict):
    """A JSON object from the API: `obj.field` and `obj["field"]` both work."""

    #: What its schema declares (a `Declared`), once `shape()` or its parent has told it.
    __slots__ = ("_shape",)

    def __getattribute__(self, name: str) -> Any:
        if name[:1] != "_" and name not in _DICT_NAMES:  # fields first, but never over a dict method
            try:
                value = dict.__getitem__(self, name)
            except KeyError:
                pass
            else:
                if type(value) is ApiObject or type(value) is list:
                    _pass_shape(self, name, value)
                return value
        return object.__getattribute__(self, name)

    def __getattr__(self, name: str) -> Any:
        # Reached only for a name that is neither a field nor a method or slot.
        if name[:1] == "_":
            raise AttributeError(name)
        if name[-1:] == "_" and name[:-1] in self:  # `items_` reads the field `items`
            value = dict.__getitem__(self, name[:-1])
            if type(value) is ApiObject or type(value) is list:
                _pass_shape(self, name[:-1], value)
            return value
        return self._absent(name)

    def _absent(self, name: str) -> Any:
        shape = _shape_of(self)
        declared = shape.properties if shape else {}
        if name in declared or (name[-1:] == "_" and name[:-1] in declared):
            return None
        raise AttributeError(f"this object has no field {name!r}{did_you_mean(name, [*self, *declared])}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name[:1] == "_":
            object.__setattr__(self, name, value)
        else:
            self[name] = value

    def __dir__(self) -> list[str]:
        shape = _shape_of(self)
        names = {*self, *(shape.properties if shape else ())}
        readable = {f"{name}_" if name in _DICT_NAMES else name for name in names if str(name).isidentifier()}
        return sorted(readable | {"to_dict", "to_json"})

    def to_dict(self) -> dict[str, Any]:
        """Plain dicts and lists all the way down: exactly the JSON the server sent, typed or not."""
        return json.loads(self.to_json())

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self, default=_sent_json, **kwargs)

    # Copies and pickles are plain data: rebuilt from the items, never through `self.items` lookups.
    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return ApiObject, (dict(self),)

    def __copy__(self) -> "ApiObject":
        return _with_shape_of(self, ApiObject(self))

    def __deepcopy__(self, memo: dict[int, Any]) -> "ApiObject":
        copied = ApiObject()
        memo[id(self)] = copied
        for key, value in dict.items(self):
            copied[key] = copy.deepcopy(value, memo)
        return _with_shape_of(self, copied)


_DECODER = json.JSONDecoder(object_hook=ApiObject)  # one decoder: json.loads(object_hook=) makes one a call


#: How deep a JSON answer may nest. Past it a result could be built but not pickled, copied or printed
#: (Python spends several frames of its recursion limit a level), so such an answer is refused as
#: undecodable; real APIs nest a few levels deep.
MAX_JSON_DEPTH = 128


class TooDeepError(ValueError):
    """JSON text that nests deeper than MAX_JSON_DEPTH."""


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = [0] * 256
for _open, _close in (b"[]", b"{}"):
    _BRACKET_STEP[_open], _BRACKET_STEP[_close] = 1, -1


def parse_json(content: bytes | str) -> Any:
    """JSON text to Python, with every object an ApiObject; ValueError when it is not JSON or nests
    deeper than MAX_JSON_DEPTH."""
    if isinstance(content, (bytes, bytearray)):
        raw = content
        content = content.decode(json.detect_encoding(content))  # as json.loads does: UTF-8, BOM, UTF-16/32
    else:
        raw = None
    data = _DECODER.decode(content)
    # An upper bound first, at C speed: only a text with more brackets than levels allowed can be too deep.
    brackets = raw.count(b"[") + raw.count(b"{") if raw is not None else content.count("[") + content.count("{")
    if brackets > MAX_JSON_DEPTH and _too_deep(raw if raw is not None else content.encode("utf-8", "surrogatepass"),
                                               data):
        raise TooDeepError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    return data


def _too_deep(raw: bytes, data: Any) -> bool:
    """Whether `data` nests deeper than MAX_JSON_DEPTH: first bounded from the brackets of the text, at C
    speed (an overcount: brackets inside strings count too), then, only when that bound is over, walked."""
    if max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, raw.translate(None, _NOT_BRACKETS)))) \
            <= MAX_JSON_DEPTH:
        return False
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def shape(spec: Any, schema_uri: str | None, data: Any, *, typed: bool = False) -> Any:
    """`data` (a parsed answer) told which schema it follows, so that reading a declared but absent
    field gives None and a misspelt one says "did you mean". Nearly free: what the schema declares is
    worked out once per schema, on first use. With `typed`, formatted strings become Python values."""
    if schema_uri is None:
        return data
    declared = _fields_of(spec).fields(schema_uri)
    if typed:
        return declared.typed(data)
    if type(data) is ApiObject:
        _set_shape(data, declared)
    elif type(data) is list:
        _shape_items(data, declared)
    return data


_SHAPE_SLOT = ApiObject._shape  # used directly: cheaper than the attribute machinery above
_get_shape, _set_shape = _SHAPE_SLOT.__get__, _SHAPE_SLOT.__set__


def _shape_of(obj: ApiObject) -> "Declared | None":
    try:
        return _get_shape(obj, ApiObject)
    except AttributeError:
        return None


def _with_shape_of(original: ApiObject, copied: ApiObject) -> ApiObject:
    known = _shape_of(original)
    if known is not None:
        _set_shape(copied, known)
    return copied


def _pass_shape(parent: ApiObject, name: str, value: Any) -> None:
    """A field read by attribute learns its schema from its parent's: an object each time (one store,
    cheaper than asking whether it knows), the items of a list once. On every attribute read of an
    object or array: kept to a few slot and dict operations."""
    try:
        known = _get_shape(parent, ApiObject)
    except AttributeError:
        return
    child = known.child(name)
    if child is None:
        return
    if type(value) is ApiObject:
        _set_shape(value, child)
    elif value and type(value[0]) is ApiObject:
        try:
            _get_shape(value[0], ApiObject)
        except AttributeError:
            _shape_items(value, child)


def _shape_items(items: list, declared: "Declared") -> None:
    item = declared.item()
    if item is not None:
        for value in items:
            if type(value) is ApiObject:
                _set_shape(value, item)


# -- what a schema declares ------------------------------------------------------------------------


_UNKNOWN = object()


class Declared:
    """What one schema says about the objects that follow it: its fields (allOf parts merged,
    anyOf/oneOf branches united), its array items, and which values have a format worth converting."""

    __slots__ = ("owner", "uri", "properties", "items_uri", "converters", "_children", "_item")

    def __init__(self, owner: "SchemaFields", uri: str):
        self.owner = owner
        self.uri = uri
        #: field name -> the field's schema URI.
        self.properties: dict[str, str] = {}
        self.items_uri: str | None = None
        #: field name (or "" for the value itself) -> converter, for typed results.
        self.converters: dict[str, Callable[[Any], Any]] = {}
        self._children: dict[str, Any] = {}
        self._item: Any = _UNKNOWN

    def child(self, name: str) -> "Declared | None":
        """What the field `name` declares (None for an undeclared field); looked up once per name."""
        known = self._children.get(name, _UNKNOWN)
        if known is _UNKNOWN:  # first read of this field for this schema
            uri = self.properties.get(name)
            known = self._children[name] = self.owner.fields(uri) if uri is not None else None
        return known

    def item(self) -> "Declared | None":
        """What the items of an array schema declare."""
        if self._item is _UNKNOWN:
            self._item = self.owner.fields(self.items_uri) if self.items_uri is not None else None
        return self._item

    def typed(self, data: Any) -> Any:
        """`data` with formatted strings converted, and every object told its schema."""
        if type(data) is ApiObject:
            _set_shape(data, self)
            for name, value in dict.items(data):
                converter = self.converters.get(name)
                if converter is not None and _convertible(value):
                    data[name] = converter(value)
                elif type(value) in (ApiObject, list):
                    child = self.child(name)
                    if child is not None:
                        child.typed(value)
        elif type(data) is list:
            item = self.item()
            if item is not None:
                convert = item.converters.get("")
                for index, value in enumerate(data):
                    if convert is not None and _convertible(value):
                        data[index] = convert(value)
                    else:
                        item.typed(value)
        return data


def _convertible(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


class SchemaFields:
    """`Declared` per schema URI for one Spec, worked out on first use and kept."""

    def __init__(self, spec: Any):
        self._spec = spec
        self._known: dict[str, Declared] = {}
        self._lock = threading.Lock()

    def fields(self, uri: str) -> Declared:
        known = self._known.get(uri)
        if known is None:
            declared = self._declared(uri, 0)
            with self._lock:
                known = self._known.setdefault(uri, declared)
        return known

    def _declared(self, uri: str, depth: int) -> Declared:
        """Shallow: a field's own fields wait until that field is read."""
        found = view(self._spec, uri)
        declared = Declared(self, uri)
        if depth > 20:
            return declared
        declared.properties.update(found.properties)
        declared.items_uri = found.items
        for branch_uri in found.branches:  # 3.1's nullable is an anyOf with null
            branch = self._declared(branch_uri, depth + 1)
            declared.properties = {**branch.properties, **declared.properties}
            declared.items_uri = declared.items_uri or branch.items_uri
        for name, property_uri in [("", found.resolved), *declared.properties.items()]:
            converter = self._converter(property_uri, 0)
            if converter is not None:
                declared.converters[name] = converter
        return declared

    def _converter(self, uri: str, depth: int) -> Callable[[Any], Any] | None:
        """The typed-value converter for a schema's `format`, looking through $ref and composition."""
        found = view(self._spec, uri)
        converter = _CONVERTERS.get(str(found.node.get("format")))
        if converter is not None or depth > 10:
            return converter
        for part in (*found.all_of, *found.branches):
            converter = self._converter(part, depth + 1)
            if converter is not None:
                return converter
        return None


def _fields_of(spec: Any) -> SchemaFields:
    """One SchemaFields per Spec, kept on the Spec itself so it lives and dies with it."""
    known = spec.__dict__.get("_result_fields")
    if known is None:
        known = spec.__dict__.setdefault("_result_fields", SchemaFields(spec))
    return known


# -- typed values that remember the JSON they came from ----------------------------------------------


class _RemembersJson:
    """A typed value that keeps the JSON value it was made from (`sent`), for `to_dict()`; copies and
    pickles are remade from it, so they keep it too."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        return _remake, (type(self).__name__, self.sent)  # type: ignore[attr-defined]


class SentDatetime(_RemembersJson, dt.datetime):
    __slots__ = ("sent",)


class SentDate(_RemembersJson, dt.date):
    __slots__ = ("sent",)


class SentUUID(_RemembersJson, uuid.UUID):
    __slots__ = ("sent",)


class SentDecimal(_RemembersJson, Decimal):
    __slots__ = ("sent",)


def _remake(kind: str, sent: Any) -> Any:
    return {"SentDatetime": _to_datetime, "SentDate": _to_date, "SentUUID": _to_uuid,
            "SentDecimal": _to_decimal}[kind](sent)


def _remembering(value: Any, sent: Any) -> Any:
    object.__setattr__(value, "sent", sent)
    return value


def _to_datetime(sent: Any) -> Any:
    try:  # Python before 3.11 does not read a trailing "Z"
        parsed = dt.datetime.fromisoformat(sent[:-1] + "+00:00" if sent.endswith("Z") else sent)
    except (TypeError, ValueError, AttributeError):
        return sent  # not what the format says: left as the server sent it
    return _remembering(SentDatetime(*parsed.timetuple()[:6], parsed.microsecond, parsed.tzinfo), sent)


def _to_date(sent: Any) -> Any:
    try:
        parsed = dt.date.fromisoformat(sent)
    except (TypeError, ValueError):
        return sent
    return _remembering(SentDate(parsed.year, parsed.month, parsed.day), sent)


def _to_uuid(sent: Any) -> Any:
    try:
        return _remembering(SentUUID(sent), sent)
    except (TypeError, ValueError, AttributeError):
        return sent


def _to_decimal(sent: Any) -> Any:
    try:
        return _remembering(SentDecimal(str(sent)), sent)
    except (InvalidOperation, ValueError, TypeError):
        return sent


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "date-time": _to_datetime, "date": _to_date, "uuid": _to_uuid, "decimal": _to_decimal,
}


def _sent_json(value: Any) -> Any:
    """json.dumps' fallback: a typed value becomes the JSON value it was made from."""
    try:
        return value.sent
    except AttributeError:
        raise TypeError(f"a value of type {type(value).__name__} is not JSON data") from None


@dataclass(frozen=True)
class ApiResponse:
    """Everything about an answer, for `operation.with_http_info(...)`: the generated client's shape."""

    status_code: int
    headers: Mapping[str, str]
    data: Any
    raw_data: bytes
