"""What an API says outside its spec: how its error bodies read, how its lists page, where its key lives.

The call pipeline is generic; a `Profile` is the one place that knows one API's conventions. The default
profile reads RFC 9457 problem details (`title`, `type`, `errors`), which many APIs use; `lago.py` holds
Lago's. Every API's error body stays reachable whole as `ApiError.body`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Profile:
    """The generic profile: problem-details errors, no known pagination, no environment variable."""

    name = "generic"
    #: The environment variable `api_key` is read from when not given (None: never).
    api_key_env: str | None = None
    #: The query parameter that selects a page, for `paginate`.
    page_parameter: str | None = None
    #: The operations `Client(events_base_url=...)` sends to that host instead of `base_url`.
    event_operations: tuple[str, ...] = ()

    def error_fields(self, body: Any) -> tuple[Any, Any, Any]:
        """(error, code, error_details) from an error answer's body."""
        if not isinstance(body, Mapping):
            return None, None, None
        error = body.get("title") or body.get("detail") or body.get("message") or body.get("error")
        code = body.get("type") or body.get("code")
        return error, code, body.get("errors") or body.get("error_details")

    def page_items(self, operation: str, result: Any) -> list[Any]:
        from ..errors import LagoDynError

        raise LagoDynError(f"{operation}: this API's pagination is unknown to lago_dyn; page it yourself")

    def next_page(self, result: Any) -> Any:
        return None

    def missing_operation_hint(self, name: str, operations: Any) -> str:
        """What this API's conventions say about an operation name it does not have ("" for nothing), said
        instead of the closest names (Lago: there is no update_customer, create_customer upserts)."""
        return ""

    def total_pages(self, result: Any) -> int | None:
        """How many pages the list has, as the answer says (None: it does not say)."""
        return None


GENERIC = Profile()
