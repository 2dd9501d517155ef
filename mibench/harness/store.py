"""The result store: one SQLite file per run folder, one row per finished cell.

Only the driver process writes. Each finished job is written in one transaction (its rows and
their traces together), so an interrupted run leaves whole rows only, and a rerun can skip
every cell already stored. Training traces go to a side table, not the main row.

The store records the version of its table layout (:data:`~mibench.harness.schema.STORE_VERSION`)
in ``PRAGMA user_version``. Opening a store of an older version migrates it in place (the
columns added since, filled by the rules of :data:`~mibench.harness.schema.MIGRATIONS`);
a store of a newer version, or a database that is not a mibench store, is refused with a
:class:`StoreError` that says what to do.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mibench.harness.schema import (
    INTEGER_COLUMNS,
    MIGRATIONS,
    REAL_COLUMNS,
    RESULT_COLUMNS,
    STORE_VERSION,
)

#: File name of the store in a run folder or a figure folder.
STORE_FILE = "results.sqlite"
#: Columns of the ``traces`` side table.
TRACE_COLUMNS: tuple[str, ...] = ("cell_id", "step", "train_value", "test_value")

Trace = Iterable[tuple[int, float, float]]

#: The fixed order of the rows of every results table (:meth:`ResultStore.rows`,
#: :meth:`ResultStore.results`, :func:`expand_params`, the exported ``results.csv`` and
#: ``results.parquet``, and the summaries drawn from them): by task id, configuration label,
#: n and seed, ties (one label for several configurations) broken by cell id. It depends on
#: the rows alone, never on the executor, the number of workers or the order in which cells
#: finished, were retried or were restored.
ROW_ORDER: tuple[str, ...] = ("task_id", "label", "n", "seed", "cell_id")

_TYPES = {
    c: "INTEGER" if c in INTEGER_COLUMNS else "REAL" if c in REAL_COLUMNS else "TEXT"
    for c in RESULT_COLUMNS
}
_SCHEMA = f"""
CREATE TABLE results (
    {
    ", ".join(
        f"{c} {_TYPES[c]}" + (" PRIMARY KEY" if c == "cell_id" else "") for c in RESULT_COLUMNS
    )
}
);
CREATE TABLE traces (
    cell_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    train_value REAL,
    test_value REAL,
    PRIMARY KEY (cell_id, step)
);
PRAGMA user_version = {STORE_VERSION};
"""


def store_file_used(path: str | Path) -> bool:
    """True when ``path`` is a store file with content (an empty file, which SQLite would
    open as an empty database, counts as no store: a folder's tables then take its place)."""
    path = Path(path)
    return path.is_file() and path.stat().st_size > 0


class StoreError(ValueError):
    """A results store that cannot be used as it is (another version, damaged, not a store)."""


def _columns_at(version: int) -> tuple[str, ...]:
    """The ``results`` columns of a store of ``version`` (1 <= version <= STORE_VERSION)."""
    added = {c for v in range(version, STORE_VERSION) for c in MIGRATIONS[v][0]}
    return tuple(c for c in RESULT_COLUMNS if c not in added)


class ResultStore:
    """SQLite store of finished cells.

    Args:
        path: the database file, created with its parent folders if missing; ``":memory:"``
            for a store that lives only as long as the object.

    Raises:
        StoreError: for a file that is not a mibench results store, one that fails SQLite's
            integrity check (truncated, overwritten), or one written by a newer mibench (the
            message says what to do); an older store is migrated in place.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(str(path))
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the results store ({exc})") from exc
        try:
            self._open()
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreError(
                f"{self.path}: not a readable SQLite results store ({exc}); move it away and "
                "run again to start a new store"
            ) from exc
        except StoreError:
            self._conn.close()
            raise

    def _open(self) -> None:
        tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master")}
        if "results" not in tables:
            if tables:
                raise StoreError(
                    f"{self.path}: SQLite file has tables {sorted(tables)} but no 'results' "
                    "table: it is not a mibench results store"
                )
            self._conn.executescript(_SCHEMA)
            return
        problems = [r[0] for r in self._conn.execute("PRAGMA quick_check(5)")]
        if problems != ["ok"]:
            detail = "; ".join(problems).replace("\n", "; ")
            raise StoreError(
                f"{self.path}: the results store is damaged (SQLite integrity check: {detail}); "
                "move it away and run again: a run or figure folder with a results.parquet "
                "rebuilds its store from that table (computing only what it lacks), anywhere "
                "else a new store starts"
            )
        version = self._conn.execute("PRAGMA user_version").fetchone()[0] or 1
        if version > STORE_VERSION:
            raise StoreError(
                f"{self.path}: store version {version} was written by a newer mibench; this "
                f"mibench reads versions up to {STORE_VERSION}: upgrade mibench to read it"
            )
        found = [r[1] for r in self._conn.execute("PRAGMA table_info(results)")]
        if set(found) != set(_columns_at(version)):  # a migrated store has them in another order
            raise StoreError(
                f"{self.path}: the 'results' table has columns {found}, which no version of the "
                "mibench store has; it is not a mibench results store"
            )
        if version < STORE_VERSION:
            self._migrate(version)

    def _migrate(self, version: int) -> None:
        """Bring a store of ``version`` to :data:`STORE_VERSION` in one transaction."""
        with self._conn:
            for v in range(version, STORE_VERSION):
                added, values = MIGRATIONS[v]
                old = _columns_at(v)
                for col in added:
                    self._conn.execute(f"ALTER TABLE results ADD COLUMN {col} {_TYPES[col]}")
                rows = self._conn.execute(f"SELECT {', '.join(old)} FROM results").fetchall()
                updates = [(*values(dict(zip(old, r, strict=True))), r[0]) for r in rows]
                sets = ", ".join(f"{c} = ?" for c in added)
                self._conn.executemany(f"UPDATE results SET {sets} WHERE cell_id = ?", updates)
            self._conn.execute(f"PRAGMA user_version = {STORE_VERSION}")

    def close(self) -> None:
        """Close the database connection."""
        self._conn.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def statuses(self) -> dict[str, str]:
        """Map of stored cell id to its status."""
        return dict(self._conn.execute("SELECT cell_id, status FROM results"))

    def write(self, row: dict[str, Any], trace: Trace = ()) -> None:
        """Store one finished cell (replacing an earlier row of the same id) in one transaction.

        Args:
            row: values for :data:`~mibench.harness.schema.RESULT_COLUMNS` (missing ones are
                stored as NULL).
            trace: ``(step, train_value, test_value)`` tuples for the side table.

        Raises:
            ValueError: when ``row`` has no ``cell_id`` or has keys outside the schema.
        """
        self.write_many([(row, trace)])

    def write_many(self, outputs: Sequence[tuple[dict[str, Any], Trace]]) -> None:
        """Store several finished cells, ``(row, trace)`` each, in one transaction.

        Raises:
            ValueError: when a row has no ``cell_id`` or has keys outside the schema.
        """
        for row, _ in outputs:
            if "cell_id" not in row:
                raise ValueError("row must contain 'cell_id'")
            unknown = set(row) - set(RESULT_COLUMNS)
            if unknown:
                raise ValueError(f"row has columns outside the results schema: {sorted(unknown)}")
        placeholders = ", ".join("?" for _ in RESULT_COLUMNS)
        with self._conn:
            for row, trace in outputs:
                self._conn.execute("DELETE FROM traces WHERE cell_id = ?", (row["cell_id"],))
                self._conn.execute(
                    f"INSERT OR REPLACE INTO results ({', '.join(RESULT_COLUMNS)}) "
                    f"VALUES ({placeholders})",
                    [_sql_value(row.get(c)) for c in RESULT_COLUMNS],
                )
                self._conn.executemany(
                    "INSERT INTO traces (cell_id, step, train_value, test_value) "
                    "VALUES (?, ?, ?, ?)",
                    [(row["cell_id"], int(s), _real(a), _real(b)) for s, a, b in trace],
                )

    def rows(self) -> pd.DataFrame:
        """The stored rows, exactly the :data:`~mibench.harness.schema.RESULT_COLUMNS`, in
        the fixed :data:`ROW_ORDER` (:func:`in_row_order`)."""
        rows = pd.read_sql_query(f"SELECT {', '.join(RESULT_COLUMNS)} FROM results", self._conn)
        return in_row_order(rows)

    def rows_of(self, cell_ids: Iterable[str]) -> pd.DataFrame:
        """The stored rows of ``cell_ids`` (those of them that are stored), as :meth:`rows`.

        Raises:
            ValueError: when ``cell_ids`` is a single string rather than a collection of ids.
        """
        if isinstance(cell_ids, str):
            raise ValueError(f"cell_ids must be a collection of cell ids, got {cell_ids!r}")
        ids = list(dict.fromkeys(cell_ids))
        select = f"SELECT {', '.join(RESULT_COLUMNS)} FROM results WHERE cell_id IN"
        chunks = [ids[i : i + 500] for i in range(0, len(ids), 500)] or [[]]
        parts = [
            pd.read_sql_query(
                f"{select} ({', '.join('?' for _ in chunk)})", self._conn, params=chunk
            )
            for chunk in chunks
        ]
        return in_row_order(pd.concat(parts, ignore_index=True))

    def results(self) -> pd.DataFrame:
        """The long results table: one row per cell (see :func:`expand_params`), in the
        fixed :data:`ROW_ORDER`."""
        return expand_params(self.rows())

    def traces(self) -> pd.DataFrame:
        """The side table of training traces: cell_id, step, train_value, test_value."""
        return pd.read_sql_query(
            "SELECT cell_id, step, train_value, test_value FROM traces ORDER BY cell_id, step",
            self._conn,
        )


def in_row_order(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` sorted by the columns of :data:`ROW_ORDER` it has (a stable sort; missing
    values last), with a fresh 0..n−1 index.

    Text columns compare by code point (as Python strings), numbers by value, so a table read
    back from SQLite, Parquet or CSV gets the same order. A table without any of those
    columns keeps its order.
    """
    keys = [c for c in ROW_ORDER if c in table.columns]
    if not keys or table.empty:
        return table.reset_index(drop=True)
    return table.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)


