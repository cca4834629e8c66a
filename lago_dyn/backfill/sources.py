"""Where backfilled rows come from, cut into shares: a Parquet file's row groups, a CSV file, or an
in-memory source (an iterable of dicts, a pandas or polars DataFrame).

A share is the unit of work everything else counts in: the checkpoint records batches per share, the
deterministic transaction ids hash the share's source name and the row number, and a Dask run makes one
task of each share. So a share must be readable on its own, by any process that can see the file, and
its rows must come out in the same order with the same numbers every time.

Rows are read in chunks (Parquet by record batches of one row group, CSV by lines), so memory holds a
chunk at a time and never the file. Parquet needs pyarrow (the `backfill` extra); CSV is read with the
standard library's csv module, every cell as text, as the file holds it.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from ..errors import ConfigurationError

#: File name endings read as Parquet and as CSV (a folder is searched for these, recursively).
PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")
CSV_SUFFIXES = (".csv",)
#: The kinds of share; "records" is an in-memory source read in the process that was handed it.
PARQUET, CSV, RECORDS = "parquet", "csv", "records"


@dataclass(frozen=True)
class Share:
    """One unit of work: a Parquet file's row group, a whole CSV file, or an in-memory source.

    `name` identifies the source in transaction ids and checkpoints: a file's path relative to the
    folder it was found in (or its own name when given as a file), so the same export read from another
    mount point or another machine of a Dask cluster gets the same ids. `first_row` is the number, in
    its file, of the share's first row (rows are numbered from 0, a CSV header not counted); `rows` is
    how many it has, when the file says so."""

    name: str
    kind: str
    path: str = ""
    part: int = 0
    first_row: int = 0
    rows: int | None = None

    @property
    def key(self) -> str:
        return f"{self.name}#{self.part}" if self.kind == PARQUET else self.name


def shares_of(source: Any, *, name: str | None = None) -> tuple[list[Share], Any]:
    """The shares of `source` (a path, a list of paths, an iterable of dicts or a DataFrame) and the
    in-memory data they read (None for files). `name` names an in-memory source (default "records")."""
    if isinstance(source, (str, Path)):
        return _file_shares([source]), None
    if isinstance(source, Sequence) and source and all(isinstance(s, (str, Path)) for s in source):
        return _file_shares(list(source)), None
    if _is_dataframe(source) or isinstance(source, Iterable):
        return [Share(name or "records", RECORDS)], source
    raise ConfigurationError(f"backfill: the source is a {type(source).__name__}; expected a Parquet or CSV file "
                             f"or folder, a list of them, an iterable of dicts or a pandas or polars DataFrame")


def read_share(share: Share, chunk_rows: int, columns: Sequence[str] | None, data: Any = None
               ) -> Iterator[list[dict[str, Any]]]:
    """The share's rows, in order, in lists of at most `chunk_rows`; `columns` limits a Parquet read to the
    columns the mapping needs (None: every column)."""
    if share.kind == PARQUET:
        return _parquet_chunks(share, chunk_rows, columns)
    if share.kind == CSV:
        return _chunks(_csv_rows(share.path), chunk_rows)
    return _memory_chunks(data, chunk_rows)


def file_columns(share: Share) -> list[str] | None:
    """The column names of a file share (None for an in-memory one): read from the Parquet footer or the
    CSV header, not from the rows."""
    if share.kind == PARQUET:
        return list(_parquet_file(share.path).schema_arrow.names)
    if share.kind == CSV:
        with open(share.path, newline="", encoding="utf-8") as handle:
            return next(csv.reader(handle), [])
    return None


# -- files ----------------------------------------------------------------------------------------------

def _file_shares(paths: list[str | Path]) -> list[Share]:
    shares: list[Share] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PARQUET_SUFFIXES + CSV_SUFFIXES)
            if not found:
                raise ConfigurationError(f"backfill: the folder {str(given)!r} holds no .parquet or .csv file")
            shares += [s for file in found for s in _shares_of_file(file, file.relative_to(path).as_posix())]
        elif path.is_file():
            shares += _shares_of_file(path, path.name)
        else:
            raise ConfigurationError(f"backfill: the source {str(given)!r} is neither a file nor a folder")
    return shares


def _shares_of_file(path: Path, name: str) -> list[Share]:
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return [Share(name, CSV, str(path))]
    if suffix not in PARQUET_SUFFIXES:
        raise ConfigurationError(f"backfill: {str(path)!r} is neither Parquet ({', '.join(PARQUET_SUFFIXES)}) "
                                 f"nor CSV (.csv)")
    metadata = _parquet_file(path).metadata
    shares, first = [], 0
    for group in range(metadata.num_row_groups):
        rows = metadata.row_group(group).num_rows
        shares.append(Share(name, PARQUET, str(path), group, first, rows))
        first += rows
    return shares


def _parquet_file(path: str | Path) -> Any:
    try:
        import pyarrow.parquet as parquet
    except ImportError:
        raise ConfigurationError("backfill: reading Parquet needs pyarrow (pip install 'lago-dyn[backfill]')") from None
    return parquet.ParquetFile(str(path))


def _parquet_chunks(share: Share, chunk_rows: int, columns: Sequence[str] | None) -> Iterator[list[dict[str, Any]]]:
    handle = _parquet_file(share.path)
    for batch in handle.iter_batches(batch_size=chunk_rows, row_groups=[share.part],
                                     columns=list(columns) if columns is not None else None):
        yield batch.to_pylist()


def _csv_rows(path: str) -> Iterator[dict[str, Any]]:
    with open(path, newline="", encoding="utf-8") as handle:
        yield from csv.DictReader(handle)


# -- in memory -------------------------------------------------------------------------------------------

def _is_dataframe(value: Any) -> bool:
    return _is_pandas(value) or _is_polars(value)


def _is_pandas(value: Any) -> bool:
    return hasattr(value, "iloc") and hasattr(value, "to_dict")


def _is_polars(value: Any) -> bool:
    return hasattr(value, "iter_slices") and hasattr(value, "to_dicts")


def _memory_chunks(data: Any, chunk_rows: int) -> Iterator[list[dict[str, Any]]]:
    if _is_pandas(data):
        for start in range(0, len(data), chunk_rows):
            yield data.iloc[start:start + chunk_rows].to_dict("records")
    elif _is_polars(data):
        for frame in data.iter_slices(chunk_rows):
            yield frame.to_dicts()
    else:
        yield from _chunks(_checked_records(data), chunk_rows)


def _checked_records(rows: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
    for number, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ConfigurationError(f"backfill: row {number} of the source is a {type(row).__name__}, not a dict")
        yield row


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk
