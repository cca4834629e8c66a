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
import re
from dataclasses import dataclass
from typing import Any

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

    def fast_keywords(self) -> dict[str, Any]:
        """The keywords the fast check adds to JSON Schema's (see `fast_pattern`)."""
        return {ECMA_PATTERN: _EcmaPattern}

    def schema_problem(self, schema: Any) -> str | None:
        """What makes `schema` (one node, its `$ref`s not followed) no valid JSON Schema of this version,
        as the fast check would find when it compiles it; None when it is valid."""
        import jsonschema_rs

        if not isinstance(schema, (dict, bool)):
            return f"a schema is an object, not {type(schema).__name__}"
        if isinstance(schema, bool) or not schema:
            return None
        checked = copy.deepcopy(self.fast_document(schema))
        for node in list(walk.mappings(checked)):
            if isinstance(node.get("pattern"), str):  # a pattern string never refuses a schema: fast_pattern
                node["pattern"] = ""
            if self.version == "3.0" and isinstance(node.get("$ref"), str) and len(node) > 1:
                # OpenAPI 3.0's Reference Object: "any properties added SHALL be ignored" (draft 4 too)
                reference = node["$ref"]
                node.clear()
                node["$ref"] = reference
        checked["$schema"] = _META_SCHEMAS[self.fast_draft]
        try:
            jsonschema_rs.meta.validate(checked)
        except jsonschema_rs.ValidationError as error:
            return str(error).splitlines()[0] + (f" (at {'/'.join(map(str, error.instance_path))})"
                                                 if error.instance_path else "")
        except Exception:  # noqa: BLE001 (a meta-schema it cannot find: not ours to judge)
            return None
        return None

    def fast_registry_draft(self) -> Any:
        import jsonschema_rs

        return getattr(jsonschema_rs, self.fast_draft)

    def judge_class(self, direction: str) -> Any:
        import openapi_schema_validator as oas

        judge = getattr(oas, self.judge_names[direction == "write"])
        return _composing_as_json_schema(_reading_ecma_patterns(judge))

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
        needs_patterns = _has_patterns_to_rewrite(document)
        if not (needs_nullable or needs_ranges or needs_patterns):
            return document
        document = copy.deepcopy(document)
        if needs_nullable:
            without_nullable(document)
        if needs_patterns:
            for node in walk.mappings(document):
                if isinstance(node.get("pattern"), str):
                    readable = fast_pattern(node["pattern"])
                    if readable is None:  # judged by our ECMA-262 reading instead (FAST_KEYWORDS)
                        node[ECMA_PATTERN] = node.pop("pattern")
                    else:
                        node["pattern"] = readable
        if needs_ranges:
            for node in walk.mappings(document):
                bounds = INTEGER_FORMATS.get(node.get("format")) if isinstance(node.get("format"), str) else None
                if bounds is not None and node.get("type") in ("integer", ["integer", "null"], ["null", "integer"]):
                    node["minimum"] = max(node.get("minimum", bounds[0]), bounds[0])
                    node["maximum"] = min(node.get("maximum", bounds[1]), bounds[1])
        return document


_META_SCHEMAS = {"Draft4": "http://json-schema.org/draft-04/schema#",
                 "Draft202012": "https://json-schema.org/draft/2020-12/schema"}

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


# -- patterns are ECMA-262 -------------------------------------------------------------------------------
# JSON Schema's `pattern` is an ECMA-262 regular expression. Python's `re` does not read some of it (the
# Unicode property escapes `\p{L}`, `\P{Lu}`), and the fast validator does not read ECMA-262's legacy
# octal escapes (Annex B: `[\000-\037]`, valid in every browser). Each engine is given what it reads.

#: A backslash escape: `\\` or `\` and one character (so that `\\000` is not taken for an octal escape).
_ESCAPE = re.compile(r"\\(?:0[0-7]{0,2}|[1-3][0-7]{2}|.)", re.S)


def without_legacy_octal(pattern: str) -> str:
    r"""`pattern` with each legacy octal escape (`\0`, `\012`, `\177`) written as the `\xHH` escape it
    stands for (ECMA-262 Annex B.1.2); every other escape as it was."""

    def replaced(match: re.Match) -> str:
        text = match.group(0)
        if text[1:].isdigit() and (text[1] == "0" or len(text) == 4):
            return "\\x%02x" % int(text[1:], 8)
        return text

    return _ESCAPE.sub(replaced, pattern)


#: Where the fast check's copy of a schema keeps a `pattern` its engine cannot read (see `fast_pattern`).
ECMA_PATTERN = "x-lago-dyn-ecma-pattern"


@functools.lru_cache(maxsize=4096)
def fast_pattern(pattern: str) -> str | None:
    """`pattern` as the fast validator reads it (legacy octal escapes rewritten), or None when its engine
    cannot read it at all (Annex B's `[\\w-.]`, a lookahead with a quantifier, lone surrogates in a class,
    `.{0,262144}` past its size limit: all ECMA-262): that pattern is then checked by `ecma_search`
    through a keyword of our own, so the schema still compiles and both checks give one verdict."""
    import jsonschema_rs

    readable = without_legacy_octal(pattern)
    try:
        jsonschema_rs.Draft202012Validator({"pattern": readable})
    except Exception:  # noqa: BLE001 (jsonschema_rs.ValidationError: "is not a regex")
        return None
    return readable


def _has_patterns_to_rewrite(document: Any) -> bool:
    return any(fast_pattern(node["pattern"]) != node["pattern"] for node in walk.mappings(document)
               if isinstance(node.get("pattern"), str))


