"""`ApiResponse(status_code, headers, data, raw_data)`: what `*_with_http_info` returns, as generated.
It is lago_dyn's own (`operation.with_http_info` returns the same class), with `data` a model here."""

from ..models import ApiResponse

__all__ = ["ApiResponse"]
