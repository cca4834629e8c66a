"""Lago's billing rules as pure functions: billable metric aggregations, charge models, billing periods.

Each rule follows Lago's public documentation (getlago.com/docs, guide/billable-metrics/aggregation-types
and guide/plans/charges/charge-models) and, where the documentation is silent, Lago's own code
(getlago/lago-api, app/services/billable_metrics/aggregations/* and app/services/charge_models/*). No I/O,
no state: LocalLago (lago_dyn.testing) feeds them the events it stored.

Amounts are `Decimal`s in the currency's main unit (EUR, not cents) until `to_cents`.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Sequence

AGGREGATIONS = ("count_agg", "sum_agg", "max_agg", "unique_count_agg", "latest_agg", "weighted_sum_agg")
CHARGE_MODELS = ("standard", "graduated", "volume", "package", "percentage")
#: ISO 4217 currencies without a minor unit (Lago's Money gem: `amount_cents` is then the amount itself).
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND",
                          "VUV", "XAF", "XOF", "XPF"})


@dataclass(frozen=True)
class Event:
    transaction_id: str
    code: str
    timestamp: datetime
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class Aggregate:
    units: Decimal
    events_count: int
    values: tuple[Decimal, ...] = ()  # each counted event's value, in time order (percentage's running total)


def number(value: Any) -> Decimal | None:
    """A property value as Lago reads it (numbers and numeric strings); None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def matching(events: Iterable[Event], code: str, start: datetime, end: datetime,
             filters: Mapping[str, Sequence[str]] | None = None) -> list[Event]:
    """The metric's events in [start, end), in time order; `filters` (property -> accepted values) keep
    only events whose property has one of the values (guide/billable-metrics/filters)."""
    chosen = [e for e in events if e.code == code and start <= e.timestamp < end
              and all(str(e.properties.get(key)) in {str(v) for v in values} for key, values in (filters or {}).items())]
    return sorted(chosen, key=lambda e: e.timestamp)


def aggregate(aggregation: str, events: Sequence[Event], field_name: str | None = None,
              start: datetime | None = None, end: datetime | None = None) -> Aggregate:
    """The billable units of `events` (already the metric's, in the period, in time order)."""
    values = [number(e.properties.get(field_name)) if field_name else None for e in events]
    present = [v for v in values if v is not None]
    if aggregation == "count_agg":
        # COUNT: "the number of times an event is received" (aggregation-types/count).
        return Aggregate(Decimal(len(events)), len(events))
    if aggregation == "sum_agg":
        # SUM: SUM(events.properties.field_name) (aggregation-types/sum: 20 + 10 = 30 units).
        return Aggregate(sum(present, Decimal(0)), len(events), tuple(present))
    if aggregation == "max_agg":
        # MAX: MAX(events.properties.field_name); 0 without events (aggregations/max_service.rb).
        return Aggregate(max(present, default=Decimal(0)), len(events), tuple(present))
    if aggregation == "unique_count_agg":
        # COUNT UNIQUE: COUNT_DISTINCT(events.properties.field_name) (aggregation-types/count-unique).
        distinct = {str(e.properties.get(field_name)) for e in events if e.properties.get(field_name) is not None}
        return Aggregate(Decimal(len(distinct)), len(events))
    if aggregation == "latest_agg":
        # LATEST: the value of the most recent event; 0 without events (aggregation-types/latest).
        return Aggregate(present[-1] if present else Decimal(0), len(events), tuple(present))
    if aggregation == "weighted_sum_agg":
        return Aggregate(_weighted_sum(events, field_name, start, end), len(events), tuple(present))
    raise ValueError(f"unknown aggregation_type {aggregation!r}")


