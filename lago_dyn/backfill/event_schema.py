"""The schema of one event, as the spec in use declares it (an item of `create_batch_events`' `events`),
and the check every row passes before it may be sent.

It is the client's own check (the spec's compiled validators, formats included): a row the backfill
accepts is one the client would accept, and a row it refuses gets the same explanation a call would
give, at the field's own location (`code`, `properties.region`).
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError, Violation
from ..spec.model import Spec
from ..spec.schema import view
from ..validation import WRITE

#: The operation that takes events in batches (POST /events/batch).
BATCH_OPERATION = "create_batch_events"


class EventSchema:
    """One event of `create_batch_events`: its schema URI, its declared fields, and `violations(event)`."""

    def __init__(self, spec: Spec):
        operation = spec.operations.get(BATCH_OPERATION)
        body_uri = operation.body.schema_uri if operation is not None and operation.body is not None else None
        events_uri = view(spec, body_uri).properties.get("events") if body_uri else None
        item_uri = view(spec, events_uri).items if events_uri else None
        if item_uri is None:
            raise SpecError(f"backfill: the spec {spec.title!r} has no {BATCH_OPERATION} operation whose body holds "
                            f"an `events` array of declared items; load a full Lago spec (1.x with /events/batch)")
        self.uri = item_uri
        #: The event's top-level fields (transaction_id, external_subscription_id, code, timestamp, ...).
        self.fields: tuple[str, ...] = tuple(view(spec, item_uri).properties)
        self._validators = spec.validators

    def violations(self, event: Any) -> list[Violation]:
        """Every rule `event` breaks ([] when it may be sent), located from the event's root."""
        return self._validators.violations(self.uri, event, "", WRITE, formats=True)
