"""Schema validation of requests, responses and webhook payloads, compiled once per schema.

Two libraries, each for what it does best:

* `jsonschema_rs` answers "is this valid?" in microseconds (a compiled Rust validator). Every call takes
  this path, and valid data (nearly all traffic) never touches anything slower.
* When the answer is no, `jsonschema` with openapi-core's OpenAPI dialects (`openapi-schema-validator`:
  3.0's `nullable`, read/write-only rules; 3.1's dialect) is the judge and explains every error with its
  path. It is stricter-or-equal to the fast check for OpenAPI 3.0 (`nullable` is unknown to a plain JSON
  Schema draft), so the fast check can only ever send valid 3.0 data down the slow path, never wave
  invalid data through.

Validators are built on first use of a schema and kept for the life of the `Spec`, under a lock, so a
client shared by threads compiles each schema once.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import unquote, urljoin
from typing import Any, Callable, Iterable, Mapping

from .spec import schema, walk
from .spec.dialects import ecma_search
from .errors import SpecError, Violation
from .spec.model import Spec
from .suggest import closest, did_you_mean

#: Which direction data travels decides OpenAPI 3.0's readOnly/writeOnly rules.
WRITE, READ = "write", "read"

_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (tuple, "array"), (dict, "object"), (type(None), "null"))


def json_type(value: Any) -> str:
    for python_type, name in _JSON_TYPES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def render_location(prefix: str, path: Iterable[Any]) -> str:
    """`body` + ["customer", "taxes", 0] -> `body.customer.taxes[0]`."""
    out = prefix
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class SchemaValidators:
    """Compiled validators for one spec, keyed by schema URI, direction and whether formats are checked.
    One instance per `Spec` (`spec.validators`), shared by every client built on it."""

    def __init__(self, spec: Spec):
        self._spec = spec
        self._dialect = spec.dialect
        self._lock = threading.Lock()
        self._fast: dict[tuple[str, bool], Callable[[Any], bool]] = {}
        self._judges: dict[tuple[str, str, bool], Any] = {}
        #: What each schema declares (fields, branches, items, map values), for unknown_fields.
        self._views = schema.views(spec)
        self._judge_registry: Any = None
        #: Per node URI reached by a compiled schema: the references below it, its fast-check form.
        self._reached: dict[str, tuple[list[str], Any]] = {}
        #: Per schema URI, the direction markers (readOnly, writeOnly) that the dialect's judges enforce
        #: and that it reaches: rules a plain JSON Schema validator, the fast check, cannot see.
        self._directional: dict[str, frozenset[str]] = {}
        #: How many validators were compiled; the thread-safety tests read it.
        self.compiled = 0

    def violations(self, schema_uri: str, instance: Any, location: str, direction: str,
                   *, reveal_values: bool = True, formats: bool = False) -> list[Violation]:
        """Every rule `instance` breaks, rendered for humans; [] when it is valid. With `formats`, string
        formats (uuid, date-time, email, ...) and integer ranges (int32, int64) are rules too."""
        is_valid = self._fast.get((schema_uri, formats)) or self._compile_fast(schema_uri, formats)
        if is_valid(instance) and _DIRECTION_MARKERS[direction] not in self._directional.get(schema_uri, ()):
            return []
        return self._explain(schema_uri, instance, location, direction, reveal_values, formats)

    def unknown_fields(self, schema_uri: str, instance: Any, location: str) -> list[Violation]:
        """Every key of `instance` (at any depth) that its schema does not declare: data the server
        would silently drop (Lago ignores keys it does not know), each with "did you mean" when a
        declared name is close. Not reported: keys of a map (`additionalProperties` is a schema: the
        keys are data; its values are still checked), keys of an object the schema leaves open on
        purpose (`additionalProperties: true`, `patternProperties`, or no properties at all, as for
        free-form `metadata`), and keys `additionalProperties: false` already makes invalid. Under
        `anyOf`/`oneOf`, the fields of the branches the value matches count as declared."""
        found: list[Violation] = []
        self._walk_unknown(schema_uri, instance, location, (), found)
        return found

    def _walk_unknown(self, uri: str, value: Any, location: str, path: tuple, found: list[Violation]) -> None:
        # The path is rendered only for a violation: most bodies have none, and building strings is the cost.
        if len(path) > 64 or not isinstance(value, (dict, list)):
            return
        properties, is_open, values, items = self._declared_for(uri, value, 0)
        if isinstance(value, dict):
            for key, item in value.items():
                inner = properties.get(key) or values
                if inner is not None:
                    if isinstance(item, (dict, list)):  # scalars have no keys: skip the call
                        self._walk_unknown(inner, item, location, path + (key,), found)
                elif not is_open:
                    found.append(Violation(render_location(location, path + (key,)), "unknown-field",
                                           f"{str(key)!r} is not a field the spec declares here; the server "
                                           f"may ignore it{did_you_mean(key, properties)}", json_type(item)))
        elif items is not None:
            for index, item in enumerate(value):
                if isinstance(item, (dict, list)):
                    self._walk_unknown(items, item, location, path + (index,), found)

    def _declared_for(self, uri: str, value: Any, depth: int) -> tuple[Mapping[str, str], bool, str | None, str | None]:
        """(declared fields, open?, map-values schema, array-items schema) for this value, from the schema's
        view: its own, plus those of the anyOf/oneOf branches the value matches (all of them if none does)."""
        found = self._views.known.get(uri) or self._views(uri)
        properties, is_open, values, items = found.properties, found.open_keys, found.additional_uri, found.items
        branches = found.branches
        if branches and depth < 8:  # most schemas have none: skip building empty lists on every call
            is_valid = [self._fast.get((branch, False)) or self._compile_fast(branch, False) for branch in branches]
            chosen = [branch for branch, check in zip(branches, is_valid) if check(value)] or list(branches)
            for branch in chosen:
                more, more_open, more_values, more_items = self._declared_for(branch, value, depth + 1)
                properties = {**more, **properties}
                is_open, values, items = is_open and more_open, values or more_values, items or more_items
        return properties, is_open, values, items

    def _compile_fast(self, schema_uri: str, formats: bool) -> Callable[[Any], bool]:
        key = (schema_uri, formats)
        with self._lock:
            if key in self._fast:
                return self._fast[key]
            skeletons = referenced_skeletons(dict(self._spec.documents()), schema_uri, self._spec.base_uri,
                                             self._reached_node)
            if self._dialect.judge_names[0] != self._dialect.judge_names[1]:  # 3.0: one judge per direction
                self._directional[schema_uri] = frozenset(
                    marker for marker in _DIRECTION_MARKERS.values()
                    if any(node.get(marker) is True for node in walk.mappings(list(skeletons.values()))))
            try:
                compiled = self._dialect.fast_validator_class()(
                    {"$ref": schema_uri}, registry=self._fast_registry(skeletons), validate_formats=formats,
                    keywords=self._dialect.fast_keywords(),
                )
            except ValueError:  # jsonschema_rs.ValidationError: the schema itself is broken
                compiled = None
            if compiled is None:  # raised here, not in the except block: no third-party error as context
                raise SpecError(f"the schema at {schema_uri} cannot be compiled: a $ref in it leads nowhere "
                                "or it is not valid JSON Schema")
            self.compiled += 1
            self._fast[key] = is_valid = _tolerant(compiled.is_valid)
            return is_valid

    def _fast_registry(self, skeletons: dict[str, Any]) -> Any:
        """A registry holding only what a schema reaches (`referenced_skeletons`): one over every whole
        document costs 0.5 s on a 13 MB spec (a Rust copy of all of it), one over the reached sub-documents
        microseconds."""
        import jsonschema_rs

        return jsonschema_rs.Registry(list(skeletons.items()), draft=self._dialect.fast_registry_draft())

    def _reached_node(self, uri: str, node: Any, document_uri: str) -> tuple[list[str], Any]:
        """The references below a reached node and the node as the fast check reads it (see
        `Dialect.fast_document`), worked out once per node: schemas share most of what they reach."""
        facts = self._reached.get(uri)
        if facts is None:
            facts = self._reached[uri] = (_references_below(node, document_uri), self._dialect.fast_document(node))
        return facts

    # -- the judge -------------------------------------------------------------------------------------

    def _judge(self, schema_uri: str, direction: str, formats: bool) -> Any:
        key = (schema_uri, direction, formats)
        with self._lock:
            judge = self._judges.get(key)
            if judge is None:
                checker = self._dialect.format_checker() if formats else None
                judge = self._judges[key] = self._dialect.judge_class(direction)(
                    {"$ref": schema_uri}, registry=self._registry_for_judges(), format_checker=checker
                )
            return judge

    def _registry_for_judges(self) -> Any:
        if self._judge_registry is None:
            from referencing import Registry, Resource

            specification = self._dialect.referencing_specification()
            self._judge_registry = Registry().with_resources(
                (uri, Resource.from_contents(document, default_specification=specification))
                for uri, document in self._spec.documents()
            )
        return self._judge_registry

    def _explain(self, schema_uri: str, instance: Any, location: str, direction: str,
                 reveal_values: bool, formats: bool) -> list[Violation]:
        found: dict[tuple[str, str, str], Violation] = {}
        for error in self._judge(schema_uri, direction, formats).iter_errors(instance):
            while error.context:  # anyOf/oneOf: "no branch matched" says less than the closest branch
                error = max(error.context, key=_closeness)
            for violation in _violations(error, location, reveal_values):
                # jsonschema reports k missing fields as k errors on the object: one line each, not k².
                found.setdefault((violation.location, violation.rule, violation.message), violation)
        return sorted(found.values(), key=lambda v: v.location)


# -- the sub-documents a schema needs ----------------------------------------------------------------

#: OpenAPI 3.0: a request may not carry a readOnly property, an answer a writeOnly one. The fast check
#: knows neither rule, so a schema that reaches the marker of a call's direction is always judged.
_DIRECTION_MARKERS = {WRITE: "readOnly", READ: "writeOnly"}

#: The keywords whose value is a reference to another schema (3.1's `$dynamicRef` included).
_REFERENCES = ("$ref", "$dynamicRef")


def referenced_skeletons(documents: dict[str, Any], schema_uri: str, base_uri: str,
                         facts: Callable[[str, Any, str], tuple[list[str], Any]]) -> dict[str, Any]:
    """For each document the schema at `schema_uri` reaches (itself and the transitive closure of its
    references), a skeleton holding only the reached nodes, each at its own JSON-pointer path, so every
    reference still points at the same thing (lists along a path are padded). `facts(uri, node,
    document_uri)` gives the absolute references below a node and the form to place in the skeleton.
    A reference that is not a JSON pointer (`#anchor`) or leads nowhere adds nothing: the validator
    reports it as it always did."""
    reached: dict[str, dict[tuple[str, ...], Any]] = {}
    pending = [schema_uri]
    seen: set[str] = set()
    while pending:
        uri = pending.pop()
        if uri in seen:
            continue
        seen.add(uri)
        document_uri, _, fragment = uri.partition("#")
        document_uri = document_uri or base_uri
        if fragment and not fragment.startswith("/"):
            continue
        tokens = tuple(token.replace("~1", "/").replace("~0", "~") for token in unquote(fragment).split("/")[1:])
        node = _at_pointer(documents.get(document_uri), tokens)
        if node is _MISSING:
            continue
        ends = reached.setdefault(document_uri, {})
        if any(tokens[:length] in ends for length in range(len(tokens) + 1)):
            continue  # inside a node already taken whole
        references, ends[tokens] = facts(uri, node, document_uri)
        pending.extend(references)
    return {uri: _skeleton(documents[uri], ends) for uri, ends in reached.items() if ends}


def _references_below(node: Any, document_uri: str) -> list[str]:
    """The absolute URIs of every reference inside `node`."""
    found = []
    for mapping in walk.mappings(node):
        for keyword in _REFERENCES:
            ref = mapping.get(keyword)
            if isinstance(ref, str):
                found.append(document_uri + ref if ref.startswith("#") else urljoin(document_uri, ref))
    return found


_MISSING = object()


def _at_pointer(document: Any, tokens: tuple[str, ...]) -> Any:
    if document is None:
        return _MISSING
    node = document
    for token in tokens:
        if isinstance(node, list) and not token.isdigit():
            return _MISSING  # "-1" or "x" is no index of a JSON pointer
        try:
            node = node[int(token)] if isinstance(node, list) else node[token]
        except (KeyError, IndexError, TypeError):
            return _MISSING
    return node


def _skeleton(document: Any, ends: dict[tuple[str, ...], Any]) -> Any:
    """New containers along each path of `ends` through `document`, holding the given node at its end.
    A path inside another is covered by it, so no end node is ever descended into (nor changed); lists
    are padded with None up to the index a path goes through."""
    if () in ends:
        return ends[()]
    root: Any = [] if isinstance(document, list) else {}
    for tokens, end in ends.items():
        if any(tokens[:length] in ends for length in range(1, len(tokens))):
            continue
        source, target = document, root
        for token in tokens[:-1]:
            key: Any = int(token) if isinstance(source, list) else token
            source = source[key]
            child = target.get(key) if isinstance(target, dict) else (target[key] if key < len(target) else None)
            if child is None:
                child = [] if isinstance(source, list) else {}
                _put(target, key, child)
            target = child
        _put(target, int(tokens[-1]) if isinstance(target, list) else tokens[-1], end)
    return root


def _put(container: Any, key: Any, value: Any) -> None:
    if isinstance(container, list):
        container.extend([None] * (key + 1 - len(container)))
    container[key] = value


def _closeness(error: Any) -> tuple[int, bool]:
    """The branch that got deepest into the instance is the one the caller meant; at equal depth, a
    broken rule (pattern, enum) says more than a type mismatch with another branch."""
    return len(error.absolute_path), error.validator != "type"


def _tolerant(is_valid: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """The Rust validator refuses Python values that are not JSON data (a date, a Decimal): such data
    is not valid JSON as it stands, so it goes to the judge, which reports the exact field."""

    def check(instance: Any) -> bool:
        try:
            return is_valid(instance)
        except (ValueError, TypeError, OverflowError):
            return False

    return check


def _violations(error: Any, location: str, reveal_values: bool) -> list[Violation]:
    """One jsonschema error as violations for humans: a missing or unknown field is reported at the
    field's own location (one violation per field), values are shown as JSON (or not at all, for
    values that may be secrets), and the message is ours, never the library's text."""
    path = list(error.absolute_path)
    # A `false` schema (3.1: `properties: {x: false}`, `items: false`) fails with no keyword of its own.
    rule = "false" if error.validator is None and error.schema is False else str(error.validator)
    # For programs: where in the schema, and jsonschema's own error where the value may be shown.
    kept = {"schema_path": "".join(f"/{_pointer_token(part)}" for part in error.absolute_schema_path),
            "error": error if reveal_values else None}
    if rule == "required":
        return [Violation(render_location(location, path + [name]), rule, f"required field {name!r} is missing",
                          "nothing", **kept) for name in _missing_properties(error)]
    if _refused_keys_known(rule, error) and isinstance(error.instance, dict) and _undeclared(error):
        declared = list((error.schema.get("properties") or {}) if isinstance(error.schema, dict) else ())
        return [Violation(render_location(location, path + [name]), rule,
                          f"{name!r} is not a field of this object{did_you_mean(name, declared)}",
                          json_type(error.instance[name]), **kept) for name in _undeclared(error)]
    return [Violation(render_location(location, path), rule, _message(rule, error, reveal_values),
                      json_type(error.instance), **kept)]


