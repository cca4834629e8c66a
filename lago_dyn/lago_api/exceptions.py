"""The generated client's exceptions (`exceptions.py`), raised where it raises them: an error status
becomes `ApiException` or its per-status subclass, with `.status`, `.reason`, `.body` (the answer's text),
`.data` (the answer as its error model, when the spec declares one) and `.headers`.

They are `LagoDynError`s too, so one `except lago_dyn.LagoDynError` still catches everything; the
`lago_dyn` error the call raised is kept as `.error` (its message names the operation and Lago's
`error_details`). Messages hold no request header, so never the API key.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..errors import ApiError, LagoDynError

__all__ = ["ApiException", "BadRequestException", "ConflictException", "ForbiddenException", "NotFoundException",
           "OpenApiException", "ServiceException", "UnauthorizedException", "UnprocessableEntityException"]


class OpenApiException(LagoDynError):
    """The base exception class for all OpenAPIExceptions (as generated)."""


class ApiException(OpenApiException):
    def __init__(self, status: int | None = None, reason: str | None = None, http_resp: Any = None, *,
                 body: str | None = None, data: Any = None, headers: Mapping[str, str] | None = None,
                 error: ApiError | None = None):
        self.status = getattr(http_resp, "status", status)
        self.reason = getattr(http_resp, "reason", reason)
        self.body = body
        self.data = data
        self.headers = dict(headers) if headers is not None else None
        self.error = error
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"({self.status})\nReason: {self.reason}\n"
        if self.error is not None:
            text += f"{self.error}\n"
        if self.body:
            text += f"HTTP response body: {self.body}\n"
        return text


class BadRequestException(ApiException):
    """HTTP 400."""


class UnauthorizedException(ApiException):
    """HTTP 401."""


class ForbiddenException(ApiException):
    """HTTP 403."""


class NotFoundException(ApiException):
    """HTTP 404."""


class ConflictException(ApiException):
    """HTTP 409."""


class UnprocessableEntityException(ApiException):
    """HTTP 422."""


class ServiceException(ApiException):
    """HTTP 5xx."""


_BY_STATUS: dict[int, type[ApiException]] = {
    400: BadRequestException, 401: UnauthorizedException, 403: ForbiddenException, 404: NotFoundException,
    409: ConflictException, 422: UnprocessableEntityException,
}


def exception_class(status: int) -> type[ApiException]:
    """The class the generated `ApiException.from_response` picks for a status."""
    if 500 <= status <= 599:
        return ServiceException
    return _BY_STATUS.get(status, ApiException)
