"""One exception tree for everything lago_dyn raises.

Programs catch `LagoDynError` to handle any failure of ours; the subclasses say where it happened: the
spec (`SpecError`), the request we refused to send (`RequestValidationError`), the answer that broke the
spec (`ResponseValidationError`), the HTTP status the API returned (`ApiError` and its family), or the
network (`TransportError`). Messages never contain the API key: nothing here ever sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence


class LagoDynError(Exception):
    """Base of every error lago_dyn raises."""


class SpecError(LagoDynError):
    """The spec could not be loaded, is not OpenAPI 3, or cannot be bound (for example two operations
    that would share a Python name)."""


class SpecLoadError(SpecError):
    """The spec source could not be read or parsed (missing file, bad YAML, unreachable URL)."""


class OperationNotFoundError(LagoDynError, AttributeError, KeyError):
    """A name that is not an operation of the loaded spec. It is an AttributeError too, so `hasattr`
    and `getattr(client, name, default)` behave as Python users expect."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (`body.customer.currency`), which rule (`enum`), and a sentence for humans.

    `value_type` is the JSON type name of the offending value (never the value itself for secrets'
    sake when it comes from a header)."""

    location: str
    rule: str
    message: str
    value_type: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message} (rule: {self.rule}, got {self.value_type})"


class ValidationError(LagoDynError):
    """A request or response broke the operation's spec. `violations` lists every broken rule."""

    direction = "data"

    def __init__(self, operation: str, violations: Sequence[Violation]):
        self.operation = operation
        self.violations = list(violations)
        count = len(self.violations)
        lines = "\n".join(f"  - {v}" for v in self.violations)
        noun = "error" if count == 1 else "errors"
        super().__init__(f"{operation}: {self.direction} is invalid ({count} {noun}):\n{lines}")


class RequestValidationError(ValidationError, ValueError):
    """The arguments do not satisfy the spec; nothing was sent."""

    direction = "request"


class WebhookValidationError(ValidationError):
    """A webhook payload received from Lago does not match the spec's description of it."""

    direction = "webhook payload"


class ResponseValidationError(ValidationError):
    """The server's answer does not satisfy the spec. `response` holds what arrived, parsed."""

    direction = "response"

    def __init__(self, operation: str, violations: Sequence[Violation], response: Any = None):
        super().__init__(operation, violations)
        self.response = response


class TransportError(LagoDynError):
    """The request could not be completed on the wire (connection refused, timeout, broken body)."""


class RequestTimeoutError(TransportError):
    """No answer within the configured timeout (connect or read)."""


class ApiError(LagoDynError):
    """The API answered with an error status. Carries `status`, `headers` and the parsed Lago error
    body: `error`, `code` and `error_details` (None where the body did not have them)."""

    def __init__(self, operation: str, status: int, headers: Mapping[str, str], body: Any, reason: str = ""):
        self.operation = operation
        self.status = status
        self.headers = dict(headers)
        self.body = body
        fields = body if isinstance(body, Mapping) else {}
        self.error = fields.get("error")
        self.code = fields.get("code")
        self.error_details = fields.get("error_details")
        detail = " ".join(str(part) for part in (self.error or reason, self.code and f"[{self.code}]") if part)
        message = f"{operation}: HTTP {status}" + (f" {detail}" if detail else "")
        if self.error_details:
            message += f": {details_text(self.error_details)}"
        super().__init__(message)


def details_text(details: Any) -> str:
    """Lago's `error_details` as a reader wants them: `{"email": ["invalid_email_format"]}` becomes
    `email: invalid_email_format`; nested objects give dotted names; anything else is shown as JSON."""
    if not isinstance(details, Mapping):
        return _as_json(details)
    return "; ".join(_detail_lines(details, ""))


def _detail_lines(details: Mapping[str, Any], prefix: str) -> Iterator[str]:
    for name, reasons in details.items():
        if isinstance(reasons, Mapping):
            yield from _detail_lines(reasons, f"{prefix}{name}.")
            continue
        listed = reasons if isinstance(reasons, list) else [reasons]
        yield f"{prefix}{name}: " + ", ".join(r if isinstance(r, str) else _as_json(r) for r in listed)


def _as_json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, default=lambda other: type(other).__name__)


class BadRequestError(ApiError):
    """HTTP 400."""


class UnauthorizedError(ApiError):
    """HTTP 401: the API key is missing, wrong or revoked."""


class ForbiddenError(ApiError):
    """HTTP 403."""


class NotFoundError(ApiError):
    """HTTP 404."""


class ConflictError(ApiError):
    """HTTP 409."""


class UnprocessableEntityError(ApiError):
    """HTTP 422: Lago refused the data; `error_details` says which field and why."""


class RateLimitError(ApiError):
    """HTTP 429. `retry_after` holds the server's Retry-After header in seconds, when it sent one."""

    @property
    def retry_after(self) -> float | None:
        value = self.headers.get("Retry-After") or self.headers.get("retry-after")
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


class ServerError(ApiError):
    """HTTP 5xx."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def api_error_class(status: int) -> type[ApiError]:
    """The most specific ApiError subclass for an HTTP status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, ApiError)
