"""Values that satisfy a schema of the spec: its own examples where it has them, else made from the
schema's rules. LocalLago answers with them, help() shows them, and the conformance suite calls every
operation with them: library code, so it lives beside the spec, not under testing/.

Schemas are read through the schema view (`spec/schema.py`), never walked here. A value is made for a
conjunction of schemas: a schema and every `allOf` part it reaches (`SchemaView.parts`), plus the
`oneOf`/`anyOf` branch chosen for each. `allOf` is where a naive generator goes wrong: Lago narrows a shared
object in a second branch (an event's `lago_customer_id` is "string or null" in `EventObject` and "null" in
the create answer; an alert threshold's `recurring` is described in one branch and required in another).
So a field described by several parts gets a value that fits all of them, and the bounds of every part
(lengths, patterns, ranges, sizes) hold together.

What real documents need beyond that (the APIs.guru corpus found each): a string long enough for its
`minLength` that still matches its `pattern`; objects with `minProperties`; distinct items for
`uniqueItems`; a `oneOf` branch whose value matches no other branch (open objects match each other's
values); no `readOnly` property anywhere in a request (nor `writeOnly` in an answer), however deep.

Examples are deterministic (the same schema gives the same value) and cheap: `help()` renders them. So a
pattern's string comes from the parsed regular expression (the shortest string it describes, repeats
grown to reach `minLength`), not from a search: property-based generators (hypothesis' `from_regex`) take
0.1-5 s a pattern and read Python's regex dialect rather than ECMA-262's.
"""

from __future__ import annotations

import json
import math
import re
from typing import TYPE_CHECKING, Any, Iterable, Iterator
from urllib.parse import urljoin

from ..errors import SpecError
from ..spec import dialects
from ..spec.dialects import ecma_search
from ..spec.model import Spec
from ..spec.schema import SchemaView, views

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
#: Arrays deeper than this are left empty unless `minItems` says otherwise.
ARRAY_ITEMS_DEPTH = 6
_PATTERN_CANDIDATES = ("1", "1.0", "100", "USD", "US", "a", "abc", "x1", "A1", "0")
#: Characters tried, in this order, for a character class and for `.`: readable ones first.
_CLASS_CANDIDATES = "aA0_-.x1 :/@"
_TYPE_CHECKS = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool) or isinstance(v, float) and v.is_integer(),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def example(spec: Spec, schema: Any = None, *, use_examples: bool = True, depth: int = 0, uri: str | None = None,
            direction: str | None = None) -> Any:
    """A value valid for the schema at `uri` (`schema`, its node, may stand in for the URI when it is a
    `$ref`). With `direction`, a value for a request ("write": no `readOnly` property) or an answer
    ("read": no `writeOnly` one)."""
    if uri is None:
        reference = schema.get("$ref") if isinstance(schema, dict) else None
        if not isinstance(reference, str):
            raise SpecError("example: give the schema's uri= (a schema is read through its place in the spec)")
        uri = urljoin(spec.base_uri, reference)
    return _Generator(spec, use_examples, direction).value((uri,), depth)


def valid_example(spec: Spec, schema_uri: str, validators: "SchemaValidators", direction: str) -> Any:
    """A value the validators accept for the schema at `schema_uri`: the spec's own examples when they
    are valid (upstream examples sometimes break their own schema), else a generated one. A `SpecError`
    naming the broken rules when neither is, so that nobody is handed an invalid value unawares."""
    problems = []
    for use_examples in (True, False):
        data = example(spec, use_examples=use_examples, uri=schema_uri, direction=direction)
        problems = validators.violations(schema_uri, data, "example", direction)
        if not problems:
            return data
    broken = "; ".join(f"{p.location}: {p.rule}" for p in problems[:5])
    raise SpecError(f"no valid example could be made for {schema_uri} ({broken})")


#: The view flag of the properties a value for each direction leaves out (OpenAPI: readOnly ones are not
#: sent in requests, writeOnly ones not returned in answers).
_LEFT_OUT = {"write": "read_only", "read": "write_only"}


