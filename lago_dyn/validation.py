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

import threading
from typing import Any, Callable, Iterable

from .errors import Violation
from .spec import Spec

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
        self._fast_registry: Any = None
        self._judge_registry: Any = None
        #: How many validators were compiled; the thread-safety tests read it.
        self.compiled = 0

    def violations(self, schema_uri: str, instance: Any, location: str, direction: str,
                   *, reveal_values: bool = True, formats: bool = False) -> list[Violation]:
        """Every rule `instance` breaks, rendered for humans; [] when it is valid. With `formats`, string
        formats (uuid, date-time, email, ...) and integer ranges (int32, int64) are rules too."""
        is_valid = self._fast.get((schema_uri, formats)) or self._compile_fast(schema_uri, formats)
        if is_valid(instance):
            return []
        return self._explain(schema_uri, instance, location, direction, reveal_values, formats)

    # -- the fast check --------------------------------------------------------------------------------

    def _compile_fast(self, schema_uri: str, formats: bool) -> Callable[[Any], bool]:
        key = (schema_uri, formats)
        with self._lock:
            if key in self._fast:
                return self._fast[key]
            if self._fast_registry is None:
                import jsonschema_rs

                self._fast_registry = jsonschema_rs.Registry(
                    [(uri, self._dialect.fast_document(document)) for uri, document in self._spec.documents()],
                    draft=self._dialect.fast_registry_draft(),
                )
            compiled = self._dialect.fast_validator_class()(
                {"$ref": schema_uri}, registry=self._fast_registry, validate_formats=formats
            )
            self.compiled += 1
            self._fast[key] = is_valid = _tolerant(compiled.is_valid)
            return is_valid

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
        found = []
        for error in self._judge(schema_uri, direction, formats).iter_errors(instance):
            while error.context:  # anyOf/oneOf: "no branch matched" says less than the closest branch
                error = max(error.context, key=_closeness)
            found.append(_violation(error, location, reveal_values))
        found.sort(key=lambda v: v.location)
        return found


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


def _violation(error: Any, location: str, reveal_values: bool) -> Violation:
    path = list(error.absolute_path)
    rule = str(error.validator)
    value_type = json_type(error.instance)
    if rule == "required":
        missing = _missing_properties(error)
        return Violation(render_location(location, path + missing[:1]), rule,
                         f"required field {', '.join(map(repr, missing))} is missing", "nothing")
    if rule in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        return Violation(render_location(location, path), rule, _first_line(error.message), value_type)
    message = _first_line(error.message) if reveal_values else _message_without_value(rule, error)
    return Violation(render_location(location, path), rule, message, value_type)


def _missing_properties(error: Any) -> list[str]:
    wanted = error.validator_value if isinstance(error.validator_value, list) else []
    present = error.instance if isinstance(error.instance, dict) else {}
    return [name for name in wanted if name not in present] or [str(error.message)]


def _first_line(message: str, limit: int = 300) -> str:
    line = message.splitlines()[0] if message else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _message_without_value(rule: str, error: Any) -> str:
    """For values that may be secrets (headers, cookies): the rule, never the value."""
    expected = error.validator_value
    if rule == "type":
        return f"must be of type {expected}"
    if rule == "enum":
        return f"must be one of {expected}"
    return f"breaks the {rule!r} rule ({expected!r})"
