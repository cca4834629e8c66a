"""Values that satisfy a schema of the spec: its own examples where it has them, else made from the
schema's rules. LocalLago answers with them, help() shows them, and the conformance suite calls every
operation with them: library code, so it lives beside the spec, not under testing/.

`allOf` is where a naive generator goes wrong: Lago narrows a shared object in a second branch (an event's
`lago_customer_id` is "string or null" in `EventObject` and "null" in the create answer; an alert
threshold's `recurring` is described in one branch and required in another). So the branches are merged
first, field by field, and a field described by several branches gets a value that fits all of them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterator

from ..errors import SpecError
from ..spec.model import Spec
from ..spec import dialects
from ..spec.dialects import ecma_search

if TYPE_CHECKING:
    from ..validation import SchemaValidators

try:  # the regular-expression parser the `re` module itself uses
    from re import _parser as _regex_parser  # type: ignore[attr-defined]
except ImportError:  # Python < 3.11
    import sre_parse as _regex_parser  # type: ignore[no-redef]

_FORMATS = {
    "date-time": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00",
    "duration": "P1D",
    "uuid": "1a901a90-1a90-1a90-1a90-1a901a901a90",
    "email": "billing@example.com",
    "idn-email": "billing@example.com",
    "uri": "https://example.com/",
    "iri": "https://example.com/",
    "url": "https://example.com/",
    "uri-reference": "/example",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "byte": "ZXhhbXBsZQ==",
    "json-pointer": "/example",
    "regex": "^example$",
}
#: Below this depth every property is filled in; deeper, only the required ones (answers stay small).
ALL_PROPERTIES_DEPTH = 4
#: Deeper than this, nothing is generated (a schema whose required fields recurse forever).
MAX_DEPTH = 32
_PATTERN_CANDIDATES = ("1", "1.0", "100", "USD", "US", "a", "abc", "x1", "A1", "0")
_TYPE_CHECKS = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def example(spec: Spec, schema: Any, *, use_examples: bool = True, depth: int = 0, uri: str | None = None,
            direction: str | None = None) -> Any:
    """A value valid for `schema` (a schema node of `spec`, possibly a `$ref`). With `direction`, a
    value for a request ("write": no `readOnly` property) or an answer ("read": no `writeOnly` one)."""
    return _Generator(spec, use_examples, direction).value([(schema, uri or spec.base_uri)], depth)


def valid_example(spec: Spec, schema_uri: str, validators: "SchemaValidators", direction: str) -> Any:
    """A value the validators accept for the schema at `schema_uri`: the spec's own examples when they
    are valid (upstream examples sometimes break their own schema), else a generated one. A `SpecError`
    naming the broken rules when neither is, so that nobody is handed an invalid value unawares."""
    schema = spec.node_at(schema_uri)
    problems = []
    for use_examples in (True, False):
        data = example(spec, schema, use_examples=use_examples, uri=schema_uri, direction=direction)
        problems = validators.violations(schema_uri, data, "example", direction)
        if not problems:
            return data
    broken = "; ".join(f"{p.location}: {p.rule}" for p in problems[:5])
    raise SpecError(f"no valid example could be made for {schema_uri} ({broken})")


#: Properties a value for each direction leaves out (OpenAPI: readOnly ones are not sent in requests,
#: writeOnly ones not returned in answers).
_LEFT_OUT = {"write": "readOnly", "read": "writeOnly"}


class _Generator:
    def __init__(self, spec: Spec, use_examples: bool, direction: str | None = None):
        self.spec = spec
        self.use_examples = use_examples
        self.left_out = _LEFT_OUT.get(direction or "")

    def value(self, parts: list[tuple[Any, str]], depth: int) -> Any:
        """A value valid for every schema in `parts` (an allOf), each with the URI its refs resolve from."""
        schemas = list(self._flattened(parts, depth))
        if depth > MAX_DEPTH or not schemas:
            return None
        if any(_is_object(schema) for schema, _ in schemas):
            chosen = self._with_a_branch(schemas)
            return self.value(chosen, depth + 1) if chosen is not None else self._object(schemas, depth)
        if len(schemas) == 1:
            return next(self._candidates(*schemas[0], depth), None)
        for schema, uri in schemas:  # several scalar rules: the first candidate of any that fits them all
            for candidate in self._candidates(schema, uri, depth):
                if all(_fits(candidate, other) for other, _ in schemas):
                    return candidate
        return next(self._candidates(*schemas[0], depth), None)

    @staticmethod
    def _with_a_branch(schemas: list[tuple[dict[str, Any], str]]) -> list[tuple[Any, str]] | None:
        """An object schema that also says `oneOf`/`anyOf` (`type: object` beside its alternatives) is
        that object and one of them: the parts with the first non-null alternative in place of the choice.
        None when no part offers a choice."""
        for index, (schema, uri) in enumerate(schemas):
            for combinator in ("oneOf", "anyOf"):
                options = schema.get(combinator)
                if isinstance(options, list) and options:
                    concrete = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
                    if not concrete:
                        continue
                    rest = {key: value for key, value in schema.items() if key != combinator}
                    return [*schemas[:index], (rest, uri), (concrete[0], uri), *schemas[index + 1:]]
        return None

    def _flattened(self, parts: list[tuple[Any, str]], depth: int) -> Iterator[tuple[dict[str, Any], str]]:
        """The schemas of an allOf with refs resolved and nested allOfs spread out."""
        for schema, uri in parts:
            if isinstance(schema, dict) and "$ref" in schema:
                schema, uri = self.spec.resolve(schema, uri)
            if not isinstance(schema, dict):
                continue
            branches = schema.get("allOf")
            if isinstance(branches, list) and depth <= MAX_DEPTH:
                own = {key: value for key, value in schema.items() if key != "allOf"}
                yield own, uri
                yield from self._flattened([(branch, uri) for branch in branches], depth + 1)
            else:
                yield schema, uri

    def _object(self, schemas: list[tuple[dict[str, Any], str]], depth: int) -> Any:
        own = self._given(schemas)
        if own is not None:
            return own
        fields: dict[str, list[tuple[Any, str]]] = {}
        required: set[str] = set()
        for schema, uri in schemas:
            for name, node in (schema.get("properties") or {}).items():
                fields.setdefault(name, []).append((node, uri))
            required.update(name for name in schema.get("required") or () if isinstance(name, str))
        # readOnly properties are not sent in a request (nor writeOnly ones answered), required or not:
        # "required" then applies to the other direction only (OpenAPI 3.0, Schema Object readOnly).
        left_out = {name for name in fields if self._marked(fields[name], depth)}
        wanted = [name for name in fields if (depth < ALL_PROPERTIES_DEPTH or name in required) and name not in left_out]
        result = {name: self.value(fields[name], depth + 1) for name in wanted}
        for name in sorted(required - set(result) - left_out):  # required but described nowhere: any value will do
            result[name] = "x"
        return result

    def _marked(self, parts: list[tuple[Any, str]], depth: int) -> bool:
        """Whether a property is one this direction leaves out (`readOnly: true` for a request)."""
        return self.left_out is not None and any(
            schema.get(self.left_out) is True for schema, _ in self._flattened(parts, depth))

    def _given(self, schemas: list[tuple[dict[str, Any], str]]) -> Any:
        """An example, const, enum value or default stated for the whole object, if it fits every part."""
        for schema, _ in schemas:
            for candidate in self._stated(schema):
                if isinstance(candidate, dict) and all(_fits(candidate, other) for other, _ in schemas):
                    return candidate
        return None

    def _stated(self, schema: dict[str, Any]) -> Iterator[Any]:
        """The values the spec's author wrote down for a schema, best first."""
        if self.use_examples:
            if "example" in schema:
                yield schema["example"]
            if isinstance(schema.get("examples"), list):
                yield from schema["examples"][:1]
        if "const" in schema:
            yield schema["const"]
        if isinstance(schema.get("enum"), list):
            yield from (value for value in schema["enum"] if value is not None)
        if schema.get("default") is not None:
            yield schema["default"]

    def _candidates(self, schema: dict[str, Any], uri: str, depth: int) -> Iterator[Any]:
        """Values for one schema, most likely to be valid first."""
        yield from (value for value in self._stated(schema) if _fits(value, schema))
        if "const" in schema or isinstance(schema.get("enum"), list) and schema["enum"]:
            yield schema["const"] if "const" in schema else schema["enum"][0]
            return
        for combinator in ("oneOf", "anyOf"):
            options = schema.get(combinator)
            if isinstance(options, list) and options:
                concrete = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")] or options
                for option in concrete:
                    yield self.value([(option, uri)], depth + 1)
                return
        kinds = _kinds(schema)
        for kind in [k for k in kinds if k != "null"] + (["null"] if "null" in kinds else []):
            yield self._of_kind(kind, schema, uri, depth)

    def _of_kind(self, kind: str, schema: dict[str, Any], uri: str, depth: int) -> Any:
        if kind == "object":
            return self._object([(schema, uri)], depth)
        if kind == "array":
            count = max(int(schema.get("minItems") or 0), 1 if depth < 6 else 0)
            item = self.value([(schema.get("items") or {}, uri)], depth + 1)
            return [item for _ in range(count)]
        if kind == "string":
            return _string(schema)
        if kind in ("integer", "number"):
            return _number(schema, kind)
        return True if kind == "boolean" else None