class _Generator:
    def __init__(self, spec: Spec, use_examples: bool, direction: str | None = None):
        self.spec = spec
        self.views = views(spec)
        self.use_examples = use_examples
        self.direction = direction
        self.left_out = _LEFT_OUT.get(direction or "")

    def _view(self, uri: str) -> SchemaView:
        return self.views.known.get(uri) or self.views(uri)

    def _parts(self, uris: Iterable[str]) -> list[SchemaView]:
        """The views a value must satisfy all of: each schema of `uris` and every `allOf` part it reaches."""
        return [self._view(part) for part in dict.fromkeys(part for uri in uris for part in self._view(uri).parts)]

    def value(self, uris: tuple[str, ...], depth: int, decided: frozenset = frozenset(), variant: int = 0) -> Any:
        """A value valid for every schema in `uris` (an allOf). `decided` holds the `oneOf`/`anyOf` choices
        already made (their branch is among `uris`); `variant` > 0 asks for another value than variant 0
        (distinct array items), where the schema allows one."""
        if depth > MAX_DEPTH:
            return None
        parts = self._parts(uris)
        for candidate in self._stated(parts, variant):
            return candidate
        for part in parts:
            for keyword, branches in (("oneOf", part.one_of), ("anyOf", part.any_of)):
                if branches and (part.resolved, keyword) not in decided:
                    return self._chosen(uris, part, keyword, branches, depth, decided | {(part.resolved, keyword)},
                                        variant)
        first: Any = _NOTHING
        for kind in _kinds(parts):
            made = self._of_kind(kind, parts, depth, variant)
            if made is _NOTHING:  # no string made matches the patterns: null, if allowed, is valid
                continue
            if _fits_all(made, parts):
                return made
            first = made if first is _NOTHING else first
        # Nothing fits: the first kind's value all the same (the validators will say what is wrong).
        return first if first is not _NOTHING else _string(parts, _rules(parts), variant, matching=False)

    def _stated(self, parts: list[SchemaView], variant: int) -> Iterator[Any]:
        """The `variant`-th value the spec's author wrote down (example, const, enum value, default) that
        fits every part. When a part allows only its enum or const, one of those even past the last
        variant (or when none fits the other parts: no other value could be right either)."""
        fitting: list[Any] = []
        for part in parts:
            for candidate in self._written(part):
                if candidate not in fitting and _fits_all(candidate, parts) and self._direction_allows(candidate, parts):
                    fitting.append(candidate)
                    if len(fitting) > variant:
                        yield fitting[variant]
                        return
        closed = [part for part in parts if part.has_const or part.enum]
        if closed:
            first = closed[0]
            yield fitting[0] if fitting else first.const if first.has_const else (first.enum or (None,))[0]

    def _written(self, part: SchemaView) -> Iterator[Any]:
        """The values the spec's author wrote down for a schema, best first."""
        if self.use_examples:
            yield from part.examples
        if part.has_const:
            yield part.const
        yield from (value for value in part.enum or () if value is not None)
        if part.default is not None:
            yield part.default

    def _direction_allows(self, value: Any, parts: list[SchemaView]) -> bool:
        """Whether an object the author wrote down leaves out the properties of the other direction (a
        stated example of a whole object often shows its readOnly `id`)."""
        if self.left_out is None or not isinstance(value, dict):
            return True
        fields = _fields(parts)
        return not any(self._is_left_out(fields[name]) for name in value if name in fields)

    def _chosen(self, uris: tuple[str, ...], part: SchemaView, keyword: str, branches: tuple[str, ...], depth: int,
                decided: frozenset, variant: int) -> Any:
        """The value of the first branch that gives one (a `null` branch last); for `oneOf`, one that no
        other branch also accepts, when some branch gives such a value."""
        concrete = [uri for uri in branches if self._view(uri).types != ("null",)]
        fallback: Any = _NOTHING
        for branch in concrete + [uri for uri in branches if uri not in concrete]:
            made = self.value((*uris, branch), depth + 1, decided, variant)
            if len(branches) > 1 and not _fits_all(made, self._parts((*uris, branch))):
                fallback = made if fallback is _NOTHING else fallback
                continue  # a branch the rest of the schema rules out (`type: array` beside an object branch)
            if keyword == "anyOf" or len(branches) == 1:
                return made
            others = [other for other in branches if other != branch and self._accepts(other, made)]
            if others and isinstance(made, dict):
                # Open objects: a value with every field matches each branch that only requires some of
                # them. Leaving out the fields the other branches require (and this one does not) tells
                # them apart, as the usual "one of these two fields" oneOf means.
                own = set().union(*(part.required for part in self._parts((*uris, branch))))
                theirs = set().union(*(part.required for part in self._parts(others))) - own
                made = {name: item for name, item in made.items() if name not in theirs}
                others = [other for other in others if self._accepts(other, made)]
                if others and _open(self._parts((*uris, branch))):
                    made = self._refused_by(others, made, _fields(self._parts((*uris, branch))))
                    others = [other for other in others if self._accepts(other, made)]
            if not others:
                return made
            fallback = made if fallback is _NOTHING else fallback
        return fallback

    def _refused_by(self, others: list[str], made: dict[str, Any], ours: dict[str, list[str]]) -> dict[str, Any]:
        """`made` with, for each other branch, a field that branch declares and this one does not, of a type
        that branch refuses (this open object takes any value there): e.g. `{rate: 1}` matches both
        `{rate: number}` and `{rates: array}`, `{rate: 1, rates: "x"}` only the first."""
        made = dict(made)
        for other in others:
            for name, uris in _fields(self._parts((other,))).items():
                if name in ours or name in made:
                    continue
                kinds = _kinds(self._parts(uris)) if any(self._view(uri).types for uri in uris) else []
                refused = next((value for value in _ANY_TYPE if not any(_TYPE_CHECKS[kind](value) for kind in kinds)),
                               _NOTHING)
                if refused is not _NOTHING:
                    made[name] = refused
                    break
        return made

    def _accepts(self, uri: str, value: Any) -> bool:
        """Whether the schema at `uri` accepts `value`: a broken rule of its own parts says no at once; else
        the spec's validators decide (open objects accept each other's values)."""
        if not _fits_all(value, self._parts((uri,))):
            return False
        return not self.spec.validators.violations(uri, value, "example", self.direction or "read")

    def _is_left_out(self, uris: Iterable[str]) -> bool:
        """Whether a property (described by `uris`) is one this direction leaves out: `readOnly: true` on
        its schema or any `allOf` part of it, for a request."""
        if self.left_out is None:
            return False
        uris = tuple(uris)  # the views asked for by URI first: a marker beside a `$ref` is on those
        return any(getattr(found, self.left_out) for found in [*map(self._view, uris), *self._parts(uris)])

    def _of_kind(self, kind: str, parts: list[SchemaView], depth: int, variant: int) -> Any:
        rules = _rules(parts)
        if kind == "object":
            return self._object(parts, rules, depth, variant)
        if kind == "array":
            return self._array(parts, rules, depth, variant)
        if kind == "string":
            return _string(parts, rules, variant)
        if kind in ("integer", "number"):
            return _number(rules, kind, variant)
        if kind == "boolean":
            return variant % 2 == 0
        return None

    def _object(self, parts: list[SchemaView], rules: dict[str, Any], depth: int, variant: int) -> Any:
        fields = _fields(parts)
        required = set().union(*(part.required for part in parts))
        # readOnly properties are not sent in a request (nor writeOnly ones answered). OpenAPI 3.0 says
        # "required" then applies to the other direction only; in 3.1 they are plain JSON Schema
        # annotations, so a required one stays (leaving it out would break `required`).
        left_out = {name for name, uris in fields.items()
                    if self._is_left_out(uris) and (self.spec.version == "3.0" or name not in required)}
        allowed = [name for name in fields if name not in left_out]
        wanted = [name for name in allowed if depth < ALL_PROPERTIES_DEPTH or name in required]
        result: dict[str, Any] = {}
        for index, name in enumerate(wanted):
            result[name] = self.value(tuple(fields[name]), depth + 1, variant=variant if index == 0 else 0)
        extra = next((part.additional_uri for part in parts if part.additional_uri), None)
        for name in sorted(required - set(result) - left_out):  # required but described nowhere
            result[name] = self.value((extra,), depth + 1) if extra else "x"
        least, most = rules.get("minProperties", 0), rules.get("maxProperties")
        for name in allowed:  # minProperties: the declared fields first (deep objects hold only required ones)
            if len(result) >= least:
                break
            result.setdefault(name, self.value(tuple(fields[name]), depth + 1))
        if len(result) < least and _open(parts):
            for number in range(1, least + 1):
                if len(result) >= least:
                    break
                result.setdefault(f"key{number}", self.value((extra,), depth + 1) if extra else "x")
        if most is not None:
            for name in [name for name in reversed(list(result)) if name not in required][:max(len(result) - most, 0)]:
                del result[name]
        return result

    def _array(self, parts: list[SchemaView], rules: dict[str, Any], depth: int, variant: int) -> Any:
        items = tuple(dict.fromkeys(part.items for part in parts if part.items))
        least, most = rules.get("minItems", 0), rules.get("maxItems")
        count = max(least, 1 if depth < ARRAY_ITEMS_DEPTH else 0)
        if most is not None:
            count = min(count, most)
        if items and self._is_left_out(items):  # readOnly items: none in a request, if it may be empty
            count = least
        if count == 0:
            return []
        made = [self._item(items, depth, variant)]
        if not rules.get("uniqueItems"):
            return made * count
        for other in range(variant + 1, variant + 4 * count + 8):  # distinct items, as uniqueItems says
            if len(made) >= count:
                break
            candidate = self._item(items, depth, other)
            if candidate not in made:
                made.append(candidate)
        return made + made[:1] * (count - len(made))

    def _item(self, items: tuple[str, ...], depth: int, variant: int) -> Any:
        return self.value(items, depth + 1, variant=variant) if items else f"string{variant or ''}"


