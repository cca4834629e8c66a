"""What `AsyncClient` sends with: any object with `async send(WireRequest) -> WireResponse` and `aclose()`
(`AsyncTransport`; streamed answers also need `stream`). The one we make is `Httpx2Transport`, which lives
with the sync httpx2 transport in `httpx2_transport.py` (they share httpx2's specifics) and is importable
from here too. Without httpx2 (Python < 3.11) importing this module is a ConfigurationError that says so.
"""

from __future__ import annotations

from typing import Protocol

from .httpx2_transport import Httpx2Transport  # noqa: F401  (importable from here, as it always was)
from ..wire import WireRequest, WireResponse


class AsyncTransport(Protocol):
    async def send(self, request: WireRequest) -> WireResponse: ...

    async def aclose(self) -> None: ...

