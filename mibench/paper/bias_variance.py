"""Bias and standard deviation against n on the ``quick`` suite, every built-in estimator.

8 small tasks (1×1 to 5×5) × every built-in estimator
(:func:`~mibench.paper.work.builtin_estimators`, with its defaults), n ∈ {100, 500, 1000, 3000,
5000, 10000} (the standard suite's sizes), 10 seeds; one panel per task with the bias (solid)
and the sd over seeds (dashed) against n (:func:`~mibench.report.figures.plot_bias_sd_vs_n`),
and the metric summary table.
"""

from __future__ import annotations

from pathlib import Path

from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork, builtin_estimators, fixed_work
from mibench.report.figures import plot_bias_sd_vs_n, save_figure
from mibench.report.metrics import summarize
from mibench.report.tables import write_report
from mibench.tasks import list_tasks

#: Sample sizes and seeds at full scale.
NS, SEEDS = (100, 500, 1000, 3000, 5000, 10_000), 10


def plan(scale: Scale) -> FigureWork:
    """The ``quick`` suite × every built-in estimator × NS × 10 seeds (scaled, at least 3)."""
    return fixed_work(list_tasks("quick"), builtin_estimators(), NS, SEEDS, scale, min_seeds=3)


def draw(drawing: Drawing) -> list[Path]:
    """Write ``bias_variance.{png,pdf}`` and the report tables into the run folder."""
    summary = summarize(drawing.results)
    fig = plot_bias_sd_vs_n(summary)
    seeds = int(drawing.results["seed"].nunique())
    set_title(
        fig,
        "Bias and sd against n, quick suite",
        drawing.caption(f"Bias = mean − true MI (nats) and sd over {seeds} seed(s)."),
    )
    written = save_figure(fig, drawing.folder / "bias_variance")
    return written + write_report(drawing.results, drawing.folder)


FIGURE = register_figure(
    PaperFigure(
        name="bias-variance",
        description="bias and sd against n on the quick suite, every built-in estimator",
        source="mibench (the bias/variance protocol of Czyż et al. 2023 on the quick suite)",
        plan=plan,
        draw=draw,
    )
)
