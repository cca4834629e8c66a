"""The spec's webhooks as payload checkers: `client.webhooks.invoice_created(payload)` checks a payload the
API sent you against the spec and returns it as an ApiObject, or raises WebhookValidationError. Lago also
has a `webhooks` tag (`fetch_public_key`, ...): its operations are reachable here too."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator

from .errors import OperationNotFoundError, WebhookValidationError
from .models import ApiObject, parse_json
from .suggest import did_you_mean
from .spec import Spec
from .validation import WRITE


class WebhookGroup:
    def __init__(self, spec: Spec, tag_group: Any = None):
        self._spec = spec
        self._tag_group = tag_group

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
