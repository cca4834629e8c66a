"""lago_dyn: a Lago API client made at run time from an OpenAPI spec.

    import lago_dyn
    client = lago_dyn.Client(spec="lago.yaml", api_key="...")
    customer = client.customers.create_customer({"customer": {"external_id": "c-1"}})
"""

import importlib
from typing import TYPE_CHECKING, Any

from .auth import OAuth2ClientCredentials
from .client import Client, load_spec
from .errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    ForbiddenError,
    LagoDynError,
    MissingCredentialsError,
    ModelValidationError,
    NotFoundError,
    OperationNotFoundError,
    PaginationError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseDecodeError,
    ResponseTooLargeError,
    ResponseValidationError,
    ServerError,
    SpecError,
    SpecLoadError,
    TransportError,
    UnauthorizedError,
    UnprocessableEntityError,
    ValidationError,
    Violation,
    WebhookSignatureError,
    WebhookValidationError,
)
from .rate_limits import RateLimit
from .models import ApiObject, ApiResponse
from .lago.profile import default_spec_path
from .call.pipeline import UnknownFieldsWarning
from .call.profile import GENERIC, Profile
from .spec.model import Spec
from .wire import RetryPolicy, WireRequest, WireResponse

from ._version import __version__


#: Imported on first mention (PEP 562), so that `import lago_dyn` loads only what a call needs: the async
#: facade alone would bring asyncio and httpx2 (about 60 ms).
_LAZY = {"AsyncClient": "async_client", "BatchFailure": "lago.events", "SendReport": "lago.events",
         "send_events": "lago.events", "verify_signature": "lago.signatures",
         "Httpx2SyncTransport": "http.httpx2_transport", "Httpx2Transport": "http.httpx2_transport",
         "MockTransport": "http.mock", "AsyncMockTransport": "http.mock"}

if TYPE_CHECKING:
    from .async_client import AsyncClient
    from .lago.events import BatchFailure, SendReport, send_events
    from .http.httpx2_transport import Httpx2SyncTransport, Httpx2Transport
    from .http.mock import AsyncMockTransport, MockTransport
    from .lago.signatures import verify_signature


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lago_dyn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})

__all__ = [
    "ApiError", "ApiObject", "ApiResponse", "AsyncClient", "AuthenticationError", "BadRequestError", "Client",
    "ConfigurationError", "ConflictError", "ForbiddenError", "GENERIC", "Httpx2SyncTransport", "Httpx2Transport", "MockTransport", "AsyncMockTransport", "LagoDynError", "MissingCredentialsError", "ModelValidationError",
    "NotFoundError", "OAuth2ClientCredentials", "Profile", "OperationNotFoundError", "PaginationError", "RateLimitError", "RequestTimeoutError",
    "RequestValidationError", "ResponseDecodeError", "ResponseTooLargeError", "ResponseValidationError", "RetryPolicy", "ServerError", "Spec", "SpecError",
    "SpecLoadError", "TransportError", "UnauthorizedError", "UnknownFieldsWarning", "UnprocessableEntityError",
    "ValidationError", "Violation", "WebhookSignatureError", "WebhookValidationError", "RateLimit", "BatchFailure",
    "SendReport", "send_events", "verify_signature", "WireRequest", "WireResponse", "default_spec_path",
    "load_spec", "__version__",
]
