"""Operations as Python functions: a real signature, a docstring made from the spec, and groups by tag.

The positional order is the generated client's: required path parameters in URL order, then required
query, header and cookie parameters, then the body. Optional parameters are keyword-only. Every function
also takes the generated client's `_request_timeout` and `_headers` keywords, and has a
`with_http_info(...)` twin that returns status, headers and data.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any, Callable, Iterable, Optional

from . import naming
from .errors import api_error_class
from .models import ApiResponse
from .spec import Operation, Parameter, Spec

Invoke = Callable[[Operation, dict, dict], ApiResponse]

CALL_OPTIONS = ("_request_timeout", "_headers", "_content_type")
_PYTHON_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict}


def positional_arguments(operation: Operation) -> list[str]:
    required = [p for p in operation.parameters if p.required]
    names = [p.python_name for p in required if p.location == "path"]
    names += [p.python_name for p in required if p.location != "path"]
    if operation.body is not None:
        names.append(operation.body.python_name)
    return names


def make_function(operation: Operation, invoke: Invoke) -> Callable[..., Any]:
    """The callable users see for one operation."""
    positional = positional_arguments(operation)
    keyword_only = [p.python_name for p in operation.parameters if p.python_name not in positional]
    accepted = frozenset(positional + keyword_only)
    label = operation.name

    def bind(args: tuple, kwargs: dict) -> tuple[dict, dict]:
        if len(args) > len(positional):
            raise TypeError(f"{label}() takes {len(positional)} positional arguments but {len(args)} were given")
        arguments = dict(zip(positional, args))
        options = {}
        for key, value in kwargs.items():
            if key in accepted:
                if key in arguments:
                    raise TypeError(f"{label}() got multiple values for argument {key!r}")
                arguments[key] = value
            elif key in CALL_OPTIONS:
                options[key] = value
            else:
                raise TypeError(f"{label}() got an unexpected keyword argument {key!r}"
                                f"{naming.did_you_mean(key, accepted)}")
        return arguments, options

    def call(*args: Any, **kwargs: Any) -> Any:
        arguments, options = bind(args, kwargs)
        return invoke(operation, arguments, options).data

    def with_http_info(*args: Any, **kwargs: Any) -> ApiResponse:
        arguments, options = bind(args, kwargs)
        return invoke(operation, arguments, options)

    signature = _signature(operation, positional)
    for function, suffix in ((call, ""), (with_http_info, "_with_http_info")):
        function.__name__ = function.__qualname__ = label + suffix
        function.__signature__ = signature if not suffix else signature.replace(return_annotation=ApiResponse)
        function.__doc__ = docstring(operation, positional)
    call.with_http_info = with_http_info  # type: ignore[attr-defined]
    call.operation = operation  # type: ignore[attr-defined]
    return call


def _annotation(schema: dict[str, Any]) -> Any:
    declared = schema.get("type")
    types = declared if isinstance(declared, list) else [declared] if declared else []
    python = [_PYTHON_TYPES[t] for t in types if t in _PYTHON_TYPES]
    annotation: Any = python[0] if len(python) == 1 else typing.Union[tuple(python)] if python else Any
    return Optional[annotation] if "null" in types or schema.get("nullable") else annotation


def _signature(operation: Operation, positional: list[str]) -> inspect.Signature:
    by_name = {p.python_name: p for p in operation.parameters}
    parameters = []
    for name in positional:
        parameter = by_name.get(name)
        if parameter is not None:
            parameters.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                annotation=_annotation(parameter.schema)))
        else:  # the body
            required = operation.body is not None and operation.body.required
            parameters.append(inspect.Parameter(
                name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=inspect.Parameter.empty if required else None,
                annotation=dict if required else Optional[dict],
            ))
    for parameter in operation.parameters:
        if parameter.python_name not in positional:
            parameters.append(inspect.Parameter(parameter.python_name, inspect.Parameter.KEYWORD_ONLY, default=None,
                                                annotation=Optional[_annotation(parameter.schema)]))
    for option, annotation in zip(CALL_OPTIONS, (Optional[float], Optional[dict], Optional[str])):
        parameters.append(inspect.Parameter(option, inspect.Parameter.KEYWORD_ONLY, default=None,
                                            annotation=annotation))
    return inspect.Signature(parameters)


def describe_schema(schema: dict[str, Any]) -> str:
    """A short type description: `string (date-time)`, `integer`, `array of string`, `one of a, b`."""
    declared = schema.get("type")
    kind = "|".join(str(t) for t in declared) if isinstance(declared, list) else str(declared or "any")
    if kind in ("array", "array|null") and isinstance(schema.get("items"), dict):
        items = schema["items"]
        inner = items["$ref"].rsplit("/", 1)[-1] if "$ref" in items else describe_schema(items)
        kind = f"{kind.replace('array', 'array of')} {inner}"
    if schema.get("format"):
        kind += f" ({schema['format']})"
    if isinstance(schema.get("enum"), list):
        values = ", ".join(map(str, schema["enum"][:8])) + (", …" if len(schema["enum"]) > 8 else "")
        kind += f", one of: {values}"
    return kind


def _parameter_line(parameter: Parameter) -> str:
    need = "required" if parameter.required else "optional"
    where = f"{parameter.location} {parameter.name!r}" if parameter.name != parameter.python_name else parameter.location
    text = f"    {parameter.python_name} ({describe_schema(parameter.schema)}, {need}, {where})"
    if parameter.deprecated:
        text += " [deprecated]"
    description = " ".join(parameter.description.split())
    return text + (f": {description}" if description else "")


def docstring(operation: Operation, positional: list[str]) -> str:
    lines = [operation.summary or operation.label, ""]
    if operation.description and operation.description != operation.summary:
        lines += [operation.description.strip(), ""]
    if operation.deprecated:
        lines += ["Deprecated by the API.", ""]
    tags = f"  (tags: {', '.join(operation.tags)})" if operation.tags else ""
    lines += [f"{operation.method} {operation.path}{tags}", ""]
    if operation.parameters or operation.body:
        lines.append("Args:")
        for parameter in sorted(operation.parameters,
                                key=lambda p: positional.index(p.python_name) if p.python_name in positional else 99):
            lines.append(_parameter_line(parameter))
        body = operation.body
        if body is not None:
            name = body.schema_name or "object"
            need = "required" if body.required else "optional"
            description = f": {' '.join(body.description.split())}" if body.description else ""
            lines.append(f"    {body.python_name} ({name}, {body.media_type}, {need}){description}")
        lines.append("")
    lines.append("Returns:")
    for status, response in operation.responses.items():
        if status.startswith(("2", "3")) or status == "default":
            returned = response.schema_name or ("object" if response.content else "None")
            lines.append(f"    {returned}: {status} {response.description}".rstrip())
    lines += ["", "Raises:"]
    for status, response in operation.responses.items():
        if status[:1] in "45" and status[:3].isdigit():
            lines.append(f"    {api_error_class(int(status)).__name__}: {status} {response.description}".rstrip())
    lines.append("    RequestValidationError: the arguments break the spec (nothing is sent)")
    lines.append("    ResponseValidationError: the answer breaks the spec (strict mode)")
    return "\n".join(lines)


class OperationGroup:
    """The operations of one tag, like a generated `CustomersApi`; `help()` on it lists them all."""

    def __init__(self, tag: str, names: Iterable[str]):
        self._tag = tag
        self._names = sorted(names)

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __dir__(self) -> list[str]:
        return list(self._names)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._tag!r}: {len(self._names)} operations>"


def group_class(tag: str, functions: dict[str, Callable[..., Any]]) -> type[OperationGroup]:
    """A class per tag (`CustomersApi`) holding its operations, so that `help(client.customers)` reads
    like the generated client's page."""
    class_name = "".join(part.capitalize() for part in naming.snake_case(tag).split("_")) + "Api"
    namespace: dict[str, Any] = {name: staticmethod(function) for name, function in functions.items()}
    namespace["__doc__"] = f"Operations tagged {tag!r}."
    return type(class_name, (OperationGroup,), namespace)


def tag_groups(spec: Spec, functions: dict[str, Callable[..., Any]]) -> dict[str, OperationGroup]:
    """Operations by snake_cased tag; untagged ones under `default`."""
    members: dict[str, dict[str, Callable[..., Any]]] = {}
    tag_names: dict[str, str] = {}
    for name, function in functions.items():
        for tag in spec.operations[name].tags or ("default",):
            key = naming.python_identifier(tag, fallback="tag")
            tag_names.setdefault(key, tag)
            members.setdefault(key, {})[name] = function
    return {key: group_class(tag_names[key], group)(tag_names[key], group) for key, group in members.items()}
