"""The spec's webhooks as payload checkers: `client.webhooks.invoice_created(payload)` checks a payload the
API sent you against the spec and returns it as an ApiObject, or raises WebhookValidationError. Lago also
has a `webhooks` tag (`fetch_public_key`, ...): its operations are reachable here too.

`client.webhooks.verify(payload_bytes, headers)` first checks the signature (`signatures.py`; the JWT
public key is fetched from the API once per client and kept), then the payload against the webhook its
`webhook_type` names."""

from __future__ import annotations

import json
import threading
from typing import Any, Callable, Iterator, Mapping

from .errors import OperationNotFoundError, WebhookValidationError
from .models import ApiObject, parse_json
from .lago.signatures import JWT, load_public_key, signature_algorithm, verify_signature
from .suggest import did_you_mean
from .spec.model import Spec
from .validation import WRITE


class WebhookGroup:
    def __init__(self, spec: Spec, tag_group: Any = None):
        self._spec = spec
        self._tag_group = tag_group
        self._public_key: Any = None
        self._key_lock = threading.Lock()

    def verify(self, payload: bytes, headers: Mapping[str, str], *, hmac_key: str | bytes | None = None,
               issuer: str | None = None) -> Any:
        """The payload (an ApiObject) once its `X-Lago-Signature` proves Lago sent exactly these bytes
        and it matches the spec's webhook for its `webhook_type`; else WebhookSignatureError or
        WebhookValidationError. HMAC-signed webhooks need the organization's `hmac_key`."""
        public_key = self.public_key() if signature_algorithm(headers) == JWT and hmac_key is None else None
        data = verify_signature(payload, headers, public_key=public_key, hmac_key=hmac_key, issuer=issuer)
        kind = data.get("webhook_type") if isinstance(data, dict) else None
        name = kind.replace(".", "_") if isinstance(kind, str) else None
        return self._check(name, data) if name in self._spec.webhooks else data

    def public_key(self) -> Any:
        """The key Lago signs JWT webhooks with: fetched from the API on first use, then kept."""
        with self._key_lock:
            if self._public_key is None:
                self._public_key = load_public_key(self._fetch_public_key())
            return self._public_key

    def _fetch_public_key(self) -> Any:
        operations = dir(self._tag_group) if self._tag_group is not None else ()
        if "fetch_json_public_key" in operations:  # the current endpoint: {"webhook": {"public_key": ...}}
            return self._tag_group.fetch_json_public_key().webhook.public_key
        if "fetch_public_key" in operations:  # the older one answers the key as text
            return self._tag_group.fetch_public_key()
        raise OperationNotFoundError(f"{self._spec.title} has no fetch_public_key operation to get the "
                                     "webhook public key from; load the full Lago spec")

    def _check(self, name: str, payload: Any) -> Any:
        operation = self._spec.webhooks[name]
        data = parse_json(payload) if isinstance(payload, (bytes, str)) else payload
        body = operation.body
        if body is not None and body.schema_uri is not None:
            violations = self._spec.validators.violations(body.schema_uri, data, "body", WRITE)
            if violations:
                raise WebhookValidationError(operation.label, violations)
        return data if isinstance(data, ApiObject) else parse_json(json.dumps(data))

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if not name.startswith("_") and name not in self._spec.webhooks and name in dir(self._tag_group):
            return getattr(self._tag_group, name)
        if name.startswith("_") or name not in self._spec.webhooks:
            raise OperationNotFoundError(f"{self._spec.title} has no webhook {name!r}"
                                         f"{did_you_mean(name, self._spec.webhooks)}")
        operation = self._spec.webhooks[name]

        def check(payload: Any) -> Any:
            return self._check(name, payload)

        check.__name__ = check.__qualname__ = name
        check.__doc__ = f"{operation.summary}\n\n{operation.description}\n\nValidates a received payload."
        return check

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._spec.webhooks))

    def __len__(self) -> int:
        return len(self._spec.webhooks)

    def __dir__(self) -> list[str]:
        return sorted({*self._spec.webhooks, *(dir(self._tag_group) if self._tag_group is not None else ())})

    def __repr__(self) -> str:
        return f"<webhooks: {len(self)} payload checkers>"
