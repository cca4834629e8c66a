"""The generated `rest.py`: `ApiException` (imported from here by the generated examples) and
`RESTResponse`, the raw answer `*_without_preload_content` returns."""

from __future__ import annotations

from ..wire import WireResponse
from . import exceptions
from .exceptions import *  # noqa: F401,F403 - the generated rest.py's exception names

__all__ = [*exceptions.__all__, "RESTResponse"]


class RESTResponse:
    """An answer as it came (any status, not decoded, not validated): `.status`, `.reason`, `.headers`,
    `.data` (bytes), `.read()`, `.getheader(name)`, `.getheaders()`, as the generated one offers."""

    def __init__(self, response: WireResponse):
        self.response = response
        self.status = response.status
        self.reason = response.reason
        self.headers = dict(response.headers)
        self.data = response.content

    def read(self) -> bytes:
        return self.data

    def getheaders(self) -> dict[str, str]:
        return self.headers

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return self.response.headers.get(name, default)

    def __repr__(self) -> str:
        return f"RESTResponse({self.status} {self.reason}, {len(self.data)} bytes)"
