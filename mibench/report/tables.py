"""Write a run's results and summary tables (CSV and Parquet) into its run folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mibench.harness.store import ResultStore
from mibench.report.figures import plot_estimate_vs_true
from mibench.report.metrics import summarize


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Object columns mixing Python types (e.g. int and str hyperparameters) become text."""
    out = df.copy()
    for col in out.columns[out.dtypes == object]:
        kinds = {type(v) for v in out[col] if v is not None and v == v}
        if len(kinds) > 1:
            out[col] = [None if v is None or v != v else str(v) for v in out[col]]
    return out


def export_run(run_dir: str | Path, store: ResultStore) -> list[Path]:
    """Write the results table, traces, summary table and the estimate-vs-true figure.

    Files (in ``run_dir``): ``results.csv``, ``results.parquet``, ``traces.parquet`` (when
    any estimator recorded a trace), ``summary.csv``, ``estimate_vs_true.png``.

    Returns:
        The paths written.
    """
    run_dir = Path(run_dir)
    results = store.results()
    written = []
    results.to_csv(run_dir / "results.csv", index=False)
    written.append(run_dir / "results.csv")
    _parquet_safe(results).to_parquet(run_dir / "results.parquet", index=False)
    written.append(run_dir / "results.parquet")
    traces = store.traces()
    if not traces.empty:
        traces.to_parquet(run_dir / "traces.parquet", index=False)
        written.append(run_dir / "traces.parquet")
    summary = summarize(results)
    summary.to_csv(run_dir / "summary.csv", index=False, float_format="%.6g")
    written.append(run_dir / "summary.csv")
    if not results.empty and (results["status"] == "ok").any():
        written.append(plot_estimate_vs_true(results, run_dir / "estimate_vs_true.png"))
    return written
