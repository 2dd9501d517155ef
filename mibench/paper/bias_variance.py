"""Bias and standard deviation against n on the ``quick`` suite, every built-in estimator.

8 small tasks (1×1 to 5×5) × every built-in estimator
(:func:`~mibench.paper.work.builtin_estimators`, with its defaults), n ∈ {100, 500, 1000, 3000,
5000, 10000} (the standard suite's sizes), 10 seeds; one column per task and four rows: the
bias and the sd over seeds against n of the classical estimators, then of the neural ones
(:func:`~mibench.report.figures.plot_bias_sd_vs_n`), so that no panel holds more than seven
estimators; and the metric summary table.
"""

from __future__ import annotations

from pathlib import Path

from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork, builtin_estimators, fixed_work, trains
from mibench.report.figures import plot_bias_sd_vs_n, save_figure
from mibench.report.metrics import summarize
from mibench.report.tables import write_report
from mibench.tasks import list_tasks

#: Sample sizes and seeds at full scale.
NS, SEEDS = (100, 500, 1000, 3000, 5000, 10_000), 10


def plan(scale: Scale) -> FigureWork:
    """The ``quick`` suite × every built-in estimator × NS × 10 seeds (scaled, at least 3)."""
    return fixed_work(list_tasks("quick"), builtin_estimators(), NS, SEEDS, scale, min_seeds=3)


def _trains(name: str) -> bool:
    """:func:`~mibench.paper.work.trains`, False for an estimator no longer registered."""
    try:
        return trains(name)
    except ValueError:
        return False


def draw(drawing: Drawing) -> list[Path]:
    """Write ``bias_variance.{png,pdf}`` and the report tables into the run folder."""
    summary = summarize(drawing.results)
    estimator = dict(zip(summary["label"], summary["estimator"], strict=True))
    labels = sorted(estimator)
    neural = {lb for lb in labels if _trains(estimator[lb])}
    groups = {
        "classical": [lb for lb in labels if lb not in neural],
        "neural": [lb for lb in labels if lb in neural],
    }
    fig = plot_bias_sd_vs_n(summary, groups=groups, ncols=summary["task_id"].nunique())
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