_NOTHING = object()
#: One value of each JSON type, for a field that must break another `oneOf` branch's rule.
_ANY_TYPE: tuple[Any, ...] = ("x", 0, True, [], {})


def _fields(parts: list[SchemaView]) -> dict[str, list[str]]:
    """Field name -> the schemas that describe it, across the parts (a field described by several)."""
    fields: dict[str, list[str]] = {}
    for part in parts:
        for name, uri in part.properties.items():
            if uri not in fields.setdefault(name, []):
                fields[name].append(uri)
    return fields


def _open(parts: list[SchemaView]) -> bool:
    """Whether keys beyond the declared ones are allowed (no part says `additionalProperties: false`)."""
    return not any(part.additional_properties is False and not part.pattern_properties for part in parts)


def _kinds(parts: list[SchemaView]) -> list[str]:
    """The JSON types a value may take, null last: those every part admits, else what the parts' keywords
    suggest (fields: an object; items: an array), else a string."""
    allowed: list[str] | None = None
    for part in parts:
        if part.types:
            allowed = list(part.types) if allowed is None else _meet(allowed, part.types)
    if not allowed:
        allowed = ["object" if any(part.properties or part.required for part in parts)
                   else "array" if any(part.items for part in parts) else "string"]
    return [kind for kind in allowed if kind != "null"] + (["null"] if "null" in allowed else [])


