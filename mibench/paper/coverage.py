"""Coverage of the 95 % error bars: how often each estimator's interval holds the true MI.

The ``quick`` suite (8 tasks, 1×1 to 5×5) × 50 seeds, each estimator with its own error bar
(:mod:`mibench.errorbars`): KSG (subsampling), Gaussian and histogram (bootstrap) at
n ∈ {100, 300, 1000, 3000, 10000}; NWJ with its held-out interval (no extra training) and again
with the spread of its batched seeds (``"seeds"``), at n ∈ {100, 300, 1000} (InfoNCE and
larger n did not fit the figure's time budget on 2 CPU cores; see docs/figures.md).
Per (task, estimator, n), the figure shows the share of seeds whose interval contains the true
MI, with its Wilson 95 % band, and the mean interval width
(:func:`mibench.report.coverage.coverage_table`). With 50 seeds a true coverage of 0.80 is told
from 0.95 (the Wilson upper bound falls below 0.95 with probability 0.95).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import LogFormatter, NullFormatter

from mibench.errorbars import LEVEL
from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork, fixed_work
from mibench.report.coverage import coverage_table
from mibench.report.figures import save_figure, set_log_n_axis
from mibench.report.palette import display_name, estimator_styles
from mibench.report.tables import write_report
from mibench.tasks import list_tasks

#: Seeds, and sample sizes of the classical and the neural estimators, at full scale.
SEEDS = 50
NS_CLASSICAL = (100, 300, 1000, 3000, 10_000)
NS_NEURAL = (100, 300, 1000)
#: The estimators drawn with their own error bar (``error_bar="auto"``).
CLASSICAL = ("ksg", "gaussian", "histogram")
NEURAL = ("nwj",)
#: The neural estimators drawn again with the spread of their batched seeds.
SEEDS_ESTIMATORS = ("nwj",)


def plan(scale: Scale) -> FigureWork:
    """The ``quick`` suite × 50 seeds (scaled, at least 3): :data:`CLASSICAL` on
    :data:`NS_CLASSICAL` and :data:`NEURAL` on :data:`NS_NEURAL` with ``error_bar="auto"``, and
    :data:`SEEDS_ESTIMATORS` on :data:`NS_NEURAL` with ``"seeds"``."""
    tasks = list_tasks("quick")
    parts = [
        fixed_work(tasks, CLASSICAL, NS_CLASSICAL, SEEDS, scale, min_seeds=3, error_bar="auto"),
        fixed_work(tasks, NEURAL, NS_NEURAL, SEEDS, scale, min_seeds=3, error_bar="auto"),
        fixed_work(
            tasks, SEEDS_ESTIMATORS, NS_NEURAL, SEEDS, scale, min_seeds=3, error_bar="seeds"
        ),
    ]
    return FigureWork(tuple(c for p in parts for c in p.cells), parts[0].tasks)


def _series(table: pd.DataFrame) -> pd.Series:
    """One name per (estimator, error-bar method): ``"NWJ (seeds)"`` (the figure runs each
    estimator with its defaults)."""
    return table["estimator"].map(display_name) + " (" + table["error_bar"].astype(str) + ")"


def plot_coverage(table: pd.DataFrame) -> plt.Figure:
    """Coverage (top two rows, Wilson band shaded) and mean interval width (bottom two rows,
    log scale) against n, one panel per task; ``table`` from :func:`coverage_table`."""
    table = table.assign(series=_series(table))
    tasks = list(dict.fromkeys(table["task_id"]))
    styles = estimator_styles(table["series"])
    ncols = 4
    nrows = -(-len(tasks) // ncols)
    fig, axes = plt.subplots(
        2 * nrows,
        ncols,
        figsize=(3.6 * ncols, 2.7 * 2 * nrows),
        squeeze=False,
        layout="constrained",
    )
    for i, task in enumerate(tasks):
        cov_ax = axes[i // ncols, i % ncols]
        width_ax = axes[nrows + i // ncols, i % ncols]
        t = table[table["task_id"] == task]
        for series, s in t.groupby("series", sort=True):
            s, st = s.sort_values("n"), styles[series]
            cov_ax.plot(s["n"], s["coverage"], color=st.color, marker=st.marker, ms=3)
            cov_ax.fill_between(
                s["n"], s["coverage_low"], s["coverage_high"], color=st.color, alpha=0.12, lw=0
            )
            width_ax.plot(s["n"], s["mean_width"], color=st.color, marker=st.marker, ms=3)
        cov_ax.axhline(LEVEL, color="black", lw=0.8, ls=":")
        cov_ax.set_ylim(-0.02, 1.02)
        title = f"{task}\ntrue MI {t['mi_true'].iloc[0]:.3f}"
        for ax, unit in ((cov_ax, "coverage"), (width_ax, "interval width (nats)")):
            set_log_n_axis(ax, table["n"])
            ax.set_title(title, fontsize=8)
            ax.set_xlabel("n (samples)", fontsize=8)
            ax.set_ylabel(unit, fontsize=8)
            ax.tick_params(labelsize=7)
        width_ax.set_yscale("log")
        width_ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
        width_ax.yaxis.set_minor_formatter(NullFormatter())
    for k in range(len(tasks), nrows * ncols):  # empty slots of both halves
        axes[k // ncols, k % ncols].set_visible(False)
        axes[nrows + k // ncols, k % ncols].set_visible(False)
    handles = [
        Line2D([], [], color=styles[s].color, marker=styles[s].marker, label=s)
        for s in sorted(styles)
    ]
    handles.append(Line2D([], [], color="black", ls=":", label=f"nominal {LEVEL:.2f}"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(4, len(handles)), fontsize=8)
    return fig


def draw(drawing: Drawing) -> list[Path]:
    """Write ``coverage.{png,pdf}`` and the report tables (``coverage.csv`` among them)."""
    table = coverage_table(drawing.results)
    fig = plot_coverage(table)
    seeds = int(drawing.results["seed"].nunique())
    set_title(
        fig,
        "Coverage of 95 % error bars against n, quick suite",
        drawing.caption(
            f"Share of {seeds} seeds whose interval holds the true MI (band: Wilson 95 %), and "
            "the mean interval width. Intervals measure sampling variability, not bias."
        ),
    )
    written = save_figure(fig, drawing.folder / "coverage")
    return written + write_report(drawing.results, drawing.folder)


FIGURE = register_figure(
    PaperFigure(
        name="coverage",
        description="coverage of 95 % error bars and their width against n, quick suite",
        source="mibench (error bars: Holmes & Nemenman 2019 subsampling, the bootstrap, "
        "held-out and seed intervals)",
        plan=plan,
        draw=draw,
    )
)