def _is_object(schema: dict[str, Any]) -> bool:
    return "object" in _kinds(schema) and ("properties" in schema or "required" in schema
                                           or schema.get("type") == "object")


def _kinds(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, list):
        kinds = [str(kind) for kind in declared]
    elif isinstance(declared, str):
        kinds = [declared]
    else:
        kinds = ["object" if "properties" in schema or "required" in schema
                 else "array" if "items" in schema else "string"]
    return kinds + ["null"] if schema.get("nullable") is True and "null" not in kinds else kinds


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """Whether `value` keeps the rules `schema` states about it directly (type, const, enum, pattern,
    bounds): enough to choose between candidates; the validators judge the final result."""
    if "type" in schema or schema.get("nullable") is True:
        if not any(_TYPE_CHECKS.get(kind, lambda v: False)(value) for kind in _kinds(schema)):
            return False
    if "const" in schema and value != schema["const"]:
        return False
    if isinstance(schema.get("enum"), list) and value not in schema["enum"]:
        return False
    if isinstance(value, str):
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and not _search(pattern, value):
            return False
        if len(value) < (schema.get("minLength") or 0) or len(value) > schema.get("maxLength", len(value)):
            return False
    if isinstance(value, dict):
        return all(name in value for name in schema.get("required") or ())
    return True


