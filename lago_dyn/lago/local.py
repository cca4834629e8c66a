"""Lago as LocalLago plays it: the Lago profile of the generic store (its ids, its create-or-update, its
error bodies) and the rules that make its API bill: references checked, events kept once per
`transaction_id`, current usage computed, invoices issued, webhooks announced.

This module knows Lago, not HTTP: the store (lago_dyn.testing.store.Store) and a `notify(webhook_type,
object_type, object)` callback are handed in, so the layering stays lago below testing. Lago's rules are
cited where they are applied (getlago/lago-api paths, getlago.com/docs pages).
"""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Callable

from . import billing
from .billing import Event

#: The store's "nothing made here" marker (testing.store.MISSING is this object).
MISSING: Any = ...
#: Lago's item path parameters and the record field each names.
KEY_FIELDS = {
    "external_customer_id": "external_id", "external_id": "external_id", "code": "code", "lago_id": "lago_id",
    "charge_code": "code", "fixed_charge_code": "code", "wallet_code": "code", "feature_code": "code",
    "filter_id": "lago_id", "applied_coupon_id": "lago_id", "transaction_id": "transaction_id",
    "privilege_code": "code", "key": "key",
}
#: Resources Lago creates or updates on the same key (api-reference/customers/create: "This endpoint
#: creates a new customer or updates an existing one").
UPSERTED = frozenset({"customer"})


def error(status: int, error_text: str, code: str | None = None, details: Any = None) -> dict[str, Any]:
    """Lago's error body (app/controllers/concerns/api_errors.rb, api_responses.rb)."""
    body: dict[str, Any] = {"status": status, "error": error_text}
    if code is not None:
        body["code"] = code
    if details is not None:
        body["error_details"] = details
    return body


def not_found(resource: str) -> tuple[int, Any]:
    return 404, error(404, "Not Found", f"{resource}_not_found")


def validation_errors(details: Any) -> tuple[int, Any]:
    return 422, error(422, "Unprocessable Entity", "validation_errors", details)


UNAUTHORIZED = error(401, "Unauthorized")


