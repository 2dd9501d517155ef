"""The exported and committed results format: zstd-compressed Parquet tables.

A run folder or a committed figure folder holds ``results.parquet`` (the results table of
:meth:`~mibench.harness.store.ResultStore.results`: the stored columns plus the
``p_estimator_*``/``p_task_*`` parameter columns) and, when any cell recorded a trace,
``traces.parquet`` (cell_id, step, train_value, test_value). Both are columnar and
compressed, so committing them costs a small fraction of a SQLite store, and a figure can be
redrawn from them without any database. :func:`restore_store` rebuilds a working SQLite store
from them, row for row, so that an interrupted or extended run resumes where the committed
tables stop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import pandas as pd

from mibench.harness.schema import MIGRATIONS, RESULT_COLUMNS
from mibench.harness.store import TRACE_COLUMNS, ResultStore

#: File names of the tables in a folder.
RESULTS_FILE = "results.parquet"
TRACES_FILE = "traces.parquet"
#: Parquet compression codec of every table written here.
COMPRESSION: Final = "zstd"


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing Python types (e.g. int and str hyperparameters) become text."""
    out = df.copy()
    for col in [c for c in out.columns if pd.api.types.is_object_dtype(out[c])]:
        kinds = {type(v) for v in out[col] if v is not None and v == v}
        if len(kinds) > 1:
            out[col] = [None if v is None or v != v else str(v) for v in out[col]]
    return out


def write_tables(folder: str | Path, results: pd.DataFrame, traces: pd.DataFrame) -> list[Path]:
    """Write ``results.parquet`` and (when there are traces) ``traces.parquet``.

    Args:
        folder: where to write.
        results: a results table (:meth:`~mibench.harness.store.ResultStore.results`).
        traces: its traces (:meth:`~mibench.harness.store.ResultStore.traces`).

    Returns:
        The paths written.
    """
    folder = Path(folder)
    written = [folder / RESULTS_FILE]
    _parquet_safe(results).to_parquet(written[0], index=False, compression=COMPRESSION)
    if not traces.empty:
        traces.to_parquet(folder / TRACES_FILE, index=False, compression=COMPRESSION)
        written.append(folder / TRACES_FILE)
    return written


def has_tables(folder: str | Path) -> bool:
    """True when ``folder`` holds a ``results.parquet``."""
    return (Path(folder) / RESULTS_FILE).is_file()


def read_rows(folder: str | Path) -> pd.DataFrame:
    """The stored rows of ``folder``'s ``results.parquet``: exactly the store's columns.

    Tables exported by an older mibench lack the columns added since; they are filled by the
    store's migration rules, as a store of that version would be.

    Raises:
        ValueError: naming the file when it lacks a column that no migration adds.
    """
    path = Path(folder) / RESULTS_FILE
    df = pd.read_parquet(path)
    for added, values in MIGRATIONS.values():
        if all(c in df.columns for c in added):
            continue
        filled = [values(r) for r in df.to_dict("records")]
        for i, col in enumerate(added):
            df[col] = [f[i] for f in filled]
    missing = [c for c in RESULT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: not a mibench results table, it lacks columns {missing}")
    return df[list(RESULT_COLUMNS)]


def read_traces(folder: str | Path) -> pd.DataFrame:
    """``folder``'s ``traces.parquet`` (empty, with the trace columns, when there is none)."""
    path = Path(folder) / TRACES_FILE
    if not path.is_file():
        return pd.DataFrame(columns=list(TRACE_COLUMNS))
    return pd.read_parquet(path)[list(TRACE_COLUMNS)]


def restore_store(folder: str | Path, store: ResultStore) -> int:
    """Write the rows (and traces) of ``folder``'s tables that ``store`` lacks into ``store``,
    in one transaction; rows already in ``store`` are kept as they are.

    Returns:
        The number of rows restored.
    """
    rows = read_rows(folder)
    rows = rows[~rows["cell_id"].isin(set(store.statuses()))]
    if rows.empty:
        return 0
    traces = read_traces(folder)
    traces = traces[traces["cell_id"].isin(set(rows["cell_id"]))]
    by_cell = {
        cell_id: list(zip(t["step"], t["train_value"], t["test_value"], strict=True))
        for cell_id, t in traces.groupby("cell_id", sort=False)
    }
    # into=dict is the default; given, the stubs type the rows dict[Any, Any] (str keys here)
    records = rows.astype(object).where(rows.notna(), None).to_dict("records", into=dict)
    store.write_many([(r, by_cell.get(r["cell_id"], [])) for r in records])
    return len(records)
