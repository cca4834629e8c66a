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
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..client import load_spec
from ..errors import ConfigurationError
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


#: The spec of the module-level models (`lago_api.CustomerCreateInput`) and of a Configuration without
#: `spec=`: chosen once, by `use_spec`, a first `Configuration(spec=...)` or `LAGO_DYN_SPEC`, and fixed
#: from the first time something is made from it (a model class made from one spec is not one of another).
_in_use: Spec | None = None
_fixed = False
_choice_lock = threading.Lock()


def use_spec(source: Any) -> Spec:
    """Make `source` (a path, URL or Spec) the spec of `lago_api`'s module-level models and of every
    `Configuration` without `spec=`: call it once, before the first model or API call. A ConfigurationError
    when something was already made from another spec."""
    global _in_use
    spec = shared_spec(source)
    with _choice_lock:
        if _fixed and _in_use is not spec:
            raise ConfigurationError(
                f"lago_api is already in use with {_described(_in_use)}: call lago_api.use_spec(...) (or set "
                f"{SPEC_ENV}) before the first model or API call, or use that client's own models "
                "(api_client.models.<Name>)")
        _in_use = spec
    return spec


def spec_in_use() -> Spec:
    """The spec of the module-level models: `use_spec`'s, else `LAGO_DYN_SPEC`, else the one lago_dyn
    ships. Fixed from this call on."""
    global _in_use, _fixed
    with _choice_lock:
        if _in_use is None:
            _in_use = shared_spec(os.environ.get(SPEC_ENV) or default_spec_path())
        _fixed = True
        return _in_use


def describe_spec_in_use() -> str:
    """What the module-level models are made from, and how to choose another (for error messages)."""
    return (f"the spec in use is {_described(spec_in_use())}; choose another with lago_api.use_spec(path) or "
            f"{SPEC_ENV} before the first model, or use api_client.models.<Name> for an ApiClient's own spec")


def _described(spec: Spec | None) -> str:
    if spec is None:
        return "no spec"
    if spec.base_uri.endswith("/" + default_spec_path().name):
        return "lago_dyn's shipped spec (Lago's Customers API only)"
    return f"{spec.title} {spec.root.get('info', {}).get('version', '')} ({spec.base_uri})"


class Configuration:
    def __init__(self, host: str | None = None, access_token: str | None = None, spec: Any = None, *,
                 verify_ssl: bool = True, ssl_ca_cert: str | None = None):
        self._host = host
        self.access_token = access_token if access_token is not None else os.environ.get(TOKEN_ENV) or None
        self.spec = spec
        if spec is not None:
            _adopt(spec)
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
        return shared_spec(self.spec) if self.spec is not None else spec_in_use()

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


def _adopt(source: Any) -> None:
    """A `Configuration(spec=...)` made before anything was made from a spec chooses the spec in use (the
    generated examples import models from `lago_api` itself); made later with another spec, it still
    serves its own ApiClient, and a warning says the module-level models are not of its spec."""
    with _choice_lock:
        fixed, in_use = _fixed, _in_use
    spec = shared_spec(source)
    if not fixed:
        use_spec(spec)
    elif spec is not in_use:
        warnings.warn(f"Configuration(spec=...) uses {_described(spec)} for its ApiClient, but lago_api's module-level "
                      f"models are made from {_described(in_use)}: use api_client.models.<Name> for this spec's",
                      stacklevel=3)