def _search(pattern: str, text: str) -> bool:
    return ecma_search(pattern, text)  # ECMA-262, and bounded in time: Python's re can backtrack for hours


def _string(schema: dict[str, Any]) -> Any:
    text = _FORMATS.get(str(schema.get("format")), "string")
    pattern = schema.get("pattern")
    if isinstance(pattern, str):
        return _matching(pattern, text, nullable="null" in _kinds(schema))
    minimum, maximum = schema.get("minLength"), schema.get("maxLength")
    if isinstance(minimum, int) and len(text) < minimum:
        text = text + "x" * (minimum - len(text))
    if isinstance(maximum, int) and len(text) > maximum:
        text = text[:maximum]
    return text


def _number(schema: dict[str, Any], kind: str) -> Any:
    """The smallest value the bounds allow (OpenAPI 3.0's boolean `exclusiveMinimum` included), else 1."""
    low, exclusive = schema.get("minimum"), schema.get("exclusiveMinimum")
    if isinstance(exclusive, bool):
        exclusive = low if exclusive else None
    if isinstance(exclusive, (int, float)) and (not isinstance(low, (int, float)) or exclusive >= low):
        value = exclusive + 1
    else:
        value = low if isinstance(low, (int, float)) else 1
    high = schema.get("maximum")
    if isinstance(high, (int, float)) and not isinstance(high, bool) and value > high:
        value = high
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0 and value % step:
        value = (value // step + 1) * step
    return int(value) if kind == "integer" else float(value)


def _matching(pattern: str, preferred: str, *, nullable: bool) -> Any:
    """A short string matching `pattern`; None where null is allowed and nothing can be made."""
    if dialects.compiled_pattern(pattern) is None:
        return preferred
    for candidate in (preferred, *_PATTERN_CANDIDATES, _from_regex(pattern)):
        if candidate is not None and _search(pattern, candidate):
            return candidate
    return None if nullable else preferred


def _from_regex(pattern: str) -> str | None:
    """The shortest string the parsed regular expression describes (first branch, fewest repeats, the
    first character of each class); None for constructs it does not know."""
    try:
        return _render(_regex_parser.parse(pattern))
    except (re.error, ValueError, TypeError, KeyError, RecursionError):
        return None


def _render(items: Any) -> str:
    constants = _regex_parser
    out = []
    for op, argument in items:
        if op is constants.LITERAL:
            out.append(chr(argument))
        elif op is constants.ANY:
            out.append("a")
        elif op is constants.IN:
            out.append(_first_in_class(argument))
        elif op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
            low, _, item = argument
            out.append(_render(item) * low)
        elif op is constants.SUBPATTERN:
            out.append(_render(argument[-1]))
        elif op is constants.BRANCH:
            out.append(_render(argument[1][0]))
        elif op is not constants.AT:  # anchors (^, $, \b) add no characters
            raise ValueError(f"regex construct {op}")
    return "".join(out)


def _first_in_class(members: Any) -> str:
    constants = _regex_parser
    op, argument = members[0]
    if op is constants.LITERAL:
        return chr(argument)
    if op is constants.RANGE:
        return chr(argument[0])
    if op is constants.CATEGORY:
        return _CATEGORY_SAMPLES[str(argument)]
    raise ValueError(f"character class member {op}")  # a negated class: left to the candidates


_CATEGORY_SAMPLES = {"CATEGORY_DIGIT": "0", "CATEGORY_SPACE": " ", "CATEGORY_WORD": "a",
                     "CATEGORY_NOT_DIGIT": "a", "CATEGORY_NOT_SPACE": "a", "CATEGORY_NOT_WORD": "-"}
