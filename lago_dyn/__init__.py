"""lago_dyn: a Lago API client made at run time from an OpenAPI spec.

    import lago_dyn
    client = lago_dyn.Client(spec="lago.yaml", api_key="...")
    customer = client.customers.create_customer({"customer": {"external_id": "c-1"}})
"""

from .async_client import AsyncClient
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
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
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
from .events import BatchFailure, SendReport, send_events
from .rate_limits import RateLimit
from .signatures import verify_signature
from .models import ApiObject, ApiResponse
from .lago import default_spec_path
from .pipeline import UnknownFieldsWarning
from .profile import GENERIC, Profile
from .spec import Spec
from .wire import RetryPolicy, WireRequest, WireResponse

__version__ = "0.1.0"

__all__ = [
    "ApiError", "ApiObject", "ApiResponse", "AsyncClient", "AuthenticationError", "BadRequestError", "Client",
    "ConfigurationError", "ConflictError", "ForbiddenError", "GENERIC", "LagoDynError", "MissingCredentialsError", "ModelValidationError",
    "NotFoundError", "OAuth2ClientCredentials", "Profile", "OperationNotFoundError", "RateLimitError", "RequestTimeoutError",
    "RequestValidationError", "ResponseTooLargeError", "ResponseValidationError", "RetryPolicy", "ServerError", "Spec", "SpecError",
    "SpecLoadError", "TransportError", "UnauthorizedError", "UnknownFieldsWarning", "UnprocessableEntityError",
    "ValidationError", "Violation", "WebhookSignatureError", "WebhookValidationError", "RateLimit", "BatchFailure",
    "SendReport", "send_events", "verify_signature", "WireRequest", "WireResponse", "default_spec_path",
    "load_spec",
]
