"""The generated `lago_api` client's shape, made at run time from the spec: code written for
openapi-generator's `lago_api` runs with its imports pointed here (`import lago_dyn.lago_api as
lago_api`, `from lago_dyn.lago_api.models.customer import Customer`, `from lago_dyn.lago_api.rest import
ApiException`).

    configuration = lago_api.Configuration(access_token=os.environ["LAGO_API_KEY"])
    with lago_api.ApiClient(configuration) as api_client:
        customer = lago_api.CustomersApi(api_client).find_customer("c-1")   # a models.Customer

`<Tag>Api` classes and model classes are made on first use (module `__getattr__`), from the spec of
the `ApiClient` (API classes) or the spec in use (models at module level): `lago_api.use_spec(path)`,
else the first `Configuration(spec=...)`, else `LAGO_DYN_SPEC`, else the spec lago_dyn ships; chosen
before the first model, and fixed from then on.
"""

from __future__ import annotations

from typing import Any

from . import models
from .api_client import ApiClient
from .api_response import ApiResponse
from .apis import TagApi, generic_api
from .configuration import Configuration, use_spec
from .exceptions import (
    ApiException,
    BadRequestException,
    ConflictException,
    ForbiddenException,
    NotFoundException,
    OpenApiException,
    ServiceException,
    UnauthorizedException,
    UnprocessableEntityException,
)

__all__ = ["ApiClient", "ApiException", "ApiResponse", "BadRequestException", "Configuration", "ConflictException",
           "ForbiddenException", "NotFoundException", "OpenApiException", "ServiceException", "TagApi",
           "UnauthorizedException", "UnprocessableEntityException", "models", "use_spec"]


def __getattr__(name: str) -> Any:
    """`CustomersApi` (any `<Name>Api`) or a model name (`CustomerCreateInput`), made on first use."""
    if name.startswith("_"):
        raise AttributeError(name)
    if name.endswith("Api") and name[:1].isupper():
        return generic_api(name)
    return getattr(models, name)
