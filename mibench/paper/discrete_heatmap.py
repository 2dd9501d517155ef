"""The heatmap of discrete and mixed data: which estimator works where.

The tasks of the ``discrete-continuous`` suite (X uniform on {0..m−1}, Y | X ~ U(X, X + 2),
plain and transformed; Gao et al. 2017) and of the ``discrete`` suite (categorical X and Y, a
K-ary symmetric channel with exact MI) × the estimators for such data — the categorical
plug-in with Miller–Madow (``plugin``), Ross's kNN estimator for a discrete X and a continuous
Y (``ross``), the mixed KSG of Gao et al. (``mixed-ksg``) — beside two continuous estimators
for contrast (``ksg``, which refuses data with many ties, and ``histogram``), n ∈ {100, 500,
1000, 3000, 5000, 10000}, 5 seeds. An estimator that cannot take a task's variables (the
plug-in on a continuous Y, Ross's on a categorical Y) refuses it: a grey cell with the
refusal in its row. Drawn as the standard heatmap
(:func:`~mibench.paper.standard_heatmap.draw_heatmap`).
"""

from __future__ import annotations

from pathlib import Path

from mibench.paper.registry import Drawing, PaperFigure, register_figure
from mibench.paper.scale import Scale
from mibench.paper.standard_heatmap import NS, SEEDS, draw_heatmap
from mibench.paper.work import FigureWork, fixed_work
from mibench.tasks import list_tasks

#: The estimators of the figure: those for discrete and mixed data, then two continuous ones.
ESTIMATORS = ("plugin", "ross", "mixed-ksg", "ksg", "histogram")


def plan(scale: Scale) -> FigureWork:
    """The ``discrete-continuous`` and ``discrete`` suites × :data:`ESTIMATORS` × NS × 5 seeds
    (scaled)."""
    tasks = [*list_tasks("discrete-continuous"), *list_tasks("discrete")]
    return fixed_work(tasks, ESTIMATORS, NS, SEEDS, scale)


def draw(drawing: Drawing) -> list[Path]:
    """The heatmap, summary and samples-to-factor tables (:func:`draw_heatmap`)."""
    return draw_heatmap(drawing, "Discrete and mixed data")


FIGURE = register_figure(
    PaperFigure(
        name="discrete-heatmap",
        description="discrete-continuous and categorical tasks × the estimators for discrete "
        "and mixed data (plug-in, Ross, mixed KSG) and two continuous ones",
        source="Gao et al. (2017), NeurIPS, §5; Ross (2014); Miller (1955)",
        plan=plan,
        draw=draw,
    )
)
