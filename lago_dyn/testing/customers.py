"""The stateful part of LocalLago: customers that are created, found, listed and deleted as Lago does it
(create-or-update on the same `external_id`, 404 after delete, `page`/`per_page` with a correct `meta`).

What is stored is what the real API would keep: only the fields the create request describes (the
response-only `lago_id`, `sequential_id` or `created_at` a client sends are ignored, as Rails' strong
parameters ignore them), and none whose value the customer *answer* forbids (the request allows
`account_type: null`, the answer does not): such a value is dropped and the field keeps what it had.
So every answer LocalLago gives about a customer stays valid for the spec, whatever was sent."""

from __future__ import annotations

import math
import re
import threading
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from ..binding.examples import valid_example
from ..spec.model import Operation, Spec
from ..spec.schema import view
from ..validation import READ, SchemaValidators

_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "customer_not_found"}
#: A customer answer's top-level field named by a violation's location: `customer.taxes[0].code` -> taxes.
_FIELD = re.compile(r"customer\.([^.\[]+)")


class CustomerStore:
    def __init__(self, spec: Spec, validators: SchemaValidators):
        self._spec = spec
        self._validators = validators
        self._lock = threading.Lock()
        self._customers: dict[str, dict[str, Any]] = {}  # in creation order, as Lago lists them
        self._sequence = 0
        create = spec.operations.get("create_customer")
        self._answer_uri = _answer_schema(create)
        self.handlers: dict[str, Callable[[dict[str, Any]], tuple[int, Any]]] = {}
        if create is None or self._answer_uri is None:
            return
        self._template: dict[str, Any] = valid_example(spec, self._answer_uri, validators, READ)["customer"]
        self._writable = set(self._template) & _request_fields(spec, create)
        self.handlers = {
            "create_customer": self.create,
            "find_customer": self.find,
            "destroy_customer": self.destroy,
            "find_all_customers": self.find_all,
        }

    def clear(self) -> None:
        with self._lock:
            self._customers.clear()

    def create(self, arguments: dict[str, Any]) -> tuple[int, Any]:
        given = (arguments.get("body") or {}).get("customer") or {}
        external_id = given["external_id"]
        changes = {key: value for key, value in given.items() if key in self._writable and key != "metadata"}
        if given.get("timezone") and "applicable_timezone" in self._template:
            changes["applicable_timezone"] = given["timezone"]
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            customer = self._customers.get(external_id)
            if customer is None:
                self._sequence += 1
                system = dict(lago_id=str(uuid.uuid4()), sequential_id=self._sequence,
                              slug=f"LAG-{self._sequence:04d}", created_at=now)
                customer = {**self._template, **{k: v for k, v in system.items() if k in self._template}}
            customer = self._with_valid(customer, changes)
            if "updated_at" in self._template:
                customer["updated_at"] = now
            self._customers[external_id] = customer
            return 200, {"customer": dict(customer)}

    def _with_valid(self, customer: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
        """`customer` with those of `changes` that keep its answer valid: a field the answer's schema
        refuses keeps its stored value."""
        while changes:
            candidate = {**customer, **changes}
            problems = self._validators.violations(self._answer_uri, {"customer": candidate}, "", READ)
            if not problems:
                return candidate
            blamed = {m.group(1) for p in problems if (m := _FIELD.match(p.location))} & set(changes)
            changes = {key: value for key, value in changes.items() if key not in (blamed or changes)}
        return dict(customer)

    def _external_id(self, arguments: dict[str, Any]) -> str:
        return arguments.get("external_id") or arguments.get("external_customer_id") or ""

    def find(self, arguments: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            customer = self._customers.get(self._external_id(arguments))
        return (200, {"customer": dict(customer)}) if customer else (404, _NOT_FOUND)

    def destroy(self, arguments: dict[str, Any]) -> tuple[int, Any]:
        with self._lock:
            customer = self._customers.pop(self._external_id(arguments), None)
        return (200, {"customer": customer}) if customer else (404, _NOT_FOUND)

    def find_all(self, arguments: dict[str, Any]) -> tuple[int, Any]:
        page = _positive(arguments.get("page"), 1)
        per_page = _positive(arguments.get("per_page"), 20)
        with self._lock:
            customers = list(self._customers.values())
        total_pages = max(math.ceil(len(customers) / per_page), 1)
        chunk = customers[(page - 1) * per_page: page * per_page]
        meta = {
            "current_page": page,
            "next_page": page + 1 if page < total_pages else None,
            "prev_page": page - 1 if page > 1 else None,
            "total_pages": total_pages,
            "total_count": len(customers),
        }
        return 200, {"customers": [dict(c) for c in chunk], "meta": meta}


def _positive(value: Any, default: int) -> int:
    """A page number from a query value the spec may not have typed: anything but a positive integer
    is the default."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default


def _answer_schema(create: Operation | None) -> str | None:
    response = create.responses.get("200") if create is not None else None
    return response.content.get("application/json") if response is not None else None


def _request_fields(spec: Spec, create: Operation) -> set[str]:
    """The fields of `customer` in the create request: what a client may set."""
    if create.body is None or not create.body.schema_uri:
        return set()
    properties = view(spec, create.body.schema_uri).properties
    if "customer" not in properties:
        return set()
    return set(view(spec, properties["customer"]).properties)