class _EcmaPattern:
    """The fast check's keyword for a pattern its engine cannot read (jsonschema_rs custom keyword)."""

    def __init__(self, parent_schema: Any, value: Any, schema_path: Any):
        self.pattern = value if isinstance(value, str) else ""

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and not ecma_search(self.pattern, instance):
            raise ValueError(f"{instance!r} does not match {self.pattern!r}")


#: How long one pattern may take on one value. The `regex` engine avoids most of the exponential
#: backtracking Python's `re` falls into (`([\\w.-]*)*$` on a URL that does not match: 16 s at 35
#: characters with `re`), and this bounds the rest: a server's value can never hang a call.
PATTERN_SECONDS = 0.5


@functools.lru_cache(maxsize=4096)
def compiled_pattern(pattern: str) -> tuple[Any, bool] | None:
    """An ECMA-262 `pattern` compiled by an engine that reads it, and whether that engine takes a
    timeout: the `regex` module (it also reads Unicode property escapes, `\\p{L}`), else `re`; None
    when neither can (the fast check moved it to our keyword, see `fast_pattern`)."""
    try:
        import regex

        return regex.compile(pattern, regex.V0), True
    except Exception:  # noqa: BLE001 (regex.error, and any pattern it cannot read)
        pass
    try:
        return re.compile(pattern), False
    except re.error:
        return None


@functools.lru_cache(maxsize=4096)
def _fast_engine(pattern: str) -> Any:
    """The fast check's own matcher for `pattern` (as it compiles it, see `fast_pattern`), or None when
    its engine cannot read it (the fast check then asks `ecma_search` too, through `_EcmaPattern`)."""
    import jsonschema_rs

    readable = fast_pattern(pattern)
    return None if readable is None else jsonschema_rs.validator_for({"pattern": readable}).is_valid


def ecma_search(pattern: str, text: str) -> bool:
    """Whether `text` matches the ECMA-262 `pattern` somewhere (JSON Schema's `pattern` is unanchored),
    read by the engine the fast check reads it with, so the check and its explanation give one verdict
    (`\\d` is 0-9 there, as in ECMA-262, not every Unicode digit). A pattern that engine cannot read goes
    to the `regex` module: one no engine here reads matches, so that it never turns a valid value into an
    error; one that takes longer than PATTERN_SECONDS on `text` does not."""
    fast = _fast_engine(pattern)
    if fast is not None:
        return fast(text)
    compiled = compiled_pattern(pattern)
    if compiled is None:
        return True
    engine, takes_timeout = compiled
    try:
        found = engine.search(text, timeout=PATTERN_SECONDS) if takes_timeout else engine.search(text)
    except TimeoutError:
        return False
    return found is not None


@functools.lru_cache(maxsize=None)
def _reading_ecma_patterns(judge: Any) -> Any:
    """The judge class with `pattern`, `patternProperties` and `additionalProperties` (which looks at the
    pattern properties) reading ECMA-262 (see `ecma_search`); jsonschema's own use Python's `re`."""
    from jsonschema import ValidationError, validators

    original = judge.VALIDATORS

    def pattern(validator: Any, pattern_text: Any, instance: Any, schema: Any) -> Any:
        if validator.is_type(instance, "string") and isinstance(pattern_text, str) \
                and not ecma_search(pattern_text, instance):
            yield ValidationError(f"{instance!r} does not match {pattern_text!r}")

    def pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Any:
        if validator.is_type(instance, "object") and isinstance(patterns, dict):
            for pattern_text, subschema in patterns.items():
                for key, value in instance.items():
                    if ecma_search(str(pattern_text), key):
                        yield from validator.descend(value, subschema, path=key, schema_path=pattern_text)

    def additional_properties(validator: Any, allowed: Any, instance: Any, schema: Any) -> Any:
        patterns = schema.get("patternProperties")
        if not validator.is_type(instance, "object") or not isinstance(patterns, dict):
            yield from original["additionalProperties"](validator, allowed, instance, schema)
            return
        declared = schema.get("properties") or {}
        extras = sorted(key for key in instance if key not in declared
                        and not any(ecma_search(str(text), key) for text in patterns))
        if validator.is_type(allowed, "object"):
            for extra in extras:
                yield from validator.descend(instance[extra], allowed, path=extra)
        elif allowed is False and extras:
            verb = "does" if len(extras) == 1 else "do"
            yield ValidationError(f"{', '.join(map(repr, extras))} {verb} not match any of the regexes: "
                                  f"{', '.join(map(repr, sorted(patterns)))}")

    return validators.extend(judge, {"pattern": pattern, "patternProperties": pattern_properties,
                                     "additionalProperties": additional_properties})


@functools.lru_cache(maxsize=None)
def _composing_as_json_schema(judge: Any) -> Any:
    """The judge class with `allOf`, `anyOf` and `oneOf` read as JSON Schema reads them, as the fast check
    does, so both give one verdict. openapi-schema-validator replaces them, beside a `discriminator`, with
    a lookup of the schema the discriminating value names (`#/components/schemas/<value>` unless mapped):
    a value naming no schema was refused with "breaks the 'allOf' rule" and nothing more, and the allOf
    members were not checked at all. OpenAPI calls the discriminator a hint; the composition decides."""
    from jsonschema import Draft202012Validator, validators

    plain = Draft202012Validator.VALIDATORS
    return validators.extend(judge, {name: plain[name] for name in ("allOf", "anyOf", "oneOf")})
