"""The heatmap of the standard suite (Czyż et al. 2023, "Beyond Normal", Fig. 2 and Table 1).

The 40 tasks of the ``standard`` suite × every built-in estimator
(:func:`~mibench.paper.work.builtin_estimators`, with its defaults), n ∈ {100, 500, 1000, 3000,
5000, 10000}, 5 seeds (the paper uses 10; 5 is mibench's committed minimum), x and y
standardised per column. The figure is the heatmap of the mean estimate at n = 10,000 coloured
by the log ratio to the true MI clipped to ±1 (:func:`~mibench.report.figures.plot_heatmap`);
the tables are the metric summary and the samples-to-factor-1.5 table
(:func:`~mibench.report.tables.write_report`). The engine trains neural seeds as batched
groups and runs the largest n first, so the heatmap fills before the smaller sizes the
samples-to-factor table needs.
"""

from __future__ import annotations

from pathlib import Path

from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork, builtin_estimators, fixed_work
from mibench.report.figures import plot_heatmap, save_figure
from mibench.report.metrics import summarize
from mibench.report.tables import write_report
from mibench.tasks import list_tasks

#: Sample sizes and seeds at full scale.
NS, SEEDS = (100, 500, 1000, 3000, 5000, 10_000), 5


def plan(scale: Scale) -> FigureWork:
    """The ``standard`` suite × every built-in estimator × NS × 5 seeds (scaled)."""
    return fixed_work(list_tasks("standard"), builtin_estimators(), NS, SEEDS, scale)


def draw_heatmap(drawing: Drawing, suite: str) -> list[Path]:
    """Write ``heatmap.{png,pdf}``, ``summary.{csv,md,tex}`` and
    ``samples_to_factor_1.5.{csv,md,tex}`` of a heatmap run into its folder; ``suite`` names
    the tasks in the title (e.g. ``"Standard suite"``)."""
    summary = summarize(drawing.results)
    n = int(summary["n"].max())
    fig = plot_heatmap(summary, n)
    seeds = int(drawing.results["seed"].nunique())
    set_title(
        fig,
        f"{suite}, mean estimate (nats) at n = {n}",
        drawing.caption(
            f"Colour: ln(mean / true MI) clipped to ±1; mean over the ok rows of up to {seeds} "
            "seed(s); *: some seeds not ok (diverged or error), left out of that mean (see "
            "failure_rate, n_flagged and mean_with_flagged in summary.csv); grey: no ok row "
            "(failed, refused or not run yet)."
        ),
    )
    written = save_figure(fig, drawing.folder / "heatmap")
    return written + write_report(drawing.results, drawing.folder)


def draw(drawing: Drawing) -> list[Path]:
    """The heatmap of the standard suite (:func:`draw_heatmap`)."""
    return draw_heatmap(drawing, "Standard suite (Czyż et al. 2023)")


FIGURE = register_figure(
    PaperFigure(
        name="standard-heatmap",
        description="40-task heatmap at n = 10,000 and samples-to-factor-1.5 table, every "
        "built-in estimator",
        source="Czyż et al. (2023), Beyond Normal, Fig. 2 and Table 1",
        plan=plan,
        draw=draw,
    )
)