class LagoStoreProfile:
    """The Lago profile of lago_dyn.testing.store (same methods as its StoreProfile)."""

    name = "lago"
    #: Resources LocalLago's Lago rules make (invoices: at termination and at the end of a period).
    created_by_rules = ("invoice",)

    def __init__(self) -> None:
        self.organization_id = str(uuid.uuid4())
        self._lock = threading.Lock()
        self._sequential = 0

    def key_field(self, parameter: str, fields: dict[str, str]) -> str:
        mapped = KEY_FIELDS.get(parameter)
        if mapped in fields:
            return mapped  # type: ignore[return-value]
        if parameter in fields:
            return parameter
        return "lago_id" if "lago_id" in fields else parameter

    def made_value(self, name: str, schema: dict[str, Any], store: Any) -> Any:
        if name == "lago_id":
            return str(uuid.uuid4())
        if name == "lago_organization_id":
            return self.organization_id
        if name in ("created_at", "updated_at") and "date-time" == schema.get("format"):
            return store.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        if name == "sequential_id" and "integer" in _types(schema):
            with self._lock:
                self._sequential += 1
                return self._sequential
        if name == "slug":  # models/customer.rb: the organization's document prefix and the sequential id
            return f"LAG-{self._sequential:03d}"
        if name == "applied_to_organization":
            return False  # a tax is not one of the organization's defaults unless asked (models/tax.rb default)
        if name == "applicable_timezone":
            return "UTC"  # the organization's timezone, UTC unless set (models/customer.rb)
        return MISSING

    def refreshed_on_update(self) -> tuple[str, ...]:
        return ("updated_at",)

    def on_existing(self, resource: Any, key: str) -> str | tuple[int, Any]:
        if resource.name in UPSERTED:
            return "update"
        # app/services/*/create_service.rb: a taken code is `value_already_exist` on that field.
        return validation_errors({key: ["value_already_exist"]})

    def not_found(self, resource: Any) -> tuple[int, Any]:
        return not_found(resource.name)

    def page_of(self, arguments: dict[str, Any]) -> tuple[int, int]:
        return _positive(arguments.get("page"), 1), _positive(arguments.get("per_page"), 20)

    def meta(self, page: int, per_page: int, total: int) -> dict[str, Any]:
        total_pages = max(-(-total // per_page), 1)
        return {"current_page": page, "next_page": page + 1 if page < total_pages else None,
                "prev_page": page - 1 if page > 1 else None, "total_pages": total_pages, "total_count": total}


class LagoRules:
    """The operations LocalLago answers with Lago's own rules rather than the generic store's."""

    def __init__(self, store: Any, notify: Callable[[str, str, dict[str, Any]], None]):
        self.store = store
        self.notify = notify
        self.events: list[Event] = []
        self._event_keys: set[tuple[str | None, str]] = set()
        self._events_by_subscription: dict[str, list[Event]] = {}
        self._event_answers: dict[str, dict[str, Any]] = {}
        self._invoice_number = 0
        self._null_fields: dict[str, frozenset[str]] = {}
        self._tax_codes: dict[tuple[str, str], list[str]] = {}
        #: Per subscription lago_id: (period start, period end, started_at); kept here because older specs
        #: (1.6.4) answer no current_billing_period_* fields, so the record cannot hold them.
        self._periods: dict[str, tuple[datetime, datetime, datetime]] = {}
        self.handlers: dict[str, Callable[[Any, dict[str, Any]], Any]] = {}
        # Each rule, and what the spec must have for it (a spec of the Customers API alone keeps the
        # examples for current usage: it cannot make the subscription usage is about).
        needs = {"create_customer": ("customer",), "create_plan": ("plan", "billable_metric"),
                 "update_plan": ("plan", "billable_metric"), "create_subscription": ("subscription", "plan", "customer"),
                 "find_subscription": ("subscription",), "destroy_subscription": ("subscription",),
                 "create_event": ("subscription",), "create_batch_events": ("subscription",),
                 "find_event": ("subscription",), "find_all_events": ("subscription",),
                 "find_customer_current_usage": ("subscription", "plan", "customer"),
                 "apply_coupon": ("applied_coupon", "coupon", "customer")}
        for name, resources in needs.items():
            if name in store.spec.operations and all(r in store.resources for r in resources):
                self.handlers[name] = getattr(self, name)

    def now(self) -> datetime:
        return self.store.clock.now()

    # -- helpers over the store ------------------------------------------------------------------------

    def _resource(self, name: str) -> Any:
        return self.store.resources.get(name)

    def _find(self, name: str, field: str, value: Any, where: Callable[[dict[str, Any]], bool] | None = None) -> Any:
        resource = self._resource(name)
        for entry in (resource.entries if resource is not None else ()):
            if entry.record.get(field) == value and (where is None or where(entry.record)):
                return entry
        return None

    def _body(self, arguments: dict[str, Any], key: str) -> dict[str, Any]:
        body = arguments.get("body")
        inner = body.get(key) if isinstance(body, dict) else None
        return dict(inner) if isinstance(inner, dict) else {}

    # -- customers ---------------------------------------------------------------------------------------

    def create_customer(self, operation: Any, arguments: dict[str, Any]) -> Any:
        given = self._body(arguments, "customer")
        external_id = given.get("external_id")
        existed = self._find("customer", "external_id", external_id) is not None
        made: dict[str, Any] = {}
        if given.get("timezone"):
            made["applicable_timezone"] = given["timezone"]
        if "tax_codes" in given:
            taxes = self._taxes(given.get("tax_codes"))
            if taxes is None:
                return not_found("tax")
            made["taxes"] = taxes
            self._tax_codes[("customer", str(external_id))] = [t["code"] for t in taxes]
        answer = self.store.handle(operation, arguments, made)
        if answer is not None and answer[0] == 200:
            customer = answer[1]["customer"]
            self.notify("customer.updated" if existed else "customer.created", "customer", customer)
        return answer

    # -- taxes (guide/taxes: a plan's taxes, else the customer's, else the organization's defaults) -------

    def _taxes(self, codes: Any) -> list[dict[str, Any]] | None:
        """The taxes named by `tax_codes`; None if one does not exist (taxes/*: tax_not_found). A spec
        without taxes (the Customers spec) cannot make one, so there its codes are taken as they come."""
        if self._resource("tax") is None:
            return []
        found = []
        for code in codes or ():
            entry = self._find("tax", "code", code)
            if entry is None:
                return None
            found.append(dict(entry.record))
        return found

    def applicable_taxes(self, subscription: dict[str, Any]) -> list[dict[str, Any]]:
        """The taxes on a subscription's fees: its plan's, else its customer's, else those applied to the
        organization (simplified from Lago's charge > plan > customer > billing entity precedence)."""
        for key in (("plan", str(subscription.get("plan_code"))), ("customer", str(subscription.get("external_customer_id")))):
            if key in self._tax_codes:
                return [e.record for code in self._tax_codes[key] if (e := self._find("tax", "code", code))]
        return [e.record for e in getattr(self._resource("tax"), "entries", ()) if e.record.get("applied_to_organization")]

    def _new_customer(self, external_id: str) -> dict[str, Any]:
        """Lago creates the customer a subscription names if it does not exist (api/v1/subscriptions_
        controller.rb: Customer.find_or_initialize_by(external_id: ...))."""
        record = self.store.insert(self._resource("customer"), {"external_id": external_id})
        self.notify("customer.created", "customer", record)
        return record

    # -- coupons: an applied coupon names an existing customer and coupon ---------------------------------

    def apply_coupon(self, operation: Any, arguments: dict[str, Any]) -> Any:
        given = self._body(arguments, "applied_coupon")
        # applied_coupons/create_service.rb: not_found_failure!(resource: "customer") / ("coupon").
        customer = self._find("customer", "external_id", given.get("external_customer_id"))
        if customer is None:
            return not_found("customer")
        coupon = self._find("coupon", "code", given.get("coupon_code"))
        if coupon is None:
            return not_found("coupon")
        copied = {k: coupon.record.get(k) for k in ("amount_cents", "amount_currency", "percentage_rate", "frequency",
                                                     "frequency_duration", "coupon_type") if k in coupon.record}
        record = {**copied, **given, "lago_coupon_id": coupon.record.get("lago_id"),
                  "coupon_code": coupon.record.get("code"), "coupon_name": coupon.record.get("name"),
                  "lago_customer_id": customer.record.get("lago_id"), "status": "active"}
        applied = self.store.insert(self._resource("applied_coupon"), record,
                                    {"external_customer_id": customer.record.get("external_id")})
        return 200, {"applied_coupon": dict(applied)}

    # -- plans: charges name existing billable metrics ------------------------------------------------------

    def create_plan(self, operation: Any, arguments: dict[str, Any]) -> Any:
        plan = self._body(arguments, "plan")
        charges = []
        for charge in plan.get("charges") or ():
            if not isinstance(charge, dict):
                continue
            # app/services/charges/create_service.rb: not_found_failure!(resource: "billable_metric").
            metric = self._find("billable_metric", "code", charge.get("billable_metric_code")) \
                or self._find("billable_metric", "lago_id", charge.get("billable_metric_id"))
            if metric is None:
                return not_found("billable_metric")
            made = {"lago_id": charge.get("id") or str(uuid.uuid4()), "lago_billable_metric_id": metric.record["lago_id"],
                    "billable_metric_code": metric.record["code"], "invoiceable": True, "pay_in_advance": False,
                    "prorated": False, "min_amount_cents": 0, "properties": {}, "filters": [], "taxes": []}
            charges.append({**made, **{k: v for k, v in charge.items() if k not in ("id", "billable_metric_id")}})
        made: dict[str, Any] = {}
        if "charges" in plan:
            made["charges"] = charges
        if "tax_codes" in plan:
            taxes = self._taxes(plan.get("tax_codes"))
            if taxes is None:
                return not_found("tax")
            made["taxes"] = taxes
            self._tax_codes[("plan", str(plan.get("code") or arguments.get("code")))] = [t["code"] for t in taxes]
        answer = self.store.handle(operation, arguments, made)
        if answer is not None and answer[0] == 200:
            self.notify("plan.created" if operation.name == "create_plan" else "plan.updated", "plan", answer[1]["plan"])
        return answer

    update_plan = create_plan

    # -- subscriptions ---------------------------------------------------------------------------------

    def create_subscription(self, operation: Any, arguments: dict[str, Any]) -> Any:
        given = self._body(arguments, "subscription")
        # Subscriptions: the plan must exist (404 plan_not_found); the customer is made if it does not.
        plan = self._find("plan", "code", given.get("plan_code"))
        if plan is None:
            return not_found("plan")
        external_customer_id = str(given.get("external_customer_id") or "").strip()
        if not external_customer_id:
            return validation_errors({"external_customer_id": ["value_is_mandatory"]})
        customer_entry = self._find("customer", "external_id", external_customer_id)
        customer = customer_entry.record if customer_entry is not None else self._new_customer(external_customer_id)
        external_id = str(given.get("external_id") or external_customer_id)
        current = self._find("subscription", "external_id", external_id, lambda s: s.get("status") == "active")
        if current is not None:
            if current.record.get("plan_code") == plan.record["code"]:
                return 200, {"subscription": dict(current.record)}  # the same subscription, asked again
            return validation_errors({"external_id": ["value_already_exist"]})  # plan changes: not simulated
        now = self.now()
        starts = billing.parse_time(given.get("subscription_at"), now)
        billing_time = given.get("billing_time") or "calendar"
        status = "pending" if starts > now else "active"
        start, end = billing.period(plan.record.get("interval") or "monthly", starts, max(starts, now),
                                    billing_time == "calendar")
        record = {
            **{k: v for k, v in given.items() if k not in ("plan_overrides",)},
            "external_id": external_id, "external_customer_id": external_customer_id,
            "lago_customer_id": customer["lago_id"], "plan_code": plan.record["code"], "status": status,
            "billing_time": billing_time, "subscription_at": _iso(starts),
            "started_at": _iso(starts) if status == "active" else None,
            "current_billing_period_started_at": _iso(start), "current_billing_period_ending_at": _iso(end),
            "plan_amount_cents": plan.record.get("amount_cents"), "plan_amount_currency": plan.record.get("amount_currency"),
            "name": given.get("name") or "",
        }
        subscription = self.store.insert(self._resource("subscription"), record)
        self._periods[str(subscription.get("lago_id"))] = (start, end, starts)
        if status == "active":
            self.notify("subscription.started", "subscription", subscription)
        return 200, {"subscription": dict(subscription)}

    def find_subscription(self, operation: Any, arguments: dict[str, Any]) -> Any:
        # api/v1/subscriptions_controller.rb#show: the subscription with that status, active by default.
        wanted = arguments.get("status") or "active"
        found = self._find("subscription", "external_id", arguments.get("external_id"), lambda s: s.get("status") == wanted)
        return (200, {"subscription": dict(found.record)}) if found is not None else not_found("subscription")

    def destroy_subscription(self, operation: Any, arguments: dict[str, Any]) -> Any:
        # api/v1/subscriptions_controller.rb#terminate: the active one (or the pending one, status=pending).
        wanted = "pending" if arguments.get("status") == "pending" else "active"
        found = self._find("subscription", "external_id", arguments.get("external_id"), lambda s: s.get("status") == wanted)
        if found is None:
            return not_found("subscription")
        now = self.now()
        subscription = found.record
        subscription.update(status="terminated", terminated_at=_iso(now))
        if "updated_at" in subscription:
            subscription["updated_at"] = _iso(now)
        on_invoice = arguments.get("on_termination_invoice") or subscription.get("on_termination_invoice")
        self.notify("subscription.terminated", "subscription", subscription)
        if wanted == "active" and on_invoice != "skip":
            start, end = self.period_of(subscription)
            self.issue_invoice(subscription, start, end, until=now)
        return 200, {"subscription": dict(subscription)}

    def period_of(self, subscription: dict[str, Any]) -> tuple[datetime, datetime]:
        kept = self._periods.get(str(subscription.get("lago_id")))
        if kept is not None:
            return kept[0], kept[1]
        now = self.now()
        return (billing.parse_time(subscription.get("current_billing_period_started_at"), now),
                billing.parse_time(subscription.get("current_billing_period_ending_at"), now))

    def _started(self, subscription: dict[str, Any]) -> datetime:
        kept = self._periods.get(str(subscription.get("lago_id")))
        return kept[2] if kept is not None else billing.parse_time(subscription.get("started_at"), self.now())

    def tick(self) -> None:
        """After the clock moved: pending subscriptions start, ended periods are invoiced (in arrears)."""
        now = self.now()
        for entry in list(getattr(self._resource("subscription"), "entries", ())):
            subscription = entry.record
            if subscription.get("status") == "pending" and billing.parse_time(subscription.get("subscription_at"), now) <= now:
                subscription.update(status="active", started_at=subscription.get("subscription_at"))
                self.notify("subscription.started", "subscription", subscription)
            while subscription.get("status") == "active":
                start, end = self.period_of(subscription)
                if end > now:
                    break
                self.issue_invoice(subscription, start, end, until=end - timedelta(seconds=1))
                plan = self._find("plan", "code", subscription.get("plan_code"))
                interval = plan.record.get("interval") if plan is not None else "monthly"
                calendar = subscription.get("billing_time") != "anniversary"
                anchor = billing.parse_time(subscription.get("subscription_at"), end)
                next_start, next_end = billing.period(interval or "monthly", anchor, end, calendar)
                self._periods[str(subscription.get("lago_id"))] = (next_start, next_end, self._started(subscription))
                for name, moment in (("current_billing_period_started_at", next_start),
                                     ("current_billing_period_ending_at", next_end)):
                    if name in subscription:
                        subscription[name] = _iso(moment)

    # -- events ----------------------------------------------------------------------------------------

    def _event(self, given: dict[str, Any], now: datetime | None = None,
               subscriptions: dict[Any, Any] | None = None) -> tuple[Event, dict[str, Any]]:
        now = now or self.now()
        moment = billing.parse_time(given.get("timestamp"), now)
        properties = given.get("properties") if isinstance(given.get("properties"), dict) else {}
        event = Event(str(given.get("transaction_id")), str(given.get("code")), moment, properties)
        subscription_id = given.get("external_subscription_id")
        cache = subscriptions if subscriptions is not None else {}
        if subscription_id not in cache:
            cache[subscription_id] = self._find("subscription", "external_id", subscription_id,
                                                lambda s: s.get("status") in ("active", "pending")) if subscription_id else None
        subscription = cache[subscription_id]
        answer = {
            "lago_id": str(uuid.uuid4()), "transaction_id": event.transaction_id,
            "lago_customer_id": subscription.record.get("lago_customer_id") if subscription else None,
            "code": event.code, "timestamp": None if moment is now else moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "precise_total_amount_cents": given.get("precise_total_amount_cents"),
            "properties": dict(properties), "lago_subscription_id": subscription.record.get("lago_id") if subscription else None,
            "external_subscription_id": subscription_id, "created_at": _iso(now),
        }
        if moment is now:
            answer["timestamp"] = answer["created_at"][:-1] + ".000Z"
        return event, answer

    def _keep(self, event: Event, answer: dict[str, Any]) -> None:
        self.events.append(event)
        self._event_keys.add((answer["external_subscription_id"], event.transaction_id))
        self._events_by_subscription.setdefault(str(answer["external_subscription_id"]), []).append(event)
        self._event_answers[event.transaction_id] = answer
        if self._find("billable_metric", "code", event.code) is None or answer["lago_subscription_id"] is None:
            # Lago accepts the event and reports it later (webhooks: event.error, "invalid_code" /
            # subscription not found); the event is kept, and counts for no charge.
            problem = "invalid_code" if answer["lago_subscription_id"] else "subscription_not_found"
            self.notify("event.error", "event_error", {"error": problem, "status": 422, "message": problem,
                                                        "event": dict(answer)})

    @property
    def transaction_ids(self) -> frozenset[str]:
        """The distinct transaction ids of the events kept."""
        return frozenset(transaction_id for _, transaction_id in self._event_keys)

    def create_event(self, operation: Any, arguments: dict[str, Any]) -> Any:
        given = self._body(arguments, "event")
        event, answer = self._event(given)
        with self.store.lock:
            # events/create_service.rb: a transaction_id already received for the subscription is
            # `value_already_exist` (422), and the event is not counted again.
            if (answer["external_subscription_id"], event.transaction_id) in self._event_keys:
                return validation_errors({"transaction_id": ["value_already_exist"]})
            self._keep(event, answer)
        return 200, self._created({"event": dict(answer)}, operation)

    def _created(self, body: dict[str, Any], operation: Any) -> dict[str, Any]:
        """The create answer as the spec has it: Lago answers before processing an event, so the ids it
        resolves later (`lago_customer_id`, ...) are null there when the spec says so."""
        uri = operation.responses["200"].content.get("application/json")
        if not uri:
            return body
        items = body.get("events") if "events" in body else [body.get("event")]
        if not items:
            return body
        nulls = self._null_fields.get(operation.name)
        if nulls is None:  # learnt once per operation: the fields its answer wants null, found by fitting
            sample = {k: dict(v) for k, v in body.items()} if "event" in body else {"events": [dict(items[0])]}
            fitted = self.store.fit(sample, uri)
            first = fitted["event"] if "event" in fitted else fitted["events"][0]
            nulls = self._null_fields[operation.name] = frozenset(
                k for k, v in items[0].items() if first.get(k) is None and v is not None)
        for item in items:
            for name in nulls:
                item[name] = None
        return body if not self.store.validators.violations(uri, body, "", "read") else self.store.fit(body, uri)

    def create_batch_events(self, operation: Any, arguments: dict[str, Any]) -> Any:
        body = arguments.get("body") if isinstance(arguments.get("body"), dict) else {}
        items = [e for e in body.get("events") or () if isinstance(e, dict)]
        now, subscriptions = self.now(), {}
        made = [self._event(given, now, subscriptions) for given in items]
        with self.store.lock:
            # events/create_batch_service.rb: any transaction_id already received (or twice in the
            # batch) fails the whole batch, each one reported at its index; nothing is stored.
            in_batch: set[tuple[str | None, str]] = set()
            problems = {}
            for index, (event, answer) in enumerate(made):
                key = (answer["external_subscription_id"], event.transaction_id)
                if key in self._event_keys or key in in_batch:
                    problems[str(index)] = {"transaction_id": ["value_already_exist"]}
                in_batch.add(key)
            if problems:
                return validation_errors(problems)
            for event, answer in made:
                self._keep(event, answer)
        return 200, self._created({"events": [dict(answer) for _, answer in made]}, operation)

    def find_event(self, operation: Any, arguments: dict[str, Any]) -> Any:
        answer = self._event_answers.get(str(arguments.get("transaction_id")))
        return (200, {"event": dict(answer)}) if answer is not None else not_found("event")

    def find_all_events(self, operation: Any, arguments: dict[str, Any]) -> Any:
        chosen = [a for a in self._event_answers.values()
                  if all(arguments.get(k) in (None, a.get(k)) for k in ("external_subscription_id", "code"))]
        page, per_page = _positive(arguments.get("page"), 1), _positive(arguments.get("per_page"), 20)
        meta = LagoStoreProfile.meta(LagoStoreProfile, page, per_page, len(chosen))  # type: ignore[arg-type]
        return 200, {"events": [dict(a) for a in chosen[(page - 1) * per_page: page * per_page]], "meta": meta}

    # -- usage and invoices ------------------------------------------------------------------------------

    def charges_usage(self, subscription: dict[str, Any], start: datetime, end: datetime) -> tuple[list[dict[str, Any]], str]:
        plan = self._find("plan", "code", subscription.get("plan_code"))
        currency = (plan.record.get("amount_currency") if plan else None) or "USD"
        events = self._events_by_subscription.get(str(subscription.get("external_id")), [])
        usage = []
        for charge in (plan.record.get("charges") or []) if plan else []:
            metric_entry = self._find("billable_metric", "code", charge.get("billable_metric_code"))
            if metric_entry is None:
                continue
            metric = metric_entry.record
            chosen = billing.matching(events, metric["code"], start, end)
            result = billing.aggregate(metric.get("aggregation_type") or "count_agg", chosen,
                                       metric.get("field_name"), start, end)
            amount = billing.charge_amount(charge.get("charge_model") or "standard", charge.get("properties") or {}, result)
            usage.append({"charge": charge, "metric": metric, "units": result.units, "events_count": result.events_count,
                          "amount_cents": billing.to_cents(amount, currency), "currency": currency})
        return usage, currency

    def find_customer_current_usage(self, operation: Any, arguments: dict[str, Any]) -> Any:
        customer = self._find("customer", "external_id", arguments.get("external_customer_id"))
        if customer is None:
            return not_found("customer")
        subscription = self._find("subscription", "external_id", arguments.get("external_subscription_id"),
                                  lambda s: s.get("status") == "active"
                                  and s.get("external_customer_id") == customer.record["external_id"])
        if subscription is None:
            return not_found("subscription")
        start, end = self.period_of(subscription.record)
        usage, currency = self.charges_usage(subscription.record, start, end)
        total = sum(u["amount_cents"] for u in usage)
        rate = sum((Decimal(str(t.get("rate") or 0)) for t in self.applicable_taxes(subscription.record)), Decimal(0))
        taxes_cents = sum(billing.to_cents(Decimal(u["amount_cents"]) * rate / 10000, currency) for u in usage)
        body = {
            "from_datetime": _iso(start), "to_datetime": _iso(end), "issuing_date": end.date().isoformat(),
            "currency": currency, "amount_cents": total, "taxes_amount_cents": taxes_cents,
            "total_amount_cents": total + taxes_cents,
            "lago_invoice_id": None,
            "charges_usage": [{
                "units": billing.units_text(u["units"]), "total_aggregated_units": billing.units_text(u["units"]),
                "events_count": u["events_count"],
                "amount_cents": u["amount_cents"], "amount_currency": currency,
                "charge": {"lago_id": u["charge"].get("lago_id"), "charge_model": u["charge"].get("charge_model"),
                           "invoice_display_name": u["charge"].get("invoice_display_name")},
                "billable_metric": {k: u["metric"].get(k) for k in ("lago_id", "name", "code", "aggregation_type")},
                "filters": [], "grouped_usage": [],
            } for u in usage],
        }
        uri = self.store.spec.operations[operation.name].responses["200"].content["application/json"]
        answer = self.store.complete({"customer_usage": body}, uri)
        return 200, self.store.fit(answer, uri)

    def issue_invoice(self, subscription: dict[str, Any], start: datetime, end: datetime, until: datetime) -> dict[str, Any] | None:
        """An invoice for the subscription's period so far: the subscription fee (prorated by the day,
        guide/plans/prorata) and one fee per charge (`item.type: charge`), taxed by `applicable_taxes`; no
        coupons, credits or wallets."""
        resource = self._resource("invoice")
        if resource is None:
            return None
        plan_entry = self._find("plan", "code", subscription.get("plan_code"))
        plan = plan_entry.record if plan_entry is not None else {}
        usage, currency = self.charges_usage(subscription, start, min(end, until + timedelta(seconds=1)))
        currency = plan.get("amount_currency") or currency
        now = self.now()
        started = self._started(subscription)
        fee_cents = billing.prorated(int(plan.get("amount_cents") or 0), start, end, started, until)
        fees = [_fee("subscription", plan.get("code"), plan.get("name"), subscription.get("lago_id"), fee_cents,
                     currency, units="1.0", events_count=None, start=start, end=end)]
        for u in usage:
            fees.append(_fee("charge", u["metric"]["code"], u["metric"].get("name"), u["charge"].get("lago_id"),
                             u["amount_cents"], currency, units=billing.units_text(u["units"]),
                             events_count=u["events_count"], start=start, end=end))
        taxes = self.applicable_taxes(subscription)
        for fee in fees:
            _tax(fee, taxes, currency)
        total = sum(f["amount_cents"] for f in fees)
        taxes_cents = sum(f["taxes_amount_cents"] for f in fees)
        customer_entry = self._find("customer", "external_id", subscription.get("external_customer_id"))
        self._invoice_number += 1
        invoice = {
            "number": f"LAG-{self._invoice_number:04d}", "issuing_date": now.date().isoformat(),
            "invoice_type": "subscription", "status": "finalized", "payment_status": "pending", "currency": currency,
            "fees_amount_cents": total, "taxes_amount_cents": taxes_cents, "coupons_amount_cents": 0,
            "credit_notes_amount_cents": 0, "prepaid_credit_amount_cents": 0,
            "progressive_billing_credit_amount_cents": 0, "sub_total_excluding_taxes_amount_cents": total,
            "sub_total_including_taxes_amount_cents": total + taxes_cents, "total_amount_cents": total + taxes_cents,
            "version_number": 4,
            "customer": dict(customer_entry.record) if customer_entry is not None else None,
            "subscriptions": [dict(subscription)], "fees": fees, "credits": [], "metadata": [],
            "applied_taxes": [{"lago_id": str(uuid.uuid4()), "lago_tax_id": t.get("lago_id"), "tax_name": t.get("name"),
                               "tax_code": t.get("code"), "tax_rate": t.get("rate"), "amount_currency": currency,
                               "amount_cents": sum(f["taxes_amount_cents"] for f in fees) if len(taxes) == 1 else
                               sum(billing.to_cents(Decimal(f["amount_cents"]) / 100 * Decimal(str(t.get("rate") or 0)) / 100,
                                                    currency) for f in fees)} for t in taxes],
        }
        record = self.store.insert(resource, invoice, {"external_customer_id": subscription.get("external_customer_id")})
        self.notify("invoice.created", "invoice", record)
        return record


def _fee(kind: str, code: Any, name: Any, item_id: Any, cents: int, currency: str, *, units: str,
         events_count: int | None, start: datetime, end: datetime) -> dict[str, Any]:
    unit_amount = Decimal(cents) / 100 / Decimal(units) if Decimal(units) else Decimal(0)
    return {
        "lago_id": str(uuid.uuid4()),
        "item": {"type": kind, "code": code, "name": name, "lago_item_id": item_id, "item_type": _item_type(kind)},
        "amount_cents": cents, "amount_currency": currency, "taxes_amount_cents": 0, "taxes_rate": 0,
        "taxes_precise_amount": "0.0", "total_amount_cents": cents, "total_amount_currency": currency,
        "sub_total_excluding_taxes_amount_cents": cents, "sub_total_excluding_taxes_precise_amount_cents": f"{cents}.0",
        "units": units, "total_aggregated_units": units, "events_count": events_count,
        "precise_unit_amount": format(unit_amount.normalize(), "f"), "pay_in_advance": False, "invoiceable": True,
        "from_date": _iso(start), "to_date": _iso(end), "payment_status": "pending",
        "precise_amount": format(Decimal(cents) / 100, "f"), "precise_total_amount": format(Decimal(cents) / 100, "f"),
        "applied_taxes": [],
    }


def _tax(fee: dict[str, Any], taxes: list[dict[str, Any]], currency: str) -> None:
    """A fee's taxes: the sum of the rates on its amount, rounded half up (fees/apply_taxes_service.rb)."""
    rate = sum((Decimal(str(t.get("rate") or 0)) for t in taxes), Decimal(0))
    cents = billing.to_cents(Decimal(fee["amount_cents"]) * rate / 100 / (100 if currency.upper() not in billing.ZERO_DECIMAL else 1), currency)
    fee.update(taxes_rate=float(rate), taxes_amount_cents=cents, total_amount_cents=fee["amount_cents"] + cents,
               taxes_precise_amount=format(Decimal(cents) / 100, "f"),
               applied_taxes=[{"lago_tax_id": t.get("lago_id"), "tax_name": t.get("name"), "tax_code": t.get("code"),
                               "tax_rate": t.get("rate"), "amount_currency": currency} for t in taxes])


def _item_type(kind: str) -> str:
    return {"subscription": "Subscription", "charge": "BillableMetric"}.get(kind, kind)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _types(schema: Any) -> tuple[str, ...]:
    declared = schema.get("type") if isinstance(schema, dict) else None
    return tuple(declared) if isinstance(declared, list) else ((declared,) if declared else ())


def _positive(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else default
