"""THE schema view: what one schema of a spec declares, worked out once per schema and Spec.

Before this module, validation, result shaping, request encoding, help(), the example generator, stubs,
diff and LocalLago each walked schemas with their own partial walker, and every new real spec found a
corner one of them missed (a one-branch `allOf` around an array, `oneOf` beside `type: object`). Here a
schema is read once: its types (3.0's `nullable` and 3.1's type lists), its fields through `allOf` and
`$ref`, its `oneOf`/`anyOf` branches, items, map values, enum, format and texts. Everything a view
points at (a field, the items, a branch) is a URI, and `view(spec, uri)` gives that one's view: views
stay small, and a recursive schema costs nothing.

Views are immutable and kept per Spec (on the Spec itself, so they live and die with it), under a lock:
every client of a Spec, on any thread, shares them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

from .model import Spec, child_uri

#: Deeper than this, `allOf` parts and branches are not followed (a schema that composes itself forever).
MAX_DEPTH = 40
_EMPTY: Mapping[str, Any] = MappingProxyType({})
_STATED = ("type", "format", "enum", "description", "nullable")
#: The keywords that bound a value (its length, size, range, step and pattern), kept as the schema writes them.
_RULES = ("pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
          "multipleOf", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties")


@dataclass(frozen=True, eq=False)
class SchemaView:
    """One schema as every part of lago_dyn reads it. Child schemas are URIs: ask `view()` for theirs."""

    #: The URI the view was asked for, and the one of the schema it stands for once `$ref`s are followed.
    uri: str
    resolved: str
    #: The schema's own keywords, as written (read-only; {} when the node is not an object).
    node: Mapping[str, Any]
    #: The JSON types the schema admits, through `$ref`, `type` lists, 3.0's `nullable` and the branches of
    #: allOf/anyOf/oneOf; "object" for a schema with only `properties`; () when it does not say (any type).
    types: tuple[str, ...]
    #: The types stated by the schema itself or, when it has no `type`, by its `allOf` parts (the first
    #: that has one), "null" added for `nullable: true`: what a person reads as "its type".
    stated_types: tuple[str, ...]
    #: Field name -> the field's schema URI, `allOf` parts merged in (the schema's own fields win).
    properties: Mapping[str, str]
    required: frozenset[str]
    #: The URIs of the branches, by keyword.
    all_of: tuple[str, ...]
    any_of: tuple[str, ...]
    one_of: tuple[str, ...]
    #: The `anyOf` then `oneOf` branches: the alternatives a value may follow.
    branches: tuple[str, ...]
    #: The array items' schema URI (the schema's own, else an `allOf` part's); None when not declared.
    items: str | None
    #: `additionalProperties` as written on the schema itself (None when absent), and its URI when it is
    #: a non-empty schema (a map's values).
    additional_properties: Any
    additional_uri: str | None
    pattern_properties: bool
    #: Keys beyond the declared ones are the schema's intent, not a typo: a map (`additionalProperties`
    #: given either way), `patternProperties`, or no properties of its own (free-form, as for `metadata`;
    #: under anyOf/oneOf, the branches decide).
    open_keys: bool
    #: The schema's own, else its `allOf` parts' (the first that states it).
    format: str | None
    enum: tuple[Any, ...] | None
    description: str
    nullable: bool  # `nullable: true` on the schema or an `allOf` part (3.0; 3.1's leftovers are rewritten)
    #: The schema's own.
    const: Any
    has_const: bool
    default: Any
    examples: tuple[Any, ...]  # `example`, then `examples` (a list), as written
    #: `readOnly`/`writeOnly: true` on the schema, or beside the `$ref` that led to it.
    read_only: bool
    write_only: bool
    #: type, format, enum, description and nullable as the schema states them or its `allOf` parts lend them.
    stated: Mapping[str, Any]
    #: The resolved URIs of this schema and of every schema its `allOf` reaches (parts of parts), each
    #: once, this one first: the schemas a value must satisfy all of (what the example generator fills in).
    parts: tuple[str, ...]
    #: The bounds the schema itself writes (pattern, min/max length, items and properties, the range,
    #: multipleOf, uniqueItems), as written; an `allOf` part's are on that part's view.
    rules: Mapping[str, Any]

    @property
    def concrete_types(self) -> tuple[str, ...]:
        return tuple(kind for kind in self.types if kind != "null")


class SchemaViews:
    """The views of one Spec by URI, made on first use and kept (thread-safe: a view is immutable, and
    two threads that make the same one keep the first)."""

    def __init__(self, spec: Spec):
        self.spec = spec
        #: URI -> view; read it directly on a hot path (`known.get(uri) or views(uri)`).
        self.known: dict[str, SchemaView] = {}
        self._lock = threading.Lock()

    def __call__(self, uri: str) -> SchemaView:
        known = self.known.get(uri)
        if known is None:
            made = self._make(uri, 0)
            with self._lock:
                known = self.known.setdefault(uri, made)
        return known

    def _view(self, uri: str, depth: int) -> SchemaView:
        known = self.known.get(uri)
        if known is not None:
            return known
        made = self._make(uri, depth)
        if depth == 0:  # a view cut short by depth is not kept: asked for at the top, it says more
            with self._lock:
                made = self.known.setdefault(uri, made)
        return made

    def _make(self, uri: str, depth: int) -> SchemaView:
        spec = self.spec
        written = spec.node_at(uri)
        node, resolved = spec.resolve(written, uri)
        node = node if isinstance(node, dict) else {}
        # readOnly/writeOnly beside a `$ref` count (3.1 says so; the 3.0 judges honour them there too).
        marks = {key for key in ("readOnly", "writeOnly")
                 if node.get(key) is True or isinstance(written, dict) and written.get(key) is True}
        deeper = depth < MAX_DEPTH
        branches = {keyword: tuple(child_uri(resolved, keyword, str(index))
                                   for index, _ in enumerate(node.get(keyword) or ()))
                    if isinstance(node.get(keyword), list) else ()
                    for keyword in ("allOf", "anyOf", "oneOf")}
        parts = [self._view(part, depth + 1) for part in branches["allOf"]] if deeper else []

        properties = {name: child_uri(resolved, "properties", name)
                      for name in (node.get("properties") if isinstance(node.get("properties"), dict) else ())}
        required = {name for name in node.get("required") or () if isinstance(name, str)}
        for part in parts:
            properties = {**part.properties, **properties}
            required |= part.required

        declared = node.get("type")
        own = (tuple(str(kind) for kind in declared) if isinstance(declared, list)
               else (str(declared),) if declared is not None else ())
        nullable = node.get("nullable") is True
        if declared is not None:
            types = own + (("null",) if nullable and "null" not in own else ())
        else:
            found: list[str] = []
            if deeper:
                for keyword in ("allOf", "anyOf", "oneOf"):
                    for branch in branches[keyword]:
                        found.extend(self._view(branch, depth + 1).types)
            if not found and "properties" in node:
                found.append("object")
            types = tuple(dict.fromkeys(found))

        # What a person reads as the schema's type, format, enum and description: its own, else lent by the
        # first `allOf` part that states it (Lago writes `allOf: [$ref Currency]` beside a description).
        merged = {key: node[key] for key in _STATED if key in node}
        items = child_uri(resolved, "items") if isinstance(node.get("items"), dict) else None
        for part in parts:
            for key, value in part.stated.items():
                merged.setdefault(key, value)
            items = items or part.items
            if "properties" in part.node:
                merged.setdefault("type", "object")
        stated_type = merged.get("type")
        stated = (tuple(str(kind) for kind in stated_type) if isinstance(stated_type, list)
                  else (str(stated_type),) if stated_type else ())
        if merged.get("nullable") is True and "null" not in stated:
            stated += ("null",)
        fmt, enum, description = merged.get("format"), merged.get("enum"), merged.get("description")

        extra = node.get("additionalProperties")
        stated_examples = ((node["example"],) if "example" in node else ()) + (
            tuple(node["examples"]) if isinstance(node.get("examples"), list) else ())
        return SchemaView(
            uri=uri, resolved=resolved, node=MappingProxyType(node) if node else _EMPTY, types=types,
            stated_types=stated, properties=MappingProxyType(properties), required=frozenset(required),
            all_of=branches["allOf"], any_of=branches["anyOf"], one_of=branches["oneOf"],
            branches=branches["anyOf"] + branches["oneOf"], items=items,
            additional_properties=extra,
            additional_uri=child_uri(resolved, "additionalProperties") if isinstance(extra, dict) and extra else None,
            pattern_properties="patternProperties" in node,
            # Nothing declared here: free-form, or only anyOf/oneOf branches, which then decide (the
            # unknown-field walk combines them with this, and a free-form branch stays open).
            open_keys=extra is not None or "patternProperties" in node or not properties,
            format=fmt if isinstance(fmt, str) else None,
            enum=tuple(enum) if isinstance(enum, list) else None,
            description=str(description or ""), nullable=merged.get("nullable") is True,
            stated=MappingProxyType(merged),
            const=node.get("const"), has_const="const" in node, default=node.get("default"),
            examples=stated_examples, read_only="readOnly" in marks, write_only="writeOnly" in marks,
            parts=tuple(dict.fromkeys((resolved, *(uri for part in parts for uri in part.parts)))),
            rules=MappingProxyType({key: node[key] for key in _RULES if key in node}) if node else _EMPTY,
        )


_views_lock = threading.Lock()


def views(spec: Spec) -> SchemaViews:
    """The views of `spec`: one `SchemaViews` per Spec, kept on the Spec itself."""
    known = spec.__dict__.get("_schema_views")
    if known is None:
        with _views_lock:
            known = spec.__dict__.setdefault("_schema_views", SchemaViews(spec))
    return known


def view(spec: Spec, uri: str) -> SchemaView:
    """What the schema at `uri` (a `$ref` is followed) declares; made once per schema and Spec."""
    return views(spec)(uri)
