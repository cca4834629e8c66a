"""The `<Tag>Api` classes (`CustomersApi`, `WalletsApi`, ...), made at run time from the spec of the
`ApiClient` they are given, so one name serves every spec release: pointed at a newer spec,
`WalletsApi(api_client)` has the operations that release added.

Each operation is a method with the generated signature (required path parameters, then required
query/header parameters, then the body; optional ones by keyword), plus the generated variants:
`<name>_with_http_info` returns an `ApiResponse` and `<name>_without_preload_content` the raw
`RESTResponse`, whatever its status.
"""

from __future__ import annotations

import inspect
import threading
import types
from typing import Any, Callable

from ..binding.functions import make_function
from ..errors import OperationNotFoundError
from ..models import ApiResponse
from ..spec.model import Spec
from ..suggest import did_you_mean
from .names import api_class_name
from .rest import RESTResponse


class TagApi:
    """Base of the `<Tag>Api` classes. `CustomersApi(api_client)` is an instance of the class made for
    that client's spec (a subclass of `CustomersApi`)."""

    def __new__(cls, api_client: Any = None) -> "TagApi":
        from .api_client import ApiClient

        client = api_client if api_client is not None else ApiClient.get_default()
        concrete = api_classes(client.spec).get(cls.__name__)
        if concrete is None:
            names = api_classes(client.spec)
            raise OperationNotFoundError(f"{client.spec.title} has no tag for {cls.__name__}"
                                         f"{did_you_mean(cls.__name__, names)}")
        return object.__new__(concrete)

    def __init__(self, api_client: Any = None):
        from .api_client import ApiClient

        self.api_client = api_client if api_client is not None else ApiClient.get_default()


class _Method:
    """One generated method: calls the operation through the instance's ApiClient. Its signature and
    docstring are the operation's (the docstring rendered when first read)."""

    def __init__(self, template: Any, name: str, call: Callable[[Any, str, tuple, dict], Any], returns: Any,
                 variant: str = ""):
        self._template = template
        self._variant = variant
        self._operation_name = template.__name__
        self.__name__ = self.__qualname__ = name
        self._call = call
        parameters = list(template.__signature__.parameters.values())
        self.__signature__ = inspect.Signature(
            [inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY), *parameters], return_annotation=returns)

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        if self._variant:  # the operation's page is on the plain method; not repeated three times
            return f"{self._operation_name}(...), returning {self._variant}."
        return self._template.__doc__

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        return self if instance is None else types.MethodType(self, instance)

    def __call__(self, api: TagApi, *args: Any, **kwargs: Any) -> Any:
        return self._call(api.api_client, self._operation_name, args, kwargs)


def _data(client: Any, name: str, args: tuple, kwargs: dict) -> Any:
    return client.call(name, args, kwargs).data


def _with_http_info(client: Any, name: str, args: tuple, kwargs: dict) -> ApiResponse:
    return client.call(name, args, kwargs)


def _without_preload_content(client: Any, name: str, args: tuple, kwargs: dict) -> RESTResponse:
    return client.call_raw(name, args, kwargs)


def _not_bound(*args: Any) -> Any:
    raise RuntimeError("a method template is never called")


_generic: dict[str, type[TagApi]] = {}
_lock = threading.RLock()


def generic_api(name: str) -> type[TagApi]:
    """`lago_api.CustomersApi`: the class users import; instances come from the client's spec."""
    with _lock:
        known = _generic.get(name)
        if known is None:
            known = _generic[name] = type(name, (TagApi,), {"__module__": "lago_dyn.lago_api",
                                                            "__doc__": f"The {name} operations of the ApiClient's spec."})
        return known


def api_classes(spec: Spec) -> dict[str, type[TagApi]]:
    """The `<Tag>Api` classes of one spec, by class name (made once per Spec, kept on it)."""
    with _lock:
        return spec.__dict__.get("_lago_api_classes") or spec.__dict__.setdefault("_lago_api_classes",
                                                                                    _make_classes(spec))


def _make_classes(spec: Spec) -> dict[str, type[TagApi]]:
    members: dict[str, dict[str, Any]] = {}
    for name, operation in spec.operations.items():
        for tag in operation.tags or ("default",):
            template = make_function(operation, _not_bound, spec)
            methods = members.setdefault(api_class_name(tag), {})
            methods[name] = _Method(template, name, _data, Any)
            methods[f"{name}_with_http_info"] = _Method(
                template, f"{name}_with_http_info", _with_http_info, ApiResponse,
                "ApiResponse(status_code, headers, data, raw_data) with data as a model")
            methods[f"{name}_without_preload_content"] = _Method(
                template, f"{name}_without_preload_content", _without_preload_content, RESTResponse,
                "the RESTResponse as it came (any status, not decoded, not validated)")
    return {class_name: type(class_name, (generic_api(class_name),),
                             {**methods, "__module__": "lago_dyn.lago_api",
                              "__doc__": f"{class_name}: {len(methods) // 3} operations of {spec.title}."})
            for class_name, methods in members.items()}
