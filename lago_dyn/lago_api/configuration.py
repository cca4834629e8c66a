"""`Configuration`, as in the generated client: where the API is (`host`), the bearer token
(`access_token`), and, new here, which spec to make the client from (`spec`).

Defaults come from the environment so the generated examples run unchanged against any Lago:
`host` from `LAGO_API_URL` (a self-hosted Lago's address; `http://lago:3000` gets the spec's `/api/v1`),
else the spec's first server; `access_token` from `LAGO_API_KEY`; `spec` from `LAGO_DYN_SPEC`, else the
spec lago_dyn ships. Specs are loaded once per source and shared, so a model class is the same class for
every client of that spec.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..client import load_spec
from ..lago.profile import default_spec_path
from ..spec.model import Spec

HOST_ENV = "LAGO_API_URL"
TOKEN_ENV = "LAGO_API_KEY"
SPEC_ENV = "LAGO_DYN_SPEC"

_specs: dict[str, Spec] = {}
_specs_lock = threading.Lock()


def shared_spec(source: Any) -> Spec:
    """The Spec for a path or URL, loaded once per process; a Spec is returned as it is."""
    if isinstance(source, Spec):
        return source
    key = str(Path(source).resolve()) if not str(source).startswith(("http://", "https://")) else str(source)
    with _specs_lock:
        known = _specs.get(key)
        if known is None:
            known = _specs[key] = load_spec(source)
        return known


def default_spec() -> Spec:
    """`LAGO_DYN_SPEC`, else the spec lago_dyn ships."""
    return shared_spec(os.environ.get(SPEC_ENV) or default_spec_path())


class Configuration:
    def __init__(self, host: str | None = None, access_token: str | None = None, spec: Any = None, *,
                 verify_ssl: bool = True, ssl_ca_cert: str | None = None):
        self._host = host
        self.access_token = access_token if access_token is not None else os.environ.get(TOKEN_ENV) or None
        self.spec = spec
        self.verify_ssl = verify_ssl
        self.ssl_ca_cert = ssl_ca_cert

    @property
    def host(self) -> str | None:
        """The API's base URL: as given, else `LAGO_API_URL`, else None (the spec's first server)."""
        return self._host or os.environ.get(HOST_ENV) or None

    @host.setter
    def host(self, value: str | None) -> None:
        self._host = value

    def load_spec(self) -> Spec:
        return shared_spec(self.spec) if self.spec is not None else default_spec()

    def base_url(self, spec: Spec) -> str | None:
        """`host`, completed with the spec's server path when it is a bare address (`http://lago:3000`)."""
        host = self.host
        if host is None or urlsplit(host).path.strip("/"):
            return host
        servers = spec.root.get("servers") or [{}]
        return host.rstrip("/") + urlsplit(str(servers[0].get("url", ""))).path

    @property
    def verify(self) -> bool | str:
        return self.ssl_ca_cert if self.ssl_ca_cert else self.verify_ssl

    def __repr__(self) -> str:
        token = "<redacted>" if self.access_token else None
        return f"Configuration(host={self.host!r}, access_token={token!r}, spec={self.spec!r})"
