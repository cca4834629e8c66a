"""One exception tree for everything lago_dyn raises.

Programs catch `LagoDynError` to handle any failure of ours; the subclasses say where it happened: the
spec (`SpecError`), the client's own configuration (`ConfigurationError`), the request we refused to send
(`RequestValidationError`, `MissingCredentialsError`), the answer that broke the spec
(`ResponseValidationError`), the HTTP status the API returned (`ApiError` and its family), or the network
(`TransportError`). Messages never contain a credential: nothing here ever sees one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Iterator, Sequence

from .rate_limits import RateLimit, retry_after


class LagoDynError(Exception):
    """Base of every error lago_dyn raises."""


class SpecError(LagoDynError):
    """The spec could not be loaded, is not OpenAPI 3, or cannot be bound (for example two operations
    that would share a Python name)."""


class SpecLoadError(SpecError):
    """The spec source could not be read or parsed (missing file, bad YAML, unreachable URL)."""


class ConfigurationError(LagoDynError, ValueError):
    """An argument of `Client()` that cannot work (a base URL without scheme or host, a credential with a
    line break, credentials for a scheme the spec does not define). Raised at construction, not at the
    first call."""


class MissingCredentialsError(LagoDynError):
    """The operation requires credentials that the client was not given; nothing was sent."""


class AuthenticationError(LagoDynError):
    """A credential could not be obtained (an OAuth2 token endpoint refused, a token source failed)."""


class OperationNotFoundError(LagoDynError, AttributeError, KeyError):
    """A name that is not an operation of the loaded spec. It is an AttributeError too, so `hasattr`
    and `getattr(client, name, default)` behave as Python users expect."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        # Our message has its own "did you mean"; with `name` set, Python 3.12+ neither attaches the name
        # looked up nor prints a second suggestion of its own under it.
        self.name = None
        self.obj = None

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Violation:
    """One broken rule: where (`body.customer.currency`), which rule (`enum`), and a sentence for humans.

    `value_type` is the JSON type name of the offending value (never the value itself for secrets'
    sake when it comes from a header). For programs: `schema_path`, the JSON pointer of the broken
    keyword from the schema that was applied (`/properties/customer/properties/currency/enum`), and
    `error`, the validator's own error object (jsonschema's `ValidationError`), kept only where the value
    may be shown (never for a header's value)."""

    location: str
    rule: str
    message: str
    value_type: str
    schema_path: str = ""
    error: Any = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return f"{self.location}: {self.message} (rule: {self.rule}, got {self.value_type})"


class PaginationError(LagoDynError):
    """`paginate` stopped because the server's pages do not advance: it named a page already fetched as
    the next one, or more pages than its own total. Without this check such a server makes `paginate`
    (and `call --all-pages`) run forever."""


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
    """The server answered, and the operation took effect, but the answer does not match the spec.

    Not an `ApiError`: the call succeeded on the server, and retrying it could repeat it (a second
    invoice). `.status`, `.headers` and `.result` (the answer exactly as the call would have returned
    it with validation off) say what happened; `.response` is the whole `ApiResponse`."""

    direction = "response"

    def __init__(self, operation: str, violations: Sequence[Violation], response: Any = None, method: str = ""):
        self.response = response
        self.status = getattr(response, "status_code", None)
        self.headers = dict(getattr(response, "headers", None) or {})
        self.result = getattr(response, "data", None)
        super().__init__(operation, violations)
        if self.status is not None:
            lines = "\n".join(f"  - {v}" for v in self.violations)
            # Said only of a call that changes something (RFC 9110: GET, HEAD, OPTIONS are safe).
            performed = self.status < 300 and method.upper() not in ("GET", "HEAD", "OPTIONS", "QUERY")
            took_effect = " and the operation took effect" if performed else ""
            self.args = (f"{operation}: the server answered {self.status}{took_effect}, but the answer "
                         f"does not match the spec ({len(self.violations)} "
                         f"{'error' if len(self.violations) == 1 else 'errors'}):\n{lines}",)


class ResponseDecodeError(ResponseValidationError):
    """A success answer whose body cannot be decoded (not JSON, or nested too deep to be kept safely):
    raised whatever the validation mode, never bytes handed back in place of data. The server answered
    and the operation took effect; `.status`, `.headers` and `.content` (the raw bytes) say what came."""

    def __init__(self, operation: str, violation: Violation, response: Any, method: str = ""):
        self.content = getattr(response, "raw_data", b"")
        super().__init__(operation, [violation], response=response, method=method)
        self.result = None  # there is no decoded result; the bytes are in `.content`


class ModelValidationError(ValidationError, ValueError):
    """A model (`lago_dyn.lago_api.models`) was constructed with fields its schema forbids."""

    direction = "model"


class WebhookSignatureError(LagoDynError):
    """A webhook's `X-Lago-Signature` is missing, malformed, or does not sign the payload received.
    The message says which; it never holds the signature or a key."""


class TransportError(LagoDynError):
    """The request could not be completed on the wire (connection refused, timeout, broken body)."""


class ResponseTooLargeError(TransportError):
    """The answer is larger than `max_response_bytes`: refused, not read into memory (and not retried)."""


class RequestTimeoutError(TransportError):
    """No answer within the configured timeout (connect or read)."""


class ApiError(LagoDynError):
    """The API answered with an error status. Carries `status`, `headers`, the parsed `body` (any API's),
    and what the API profile read from it: `error`, `code` and `error_details` (for Lago: its error body's
    fields; for RFC 9457 problem details: title, type and errors; None where the body has none)."""

    def __init__(self, operation: str, status: int, headers: Mapping[str, str], body: Any, reason: str = "",
                 *, error: Any = None, code: Any = None, error_details: Any = None, hint: str = ""):
        self.operation = operation
        self.status = status
        self.headers = dict(headers)
        self.body = body
        self.error = error
        self.code = code
        self.error_details = error_details
        detail = " ".join(str(part) for part in (self.error or reason, self.code and f"[{self.code}]") if part)
        message = f"{operation}: HTTP {status}" + (f" {detail}" if detail else "")
        if self.error_details:
            message += f": {details_text(self.error_details)}"
        #: What to check first, when the client can tell (where the key came from; a base URL missing
        #: the spec's server path); never a secret.
        self.hint = hint
        super().__init__(message + (f". {hint}" if hint else ""))


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
    """HTTP 429: the server refused the request before processing it (so every method is retried).

    `retry_after`: seconds to wait, from `Retry-After` (seconds or a date), else Lago's
    `x-ratelimit-reset` (seconds until the window resets), bounded to [0, 3600]; None when neither is
    usable. `rate_limit`: Lago's `x-ratelimit-limit`/`-remaining`/`-reset` as a `RateLimit`."""

    @property
    def retry_after(self) -> float | None:
        return retry_after(self.headers)

    @property
    def rate_limit(self) -> RateLimit | None:
        return RateLimit.from_headers(self.headers)


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
