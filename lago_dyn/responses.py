"""From an HTTP answer to what the caller gets: data, an `ApiError`, or a `ResponseValidationError`.

Error statuses are mapped to exceptions first, whatever the validation mode: a 404 is a `NotFoundError`
even when its body is not the one the spec describes. Success answers are then checked against the
operation: the status must be declared, the content type must be one the spec lists, and the body must
match its schema.
"""

from __future__ import annotations

import logging
from typing import Any

from .errors import ResponseValidationError, Violation, api_error_class
from .models import ApiResponse, parse_json
from .spec import Operation
from .transport import WireResponse
from .validation import READ, SchemaValidators

log = logging.getLogger("lago_dyn")

STRICT, WARN, OFF = "strict", "warn", "off"
VALIDATION_MODES = (STRICT, WARN, OFF)


def is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def decode_body(response: WireResponse) -> tuple[Any, Violation | None]:
    """The body as Python data: JSON parsed (objects as ApiObject), text as str, else bytes."""
    if not response.content:
        return None, None
    media_type = response.media_type
    if is_json(media_type) or (not media_type and response.content[:1] in (b"{", b"[")):
        try:
            return parse_json(response.content), None
        except ValueError as exc:
            return response.content, Violation("body", "json", f"not valid JSON ({exc.__class__.__name__}: {exc})",
                                               "bytes")
    if media_type.startswith("text/"):
        return response.content.decode("utf-8", errors="replace"), None
    return response.content, None


def handle(operation: Operation, response: WireResponse, validators: SchemaValidators, mode: str) -> ApiResponse:
    """The caller's result for an answer, or the exception it stands for."""
    data, decode_problem = decode_body(response)
    result = ApiResponse(response.status, response.headers, data, response.content)
    if response.status >= 400:
        raise api_error_class(response.status)(
            operation.label, response.status, response.headers, data, response.reason
        )
    if mode == OFF:
        return result
    violations = _check(operation, response, data, decode_problem, validators)
    if violations:
        error = ResponseValidationError(operation.label, violations, response=result)
        if mode == STRICT:
            raise error
        log.warning("%s", error)
    return result


def _check(operation: Operation, response: WireResponse, data: Any, decode_problem: Violation | None,
           validators: SchemaValidators) -> list[Violation]:
    declared = operation.response_for(response.status)
    if declared is None:
        statuses = ", ".join(operation.responses) or "none"
        return [Violation("status", "declared-status",
                          f"{response.status} is not a status this operation declares ({statuses})", "integer")]
    if not declared.content:
        if response.content.strip():
            return [Violation("body", "no-content", "the spec declares no body for this status, but one arrived",
                              "bytes")]
        return []
    media_type = response.media_type
    schema_uri = _schema_for(declared.content, media_type)
    if schema_uri is _UNDECLARED:
        return [Violation("headers.Content-Type", "content-type",
                          f"{media_type or 'no content type'!r} is not one of {', '.join(declared.content)}",
                          "string")]
    if decode_problem is not None:
        return [decode_problem]
    if schema_uri is None:
        return []
    return validators.violations(schema_uri, data, "body", READ)


_UNDECLARED = object()


def _schema_for(content: dict[str, str | None], media_type: str) -> Any:
    """The schema of the declared media type that matches (exact, then `type/*`, then `*/*`)."""
    lowered = {key.split(";")[0].strip().lower(): uri for key, uri in content.items()}
    for candidate in (media_type, media_type.split("/")[0] + "/*", "*/*"):
        if candidate in lowered:
            return lowered[candidate]
    return _UNDECLARED
