"""The result store: one SQLite file per run folder, one row per finished cell.

Only the driver process writes. Each finished cell is written in one transaction (its row and
its trace together), so an interrupted run leaves whole rows only, and a rerun can skip every
cell already stored. Training traces go to a side table, not the main row.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

#: Columns of the ``results`` table, in order.
RESULT_COLUMNS: tuple[str, ...] = (
    "cell_id",
    "task_id",
    "task_version",
    "task_name",
    "task_tags",
    "dim_x",
    "dim_y",
    "estimator",
    "label",
    "params_json",
    "n",
    "seed",
    "standardize",
    "data_seed",
    "mi_true",
    "mi_true_stderr",
    "mi_estimate",
    "mi_stderr",
    "status",
    "message",
    "wall_seconds",
    "fit_seconds",
    "samples_per_second",
    "steps",
    "steps_per_second",
    "device",
    "extras_json",
    "mibench_version",
    "python_version",
    "numpy_version",
    "torch_version",
    "git_commit",
    "host",
    "started_at",
    "finished_at",
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS results (
    {", ".join(c + (" TEXT PRIMARY KEY" if c == "cell_id" else "") for c in RESULT_COLUMNS)}
);
CREATE TABLE IF NOT EXISTS traces (
    cell_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    train_value REAL,
    test_value REAL,
    PRIMARY KEY (cell_id, step)
);
"""


class ResultStore:
    """SQLite store of finished cells.

    Args:
        path: the database file; created with its parent folders if missing.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)

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

    def write(self, row: dict[str, Any], trace: Iterable[tuple[int, float, float]] = ()) -> None:
        """Store one finished cell (replacing an earlier row of the same id) in one transaction.

        Args:
            row: values for :data:`RESULT_COLUMNS` (missing ones are stored as NULL).
            trace: ``(step, train_value, test_value)`` tuples for the side table.

        Raises:
            ValueError: when ``row`` has no ``cell_id`` or has keys outside the schema.
        """
        if "cell_id" not in row:
            raise ValueError("row must contain 'cell_id'")
        unknown = set(row) - set(RESULT_COLUMNS)
        if unknown:
            raise ValueError(f"row has columns outside the results schema: {sorted(unknown)}")
        values = [row.get(c) for c in RESULT_COLUMNS]
        placeholders = ", ".join("?" for _ in RESULT_COLUMNS)
        with self._conn:
            self._conn.execute("DELETE FROM traces WHERE cell_id = ?", (row["cell_id"],))
            self._conn.execute(
                f"INSERT OR REPLACE INTO results ({', '.join(RESULT_COLUMNS)}) "
                f"VALUES ({placeholders})",
                values,
            )
            self._conn.executemany(
                "INSERT INTO traces (cell_id, step, train_value, test_value) VALUES (?, ?, ?, ?)",
                [(row["cell_id"], int(s), _real(a), _real(b)) for s, a, b in trace],
            )

    def results(self) -> pd.DataFrame:
        """The long results table: one row per cell.

        Estimator hyperparameters become ``p_estimator_<name>`` columns (non-scalar values as
        JSON text); ``extras_json`` stays as JSON text.
        """
        df = pd.read_sql_query(
            f"SELECT {', '.join(RESULT_COLUMNS)} FROM results ORDER BY rowid", self._conn
        )
        params = [json.loads(p) if p else {} for p in df["params_json"]]
        keys = sorted({k for p in params for k in p})
        for k in keys:
            df[f"p_estimator_{k}"] = [_scalar(p.get(k)) for p in params]
        df["p_task_dim_x"] = df["dim_x"]
        df["p_task_dim_y"] = df["dim_y"]
        df["p_task_version"] = df["task_version"]
        return df

    def traces(self) -> pd.DataFrame:
        """The side table of training traces: cell_id, step, train_value, test_value."""
        return pd.read_sql_query(
            "SELECT cell_id, step, train_value, test_value FROM traces ORDER BY cell_id, step",
            self._conn,
        )


def _real(v: Any) -> float | None:
    return None if v is None else float(v)


def _scalar(v: Any) -> Any:
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return json.dumps(v, sort_keys=True)
