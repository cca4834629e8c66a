"""Lago's conventions, in one place: its error body (`error`, `code`, `error_details`), its pagination
(`page`/`per_page`, one array beside `meta.next_page`), `LAGO_API_KEY`, and the spec the project ships.
Nothing Lago-specific stands in the generic pipeline."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Mapping
from typing import Any

from ..errors import LagoDynError, SpecLoadError
from ..call.profile import Profile

API_KEY_ENV = "LAGO_API_KEY"
DEFAULT_SPEC_NAME = "lago-customers.yaml"


def default_spec_path() -> Path:
    """The Customers API spec the project ships: inside the installed package, or beside it in a
    source checkout (the project's spec/ folder)."""
    here = Path(__file__).resolve().parent
    for folder in (here / "spec", here.parent.parent / "spec"):
        candidate = folder / DEFAULT_SPEC_NAME
        if candidate.is_file():
            return candidate
    raise SpecLoadError(f"the default spec (spec/{DEFAULT_SPEC_NAME}) is not installed; pass spec=...")


#: Said when an operation is missing from the default spec, which covers only the Customers API.
FULL_SPEC_HINT = ("the default spec covers only Lago's Customers API; load the full one with "
                  "lago_dyn.Client(spec='path/to/lago-openapi.yaml') or spec='https://.../openapi.yaml'")


class LagoProfile(Profile):
    name = "lago"
    api_key_env = API_KEY_ENV
    page_parameter = "page"
    #: Lago's ingestion host serves these (`Client(events_base_url=...)`).
    event_operations = ("create_event", "create_batch_events")

    def error_fields(self, body: Any) -> tuple[Any, Any, Any]:
        if not isinstance(body, Mapping):
            return None, None, None
        return body.get("error"), body.get("code"), body.get("error_details")

    def page_items(self, operation: str, result: Any) -> list[Any]:
        """A Lago list answer holds one array (`customers`, `invoices`, ...) beside `meta`."""
        arrays = [value for key, value in (result.items() if isinstance(result, Mapping) else ())
                  if key != "meta" and isinstance(value, list)]
        if len(arrays) != 1:
            raise LagoDynError(f"{operation}: not a paginated list answer (expected one array beside 'meta')")
        return arrays[0]

    def next_page(self, result: Any) -> Any:
        return _meta(result).get("next_page")

    def missing_operation_hint(self, name: str, operations: Any) -> str:
        """Lago creates or updates with one call: `create_customer` upserts on `external_id`, so there is
        no `update_customer` (api-reference/customers/create)."""
        created = "create_" + name[len("update_"):] if name.startswith("update_") else ""
        if created in operations:
            return f"; Lago has no {name}: {created} creates or updates (it matches on external_id)"
        return ""

    def total_pages(self, result: Any) -> int | None:
        total = _meta(result).get("total_pages")
        return total if isinstance(total, int) and not isinstance(total, bool) else None


def _meta(result: Any) -> Mapping[str, Any]:
    meta = result.get("meta") if isinstance(result, Mapping) else None
    return meta if isinstance(meta, Mapping) else {}


LAGO = LagoProfile()