def _weighted_sum(events: Sequence[Event], field_name: str | None, start: datetime | None,
                  end: datetime | None) -> Decimal:
    """WEIGHTED SUM (aggregation-types/weighted-sum, and the aggregation examples page): each event adds
    its value to a running total at its timestamp; each total is weighted by the seconds it lasts, and
    the sum is divided by the period's seconds. Events 10 (Jan 16) and 20 (Jan 17) in a 31-day January:
    (10 x 1 day + 30 x 15 days) / 31 days = 14.84. Not recurring: the period starts from 0."""
    if start is None or end is None or end <= start:
        return Decimal(0)
    total, weighted, cursor = Decimal(0), Decimal(0), start
    for event in events:
        value = number(event.properties.get(field_name)) if field_name else None
        moment = min(max(event.timestamp, start), end)
        weighted += total * Decimal((moment - cursor).total_seconds())
        total += value or Decimal(0)
        cursor = moment
    weighted += total * Decimal((end - cursor).total_seconds())
    return weighted / Decimal((end - start).total_seconds())


def charge_amount(model: str, properties: Mapping[str, Any], result: Aggregate) -> Decimal:
    """What a charge costs for `result`'s units, in the currency's main unit."""
    units = result.units
    props = properties or {}
    if model == "standard":
        # STANDARD: units x amount (charge-models/standard; charge_models/standard_service.rb).
        return units * _d(props.get("amount"))
    if model == "graduated":
        return _graduated(props.get("graduated_ranges") or [], units)
    if model == "volume":
        return _volume(props.get("volume_ranges") or [], units)
    if model == "package":
        # PACKAGE: (units - free_units) rounded up to whole packages x amount; "$5 per 100 units, the first
        # 100 free: 201 units cost $0 + $5 + $5 = $10" (charge-models/package; package_service.rb).
        paid = units - _d(props.get("free_units"))
        size = _d(props.get("package_size")) or Decimal(1)
        if paid <= 0:
            return Decimal(0)
        return Decimal(math.ceil(paid / size)) * _d(props.get("amount"))
    if model == "percentage":
        return _percentage(props, result)
    raise ValueError(f"unknown charge_model {model!r}")


def _graduated(ranges: Sequence[Mapping[str, Any]], units: Decimal) -> Decimal:
    """GRADUATED: each tier prices the units within it, plus its flat amount once reached; "$1 per unit
    for the first 100 units, $0.50 for the next 100, $0.10 after" makes 250 units cost 155
    (charge-models/graduated). Tier bounds as Lago counts them (amount_details/range_graduated_service.rb):
    a tier from 0 holds `to_value` units, a later tier `to - from + 1`, or `to - from` when tiers touch."""
    ordered = sorted(ranges, key=lambda r: _d(r.get("from_value")))
    adjacent = len(ordered) > 1 and all(_d(b.get("from_value")) == _d(a.get("to_value"))
                                        for a, b in zip(ordered, ordered[1:]))
    total = Decimal(0)
    for tier in ordered:
        low, high = _d(tier.get("from_value")), tier.get("to_value")
        top = min(units, _d(high)) if high is not None else units
        in_tier = top if low == 0 else (top - low if adjacent else top - low + 1)
        in_tier = max(in_tier, Decimal(0))
        total += in_tier * _d(tier.get("per_unit_amount")) + _d(tier.get("flat_amount"))
        if high is None or _d(high) >= units:
            break
    return total


def _volume(ranges: Sequence[Mapping[str, Any]], units: Decimal) -> Decimal:
    """VOLUME: the tier the total falls in prices every unit, plus its flat fee; 65,000 calls at
    $0.0006 + $10 = $49 (charge-models/volume; the tier is the one with from <= ceil(units) <= to,
    volume_service.rb)."""
    ordered = sorted(ranges, key=lambda r: _d(r.get("from_value")))
    for tier in ordered:
        high = tier.get("to_value")
        if _d(tier.get("from_value")) <= Decimal(math.ceil(units)) and (high is None or units <= _d(high)):
            return units * _d(tier.get("per_unit_amount")) + _d(tier.get("flat_amount"))
    return Decimal(0)