def _meet(kinds: list[str], others: tuple[str, ...]) -> list[str]:
    """The types in both lists (an integer is a number)."""
    both = [kind for kind in kinds if kind in others or kind == "integer" and "number" in others]
    return both + (["integer"] if "integer" in others and "number" in kinds and "integer" not in both else [])


def _rules(parts: list[SchemaView]) -> dict[str, Any]:
    """The parts' bounds together: the largest lower bound, the smallest upper one, every pattern."""
    rules: dict[str, Any] = {"patterns": []}
    for part in parts:
        written = part.rules
        for key, value in written.items():
            if key == "pattern":
                if isinstance(value, str) and value not in rules["patterns"]:
                    rules["patterns"].append(value)
            elif key == "uniqueItems":
                rules[key] = rules.get(key) or value is True
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            elif key in ("minLength", "minItems", "minProperties"):
                rules[key] = max(rules.get(key, 0), int(value))
            elif key in ("maxLength", "maxItems", "maxProperties"):
                rules[key] = min(rules.get(key, int(value)), int(value))
            elif key == "multipleOf" and value > 0:
                rules.setdefault(key, value)
        low, high = _range(written)
        if low is not None and (rules.get("low") is None or low > rules["low"]):
            rules["low"] = low
        if high is not None and (rules.get("high") is None or high < rules["high"]):
            rules["high"] = high
    return rules


