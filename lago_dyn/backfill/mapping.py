"""How a source row becomes a Lago event: a column mapping (`transaction_id=id,code=metric,
properties.region=region`), a default per field, and a deterministic `transaction_id` for a row that
has none.

The id is what makes a rerun safe: it is the hash of the source's name, the row's number and the
event's mapped content, so the same row read again (after a crash, on another Dask worker) gets the same
id, and Lago, which keeps one event per transaction id, drops the second copy.
"""

from __future__ import annotations

import datetime
import decimal
import hashlib
import json
import math
from typing import Any, Iterable, Mapping

from ..errors import ConfigurationError

#: The prefix of the ids the backfill makes (so they can be told from the source's own).
ID_PREFIX = "bf-"


class FieldMapping:
    """Event fields by column: `{"transaction_id": "id", "properties.region": "region"}` or the same as
    text, `"transaction_id=id,properties.region=region"` (FIELD=COLUMN, as keyword arguments read).

    A field with no mapping takes the column of its own name when there is one (`code` from a `code`
    column). An empty cell (None, "", NaN) is no value: the field's default applies, else the field is
    left out (and validation says so when it is required). `defaults` are values by field
    (`{"code": "api_calls"}`), used for any row whose column is empty or absent."""

    def __init__(self, columns: Mapping[str, str] | str | None = None, defaults: Mapping[str, Any] | None = None,
                 *, fields: Iterable[str] = ()):
        self.columns = dict(parse_pairs(columns, "mapping")) if isinstance(columns, str) else dict(columns or {})
        self.defaults = dict(defaults or {})
        declared = tuple(fields)
        for field in (*self.columns, *self.defaults):
            top = field.split(".", 1)[0]
            if declared and top not in declared:
                from ..suggest import did_you_mean

                raise ConfigurationError(f"backfill: {field!r} is not a field of a Lago event (the spec's event has "
                                         f"{', '.join(declared)}){did_you_mean(top, declared)}")
            if "." in field and top != "properties":
                raise ConfigurationError(f"backfill: {field!r}: only properties.NAME may name a nested field")
        #: (path, column) for each field read from a column, mapped or of the field's own name, in the order
        #: of the paths: an event's keys come out in one order however the mapping was written, so its
        #: transaction id does not depend on that.
        reads = {tuple(field.split(".")): column for field, column in self.columns.items()}
        mapped_tops = {path[0] for path in reads}
        reads.update({(name,): name for name in declared if name not in mapped_tops})
        self._reads = sorted(reads.items())
        self._defaults = sorted((tuple(field.split(".")), value) for field, value in self.defaults.items())

    def needed_columns(self, available: Iterable[str]) -> list[str]:
        """The columns of `available` that the mapping reads (for reading only those of a Parquet file)."""
        wanted = {column for _, column in self._reads}
        return [name for name in available if name in wanted]

    def missing_columns(self, available: Iterable[str]) -> list[str]:
        """Mapped columns a file lacks (a column of a field's own name is optional, a mapped one is not)."""
        present = set(available)
        return [column for column in self.columns.values() if column not in present]

    def event(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The event for `row`: mapped values, then defaults where the row had none."""
        event: dict[str, Any] = {}
        get = row.get
        for path, column in self._reads:  # the per-row loop of a backfill: kept to plain operations
            value = get(column)
            if value is None or value == "":
                continue
            if value.__class__ is not str:
                if isinstance(value, float) and math.isnan(value):
                    continue
                value = _json_value(value, path)
            if len(path) == 1:
                event[path[0]] = value
            else:
                _put(event, path, value)
        for path, value in self._defaults:
            if _get(event, path) is None:
                _put(event, path, value)
        return event


def parse_pairs(text: str | Iterable[str], what: str) -> list[tuple[str, str]]:
    """`"a=x,b=y"` (or several such texts) as [("a", "x"), ("b", "y")]; a ConfigurationError naming
    the pair that has no `=`."""
    texts = [text] if isinstance(text, str) else list(text)
    pairs = []
    for part in (p.strip() for t in texts for p in t.split(",")):
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise ConfigurationError(f"backfill: the {what} {part!r} is not FIELD=VALUE")
        pairs.append((name.strip(), value.strip()))
    return pairs


def transaction_id(source: str, row: int, event: Mapping[str, Any]) -> str:
    """The deterministic id of the row numbered `row` of `source` whose event (without a transaction id)
    is `event`: the same inputs give the same id in any process, on any machine. The event's keys are
    hashed in their order, which `FieldMapping.event` makes the same for every run of a mapping."""
    try:  # json's cached encoder (no options) is the fast one; keys are in one order already (FieldMapping)
        content = json.dumps([source, row, event])
    except TypeError:
        content = json.dumps([source, row, event], default=str)
    digest = hashlib.blake2b(content.encode(), digest_size=16).hexdigest()
    return ID_PREFIX + digest


def _json_value(value: Any, path: tuple[str, ...]) -> Any:
    """A cell as JSON data: a datetime is Unix seconds for `timestamp` (Lago's form, with milliseconds
    when it has them) and ISO 8601 elsewhere; a Decimal its digits; a numpy or Arrow scalar its Python
    value; the id of an integer column a string (the spec's `transaction_id` is a string)."""
    if isinstance(value, (str, bool, float)):
        return value
    if isinstance(value, int):
        return str(value) if path == ("transaction_id",) else value
    if isinstance(value, datetime.datetime):
        if path != ("timestamp",):
            return value.isoformat()
        moment = value if value.tzinfo is not None else value.replace(tzinfo=datetime.timezone.utc)
        seconds = moment.timestamp()
        return int(seconds) if seconds == int(seconds) else f"{seconds:.3f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    item = getattr(value, "item", None)  # numpy scalars (pandas); pyarrow's to_pylist gives Python values
    if callable(item):
        return _json_value(item(), path)
    return value


def _put(event: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = event
    for part in path[:-1]:
        target = target.setdefault(part, {})
    target[path[-1]] = value


def _get(event: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = event
    for part in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
