"""How a process of the backfill opens its own `AsyncClient`: the single process does it once, each Dask
task does it on its worker (from a copy of this recipe, so it must pickle: a spec path, URL or dict).

The job's client does not validate the request body again (every event was checked against the event
schema on its own, and the body is only their list) and does not validate Lago's answer (only its status
and headers are read); it does not retry by itself either: the job decides how each failure is retried,
with the same transaction ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..async_client import AsyncClient
from ..wire import NO_RETRIES


@dataclass(frozen=True)
class ClientRecipe:
    """The arguments of the job's clients. `options` are further `AsyncClient` arguments."""

    spec: Any
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    pool_maxsize: int = 10
    options: dict[str, Any] = field(default_factory=dict)

    def open(self) -> AsyncClient:
        settings = {"request_validation": False, "response_validation": "off", "retry": NO_RETRIES,
                    "unknown_fields": "ignore", **self.options}
        return AsyncClient(self.spec, base_url=self.base_url, api_key=self.api_key, pool_maxsize=self.pool_maxsize,
                           **settings)
