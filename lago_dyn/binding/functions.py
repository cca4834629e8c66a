"""Operations as Python functions: a real signature, a docstring made from the spec, and groups by tag.

The positional order is the generated client's: required path parameters in URL order, then required
query, header and cookie parameters, then the body. Optional parameters are keyword-only. Every function
also takes the generated client's `_request_timeout` and `_headers` keywords, and has a
`with_http_info(...)` twin that returns status, headers and data.
"""

from __future__ import annotations

import inspect
import sys
import typing
from typing import Any, Awaitable, Callable, Iterable, Optional

from ..spec import naming
from ..suggest import did_you_mean
from ..errors import OperationNotFoundError, api_error_class
from ..models import ApiResponse
from ..spec.model import Operation, Parameter, Spec
from ..spec.schema import view

Invoke = Callable[[Operation, dict, dict], ApiResponse]
AsyncInvoke = Callable[[Operation, dict, dict], Awaitable[ApiResponse]]

CALL_OPTIONS = ("_request_timeout", "_headers", "_content_type")
_PYTHON_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool, "array": list, "object": dict}


def positional_arguments(operation: Operation) -> list[str]:
    required = [p for p in operation.parameters if p.required]
    names = [p.python_name for p in required if p.location == "path"]
    names += [p.python_name for p in required if p.location != "path"]
    if operation.body is not None:
        names.append(operation.body.python_name)
    return names


def make_function(operation: Operation, invoke: Invoke, spec: Spec | None = None) -> OperationFunction:
    """The callable users see for one operation. With `spec`, its docstring shows the body's and the
    answer's fields and examples."""
    bind = _binder(operation)

    def call(*args: Any, **kwargs: Any) -> Any:
        return invoke(operation, *bind(args, kwargs)).data

    def with_http_info(*args: Any, **kwargs: Any) -> ApiResponse:
        return invoke(operation, *bind(args, kwargs))

    return _pair(OperationFunction, operation, spec, call, with_http_info)


def make_async_function(operation: Operation, invoke: AsyncInvoke, spec: Spec | None = None) -> AsyncOperationFunction:
    """The coroutine function users see for one operation on an `AsyncClient`: the same signature and
    docstring as `make_function`'s. As with any `async def`, wrong arguments raise TypeError at the call,
    before anything is awaited."""
    bind = _binder(operation)

    async def data(arguments: dict, options: dict) -> Any:
        return (await invoke(operation, arguments, options)).data

    def call(*args: Any, **kwargs: Any) -> Awaitable[Any]:
        return data(*bind(args, kwargs))

    def with_http_info(*args: Any, **kwargs: Any) -> Awaitable[ApiResponse]:
        return invoke(operation, *bind(args, kwargs))

    return _pair(AsyncOperationFunction, operation, spec, call, with_http_info)


def _binder(operation: Operation) -> Callable[[tuple, dict], tuple[dict, dict]]:
    """The operation's argument binder, made on its first call: binding a client reads no operation's
    parameters (see `spec.Operation`)."""
    made: list[Callable[[tuple, dict], tuple[dict, dict]]] = []

    def bind(args: tuple, kwargs: dict) -> tuple[dict, dict]:
        if not made:
            made.append(_make_binder(operation))
        return made[0](args, kwargs)

    return bind


def _make_binder(operation: Operation) -> Callable[[tuple, dict], tuple[dict, dict]]:
    """Arguments as Python binds them to the operation's signature (by Python name), and the call options;
    a TypeError worded as Python's own for a wrong call."""
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
                                f"{did_you_mean(key, accepted)}")
        return arguments, options

    return bind


def _pair(kind: type[OperationFunction], operation: Operation, spec: Spec | None, call: Callable[..., Any],
          with_http_info: Callable[..., Any]) -> Any:
    function = kind(operation.name, call, operation, spec)
    function.with_http_info = kind(operation.name + "_with_http_info", with_http_info, operation, spec,
                                   returns=ApiResponse)
    return function


