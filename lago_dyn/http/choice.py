"""Which sync transport a `Client` sends with, picked by the session a user passes: requests' for none or
a `requests.Session`, httpx2's for an `httpx2.Client`. Above both transports, so neither imports the other."""

from __future__ import annotations

import sys
from typing import Any

import requests

from ..errors import ConfigurationError
from .base import SyncTransport
from .requests_transport import RequestsTransport


def open_transport(session: Any = None, **options: Any) -> "SyncTransport":
    """`Client`'s transport for `session`: requests' for None or a `requests.Session`, httpx2's for an
    `httpx2.Client` (used, never closed). `options` are the client's (timeout, deadline, retry, ...)."""
    if session is None or isinstance(session, requests.Session):
        return RequestsTransport(session, **options)
    httpx2 = sys.modules.get("httpx2")  # a user holding an httpx2.Client has imported it
    if httpx2 is not None and isinstance(session, httpx2.Client):
        from .httpx2_transport import Httpx2SyncTransport  # only for a user who already imported httpx2

        return Httpx2SyncTransport(session, **options)
    raise ConfigurationError(f"Client's session must be a requests.Session or an httpx2.Client, not "
                             f"{type(session).__module__}.{type(session).__qualname__}")
