"""Read a results table (and its training traces) from a run folder or a results file.

A *source* is a run folder (holding ``results.sqlite``, or failing that ``results.parquet``
or ``results.csv``, as written by ``mibench run``) or one results file with suffix
``.sqlite``, ``.parquet`` or ``.csv``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mibench.harness.archive import RESULTS_FILE, read_traces
from mibench.harness.store import (
    STORE_FILE,
    TRACE_COLUMNS,
    ResultStore,
    in_row_order,
    store_file_used,
)
from mibench.report.metrics import REQUIRED_COLUMNS, require_columns

#: Results files looked for in a run folder, in order of preference.
RUN_FOLDER_FILES = (STORE_FILE, RESULTS_FILE, "results.csv")

_TEXT_COLUMNS = {c: str for c in ("cell_id", "task_id", "label", "estimator", "status")}


def results_file(source: str | Path) -> Path:
    """The results file of ``source`` (a run folder or a results file).

    Raises:
        ValueError: when ``source`` does not exist, is a folder without a results file, or is
            a file whose suffix is not ``.sqlite``, ``.parquet`` or ``.csv``.
    """
    path = Path(source)
    if path.is_dir():
        for name in RUN_FOLDER_FILES:
            # An empty store file (SQLite would read it as an empty database) gives way to
            # the folder's tables.
            if store_file_used(path / name) if name == STORE_FILE else (path / name).is_file():
                return path / name
        raise ValueError(f"{path}: run folder holds none of {', '.join(RUN_FOLDER_FILES)}")
    if not path.is_file():
        raise ValueError(f"{path}: no such run folder or results file")
    if path.suffix not in {".sqlite", ".parquet", ".csv"}:
        raise ValueError(
            f"{path}: results file must end in .sqlite, .parquet or .csv, got {path.suffix!r}"
        )
    return path


def load_results(source: str | Path) -> pd.DataFrame:
    """The long results table of ``source``, one row per cell (the columns of
    :data:`mibench.harness.schema.RESULT_COLUMNS`, parameters expanded).

    Args:
        source: a run folder or a ``.sqlite``/``.parquet``/``.csv`` results file.

    Returns:
        The results table; from a store, with the ``p_estimator_*`` parameter columns. Rows
        come in the fixed order of :data:`~mibench.harness.store.ROW_ORDER` from every kind
        of source (a table exported by an older mibench, in the order its cells finished,
        is sorted too), so reports do not depend on how the run was executed.

    Raises:
        ValueError: for a missing or unsupported source, an empty table, or a table without
            the columns the reports need (the message names the path and the columns);
            :class:`~mibench.harness.store.StoreError` for a SQLite file that is not a
            readable mibench store (an older store is migrated first).
    """
    path = results_file(source)
    if path.suffix == ".sqlite":
        with ResultStore(path) as store:
            df = store.results()
    elif path.suffix == ".parquet":
        df = pd.read_parquet(path)
    else:
        try:
            df = pd.read_csv(path, dtype=_TEXT_COLUMNS)
        except pd.errors.EmptyDataError:
            raise ValueError(f"{path}: results file is empty (no header, no rows)") from None
    if df.empty:
        raise ValueError(f"{path}: results table has no rows")
    require_columns(df, REQUIRED_COLUMNS | {"cell_id"}, f"results table {path}")
    return in_row_order(df)


def load_traces(source: str | Path) -> pd.DataFrame:
    """The training-trace side table of ``source``: cell_id, step, train_value, test_value.

    Read from the SQLite store, or from ``traces.parquet`` in a run folder without one.
    Empty (with those columns) when the source has no traces.

    Raises:
        ValueError: as :func:`results_file`.
    """
    path = results_file(source)
    if path.suffix == ".sqlite":
        with ResultStore(path) as store:
            return store.traces()
    if Path(source).is_dir():
        return read_traces(path.parent)
    return pd.DataFrame(columns=list(TRACE_COLUMNS))
