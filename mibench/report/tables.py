"""Tables of a run: the exported results (CSV, Parquet) and the report tables (CSV, Markdown,
LaTeX) — the metric summary, the samples-to-factor table, for runs with error bars the
coverage table and, for runs with several configurations of an estimator (a sweep), the best
configuration per task."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from mibench.harness.archive import write_tables
from mibench.harness.store import ResultStore
from mibench.registry import estimator_factory, list_estimators
from mibench.report.best import best_configurations
from mibench.report.coverage import coverage_table, has_intervals
from mibench.report.invariance import has_pairs, invariance_scores, invariance_table
from mibench.report.metrics import samples_to_factor, summarize

#: Summary columns shown in the Markdown and LaTeX tables, with their headers and formats.
SUMMARY_DISPLAY = {
    "task_id": ("task", ""),
    "label": ("estimator", ""),
    "n": ("n", "d"),
    "mi_true": ("true MI", ".4f"),
    "n_ok": ("ok", "d"),
    "n_rows": ("rows", "d"),
    "mean": ("mean", ".4f"),
    "bias": ("bias", ".4f"),
    "sd": ("sd", ".4f"),
    "rmse": ("RMSE", ".4f"),
    "mae": ("MAE", ".4f"),
    "failure_rate": ("fail rate", ".2f"),
    "first_attempt_failure_rate": ("1st-try fail rate", ".2f"),
    "log_ratio": ("log ratio", ".3f"),
    "samples_per_second": ("samples/s", ".4g"),
}

#: Coverage columns shown in the Markdown and LaTeX tables, with their headers and formats.
COVERAGE_DISPLAY = {
    "task_id": ("task", ""),
    "label": ("estimator", ""),
    "n": ("n", "d"),
    "error_bar": ("error bar", ""),
    "mi_true": ("true MI", ".4f"),
    "n_ok": ("ok", "d"),
    "n_intervals": ("intervals", "d"),
    "coverage": ("coverage", ".2f"),
    "coverage_low": ("cov. low", ".2f"),
    "coverage_high": ("cov. high", ".2f"),
    "mean_width": ("mean width", ".4f"),
    "mean_stderr": ("mean stderr", ".4f"),
    "sd": ("sd", ".4f"),
    "stderr_ratio": ("stderr/sd", ".2f"),
}

#: Best-configuration columns shown in the Markdown and LaTeX tables, with their headers and
#: formats; ``split`` is written from the seed columns and ``optimistic``.
BEST_DISPLAY = {
    "task_id": ("task", ""),
    "estimator": ("estimator", ""),
    "n": ("n", "d"),
    "n_configurations": ("configs", "d"),
    "winner": ("winner", ""),
    "winner_rmse_eval": ("winner RMSE (eval)", ".4f"),
    "winner_rmse_eval_se": ("± se", ".4f"),
    "winner_failure_rate_eval": ("winner fail rate", ".2f"),
    "default_label": ("default", ""),
    "default_rmse_eval": ("default RMSE (eval)", ".4f"),
    "default_rmse_eval_se": ("± se", ".4f"),
    "hindsight_best": ("best in hindsight", ""),
    "hindsight_rmse_eval": ("its RMSE (eval)", ".4f"),
    "cannot_win": ("cannot win (no ok selection row)", ""),
    "split": ("seeds: select / evaluate", ""),
}


def _split_text(row: pd.Series) -> str:
    """How the seeds of a best-configuration row were split, optimistic rows said so."""
    if row["optimistic"]:
        return f"optimistic: seed {row['selection_seeds']} both selects and evaluates"
    return f"{row['selection_seeds']} / {row['evaluation_seeds']}"


def export_run(run_dir: str | Path, store: ResultStore) -> tuple[list[Path], pd.DataFrame]:
    """Write the results table, its traces and the summary table of a run (no figures).

    Files (in ``run_dir``): ``results.csv``, ``results.parquet`` and ``traces.parquet`` (when
    any estimator recorded a trace; both zstd Parquet, :mod:`mibench.harness.archive`) and
    ``summary.csv``. Their rows come in a fixed order that does not depend on the executor:
    results in :data:`~mibench.harness.store.ROW_ORDER`, traces by cell id and step, the
    summary by (task id, label, n) as its groups first appear in the results.

    Returns:
        The paths written and the summary table
        (:func:`~mibench.report.metrics.summarize`), from which the run's figures are drawn.
    """
    run_dir = Path(run_dir)
    results = store.results()
    results.to_csv(run_dir / "results.csv", index=False)
    written = [run_dir / "results.csv", *write_tables(run_dir, results, store.traces())]
    summary = summarize(results)
    summary.to_csv(run_dir / "summary.csv", index=False, float_format="%.6g")
    written.append(run_dir / "summary.csv")
    return written, summary


def bound_notes(estimators: Iterable[str]) -> list[str]:
    """One sentence for each estimator among ``estimators`` (registry names) whose value is
    not a lower bound or an estimate: CLUB, an upper bound on I(X; Y) only when its learned
    q(y | x) matches p(y | x). Every report with such an estimator carries its note."""
    notes = []
    for name in sorted(set(estimators)):
        if name not in list_estimators():
            continue
        cls = estimator_factory(name)
        if getattr(cls, "bound", "") == "approximate upper bound":
            notes.append(
                f"{name}: an approximate upper bound on I(X; Y), above it only where its "
                f"learned q(y | x) matches p(y | x) ({getattr(cls, 'source', '')})."
            )
    return notes


def _write_text_tables(
    table: pd.DataFrame,
    stem: Path,
    headers: list[str],
    floatfmt: list[str],
    notes: Sequence[str] = (),
) -> list[Path]:
    """Write ``table`` formatted as ``<stem>.md`` (GitHub Markdown) and ``<stem>.tex``
    (booktabs LaTeX, special characters escaped); missing values print as an em dash in
    Markdown and ``--`` in LaTeX. ``notes`` follow the table (a paragraph each in Markdown,
    comment lines in LaTeX).

    Returns:
        The two paths.
    """
    cells = table.astype(object).where(table.notna(), None).to_numpy().tolist()
    written = []
    for suffix, fmt, missing in ((".md", "github", "—"), (".tex", "latex_booktabs", "--")):
        path = stem.with_name(stem.name + suffix)
        text = tabulate(cells, headers=headers, tablefmt=fmt, floatfmt=floatfmt, missingval=missing)
        prefix = "\n" if suffix == ".md" else "% "
        text += "".join(f"\n{prefix}{note}" for note in notes)
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written


def samples_to_factor_table(summary: pd.DataFrame, factor: float = 1.5) -> pd.DataFrame:
    """The samples-to-factor table in wide form: one row per task, one column per label.

    Args:
        summary: the output of :func:`~mibench.report.metrics.summarize`.
        factor: see :func:`~mibench.report.metrics.samples_to_factor`.

    Returns:
        Columns task_id, mi_true (nats), then one nullable-integer column per estimator label
        (sorted) holding the smallest n from which the estimate stays within the factor
        (``<NA>``: never in this run). Rows in task order of the summary.
    """
    long = samples_to_factor(summary, factor)
    tasks = list(dict.fromkeys(long["task_id"]))
    wide = long.pivot(index="task_id", columns="label", values="n_within").reindex(tasks)
    wide = wide.reindex(columns=sorted(wide.columns)).astype("Int64")
    wide.insert(0, "mi_true", long.drop_duplicates("task_id").set_index("task_id")["mi_true"])
    wide.columns.name = None
    return wide.reset_index()


def write_report(results: pd.DataFrame, out_dir: str | Path, factor: float = 1.5) -> list[Path]:
    """Write the report tables of a results table into ``out_dir`` (created if missing).

    Files: ``summary.{csv,md,tex}`` (one row per (task, label, n): the metrics of
    :func:`~mibench.report.metrics.summarize`; the CSV has every column at full precision),
    ``samples_to_factor_<factor>.{csv,md,tex}`` (:func:`samples_to_factor_table`), when any ok
    row holds a 95 % interval for the MI (an estimator run with an error bar),
    ``coverage.{csv,md,tex}`` (one row per (task, label, n, error-bar method): the share of
    seeds whose interval contains the true MI, with its Wilson interval, the mean interval
    width and the stored standard error against the seed-to-seed sd;
    :func:`~mibench.report.coverage.coverage_table`), when an estimator ran in two or more
    configurations (a sweep such as ``ksg[k=3|5|10]``), ``best_configuration.{csv,md,tex}``
    (one row per (task, estimator, n): the configuration with the smallest RMSE on half of the
    seeds and its RMSE on the other half, beside the default's and the best in hindsight;
    :func:`~mibench.report.best.best_configurations`; rows with a single seed are marked
    optimistic; a table without a ``seed`` column has none) and, when the run holds a paired
    invariance study, ``invariance.csv`` and ``invariance_scores.csv``
    (:mod:`mibench.report.invariance`).

    Returns:
        The paths written.

    Raises:
        ValueError: when a required column is missing, ``factor`` is not > 1 or a stored
            interval has its low bound above its high bound.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = summarize(results)
    summary.to_csv(out / "summary.csv", index=False)
    headers, formats = (list(v) for v in zip(*SUMMARY_DISPLAY.values(), strict=True))
    written = [out / "summary.csv"]
    notes = bound_notes(results["estimator"])
    written += _write_text_tables(
        summary[list(SUMMARY_DISPLAY)], out / "summary", headers, formats, notes
    )
    wide = samples_to_factor_table(summary, factor)
    stem = f"samples_to_factor_{factor:g}"
    wide.to_csv(out / f"{stem}.csv", index=False)
    labels = list(wide.columns[2:])
    written.append(out / f"{stem}.csv")
    written += _write_text_tables(
        wide, out / stem, ["task", "true MI", *labels], ["", ".4f", *("d" for _ in labels)]
    )
    if has_intervals(results):
        coverage = coverage_table(results)
        coverage.to_csv(out / "coverage.csv", index=False)
        written.append(out / "coverage.csv")
        headers, formats = (list(v) for v in zip(*COVERAGE_DISPLAY.values(), strict=True))
        written += _write_text_tables(
            coverage[list(COVERAGE_DISPLAY)], out / "coverage", headers, formats
        )
    # every stored row has a seed; a table made by hand without one has no halves to split
    best = best_configurations(results) if "seed" in results.columns else pd.DataFrame()
    if not best.empty:
        best.to_csv(out / "best_configuration.csv", index=False)
        written.append(out / "best_configuration.csv")
        shown = best.assign(split=best.apply(_split_text, axis=1))[list(BEST_DISPLAY)]
        headers, formats = (list(v) for v in zip(*BEST_DISPLAY.values(), strict=True))
        written += _write_text_tables(shown, out / "best_configuration", headers, formats)
    if has_pairs(results):
        table = invariance_table(results)
        table.to_csv(out / "invariance.csv", index=False)
        invariance_scores(table).to_csv(out / "invariance_scores.csv", index=False)
        written += [out / "invariance.csv", out / "invariance_scores.csv"]
    return written
