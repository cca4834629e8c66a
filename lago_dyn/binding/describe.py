"""An operation's request body and 2xx answer as a field tree and an example.

A user who writes dict literals needs what the spec says about each field: its name, type, enum or
format, whether it is required, and what it means. `help()` on an operation and `lago-dyn describe` both
show it from here, so the two never disagree. Trees stop at `MAX_DEPTH` levels and at a `$ref` cycle
(Lago's schemas nest deeply and some refer back to themselves): a help page, not a schema dump.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from .examples import example
from ..spec.model import Operation, Parameter, Spec
from ..spec.schema import SchemaView, view
from ..validation import READ, WRITE, SchemaValidators

#: Object levels shown below the body's root; deeper objects say how many fields they hold.
MAX_DEPTH = 4
#: Enum values listed before "…".
MAX_ENUM_VALUES = 8
#: Characters of a description's first line kept in a tree line.
MAX_DESCRIPTION = 100


@dataclass(frozen=True)
class Field:
    """One field of a body or an answer, as a person reads it. `kind` is the type in words
    (`string (email)`, `array of object`, `one of`); `note` says why `children` may be missing."""

    name: str
    kind: str
    required: bool = False
    description: str = ""
    children: tuple[Field, ...] = ()
    note: str = ""
    values: tuple[Any, ...] = ()  # the enum, when there is one

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Payload:
    """A body or an answer: its schema's name, its fields and an example value."""

    title: str  # "body (CustomerCreateInput, application/json, required)" or "answer 200 (Customer)"
    fields: tuple[Field, ...]
    example: Any

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "fields": [field.to_json() for field in self.fields], "example": self.example}


def body(spec: Spec, operation: Operation) -> Payload | None:
    """The request body's fields and example, or None when the operation takes no JSON body."""
    declared = operation.body
    if declared is None or declared.schema_uri is None:
        return None
    need = "required" if declared.required else "optional"
    title = f"body ({declared.schema_name or 'object'}, {declared.media_type}, {need})"
    return _payload(spec, declared.schema_uri, title, WRITE)


def answer(spec: Spec, operation: Operation) -> Payload | None:
    """The first 2xx answer's fields and example, or None when it has no schema."""
    for status, response in operation.responses.items():
        if status[:1] == "2":
            uri = next((uri for uri in response.content.values() if uri), None)
            if uri is not None:
                return _payload(spec, uri, f"answer {status} ({response.schema_name or 'object'})", READ)
    return None


def example_body(spec: Spec, operation: Operation, validators: SchemaValidators | None = None) -> Any:
    """A request body for `operation`: the spec's examples, else values generated from the schema. With
    `validators`, one that passes request validation is preferred (a spec's own example can break its
    schema), so `describe --example | call --data @-` works."""
    declared = operation.body
    if declared is None or declared.schema_uri is None:
        return None
    schema = spec.node_at(declared.schema_uri)
    candidate = example(spec, schema, uri=declared.schema_uri, direction=WRITE)
    if validators is not None and validators.violations(declared.schema_uri, candidate, "body", WRITE):
        generated = example(spec, schema, use_examples=False, uri=declared.schema_uri, direction=WRITE)
        if not validators.violations(declared.schema_uri, generated, "body", WRITE):
            return generated
    return candidate


def render(payload: Payload) -> list[str]:
    """`payload` as indented text lines: the field tree, then the example as JSON."""
    lines = [f"{payload.title[:1].upper()}{payload.title[1:]}:"]
    for field in payload.fields:
        lines += _field_lines(field, 1)
    lines.append("Example:")
    lines += ["    " + line for line in json.dumps(payload.example, indent=2, ensure_ascii=False).splitlines()]
    return lines


def kind_of(spec: Spec, found: SchemaView) -> str:
    """A type in words: `string (date-time)`, `integer or null`, `array of string`."""
    concrete = [kind for kind in found.stated_types if kind != "null"]
    text = " or ".join(concrete) if concrete else ("object" if "properties" in found.node else "any")
    if concrete == ["array"] and found.items is not None:
        items = spec.node_at(found.items)
        reference = items.get("$ref") if isinstance(items, dict) else None
        text = f"array of {reference.rsplit('/', 1)[-1] if isinstance(reference, str) else describe_schema(spec, view(spec, found.items))}"
    if found.format:
        text += f" ({found.format})"
    return text + (" or null" if "null" in found.stated_types else "")


