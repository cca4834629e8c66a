"""lago_dyn: a Lago API client made at run time from an OpenAPI spec.

    import lago_dyn
    client = lago_dyn.Client(spec="lago.yaml", api_key="...")
    customer = client.customers.create_customer({"customer": {"external_id": "c-1"}})
"""

from .client import Client, default_spec_path, load_spec
from .errors import (
    ApiError,
    BadRequestError,
    ConflictError,
    ForbiddenError,
    LagoDynError,
    NotFoundError,
    OperationNotFoundError,
    RateLimitError,
    RequestTimeoutError,
    RequestValidationError,
    ResponseValidationError,
    ServerError,
    SpecError,
    SpecLoadError,
    TransportError,
    UnauthorizedError,
    UnprocessableEntityError,
    ValidationError,
    Violation,
    WebhookValidationError,
)
from .models import ApiObject, ApiResponse
from .spec import Spec
from .transport import RetryPolicy, WireRequest, WireResponse

__version__ = "0.1.0"

__all__ = [
    "ApiError", "ApiObject", "ApiResponse", "BadRequestError", "Client", "ConflictError", "ForbiddenError",
    "LagoDynError", "NotFoundError", "OperationNotFoundError", "RateLimitError", "RequestTimeoutError",
    "RequestValidationError", "ResponseValidationError", "RetryPolicy", "ServerError", "Spec", "SpecError",
    "SpecLoadError", "TransportError", "UnauthorizedError", "UnprocessableEntityError", "ValidationError",
    "Violation", "WebhookValidationError", "WireRequest", "WireResponse", "default_spec_path", "load_spec",
]