class OperationFunction:
    # An operation as a callable with a real signature. Its docstring (with the field trees and
    # examples of the body and the answer) is rendered on first read: binding the 263 operations of a
    # large spec must stay cheap, and few of them are ever shown by help(). (No class docstring: the
    # `__doc__` property below is each instance's.)

    def __init__(self, name: str, run: Callable[..., Any], operation: Operation, spec: Spec | None,
                 returns: Any = None):
        self.__name__ = self.__qualname__ = name
        self.operation = operation
        self._returns = returns
        self._signature: inspect.Signature | None = None
        self.with_http_info: OperationFunction | None = None
        self._run = run
        self._spec = spec
        self._doc: str | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._run(*args, **kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> "OperationFunction":
        """On a class (a tag group) it stays itself, like a staticmethod; pydoc then documents it as a
        routine, with its signature."""
        return self

    @property
    def __signature__(self) -> inspect.Signature:
        """Built on first read too (inspect.signature, help(), IDEs): binding stays a few closures."""
        if self._signature is None:
            signature = _signature(self.operation, positional_arguments(self.operation), self._spec)
            self._signature = signature if self._returns is None else signature.replace(return_annotation=self._returns)
        return self._signature

    @property  # type: ignore[misc]
    def __doc__(self) -> str:  # type: ignore[override]
        if self._doc is None:
            self._doc = docstring(self.operation, positional_arguments(self.operation), self._spec)
        return self._doc

    def __repr__(self) -> str:
        return f"<operation {self.__name__}{self.__signature__}>"


class AsyncOperationFunction(OperationFunction):
    # An operation of an `AsyncClient`: calling it returns a coroutine. `inspect.iscoroutinefunction` and
    # `asyncio.iscoroutinefunction` say True, so frameworks that look (FastAPI dependencies, pytest
    # plugins, retry decorators) await it: Python 3.12+ reads a marker; 3.11 reads the flags of
    # `__code__`, which a function-like object may carry.

    __doc__ = OperationFunction.__dict__["__doc__"]  # the rendered docstring (a class body would set None)
    __defaults__ = None
    __kwdefaults__ = None

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if sys.version_info >= (3, 12):
            inspect.markcoroutinefunction(self)
        else:
            import asyncio.coroutines

            self._is_coroutine = asyncio.coroutines._is_coroutine  # type: ignore[attr-defined]
            self.__code__ = _coroutine_code

    def __repr__(self) -> str:
        return f"<async operation {self.__name__}{self.__signature__}>"


async def _coroutine() -> None:
    """Only its code object is used: the flags that mark a coroutine function on Python 3.11."""


_coroutine_code = _coroutine.__code__


def _annotation(spec: Spec | None, parameter: Parameter) -> Any:
    """The Python type of a parameter, from the types its schema states (an `allOf` part's included)."""
    types = view(spec, parameter.schema_uri).stated_types if spec is not None and parameter.schema_uri else ()
    python = [_PYTHON_TYPES[t] for t in types if t in _PYTHON_TYPES]
    annotation: Any = python[0] if len(python) == 1 else typing.Union[tuple(python)] if python else Any
    return Optional[annotation] if "null" in types else annotation


def _signature(operation: Operation, positional: list[str], spec: Spec | None = None) -> inspect.Signature:
    by_name = {p.python_name: p for p in operation.parameters}
    parameters = []
    for name in positional:
        parameter = by_name.get(name)
        if parameter is not None:
            parameters.append(inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                                annotation=_annotation(spec, parameter)))
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
                                                annotation=Optional[_annotation(spec, parameter)]))
    for option, annotation in zip(CALL_OPTIONS, (Optional[float], Optional[dict], Optional[str])):
        parameters.append(inspect.Parameter(option, inspect.Parameter.KEYWORD_ONLY, default=None,
                                            annotation=annotation))
    return inspect.Signature(parameters)


def _parameter_line(parameter: Parameter, spec: Spec | None = None) -> str:
    from . import describe  # docstrings are rendered on first read: their modules load then too

    need = "required" if parameter.required else "optional"
    where = f"{parameter.location} {parameter.name!r}" if parameter.name != parameter.python_name else parameter.location
    text = f"    {parameter.python_name} ({describe.describe_parameter(spec, parameter)}, {need}, {where})"
    if parameter.deprecated:
        text += " [deprecated]"
    description = " ".join(parameter.description.split())
    return text + (f": {description}" if description else "")


