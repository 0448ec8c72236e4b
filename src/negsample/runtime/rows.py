"""Rows read in fixed-size chunks and in a fixed order, from pandas or from DuckDB.

The fits in negsample.runtime.fit make several passes over their rows and sum per
chunk, so they never hold the whole sample. Two things keep the sums the same
bits from run to run: the rows come sorted by a unique key, and every chunk
but the last has exactly ``chunk_rows`` rows, whatever batch sizes the
warehouse hands over.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa

CHUNK_ROWS = 1 << 18
#: Bytes of chunks a streamed source keeps after its first pass, so that the
#: later passes of a fit (one per Newton step) read memory instead of running
#: the ordered query again. A larger sample streams every pass, as it did.
MEMORY_BUDGET = 512 << 20


def to_pandas(frame: object) -> pd.DataFrame:
    """A pandas copy of what ``dbt.ref()`` returns in a Python model, on any adapter.

    DuckDB hands over a relation (``.df()``), Spark and Databricks a Spark
    DataFrame (``.toPandas()``), Snowflake a Snowpark DataFrame (``.to_pandas()``).
    """
    if isinstance(frame, pd.DataFrame):
        return frame
    for method in ("df", "toPandas", "to_pandas"):
        convert = getattr(frame, method, None)
        if callable(convert):
            return convert()
    raise TypeError(f"cannot turn a {type(frame).__name__} into a pandas DataFrame")


@dataclass(frozen=True)
class Rows:
    """A re-readable source of row chunks; each call of ``chunks()`` is one pass."""

    chunks: Callable[[], Iterator[pd.DataFrame]]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _frame_chunks(frame: pd.DataFrame, chunk_rows: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(frame), chunk_rows):
        yield frame.iloc[start : start + chunk_rows]


def _exact_chunks(batches: Iterator[pa.RecordBatch], chunk_rows: int) -> Iterator[pd.DataFrame]:
    """Re-cut Arrow batches of any sizes into chunks of exactly ``chunk_rows`` rows."""
    pending: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        pending.append(batch)
        count += batch.num_rows
        while count >= chunk_rows:
            table = pa.Table.from_batches(pending)
            yield table.slice(0, chunk_rows).to_pandas()
            rest = table.slice(chunk_rows)
            pending, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(pending).to_pandas()


def _kept_in_memory(
    stream: Callable[[], Iterator[pd.DataFrame]], budget: int
) -> Callable[[], Iterator[pd.DataFrame]]:
    """``stream``, whose first pass is kept in memory when it fits in ``budget`` bytes.

    Later passes replay the kept chunks: the same chunks, in the same order,
    hence the same sums, without reading the source again.
    """
    kept: list[pd.DataFrame] | None = None

    def chunks() -> Iterator[pd.DataFrame]:
        nonlocal kept
        if kept is not None:
            yield from kept
            return
        collected: list[pd.DataFrame] | None = []
        size = 0
        for chunk in stream():
            if collected is not None:
                size += int(chunk.memory_usage(deep=True).sum())
                collected = collected + [chunk] if size <= budget else None
            yield chunk
        kept = collected

    return chunks


def rows_of(
    data: object,
    order_by: str | None = None,
    columns: Sequence[str] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    where: str | None = None,
) -> Rows:
    """``data`` as chunked rows, sorted by ``order_by`` (a unique key) when given.

    A DuckDB relation (what ``dbt.ref()`` returns on dbt-duckdb) is streamed:
    each pass runs one ordered query and only one chunk is in memory at a
    time. Anything else is copied to pandas once (see ``to_pandas``).
    ``columns`` narrows what is read to the columns the fit needs; ``where``
    names a boolean column, and only the rows where it is true are read.
    """
    if isinstance(data, Rows):
        return data
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    if columns is not None:
        columns = list(dict.fromkeys(columns))  # a column named twice is read once
    # DuckDB >= 1.4 names the Arrow stream to_arrow_reader, older versions fetch_record_batch.
    reader_name = next(
        (name for name in ("to_arrow_reader", "fetch_record_batch") if hasattr(data, name)), None
    )
    if reader_name is not None and callable(getattr(data, "order", None)):
        relation = data
        if where is not None:
            relation = relation.filter(_quoted(where))
        if columns is not None:
            relation = relation.project(", ".join(_quoted(name) for name in columns))
        if order_by is not None:
            relation = relation.order(_quoted(order_by))

        def stream() -> Iterator[pd.DataFrame]:
            reader = getattr(relation, reader_name)(chunk_rows)
            return _exact_chunks(iter(reader), chunk_rows)

        return Rows(_kept_in_memory(stream, MEMORY_BUDGET))
    frame = to_pandas(data)
    if where is not None:
        frame = frame[frame[where].astype(bool)]
    if columns is not None:
        frame = frame[list(columns)]
    if order_by is not None:
        frame = frame.sort_values(order_by, kind="mergesort")
    frame = frame.reset_index(drop=True)
    return Rows(lambda: _frame_chunks(frame, chunk_rows))
