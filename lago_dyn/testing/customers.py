"""The stateful part of LocalLago: customers that are created, found, listed and deleted as Lago does it
(create-or-update on the same `external_id`, 404 after delete, `page`/`per_page` with a correct `meta`)."""

from __future__ import annotations

import math
import threading
import uuid
from datetime import datetime, timezone
from typing import Any, Callable

from ..spec import Spec
from ..validation import SchemaValidators
from ..examples import example

_NOT_FOUND = {"status": 404, "error": "Not Found", "code": "customer_not_found"}


class CustomerStore:
    def __init__(self, spec: Spec, validators: SchemaValidators):
        self._spec = spec
        self._validators = validators
        self._lock = threading.Lock()
        self._customers: dict[str, dict[str, Any]] = {}
        self._sequence = 0
        create = spec.operations.get("create_customer")
        self._fields, self._template = self._customer_shape(create)
        self.handlers: dict[str, Callable[[dict[str, Any]], tuple[int, Any]]] = {}
        if self._template is not None:
            self.handlers = {
                "create_customer": self.create,
                "find_customer": self.find,
                "destroy_customer": self.destroy,
                "find_all_customers": self.find_all,
            }

    def _customer_shape(self, create: Any) -> tuple[set[str], dict[str, Any] | None]:
        """The customer object's fields and a valid starting value, from the create response schema."""
        if create is None or "200" not in create.responses:
            return set(), None
        schema_uri = create.responses["200"].content.get("application/json")
        if schema_uri is None:
            return set(), None
        schema, uri = self._spec.resolve(self._spec.node_at(schema_uri), schema_uri)
        customer_schema = (schema.get("properties") or {}).get("customer")
        if customer_schema is None:
            return set(), None
        template = example(self._spec, customer_schema, uri=uri)
        return set(template) if isinstance(template, dict) else set(), template

    def clear(self) -> None:
        with self._lock:
            self._customers.clear()

    def create(self, arguments: dict[str, Any]) -> tuple[int, Any]:
        given = (arguments.get("body") or {}).get("customer") or {}
        external_id = given["external_id"]
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            customer = self._customers.get(external_id)
            if customer is None:
                self._sequence += 1
                customer = dict(self._template or {})
                customer.update(lago_id=str(uuid.uuid4()), sequential_id=self._sequence,
                                slug=f"LAG-{self._sequence:04d}", created_at=now)
                self._customers[external_id] = customer
            customer.update({key: value for key, value in given.items() if key in self._fields and key != "metadata"})
            if "timezone" in given and given["timezone"]:
                customer["applicable_timezone"] = given["timezone"]
            customer["updated_at"] = now
            return 200, {"customer": dict(customer)}

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
        page = max(int(arguments.get("page") or 1), 1)
        per_page = max(int(arguments.get("per_page") or 20), 1)
        with self._lock:
            customers = sorted(self._customers.values(), key=lambda c: c["sequential_id"])
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