def expand_params(rows: pd.DataFrame) -> pd.DataFrame:
    """The results table of stored rows: estimator hyperparameters as ``p_estimator_<name>``
    columns (non-scalar values as JSON text), ``p_task_dim_x``, ``p_task_dim_y`` and
    ``p_task_version``; ``extras_json`` stays JSON text. Rows come in the fixed
    :data:`ROW_ORDER`, whatever their order in ``rows``.

    Args:
        rows: a table with the columns of :data:`~mibench.harness.schema.RESULT_COLUMNS`.

    Returns:
        A new table (index 0..n−1); any ``p_*`` columns already in ``rows`` are recomputed.
    """
    rows = in_row_order(rows)
    df = rows[[c for c in rows.columns if not c.startswith("p_")]].copy()
    params = [json.loads(p) if isinstance(p, str) and p else {} for p in df["params_json"]]
    for k in sorted({k for p in params for k in p}):
        df[f"p_estimator_{k}"] = [_scalar(p.get(k)) for p in params]
    df["p_task_dim_x"] = df["dim_x"]
    df["p_task_dim_y"] = df["dim_y"]
    df["p_task_version"] = df["task_version"]
    return df


def _sql_value(v: Any) -> Any:
    """A value SQLite stores faithfully: numpy scalars as Python ones, NaN/NA as NULL."""
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


def _real(v: Any) -> float | None:
    return None if v is None else float(v)


def _scalar(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return json.dumps(v, sort_keys=True)