def _percentage(props: Mapping[str, Any], result: Aggregate) -> Decimal:
    """PERCENTAGE: rate % of the units past the free amount, plus `fixed_amount` per event past the free
    events (charge-models/percentage; percentage_service.rb, without the premium per-transaction min/max)."""
    rate = _d(props.get("rate"))
    fixed = props.get("fixed_amount")
    free_events = int(_d(props.get("free_units_per_events")))
    free_total = _d(props.get("free_units_per_total_aggregation"))
    running, total = [], Decimal(0)
    for value in result.values if free_events or free_total else ():  # Lago keeps a running total only then
        total += value
        running.append(total)
    last = running[-1] if running else Decimal(0)
    if last == 0:
        free_value = Decimal(0)
    elif 0 < free_events < len(running):
        free_value = running[free_events - 1]
    elif free_total == 0 or last <= free_total:
        free_value = last
    else:
        free_value = free_total
    percent = Decimal(0) if free_value > result.units else (result.units - free_value) * rate / 100
    counts = [c for c in (free_events, sum(1 for r in running if r < free_total)) if c]
    free_count = min(counts) if counts else 0
    fixed_total = Decimal(0)
    if fixed is not None and result.units != 0 and free_count < result.events_count:
        fixed_total = (result.events_count - free_count) * _d(fixed)
    return percent + fixed_total


def _d(value: Any) -> Decimal:
    found = number(value)
    return found if found is not None else Decimal(0)


def to_cents(amount: Decimal, currency: str | None) -> int:
    """An amount in the currency's main unit as Lago's integer `*_cents` (half up, as Money rounds)."""
    exponent = 0 if (currency or "").upper() in ZERO_DECIMAL else 2
    return int((amount * (10 ** exponent)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def units_text(units: Decimal) -> str:
    """Units as Lago's answers write them (`"100.0"`)."""
    text = format(units.normalize(), "f") if units != 0 else "0"
    return text if "." in text else text + ".0"


# -- billing periods ------------------------------------------------------------------------------------

def period(interval: str, anchor: datetime, moment: datetime, calendar_billing: bool = True) -> tuple[datetime, datetime]:
    """The billing period [start, end) of a plan `interval` holding `moment`: calendar periods (the first
    of the month, quarter, year, Monday) when `calendar_billing`, else anniversary periods from `anchor`
    (guide/subscriptions/billing-cycle: billing_time calendar or anniversary)."""
    months = {"monthly": 1, "quarterly": 3, "semiannual": 6, "yearly": 12}.get(interval)
    if interval == "weekly":
        base = anchor if not calendar_billing else anchor - timedelta(days=anchor.weekday())
        base = base.replace(hour=0, minute=0, second=0, microsecond=0)
        steps = max((moment - base).days // 7, 0)
        start = base + timedelta(days=7 * steps)
        return start, start + timedelta(days=7)
    months = months or 1
    if calendar_billing:
        first_month = ((moment.month - 1) // months) * months + 1
        start = moment.replace(month=first_month, day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        start = anchor.replace(hour=0, minute=0, second=0, microsecond=0)
        while _add_months(start, months, anchor.day) <= moment:
            start = _add_months(start, months, anchor.day)
    return start, _add_months(start, months, start.day if not calendar_billing else 1)


def _add_months(moment: datetime, months: int, day: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(day, calendar.monthrange(year, month)[1]))


def parse_time(value: Any, default: datetime) -> datetime:
    """An event `timestamp` (Unix seconds, as a number or a string, or ISO 8601) as an aware datetime."""
    if value is None or value == "":
        return default
    found = number(value)
    if found is not None:
        return datetime.fromtimestamp(float(found), timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return default
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def prorated(amount_cents: int, start: datetime, end: datetime, used_from: datetime, used_until: datetime) -> int:
    """A subscription fee for the days used of its period [start, end): the days from `used_from` to
    `used_until`, both included, over the period's days (guide/plans/prorata: by the day)."""
    days = max((end - start).days, 1)
    first = max(used_from, start).date()
    used = min(max((used_until.date() - first).days + 1, 0), days)
    return int((Decimal(amount_cents) * used / days).quantize(Decimal(1), rounding=ROUND_HALF_UP))