def docstring(operation: Operation, positional: list[str], spec: Spec | None = None) -> str:
    """What help() shows: summary, method and path, arguments, then (given the spec the operation came
    from) the body's and the 2xx answer's fields and examples, and the exceptions."""
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
            lines.append(_parameter_line(parameter, spec))
        body = operation.body
        if body is not None:
            name = body.schema_name or "object"
            need = "required" if body.required else "optional"
            description = f": {' '.join(body.description.split())}" if body.description else ""
            lines.append(f"    {body.python_name} ({name}, {body.media_type}, {need}){description}")
        lines.append("")
    if spec is not None:
        from . import describe

        for payload in (describe.body(spec, operation), describe.answer(spec, operation)):
            if payload is not None:
                lines += describe.render(payload) + [""]
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
    """The operations of one tag, like a generated `CustomersApi`; `help()` on it lists them all. A tag
    nested under it (OpenAPI 3.2 `parent`) is an attribute too: `client.billing.invoices.find_invoice`."""

    def __init__(self, tag: str, names: Iterable[str], children: dict[str, "OperationGroup"] | None = None,
                 summary: str = "", hint: Callable[[str], str] | None = None):
        self._tag = tag
        #: What the API's own conventions say about a missing name (Lago: create is an upsert), if anything.
        self._hint = hint
        self._names = sorted(names)
        self._children = dict(children or {})
        self._summary = summary
        for key, child in self._children.items():
            if key not in self._names:  # an operation of the same name keeps it
                object.__setattr__(self, key, child)

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __dir__(self) -> list[str]:
        return sorted({*self._names, *self._children})

    def __getattr__(self, name: str) -> Any:
        # Only reached for names that are not operations of this tag: a typo deserves a suggestion.
        if name.startswith("_"):  # private and special names (copy, pickle, pydoc probe them)
            raise AttributeError(name)
        said = self._hint(name) if self._hint is not None else ""
        raise OperationNotFoundError(f"the {self._tag!r} operations have no {name!r}"
                                     f"{said or did_you_mean(name, [*self._names, *self._children])}")

    def __repr__(self) -> str:
        nested = f", {len(self._children)} nested tags" if self._children else ""
        return f"<{type(self).__name__} {self._tag!r}: {len(self._names)} operations{nested}>"


def members(group: OperationGroup) -> list[str]:
    """The operations of a group and of the groups nested in it (`lago-dyn ops --tag billing`)."""
    return sorted({*group._names, *(name for child in group._children.values() for name in members(child))})


def summary(group: OperationGroup) -> str:
    """The tag's `summary` (OpenAPI 3.2), or "" when it has none."""
    return group._summary


def group_class(tag: str, functions: dict[str, Callable[..., Any]], summary: str = "",
                children: Iterable[str] = ()) -> type[OperationGroup]:
    """A class per tag (`CustomersApi`) holding its operations, so that `help(client.customers)` reads
    like the generated client's page, headed by the tag's `summary` and naming its nested tags."""
    class_name = "".join(part.capitalize() for part in naming.snake_case(tag).split("_")) + "Api"
    namespace: dict[str, Any] = dict(functions)  # OperationFunctions stay themselves on a class: no staticmethod,
    # which would read (and so render) every docstring now
    nested = f"\n\nNested tags: {', '.join(sorted(children))}." if children else ""
    namespace["__doc__"] = (f"{summary}\n\n" if summary else "") + f"Operations tagged {tag!r}.{nested}"
    return type(class_name, (OperationGroup,), namespace)


def tag_groups(spec: Spec, functions: dict[str, Callable[..., Any]],
               hint: Callable[[str], str] | None = None) -> dict[str, OperationGroup]:
    """Operations by snake_cased tag; untagged ones under `default`. Every tag is a group of its own
    (`client.invoices`); a tag with a `parent` (3.2) is also reachable from its parent's group
    (`client.billing.invoices`), and a parent with no operations of its own is a group all the same."""
    tagged: dict[str, dict[str, Callable[..., Any]]] = {}
    tag_names: dict[str, str] = {}
    for name, function in functions.items():
        for tag in spec.operations[name].tags or ("default",):
            key = naming.python_identifier(tag, fallback="tag")
            tag_names.setdefault(key, tag)
            tagged.setdefault(key, {})[name] = function
    declared = spec.tags
    children: dict[str, list[str]] = {}
    for tag in declared.values():
        if tag.parent is not None:
            children.setdefault(tag.parent, []).append(tag.name)
    groups: dict[str, OperationGroup] = {}

    def build(tag: str) -> OperationGroup:
        key = naming.python_identifier(tag, fallback="tag")
        if key not in groups:
            nested = {naming.python_identifier(child, fallback="tag"): build(child) for child in children.get(tag, ())}
            nested = {child_key: group for child_key, group in nested.items() if group._names or group._children}
            text = declared[tag].summary if tag in declared else ""
            operations = tagged.get(key, {})
            groups[key] = group_class(tag, operations, text, nested)(tag, operations, nested, text, hint)
        return groups[key]

    for key in tagged:
        build(tag_names[key])
    for tag in children:
        build(tag)
    return {key: group for key, group in groups.items() if group._names or group._children}
