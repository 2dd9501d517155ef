"""One self-contained HTML page of a run: provenance, tables, figures and per-cell details.

``mibench report RUN --html`` writes it for a run folder and ``mibench figures`` for each
reference figure (``report.html`` beside the figure). The page needs no network access: the
figures are embedded as PNG data, and the style sheet and script are inlined. It is rendered
with Jinja2 from ``templates/report.html.j2``.

What the page holds:

* **provenance**: the versions, commits, hosts, devices and dates the rows record, the job
  kinds, and the commands that made the folder (``COMMAND.txt``) when there are any;
* **tables**, each sortable (click a header) and filterable (task, family, estimator, n, or
  free text): the summary of :func:`~mibench.report.metrics.summarize`, the failures per
  configuration and status, the ranking per task family (mean rank of the RMSE over the
  (task, n) of the family), and where the run has them the coverage of the error bars and
  the best configuration per task of a sweep;
* **figures**: every PNG of the run folder (or those given);
* **per-cell details**, loaded on demand: click a summary row to see its seeds (status,
  estimate, interval, message), the training curves of neural cells and, for tasks with
  densities, the task's pointwise-MI profile with the seeds' estimates marked on it. These
  come from one gzip-compressed JSON document embedded in the page and decompressed by the
  browser only when first asked for, so a page of 25,800 cells stays light
  (:data:`PAGE_BUDGET_BYTES`).

The page is a function of the rows, traces, figures and commands alone (no date, no path of
the machine, gzip without a time stamp), so redrawing it from the same results gives the same
bytes.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from mibench.report.best import best_configurations
from mibench.report.coverage import coverage_table, has_intervals
from mibench.report.metrics import configuration_labels, distinct_cells, summarize
from mibench.report.tables import BEST_DISPLAY, COVERAGE_DISPLAY, bound_notes

#: File name of the page in a run folder's report folder and in a figure folder.
PAGE_FILE = "report.html"

#: Size the page of the committed standard heatmap (25,800 cells) must stay within (bytes);
#: checked by a test on that page.
PAGE_BUDGET_BYTES = 5 * 2**20

#: Significant digits kept for the numbers of the embedded cell data.
DIGITS = 5

#: Most points of one cell's training curve embedded in the page (longer traces are thinned
#: to evenly spaced steps, the last one kept).
TRACE_POINTS = 300

#: Samples drawn for each task's pointwise-MI profile on the page.
PROFILE_SAMPLES = 20_000

#: A profile's plot spans its 1 %–99 % quantiles widened by this share of their distance on
#: each side (and every estimate of the row); its histogram covers every draw.
PROFILE_MARGIN = 0.25


@dataclass(frozen=True)
class Column:
    """A table column: its header, the results column it shows, and its number format."""

    header: str
    key: str
    fmt: str = ""  # a format spec for numbers; "" for text

    @property
    def numeric(self) -> bool:
        return bool(self.fmt)


@dataclass
class Table:
    """A table of the page: an id, a title, a caption, columns, rows and filters.

    ``rows`` hold the display text of each value (numbers sort by that text, missing ones
    last); ``filters`` are ``(name, column index)`` pairs, each shown as a drop-down of the
    column's values; ``groups``, when set, is each row's summary group (``data-group``, the
    index the details read).
    """

    id: str
    title: str
    caption: str
    columns: list[Column]
    rows: list[list[str]] = field(default_factory=list)
    filters: list[tuple[str, int]] = field(default_factory=list)
    groups: list[int] = field(default_factory=list)

    def numeric_columns(self) -> list[int]:
        """Positions (from 1, as CSS's ``nth-child``) of the numeric columns."""
        return [i for i, c in enumerate(self.columns, start=1) if c.numeric]


def _text(value: object, fmt: str) -> str:
    """The display text of one table value ("–" for a missing number)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–" if fmt else ""
    if not fmt:
        return str(value)
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        return str(number)
    return format(round(number), fmt) if fmt == "d" else format(number, fmt)


def _table(
    id: str,
    title: str,
    caption: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    filters: Sequence[str] = (),
) -> Table:
    """A :class:`Table` of ``frame``'s ``columns``; ``filters`` name columns by their key."""
    keys = [c.key for c in columns]
    rows = [
        [_text(value, c.fmt) for c, value in zip(columns, values, strict=True)]
        for values in frame[keys].itertuples(index=False)
    ]
    return Table(id, title, caption, list(columns), rows, [(k, keys.index(k)) for k in filters])


#: The summary table's columns.
SUMMARY_COLUMNS = (
    Column("task", "task_id"),
    Column("family", "family"),
    Column("estimator", "label"),
    Column("n", "n", "d"),
    Column("true MI", "mi_true", ".4f"),
    Column("ok", "n_ok", "d"),
    Column("rows", "n_rows", "d"),
    Column("mean", "mean", ".4f"),
    Column("bias", "bias", ".4f"),
    Column("sd", "sd", ".4f"),
    Column("RMSE", "rmse", ".4f"),
    Column("fail rate", "failure_rate", ".2f"),
    Column("flagged", "n_flagged", "d"),
    Column("mean with flagged", "mean_with_flagged", ".4f"),
    Column("samples/s", "samples_per_second", ".4g"),
)


def _families(results: pd.DataFrame) -> dict[str, str]:
    """Task id → its family tags, comma-separated (empty without a ``task_tags`` column)."""
    if "task_tags" not in results.columns:
        return {}
    tags = results.drop_duplicates("task_id").set_index("task_id")["task_tags"]
    return {str(t): "" if pd.isna(v) else str(v) for t, v in tags.items()}


def summary_table(summary: pd.DataFrame, families: dict[str, str]) -> Table:
    """The summary table; each row carries its group index (``data-group``) for the details."""
    frame = summary.assign(family=summary["task_id"].map(families).fillna(""))
    table = _table(
        "summary",
        "Summary",
        "One row per (task, estimator configuration, n). Mean, bias, sd and RMSE are over the "
        "ok seeds (nats); fail rate is the share of seeds not ok; 'flagged' counts seeds "
        "stored with a value but not ok (a diverged neural fit), and 'mean with flagged' "
        "includes them. Click a row for its seeds, training curves and the task's "
        "pointwise-MI profile.",
        frame,
        SUMMARY_COLUMNS,
        filters=["task_id", "family", "label", "n"],
    )
    table.groups = list(range(len(frame)))
    return table


def failure_table(cells: pd.DataFrame) -> Table:
    """Cells per configuration and status, with the failure rate."""
    counts = pd.crosstab(cells["label"], cells["status"]).sort_index()
    statuses = ["ok", *sorted(s for s in counts.columns if s != "ok")]
    counts = counts.reindex(columns=statuses, fill_value=0)
    frame = counts.reset_index()
    frame["cells"] = counts.sum(axis=1).to_numpy()
    frame["failure_rate"] = 1.0 - counts["ok"].to_numpy() / frame["cells"].to_numpy()
    columns = [
        Column("estimator", "label"),
        Column("cells", "cells", "d"),
        *(Column(s, s, "d") for s in statuses),
        Column("failure rate", "failure_rate", ".3f"),
    ]
    return _table(
        "failures",
        "Failures",
        "Cells per estimator configuration and status. A cell that is not ok is left out of "
        "the means of the summary and counted in its fail rate; its message is in the "
        "details.",
        frame,
        columns,
        filters=["label"],
    )


def family_ranks(summary: pd.DataFrame, families: dict[str, str]) -> pd.DataFrame:
    """Mean rank of each configuration's RMSE per task family.

    Within each (task, n) where some configuration has an RMSE, the configurations are
    ranked by it (1 = smallest, ties share the mean rank); one without an RMSE there (no ok
    seed) shares the last ranks, so that failing on the hard tasks does not flatter a
    configuration. A configuration's score in a family is the mean of its ranks over the
    family's (task, n), with the number of them. A task counts in every family it is tagged
    with; ``all`` is every (task, n).

    Returns:
        One row per configuration: ``label``, then for each family ``rank:<family>`` and
        ``count:<family>`` (NaN and 0 where it has no ranked (task, n)), sorted by the
        ``all`` rank. Empty when fewer than two configurations are ranked, or no RMSE exists.
    """
    rmse = summary["rmse"].to_numpy(dtype=float)
    ranked = summary.assign(score=np.where(np.isfinite(rmse), rmse, np.inf))
    some = ranked.groupby(["task_id", "n"])["score"].transform(lambda v: np.isfinite(v).any())
    ranked = ranked[some.to_numpy(dtype=bool)]
    if ranked["label"].nunique() < 2:
        return pd.DataFrame()
    ranked["rank"] = ranked.groupby(["task_id", "n"])["score"].rank(method="average")
    present = set(ranked["task_id"])
    names = sorted(
        {f for t, tags in families.items() if t in present for f in tags.split(",") if f}
    )
    out = pd.DataFrame({"label": sorted(ranked["label"].unique())})
    for family in ["all", *names]:
        if family == "all":
            part = ranked
        else:
            member = [t for t, tags in families.items() if family in tags.split(",")]
            part = ranked[ranked["task_id"].isin(member)]
        stats = part.groupby("label")["rank"].agg(["mean", "size"])
        out[f"rank:{family}"] = out["label"].map(stats["mean"])
        out[f"count:{family}"] = out["label"].map(stats["size"]).fillna(0).astype(int)
    return out.sort_values(["rank:all", "label"], kind="stable").reset_index(drop=True)


def ranking_table(summary: pd.DataFrame, families: dict[str, str]) -> Table | None:
    """The ranking table of :func:`family_ranks` (None when there is nothing to rank)."""
    ranks = family_ranks(summary, families)
    if ranks.empty:
        return None
    families_shown = [c.split(":", 1)[1] for c in ranks.columns if c.startswith("rank:")]
    columns = [Column("estimator", "label")]
    for family in families_shown:
        columns += [Column(family, f"rank:{family}", ".2f"), Column("#", f"count:{family}", "d")]
    return _table(
        "ranking",
        "Ranking per task family",
        "Mean rank of the RMSE (1 = most accurate) over the (task, n) of each family, with "
        "the number of (task, n) ranked ('#'); within a (task, n), configurations without an "
        "ok seed share the last ranks. A task counts in each family it is tagged with.",
        ranks,
        columns,
        filters=["label"],
    )


#: Words of column names written in the field's spelling in headers.
_HEADER_WORDS = {"mi": "MI", "rmse": "RMSE", "mae": "MAE", "ci": "CI", "se": "s.e.", "id": ""}


def header(name: str, headers: dict[str, str] | None = None) -> str:
    """The header of column ``name``: from ``headers`` when it has one, else its words
    (``mi_true`` → ``MI true``, ``task_id`` → ``task``)."""
    if headers and name in headers:
        return headers[name]
    words = [_HEADER_WORDS.get(w, w) for w in name.split("_")]
    return " ".join(w for w in words if w) or name


def _frame_table(
    id: str, title: str, caption: str, frame: pd.DataFrame, headers: dict[str, str] | None = None
) -> Table:
    """A table of every column of ``frame``, numbers to 4 significant digits; ``headers``
    names columns (others get :func:`header`)."""
    columns = []
    for name in frame.columns:
        kind = frame[name].dtype.kind
        fmt = "d" if kind in "iu" else ".4g" if kind == "f" else ""
        columns.append(Column(header(name, headers), name, fmt))
    filters = [k for k in ("task_id", "label") if k in frame.columns]
    return _table(id, title, caption, frame, columns, filters=filters)


def _round(values: np.ndarray) -> list[float | None]:
    """``values`` to :data:`DIGITS` significant digits, non-finite values as None (JSON null)."""
    out: list[float | None] = []
    for v in np.asarray(values, dtype=float):
        out.append(float(f"{v:.{DIGITS}g}") if math.isfinite(v) else None)
    return out


def _thinned(start: int, length: int) -> np.ndarray:
    """Row indices ``start …`` of at most :data:`TRACE_POINTS` evenly spaced points of a trace
    of ``length`` rows, the first and last kept."""
    if length <= TRACE_POINTS:
        return np.arange(start, start + length)
    return start + np.unique(np.linspace(0, length - 1, TRACE_POINTS).round().astype(int))


def _trace_columns(cell_ids: pd.Series, traces: pd.DataFrame) -> tuple[dict, list]:
    """The embedded traces of ``cell_ids`` (thinned by :func:`_thinned`) as columns, and each
    cell's ``[start, stop]`` into them (None for a cell without a trace)."""
    if traces.empty:
        return {"step": [], "train": [], "test": []}, [None] * len(cell_ids)
    traces = traces.sort_values(["cell_id", "step"], kind="stable")
    ids, first, counts = np.unique(
        traces["cell_id"].to_numpy(), return_index=True, return_counts=True
    )
    where = {cell: (int(a), int(c)) for cell, a, c in zip(ids, first, counts, strict=True)}
    keep: list[np.ndarray] = []
    spans: list[list[int] | None] = []
    length = 0
    for cell in cell_ids:
        if cell not in where:
            spans.append(None)
            continue
        rows = _thinned(*where[cell])
        keep.append(rows)
        spans.append([length, length + len(rows)])
        length += len(rows)
    rows = np.concatenate(keep) if keep else np.zeros(0, dtype=int)
    columns = {
        "step": traces["step"].to_numpy()[rows].astype(int).tolist(),
        "train": _round(traces["train_value"].to_numpy(dtype=float)[rows]),
        "test": _round(traces["test_value"].to_numpy(dtype=float)[rows]),
    }
    return columns, spans


def _profiles(cells: pd.DataFrame) -> dict[str, dict]:
    """Pointwise-MI profiles (:func:`~mibench.tasks.profiles.pmi_profile`, from
    :data:`PROFILE_SAMPLES` draws) of the tasks of ``cells`` that have densities; a task that
    is not built in at the version the rows record (a task file of the user's) has none."""
    from mibench.tasks import get_task, has_pmi, pmi_profile

    out: dict[str, dict] = {}
    first = cells.drop_duplicates("task_id")
    versions = first["task_version"] if "task_version" in first else [None] * len(first)
    for task_id, version in zip(first["task_id"], versions, strict=True):
        try:
            task = get_task(str(task_id))
        except ValueError:
            continue
        if (version is not None and getattr(task, "version", None) != version) or not has_pmi(task):
            continue
        profile = pmi_profile(task, n=PROFILE_SAMPLES)
        quantile = dict(zip(profile.quantile_levels, profile.quantiles, strict=True))
        low, high = quantile[0.01], quantile[0.99]
        margin = PROFILE_MARGIN * (high - low)
        out[str(task_id)] = {
            "range": _round(np.array([low - margin, high + margin])),
            "edges": _round(np.asarray(profile.bin_edges)),
            "density": _round(np.asarray(profile.density)),
            "mean": profile.mean,
            "stderr": profile.stderr,
            "true": profile.true_mi,
        }
    return out


def cell_data(cells: pd.DataFrame, traces: pd.DataFrame, summary: pd.DataFrame) -> dict:
    """The JSON document behind the details: per summary row, its cells, traces and profile.

    ``cells`` are the distinct cells with their configuration labels (the rows
    :func:`~mibench.report.metrics.summarize` summarised). Columnar lists keep it small:
    ``groups[i]`` holds the indices into the ``cells`` columns of summary row ``i``, and
    ``keys[i]`` its (task, label, n), and ``cells.trace[j]`` is ``[start, stop]`` into the
    ``traces`` columns, or null.
    """
    keys = ["task_id", "label", "n"]
    index = {key: i for i, key in enumerate(summary[keys].itertuples(index=False, name=None))}
    order = [index[key] for key in cells[keys].itertuples(index=False, name=None)]
    groups: list[list[int]] = [[] for _ in range(len(summary))]
    for j, g in enumerate(order):
        groups[g].append(j)
    messages: dict[str, int] = {}
    texts = cells["message"] if "message" in cells else [""] * len(cells)
    message_index = [
        messages.setdefault("" if pd.isna(m) else str(m), len(messages)) for m in texts
    ]
    trace_columns, spans = _trace_columns(cells["cell_id"], traces)

    def column(name: str) -> list[float | None]:
        if name not in cells.columns:
            return [None] * len(cells)
        return _round(pd.to_numeric(cells[name], errors="coerce").to_numpy(dtype=float))

    return {
        "keys": [[str(t), str(lab), int(n)] for t, lab, n in index],
        "groups": groups,
        "messages": list(messages),
        "cells": {
            "seed": [int(s) for s in cells["seed"]] if "seed" in cells else [None] * len(cells),
            "status": [str(s) for s in cells["status"]],
            "mi": column("mi_estimate"),
            "stderr": column("mi_stderr"),
            "low": column("mi_ci_low"),
            "high": column("mi_ci_high"),
            "wall": column("wall_seconds"),
            "steps": column("steps"),
            "message": message_index,
            "trace": spans,
        },
        "traces": trace_columns,
        "truth": _round(summary["mi_true"].to_numpy(dtype=float)),
        "profiles": _profiles(cells),
    }


def _packed(document: dict) -> str:
    """``document`` as gzip-compressed JSON (no time stamp) in base64."""
    text = json.dumps(document, separators=(",", ":"), allow_nan=False)
    return base64.b64encode(gzip.compress(text.encode(), compresslevel=9, mtime=0)).decode()


def provenance(results: pd.DataFrame) -> list[tuple[str, str]]:
    """What the rows record about how they were made: (field, values) pairs."""
    distinct = len(distinct_cells(results))
    out = [("cells", f"{distinct:,}")]
    if distinct < len(results):
        out.append(("rows", f"{len(results):,} (a cell stored under two ids counts once)"))
    for name, column in (
        ("tasks", "task_id"),
        ("estimator configurations", "label"),
        ("sample sizes", "n"),
    ):
        out.append((name, f"{results[column].nunique():,}"))
    if "seed" in results.columns:
        out.append(("seeds", f"{results['seed'].nunique():,}"))
    for name, column in (
        ("job kinds", "job_kind"),
        ("mibench", "mibench_version"),
        ("git commit", "git_commit"),
        ("Python", "python_version"),
        ("numpy", "numpy_version"),
        ("torch", "torch_version"),
        ("host", "host"),
        ("device", "device"),
    ):
        if column in results.columns:
            values = sorted({str(v) for v in results[column].dropna()})
            if values:
                out.append((name, ", ".join(values)))
    if {"started_at", "finished_at"} <= set(results.columns):
        started, finished = results["started_at"].dropna(), results["finished_at"].dropna()
        if not started.empty and not finished.empty:
            out.append(("computed", f"{started.astype(str).min()} to {finished.astype(str).max()}"))
    return out


def _figure(path: Path) -> dict[str, str]:
    data = base64.b64encode(path.read_bytes()).decode()
    return {"name": path.name, "src": f"data:image/png;base64,{data}"}


#: Folders of a run folder whose PNG figures its page shows: its own (``mibench run``), the
#: default output of ``mibench plot`` and the report folder.
FIGURE_FOLDERS = (".", "figures", "report")


def run_figures(folder: Path) -> list[Path]:
    """The PNG figures of a run folder (:data:`FIGURE_FOLDERS`), by folder then name."""
    return [p for sub in FIGURE_FOLDERS for p in sorted((folder / sub).glob("*.png"))]


def _slug(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")


def render_page(
    results: pd.DataFrame,
    traces: pd.DataFrame,
    *,
    title: str,
    about: Sequence[str] = (),
    figures: Sequence[Path] = (),
    commands: str = "",
    summary: pd.DataFrame | None = None,
    tables: Sequence[tuple[str, str, pd.DataFrame]] = (),
) -> str:
    """The HTML text of the page of ``results`` (see the module docstring).

    Args:
        results: a results table (the columns :func:`~mibench.report.metrics.summarize`
            needs), or an empty table for a page of figures and ``tables`` alone (a figure
            computed without estimator cells).
        traces: its training traces (cell_id, step, train_value, test_value; may be empty).
        title: the page title.
        about: paragraphs shown under the title (a figure's caption).
        figures: PNG files to embed, in order.
        commands: the commands that made the results (shown verbatim), or "".
        summary: :func:`~mibench.report.metrics.summarize` of ``results`` when the caller
            has it (computed otherwise).
        tables: more tables to show after those of the results, as (title, caption, frame).

    Raises:
        ValueError: when a non-empty ``results`` lacks a required column (as
            :func:`~mibench.report.metrics.summarize`).
    """
    shown: list[Table] = []
    document: dict = {"keys": [], "groups": [], "profiles": {}}
    facts: list[tuple[str, str]] = []
    if not results.empty:
        about = [*about, *bound_notes(results["estimator"])]
        if summary is None:
            summary = summarize(results)
        cells = distinct_cells(results)
        cells = cells.assign(label=configuration_labels(cells))
        families = _families(results)
        shown += [summary_table(summary, families), failure_table(cells)]
        ranking = ranking_table(summary, families)
        if ranking is not None:
            shown.append(ranking)
        if has_intervals(results):
            shown.append(
                _frame_table(
                    "coverage",
                    "Coverage of the error bars",
                    "Share of seeds whose 95 % interval holds the true MI, per (task, "
                    "estimator, n, error-bar method), with its Wilson interval and the mean "
                    "width (nats).",
                    coverage_table(results),
                    {k: h for k, (h, _) in COVERAGE_DISPLAY.items()},
                )
            )
        # a table made by hand without seeds has no halves to split
        best = best_configurations(results) if "seed" in results else pd.DataFrame()
        if not best.empty:
            shown.append(
                _frame_table(
                    "best",
                    "Best configuration per task",
                    "For each estimator run in several configurations: the configuration "
                    "with the smallest RMSE on the selection half of the seeds, and its RMSE "
                    "on the other half (rows marked optimistic select and evaluate on the "
                    "same seeds).",
                    best,
                    {k: h for k, (h, _) in BEST_DISPLAY.items()},
                )
            )
        document = cell_data(cells, traces, summary)
        facts = provenance(results)
    shown += [_frame_table(_slug(t), t, caption, frame) for t, caption, frame in tables]
    env = Environment(
        loader=PackageLoader("mibench.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    assets = resources.files("mibench.report") / "templates"
    return env.get_template("report.html.j2").render(
        style=Markup((assets / "report.css").read_text(encoding="utf-8")),
        script=Markup((assets / "report.js").read_text(encoding="utf-8")),
        title=title,
        about=list(about),
        provenance=facts,
        commands=commands,
        tables=shown,
        figures=[_figure(Path(p)) for p in figures],
        details=bool(document["groups"]),
        data=_packed(document),
    )


def write_page(
    results: pd.DataFrame,
    traces: pd.DataFrame,
    path: str | Path,
    **options: object,
) -> Path:
    """Write :func:`render_page` of ``results`` to ``path`` (folders created); returns it.

    ``options`` are the keyword arguments of :func:`render_page`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_page(results, traces, **options), encoding="utf-8")  # type: ignore[arg-type]
    return path


def write_run_page(source: str | Path, out_dir: str | Path) -> Path:
    """Write the page of a run folder or results file into ``out_dir`` / :data:`PAGE_FILE`.

    The page embeds the figures of the run folder (:func:`run_figures`), its training traces
    and its ``COMMAND.txt`` when there is one. For a results file, the run folder is the
    folder the file is in: its traces are those of the file's cells, and its figures are
    shown as they are.

    Raises:
        ValueError: as :func:`~mibench.report.load.load_results`.
    """
    from mibench.report.load import load_results, load_traces

    source = Path(source)
    folder = source if source.is_dir() else source.parent
    results = load_results(source)
    traces = load_traces(source)
    if traces.empty and not source.is_dir():
        try:
            traces = load_traces(folder)
        except ValueError:  # a folder without a results file: no traces beside it
            pass
    commands = folder / "COMMAND.txt"
    return write_page(
        results,
        traces,
        Path(out_dir) / PAGE_FILE,
        title=f"mibench results: {folder.resolve().name}",
        figures=run_figures(folder),
        commands=commands.read_text(encoding="utf-8") if commands.is_file() else "",
    )
