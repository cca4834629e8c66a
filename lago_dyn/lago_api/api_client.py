"""`ApiClient`, as in the generated client: a connection (a `lago_dyn.Client` underneath) that the
`<Tag>Api` classes call through. It turns each answer into its model and each error status into the
generated client's exception.
"""

from __future__ import annotations

import inspect
import json
import threading
from typing import Any, ClassVar

from ..binding.functions import CALL_OPTIONS
from ..client import Client
from ..errors import ApiError
from ..models import ApiResponse
from . import models
from .configuration import Configuration
from .exceptions import exception_class
from .rest import RESTResponse


class ApiClient:
    _default: ClassVar["ApiClient | None"] = None
    _default_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, configuration: Configuration | None = None, header_name: str | None = None,
                 header_value: str | None = None):
        self.configuration = configuration if configuration is not None else Configuration()
        spec = self.configuration.load_spec()
        headers = {header_name: header_value} if header_name and header_value is not None else None
        self.client = Client(spec, base_url=self.configuration.base_url(spec),
                             api_key=self.configuration.access_token, headers=headers, typed_results=True,
                             verify=self.configuration.verify)
        #: The models of this client's spec (`api_client.models.Customer`).
        self.models = models.namespace(spec)

    @classmethod
    def get_default(cls) -> "ApiClient":
        """The client an `<Tag>Api()` made without one uses (from `Configuration()`), made once."""
        with cls._default_lock:
            if cls._default is None:
                cls._default = ApiClient()
            return cls._default

    @classmethod
    def set_default(cls, default: "ApiClient | None") -> None:
        with cls._default_lock:
            cls._default = default

    @property
    def spec(self) -> Any:
        return self.client.spec

    def call(self, name: str, args: tuple, kwargs: dict) -> ApiResponse:
        """Call operation `name` and return its ApiResponse with `data` as a model; an error status
        raises the generated client's exception for it."""
        function = self.client.operations[name]
        try:
            response = function.with_http_info(*args, **kwargs)
        except ApiError as error:
            raise self._exception(function.operation, error) from None
        schema_uri = _json_schema(function.operation, response.status_code)
        return ApiResponse(response.status_code, response.headers, self.models.adopt(response.data, schema_uri),
                           response.raw_data)

    def call_raw(self, name: str, args: tuple, kwargs: dict) -> RESTResponse:
        """Send operation `name` and return the answer as it came, whatever its status."""
        function = self.client.operations[name]
        bound = inspect.signature(function).bind(*args, **kwargs).arguments
        options = {key: bound.pop(key) for key in CALL_OPTIONS if bound.get(key) is not None}
        bound = {key: value for key, value in bound.items() if value is not None}
        return RESTResponse(self.client.send(name, bound, options))

    def _exception(self, operation: Any, error: ApiError) -> Exception:
        body = error.body
        text = body if isinstance(body, str) else (body.decode("utf-8", "replace") if isinstance(body, bytes)
                                                  else json.dumps(body, default=str))
        schema_uri = _json_schema(operation, error.status)
        data = self.models.adopt(body, schema_uri) if isinstance(body, dict) else None
        return exception_class(error.status)(error.status, _reason(error), body=text, data=data,
                                             headers=error.headers, error=error)

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> "ApiClient":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _json_schema(operation: Any, status: int) -> str | None:
    declared = operation.response_for(status)
    if declared is None:
        return None
    return next((uri for media_type, uri in declared.content.items() if "json" in media_type), None)


def _reason(error: ApiError) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(error.status).phrase
    except ValueError:
        return ""