def _pointer_token(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


#: Keywords that evaluate properties of the same object in place: with one of them beside
#: `unevaluatedProperties`, its own `properties` do not tell which keys it refused.
_IN_PLACE = ("allOf", "anyOf", "oneOf", "if", "then", "else", "dependentSchemas", "$ref", "$dynamicRef")


def _refused_keys_known(rule: str, error: Any) -> bool:
    """Whether the keys an `additionalProperties`/`unevaluatedProperties` error refused can be named, one
    violation each: `additionalProperties` looks only at its own schema's `properties` and
    `patternProperties`, `unevaluatedProperties` also at what subschemas evaluated (then the object itself
    is the location)."""
    if rule == "additionalProperties":
        return True
    return rule == "unevaluatedProperties" and isinstance(error.schema, dict) \
        and not any(keyword in error.schema for keyword in _IN_PLACE)


def _missing_properties(error: Any) -> list[str]:
    wanted = error.validator_value if isinstance(error.validator_value, list) else []
    present = error.instance if isinstance(error.instance, dict) else {}
    return [str(name) for name in wanted if name not in present]


def _undeclared(error: Any) -> list[str]:
    """The keys additionalProperties/unevaluatedProperties refused: not declared, matching no pattern."""
    schema = error.schema  # the object holding the keyword (`_refused_keys_known` checked it for the other)
    declared = schema.get("properties") or {}
    patterns = list(schema.get("patternProperties") or {})
    return [str(key) for key in error.instance
            if key not in declared and not any(ecma_search(pattern, str(key)) for pattern in patterns)]


def shown(value: Any, limit: int = 80) -> str:
    """A value as it would appear in JSON (`{"a": 1}`, `null`, `"EUR"`), cut to `limit` characters;
    never a Python repr such as `ApiObject({...})` or `None`."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return f"a value of type {type(value).__name__}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


#: How many allowed values an enum message lists in full; past this, only the closest are named.
ENUM_LISTED = 6


def _enum_message(value: Any, allowed: list[Any], reveal_values: bool) -> str:
    """A short enum is listed whole; a long one (Lago's currencies: 138) only by the values closest to
    what was given, so the line stays readable and points at the likely fix."""
    subject = shown(value) if reveal_values else "the value"
    if len(allowed) <= ENUM_LISTED:
        message = f"{subject} is not one of {', '.join(shown(choice) for choice in allowed)}"
    else:
        message = f"{subject} is not one of the {len(allowed)} allowed values"
    near = _closest_choices(value, allowed) if reveal_values else []
    if near:
        return f"{message}; did you mean {' or '.join(map(repr, near))}?"
    if len(allowed) <= ENUM_LISTED:
        return message
    examples = [choice for choice in allowed if choice is not None][:3]
    return f"{message} ({', '.join(map(shown, examples))}, ...)"


def _closest_choices(value: Any, allowed: list[Any]) -> list[str]:
    if not isinstance(value, str):
        return []
    choices = [choice for choice in allowed if isinstance(choice, str)]
    same_but_case = [choice for choice in choices if choice.casefold() == value.casefold()]
    return same_but_case[:1] or closest(value, choices, n=3)


def _message(rule: str, error: Any, reveal_values: bool) -> str:
    """The sentence for one broken rule. With `reveal_values` False (headers, cookies), it says what
    the rule wants and never shows the value."""
    expected = error.validator_value
    value = error.instance
    subject = shown(value) if reveal_values else "the value"
    schema = error.schema if isinstance(error.schema, dict) else {}
    if rule == "type":
        types = expected if isinstance(expected, list) else [expected]
        return f"{subject} is not of type {' or '.join(map(str, types))}"
    if rule == "enum":
        return _enum_message(value, expected if isinstance(expected, list) else [expected], reveal_values)
    if rule == "const":
        return f"{subject} is not {shown(expected)}"
    if rule in ("minimum", "maximum"):
        exclusive = schema.get("exclusiveMinimum" if rule == "minimum" else "exclusiveMaximum") is True
        relation = {("minimum", False): "at least", ("minimum", True): "more than",
                    ("maximum", False): "at most", ("maximum", True): "less than"}[(rule, exclusive)]
        return f"{subject} is not {relation} {expected}"
    if rule in ("exclusiveMinimum", "exclusiveMaximum"):
        return f"{subject} is not {'more' if rule == 'exclusiveMinimum' else 'less'} than {expected}"
    if rule in ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"):
        unit = {"L": "characters", "I": "items", "P": "fields"}[rule[3]]
        return f"has {'fewer' if rule.startswith('min') else 'more'} than {expected} {unit}"
    if rule == "pattern":
        return f"{subject} does not match the pattern {expected}"
    if rule == "format":
        return f"{subject} is not a valid {expected}"
    if rule == "multipleOf":
        return f"{subject} is not a multiple of {expected}"
    if rule == "uniqueItems":
        return "has repeated items; each item must be unique"
    if rule == "oneOf" and not error.context:
        return f"{subject} matches more than one of the 'oneOf' alternatives; exactly one is allowed"
    if rule in ("anyOf", "oneOf"):
        return f"{subject} matches none of the alternatives"
    if rule == "not":
        return f"{subject} matches a schema it must not match"
    if rule in ("readOnly", "writeOnly"):
        carrier = "request" if rule == "readOnly" else "response"
        return f"is {rule[:-4]}-only: a {carrier} may not carry it"
    if rule == "nullable":
        return "null is not allowed here"
    if rule == "false":
        return "no value is allowed here"
    if rule in ("additionalProperties", "unevaluatedProperties"):
        return "has fields this object does not allow"
    return f"breaks the {rule!r} rule"
