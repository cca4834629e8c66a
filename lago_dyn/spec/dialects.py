"""OpenAPI versions (3.0, 3.1, 3.2) as dialect objects (validator classes, formats, read/write rules), and `nullable: true`,
OpenAPI 3.0's way of allowing null, rewritten as JSON Schema's.

OpenAPI 3.1 schemas are plain JSON Schema 2020-12, where `nullable` means nothing, yet real 3.1 specs
still carry it (Lago 1.21.0 has 209 of them): taken literally, every null Lago returns for an optional
field would be a schema violation. The intent is unambiguous, so lago_dyn honours it: `type: X` becomes
`type: [X, "null"]` (and `null` joins an `enum`), a `$ref` or composition becomes `anyOf: [it, null]`.

The same rewrite gives the fast validator, which knows JSON Schema but not OpenAPI 3.0, the 3.0 meaning.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from . import walk

_COMPOSITION = ("$ref", "allOf", "oneOf", "anyOf", "not")


def has_nullable(document: Any) -> bool:
    return any(node.get("nullable") is True for node in walk.mappings(document))


def without_nullable(document: Any, *, copy_first: bool = False) -> Any:
    """The document with every `nullable: true` rewritten (in place unless `copy_first`)."""
    if copy_first:
        document = copy.deepcopy(document)
    for node in walk.mappings(document):
        if node.get("nullable") is True:
            _rewrite(node)
    return document


def _rewrite(schema: dict[str, Any]) -> None:
    del schema["nullable"]
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = schema["enum"] + [None]
    declared = schema.get("type")
    if declared is not None:
        types = list(declared) if isinstance(declared, list) else [declared]
        if "null" not in types:
            schema["type"] = types + ["null"]
        return
    moved = {key: schema.pop(key) for key in _COMPOSITION if key in schema}
    if moved:
        schema["anyOf"] = [moved, {"type": "null"}]


# -- one object per OpenAPI version --------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """What differs between OpenAPI versions, in one place: the JSON Schema draft of the fast check, the
    judge classes that explain errors (3.0's readOnly/writeOnly rules depend on the direction), the format
    checker, and whether `nullable` must be rewritten for plain JSON Schema."""

    version: str
    fast_draft: str  # the jsonschema_rs draft name
    rewrites_nullable_for_fast_check: bool
    #: openapi_schema_validator's names for this version's judge (3.0 has one per direction) and formats.
    judge_names: tuple[str, str] = ("OAS31Validator", "OAS31Validator")  # (read, write)
    format_checker_name: str = "oas31_format_checker"
    #: `nullable` has no meaning in this version's JSON Schema, so a leftover one is rewritten at load
    #: (for every reader: validators, stubs, diff), not only for the fast check.
    rewrites_nullable_at_load: bool = True

    def fast_validator_class(self) -> Any:
        import jsonschema_rs

        return getattr(jsonschema_rs, f"{self.fast_draft}Validator")

    def fast_registry_draft(self) -> Any:
        import jsonschema_rs

        return getattr(jsonschema_rs, self.fast_draft)

    def judge_class(self, direction: str) -> Any:
        return _ecma_judge(self.judge_names[direction == "write"])

    def format_checker(self) -> Any:
        import openapi_schema_validator as oas

        return getattr(oas, self.format_checker_name)

    def referencing_specification(self) -> Any:
        from referencing.jsonschema import DRAFT4, DRAFT202012

        return DRAFT4 if self.version == "3.0" else DRAFT202012

    def fast_document(self, document: Any) -> Any:
        """A document, or one node a schema reaches (see `validation.referenced_skeletons`), as the fast
        check needs it: `nullable` in JSON Schema terms (3.0), and the integer formats of OpenAPI as the
        ranges they stand for (jsonschema_rs checks formats on strings only). A rewritten copy only where
        something needs rewriting; the original is never changed."""
        needs_nullable = self.rewrites_nullable_for_fast_check and has_nullable(document)
        needs_ranges = _has_integer_formats(document)
        if not (needs_nullable or needs_ranges):
            return document
        document = copy.deepcopy(document)
        if needs_nullable:
            without_nullable(document)
        if needs_ranges:
            for node in walk.mappings(document):
                bounds = INTEGER_FORMATS.get(node.get("format")) if isinstance(node.get("format"), str) else None
                if bounds is not None and node.get("type") in ("integer", ["integer", "null"], ["null", "integer"]):
                    node["minimum"] = max(node.get("minimum", bounds[0]), bounds[0])
                    node["maximum"] = min(node.get("maximum", bounds[1]), bounds[1])
        return document


#: OpenAPI's integer formats and the ranges they name.
INTEGER_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

OAS30 = Dialect("3.0", "Draft4", True, ("OAS30ReadValidator", "OAS30WriteValidator"), "oas30_format_checker",
                rewrites_nullable_at_load=False)
OAS31 = Dialect("3.1", "Draft202012", False)
#: 3.2 schemas are JSON Schema 2020-12 as in 3.1; its own vocabulary adds no keyword that validates.
OAS32 = Dialect("3.2", "Draft202012", False, ("OAS32Validator", "OAS32Validator"), "oas32_format_checker")
SUPPORTED = {"3.0": OAS30, "3.1": OAS31, "3.2": OAS32}


def dialect_for(version: str) -> Dialect:
    """The dialect of an `openapi:` version string (`3.0.3` -> OAS30)."""
    dialect = SUPPORTED.get(str(version)[:3])
    if dialect is None:
        raise KeyError(version)
    return dialect


def rewrites_nullable_at_load(root: Any) -> bool:
    """Whether a parsed document's version gives a leftover `nullable: true` its meaning at load time."""
    version = root.get("openapi") if isinstance(root, dict) else None
    dialect = SUPPORTED.get(str(version)[:3]) if isinstance(version, str) else None
    return dialect is not None and dialect.rewrites_nullable_at_load


def _has_integer_formats(document: Any) -> bool:
    return any(node.get("format") in INTEGER_FORMATS for node in walk.mappings(document)
               if isinstance(node.get("format"), str))


@functools.lru_cache(maxsize=None)
def _ecma_judge(name: str) -> Any:
    """openapi_schema_validator's judge `name`, reading `pattern` as JSON Schema says: an ECMA-262 regular
    expression, matched by jsonschema-rs's engine, the one the fast check uses, so both give one verdict
    (Python's `re` reads `\\d` differently, and cannot read `\\p{L}` at all)."""
    import jsonschema.validators
    import openapi_schema_validator as oas

    return jsonschema.validators.extend(getattr(oas, name), {"pattern": _ecma_pattern})


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _ecma_regex(pattern)(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@functools.lru_cache(maxsize=1024)
def _ecma_regex(pattern: str) -> Callable[[str], bool]:
    import jsonschema_rs

    try:
        return jsonschema_rs.validator_for({"pattern": pattern}).is_valid
    except ValueError:  # no engine reads it: a defect of the spec, where the fast check refused it too
        return lambda instance: False

