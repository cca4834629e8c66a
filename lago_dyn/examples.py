"""Values that satisfy a schema of the spec: its own examples where it has them, else made from the
schema's rules. LocalLago answers with them, help() shows them, and the conformance suite calls every
operation with them: library code, so it lives beside the spec, not under testing/."""

from __future__ import annotations

import re
from typing import Any

from .spec import Spec

_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00",
    "uuid": "1a901a90-1a90-1a90-1a90-1a901a901a90",
    "email": "billing@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
}
MAX_DEPTH = 12
_PATTERN_CANDIDATES = ("1", "1.0", "100", "USD", "US", "a", "abc", "x1", "A1", "0")


def example(spec: Spec, schema: Any, *, use_examples: bool = True, depth: int = 0, uri: str | None = None) -> Any:
    """A value valid for `schema` (a schema node of `spec`, possibly a `$ref`)."""
    if isinstance(schema, dict) and "$ref" in schema:
        schema, uri = spec.resolve(schema, uri or spec.base_uri)
    if not isinstance(schema, dict):
        return None
    if use_examples:
        if "example" in schema:
            return schema["example"]
        if isinstance(schema.get("examples"), list) and schema["examples"]:
            return schema["examples"][0]
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return next((value for value in schema["enum"] if value is not None), None)
    if "default" in schema and schema["default"] is not None:
        return schema["default"]

    def sub(node: Any) -> Any:
        return example(spec, node, use_examples=use_examples, depth=depth + 1, uri=uri)

    if isinstance(schema.get("allOf"), list):
        own = {key: value for key, value in schema.items() if key != "allOf"}
        parts = [sub(part) for part in schema["allOf"]] + ([sub(own)] if own.get("properties") else [])
        objects = [part for part in parts if isinstance(part, dict)]
        if not objects:  # allOf of scalars, e.g. [$ref Currency, {example: USD}]
            return next((part for part in parts if part is not None), None)
        merged: dict[str, Any] = {}
        for part in objects:
            for key, value in part.items():
                if key not in merged or isinstance(merged[key], _Placeholder):
                    merged[key] = value
        return merged
    for combinator in ("oneOf", "anyOf"):
        options = schema.get(combinator)
        if isinstance(options, list) and options:
            concrete = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")] or options
            return sub(concrete[0])
    declared = schema.get("type")
    kind = next((t for t in declared if t != "null"), "null") if isinstance(declared, list) else declared
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        properties = schema.get("properties") or {}
        required = set(schema.get("required") or ())
        chosen = properties if depth < 4 else {k: v for k, v in properties.items() if k in required}
        value = {name: sub(node) for name, node in chosen.items()} if depth < MAX_DEPTH else {}
        for name in required - set(value):  # required but not described here (maybe in a sibling allOf part)
            value[name] = _Placeholder("x")
        return value
    if kind == "array":
        count = max(int(schema.get("minItems") or 0), 1 if depth < 6 else 0)
        return [sub(schema.get("items") or {}) for _ in range(count)]
    if kind == "string":
        text = _FORMATS.get(str(schema.get("format")), "string")
        if isinstance(schema.get("pattern"), str):
            return _matching(schema["pattern"], text, nullable=isinstance(declared, list) and "null" in declared)
        minimum, maximum = schema.get("minLength"), schema.get("maxLength")
        if isinstance(minimum, int) and len(text) < minimum:
            text = text + "x" * (minimum - len(text))
        if isinstance(maximum, int) and len(text) > maximum:
            text = text[:maximum]
        return text
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        value = (low + 1 if "exclusiveMinimum" in schema and "minimum" not in schema else low) if isinstance(low, (int, float)) else 1
        high = schema.get("maximum")
        if isinstance(high, (int, float)) and value > high:
            value = high
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return True
    return None


class _Placeholder(str):
    """A value for a required property that the schema at hand does not describe; any described value
    for the same property (from another allOf part) replaces it."""


def _matching(pattern: str, preferred: str, *, nullable: bool) -> Any:
    """A short string matching `pattern`; None where null is allowed and nothing simple matches."""
    try:
        compiled = re.compile(pattern)
    except re.error:
        return preferred
    for candidate in (preferred, *_PATTERN_CANDIDATES):
        if compiled.search(candidate):
            return candidate
    return None if nullable else preferred