def _range(rules: Any) -> tuple[tuple[float, bool] | None, tuple[float, bool] | None]:
    """A schema's (lower, exclusive?) and (upper, exclusive?) bounds, 3.0's boolean exclusives included."""
    bounds = []
    for inclusive, exclusive in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        limit, strict = rules.get(inclusive), rules.get(exclusive)
        limit = limit if isinstance(limit, (int, float)) and not isinstance(limit, bool) else None
        if isinstance(strict, bool):
            bounds.append((limit, strict) if limit is not None else None)
        elif isinstance(strict, (int, float)) and (limit is None or (strict >= limit if inclusive == "minimum"
                                                                     else strict <= limit)):
            bounds.append((strict, True))
        else:
            bounds.append((limit, False) if limit is not None else None)
    return bounds[0], bounds[1]


def _fits_all(value: Any, parts: list[SchemaView]) -> bool:
    return all(_fits(value, part) for part in parts)


def _fits(value: Any, part: SchemaView) -> bool:
    """Whether `value` keeps the rules `part` states about it directly (type, const, enum, bounds,
    pattern, required and closed keys, sizes): enough to choose between candidates, and a "no" is always
    right (the validators judge the final result)."""
    kinds = part.stated_types
    if kinds and not any(_TYPE_CHECKS.get(kind, lambda v: True)(value) for kind in kinds):
        return False
    if part.has_const and value != part.const:
        return False
    if part.enum is not None and value not in part.enum and not (value is None and part.nullable):
        return False
    rules = part.rules
    if isinstance(value, str):
        pattern = rules.get("pattern")
        if isinstance(pattern, str) and not ecma_search(pattern, value):
            return False
        return _within(len(value), rules.get("minLength"), rules.get("maxLength"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _in_range(value, *_range(rules))
    if isinstance(value, list):
        if rules.get("uniqueItems") is True and len({_key(item) for item in value}) < len(value):
            return False
        return _within(len(value), rules.get("minItems"), rules.get("maxItems"))
    if isinstance(value, dict):
        if not part.required <= set(value):
            return False
        if part.additional_properties is False and not part.pattern_properties \
                and any(name not in part.properties for name in value):
            return False
        return _within(len(value), rules.get("minProperties"), rules.get("maxProperties"))
    return True


def _key(item: Any) -> str:
    """The item as uniqueItems compares it (an object's key order does not count)."""
    return json.dumps(item, sort_keys=True, default=str)


def _within(size: int, least: Any, most: Any) -> bool:
    too_few = isinstance(least, int) and size < least
    too_many = isinstance(most, int) and not isinstance(most, bool) and size > most
    return not (too_few or too_many)


def _in_range(value: float, low: tuple[float, bool] | None, high: tuple[float, bool] | None) -> bool:
    if low is not None and (value < low[0] or low[1] and value == low[0]):
        return False
    return not (high is not None and (value > high[0] or high[1] and value == high[0]))


def _string(parts: list[SchemaView], rules: dict[str, Any], variant: int, matching: bool = True) -> Any:
    """A string of the parts' format, length and patterns (every one of them); when no string this module
    can make matches the patterns, `_NOTHING`, or with `matching=False` one of the right length."""
    text = _FORMATS.get(next((part.format for part in parts if part.format), ""), "string")
    least, most = rules.get("minLength", 0), rules.get("maxLength")
    patterns = [pattern for pattern in rules["patterns"] if dialects.compiled_pattern(pattern) is not None]
    if not patterns:
        return _sized(text + (str(variant) if variant else ""), least, most)
    found = []
    for candidate in _pattern_candidates(text, patterns, least, most):
        if _within(len(candidate), least, most) and all(ecma_search(pattern, candidate) for pattern in patterns):
            if candidate not in found:
                found.append(candidate)
            if len(found) > variant:
                return found[variant]
    return found[0] if found else _NOTHING if matching else _sized(text, least, most)


def _pattern_candidates(text: str, patterns: list[str], least: int, most: int | None) -> Iterator[str]:
    """Strings likely to match: the format's text, short common values, each also grown to `minLength`,
    then strings made from each pattern."""
    for candidate in (text, *_PATTERN_CANDIDATES):
        yield candidate
        yield _sized(candidate, least, most)
    for pattern in patterns:
        for choice in range(len(_CLASS_CANDIDATES)):
            made = _from_regex(pattern, least, choice)
            if made is None:
                break
            yield made


def _sized(text: str, least: int, most: int | None) -> str:
    """`text` grown to `least` characters (by its last character) or cut to `most`."""
    if len(text) < least:
        text += (text[-1:] or "x") * (least - len(text))
    return text[:most] if most is not None else text


def _number(rules: dict[str, Any], kind: str, variant: int) -> Any:
    """The smallest value the bounds allow, else 1 (a `variant` steps up from there)."""
    low, high = rules.get("low"), rules.get("high")
    step = rules.get("multipleOf")
    increment = step if step else 1
    value = 1 if low is None else low[0] + increment if low[1] else low[0]
    if kind == "integer":
        value = math.ceil(value)
    if step and value % step:
        value = (value // step + 1) * step
    value += variant * increment
    if high is not None and (value > high[0] or high[1] and value == high[0]):
        value = high[0] - (increment if high[1] else 0) - variant * increment
        if low is not None and not _in_range(value, low, high) and kind == "number" and not step:
            value = (low[0] + high[0]) / 2 + variant * (high[0] - low[0]) / 2 ** (variant + 2)  # a narrow range
    return int(value) if kind == "integer" else float(value)


# -- a string from a regular expression ------------------------------------------------------------------


def _from_regex(pattern: str, least: int = 0, choice: int = 0) -> str | None:
    """A short string the parsed regular expression describes (first branch, fewest repeats, one readable
    character of each class: the `choice`-th that fits), its repeats grown until it has `least`
    characters; None for constructs it does not know (ECMA-262's `\\p{L}`, which Python cannot parse)."""
    try:
        parsed = _regex_parser.parse(_python_readable(pattern))
        shortest = _Render(choice).text(parsed, 0)
        if len(shortest) >= least:
            return shortest
        return _Render(choice).text(parsed, least - len(shortest))
    except (re.error, ValueError, TypeError, KeyError, RecursionError, OverflowError):
        return None


#: ECMA-262 escapes Python's parser does not read, as class members of the same kind (for generating only:
#: every string made is checked against the pattern as written). Keyed by the property's first letter.
_PROPERTY_MEMBERS = {"L": "a-zA-Z", "N": "0-9", "Z": " ", "P": ".", "S": "+"}
_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")
_CLASS_ESCAPES = ("\\w", "\\W", "\\d", "\\D", "\\s", "\\S")


def _python_readable(pattern: str) -> str:
    """`pattern` rewritten so that Python's parser reads it as ECMA-262 does for the purpose of making a
    string: Unicode property escapes (`\\p{L}`) as plain classes, Annex B's hyphen beside a class escape
    (`[\\w-.]`) as a literal hyphen, `(?<name>`, `\\k<name>` and `\\z` in Python's spelling, inline flags
    (`(?i)`, which Python takes only at the start) left out."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escape = pattern[index:index + 2]
            if escape in ("\\p", "\\P") and pattern[index + 2:index + 3] == "{":
                end = pattern.find("}", index)
                if end > 0:
                    name = pattern[index + 3:end]
                    members = _PROPERTY_MEMBERS.get(name[:1], "a") if escape == "\\p" else "-"
                    out.append(members if in_class else f"[{members}]")
                    index = end + 1
                    continue
            if escape == "\\k" and pattern[index + 2:index + 3] == "<":
                end = pattern.find(">", index)
                if end > 0:
                    out.append(f"(?P={pattern[index + 3:end]})")
                    index = end + 1
                    continue
            out.append("\\Z" if escape == "\\z" else escape)  # draft-04's `\\z` is Python's `\\Z`
            index += 2
            continue
        if in_class and char == "-" and (pattern[index - 2:index] in _CLASS_ESCAPES
                                         or pattern[index + 1:index + 3] in _CLASS_ESCAPES):
            out.append("\\-")
        elif char == "[" and not in_class:
            in_class = True
            out.append(char)
            if pattern[index + 1:index + 2] == "^":
                out.append("^")
                index += 1
            if pattern[index + 1:index + 2] == "]":  # a leading "]" is a member in Python; ECMA's "[]" is empty
                out.append("\\]")
                index += 1
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        elif char == "(" and (flags := _INLINE_FLAGS.match(pattern, index)):  # `(?i)` mid-pattern: Python refuses it
            index = flags.end()
            continue
        elif char == "(" and pattern[index + 1:index + 3] == "?<" and pattern[index + 3:index + 4] not in ("=", "!"):
            out.append("(?P<")
            index += 3
            continue
        else:
            out.append(char)
        index += 1
    return "".join(out)


class _Render:
    def __init__(self, choice: int):
        self.choice = choice
        self.groups: dict[int, str] = {}
        self.wanted = 0  # characters still to add by repeating more

    def text(self, items: Any, wanted: int) -> str:
        self.wanted = wanted
        return self._items(items)

    def _items(self, items: Any) -> str:
        constants = _regex_parser
        out = []
        for op, argument in items:
            if op is constants.LITERAL:
                out.append(chr(argument))
            elif op is constants.NOT_LITERAL:
                out.append(next(c for c in _CLASS_CANDIDATES + "b" if ord(c) != argument))
            elif op is constants.ANY:
                out.append(_CLASS_CANDIDATES[self.choice % len(_CLASS_CANDIDATES)])
            elif op is constants.IN:
                out.append(self._member(argument))
            elif op in _REPEATS:
                out.append(self._repeat(*argument))
            elif op is constants.SUBPATTERN:
                text = self._items(argument[-1])
                if argument[0] is not None:
                    self.groups[argument[0]] = text
                out.append(text)
            elif op is _ATOMIC_GROUP:
                out.append(self._items(argument))
            elif op is constants.BRANCH:
                out.append(self._items(argument[1][0]))
            elif op is constants.GROUPREF:
                out.append(self.groups.get(argument, ""))
            elif op not in (constants.AT, constants.ASSERT, constants.ASSERT_NOT):  # add no characters
                raise ValueError(f"regex construct {op}")
        return "".join(out)

    def _repeat(self, least: int, most: int, item: Any) -> str:
        wanted, self.wanted = self.wanted, 0
        once = self._items(item)
        self.wanted = wanted
        count = least
        if self.wanted > 0 and once and most > least:
            more = min(math.ceil(self.wanted / len(once)), most - least)
            count += more
            self.wanted -= more * len(once)
        return once * count

    def _member(self, members: Any) -> str:
        """A character of the class: the first readable candidate in it (the `choice`-th), else its first."""
        inside = [c for c in _CLASS_CANDIDATES if _in_class(c, members)]
        if inside:
            return inside[self.choice % len(inside)]
        op, argument = members[0]
        if op is _regex_parser.LITERAL:
            return chr(argument)
        if op is _regex_parser.RANGE:
            return chr(argument[0])
        raise ValueError(f"character class member {op}")


#: Python 3.11 added possessive repeats and atomic groups to the parser; absent before.
_REPEATS = tuple(getattr(_regex_parser, name) for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
                 if hasattr(_regex_parser, name))
_ATOMIC_GROUP = getattr(_regex_parser, "ATOMIC_GROUP", object())
_CATEGORIES = {"CATEGORY_DIGIT": str.isdigit, "CATEGORY_SPACE": str.isspace,
               "CATEGORY_WORD": lambda c: c.isalnum() or c == "_"}


def _in_class(char: str, members: Any) -> bool:
    constants = _regex_parser
    negated = bool(members) and members[0][0] is constants.NEGATE
    found = False
    for op, argument in members[1:] if negated else members:
        if op is constants.LITERAL:
            found = ord(char) == argument
        elif op is constants.RANGE:
            found = argument[0] <= ord(char) <= argument[1]
        elif op is constants.CATEGORY:
            name = str(argument)
            test = _CATEGORIES.get(name.replace("_NOT", ""))
            if test is None:
                raise ValueError(f"category {name}")
            found = test(char) != ("_NOT_" in name)
        else:
            raise ValueError(f"character class member {op}")
        if found:
            break
    return found != negated