def values_text(values: Any) -> str:
    """An enum in words, cut after `MAX_ENUM_VALUES`: `one of: a, b, …`."""
    if not isinstance(values, (list, tuple)) or not values:
        return ""
    shown = ", ".join(str(value) for value in values[:MAX_ENUM_VALUES] if value is not None)
    return f"one of: {shown}" + (", …" if len(values) > MAX_ENUM_VALUES else "")


def describe_schema(spec: Spec, found: SchemaView) -> str:
    """A schema's type in one phrase: `string (date-time)`, `string, one of: a, b`."""
    enum = values_text(found.enum)
    return kind_of(spec, found) + (f", {enum}" if enum else "")


def describe_parameter(spec: Spec | None, parameter: Parameter) -> str:
    """A parameter's type in one phrase, from its schema's view (`any` when it has no schema)."""
    if spec is None or parameter.schema_uri is None:
        return "any"
    return describe_schema(spec, view(spec, parameter.schema_uri))


# -- building the tree -----------------------------------------------------------------------------------

def _payload(spec: Spec, uri: str, title: str, direction: str) -> Payload:
    root = _field(spec, uri, "(whole)", False, 0, frozenset())
    is_object = root.children and not root.kind.startswith(("array", "one of"))
    fields = root.children if is_object else (root,) if root.kind != "object" else ()
    return Payload(title, fields, example(spec, spec.node_at(uri), uri=uri, direction=direction))


def _field(spec: Spec, uri: str, name: str, required: bool, depth: int, trail: frozenset[str]) -> Field:
    """The field whose schema (maybe a `$ref`) is at `uri`, its children below it unless too deep or cyclic."""
    own = spec.node_at(uri)
    own = own if isinstance(own, dict) else {}
    reference = own.get("$ref") if isinstance(own.get("$ref"), str) else None
    found = view(spec, uri)
    uri = found.resolved
    description = _first_line(own.get("description") or found.description or "")
    kind = kind_of(spec, found)
    if reference and kind in ("object", "any", "object or null"):
        kind = kind.replace("object", reference.rsplit("/", 1)[-1]).replace("any", reference.rsplit("/", 1)[-1])
    if uri in trail:
        return Field(name, kind, required, description, note="refers back to an enclosing schema")
    trail = trail | {uri}

    alternatives = _alternatives(spec, found)
    if alternatives:
        if len(alternatives) == 1:  # `anyOf: [X, null]`: X that may be null
            single = _field(spec, alternatives[0], name, required, depth, trail)
            return Field(name, f"{single.kind} or null", required, description or single.description,
                         single.children, single.note)
        options = tuple(_field(spec, option_uri, f"option {index}", False, depth + 1, trail)
                        for index, option_uri in enumerate(alternatives, start=1))
        if not any(option.children or option.note for option in options):  # scalars: `integer or string`
            return Field(name, " or ".join(option.kind for option in options), required, description)
        return Field(name, "one of", required, description, options)

    if "array" in found.stated_types and found.items is not None:
        element = _field(spec, found.items, f"{name}[]", False, depth, trail)
        if element.children or element.note:
            kind = f"array of {element.kind.split(',')[0]}"
        return Field(name, kind, required, description, element.children, element.note)

    values = found.enum or ()
    if not found.properties:
        return Field(name, kind, required, description, values=values)
    if depth >= MAX_DEPTH:
        return Field(name, kind, required, description, note=f"{len(found.properties)} fields, deeper: not shown")
    children = tuple(_field(spec, property_uri, property_name, property_name in found.required, depth + 1, trail)
                     for property_name, property_uri in found.properties.items())
    return Field(name, kind, required, description, children, values=values)


def _alternatives(spec: Spec, found: SchemaView) -> tuple[str, ...]:
    """The branches of a `oneOf` (else an `anyOf`), without the `{type: null}` branch."""
    options = found.one_of or found.any_of
    return tuple(uri for uri in options if not (isinstance(spec.node_at(uri), dict)
                                                 and spec.node_at(uri).get("type") == "null"))


def _first_line(text: str) -> str:
    line = next((line.strip() for line in str(text).splitlines() if line.strip()), "")
    return line if len(line) <= MAX_DESCRIPTION else line[: MAX_DESCRIPTION - 1].rstrip() + "…"


def _field_lines(field: Field, level: int) -> list[str]:
    details = ", ".join(part for part in (field.kind, "required" if field.required else "",
                                          values_text(field.values)) if part)
    line = f"{'    ' * level}{field.name} ({details})"
    if field.description:
        line += f": {field.description}"
    if field.note:
        line += f" [{field.note}]"
    lines = [line]
    for child in field.children:
        lines += _field_lines(child, level + 1)
    return lines
