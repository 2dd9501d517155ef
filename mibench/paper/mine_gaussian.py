"""The Gaussian test of the MINE paper (Belghazi et al. 2018, Fig. 1).

d-dimensional X and Z with corr(X_i, Z_j) = δ_ij ρ, ρ swept over (−1, 1), d = 2 and d = 20 (the
``mine-gaussian`` suite); MINE, MINE-f and KSG estimate I(X; Z) against the true curve −(d/2)
ln(1 − ρ²) (Belghazi et al. 2018, §5.1). The paper does not state its sample size; mibench uses
n = 10,000 and 5 seeds (x and y standardised per column as in every mibench grid), with each
estimator's defaults. One panel per d: mean estimate ± 1 sd over seeds against ρ.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork, fixed_work
from mibench.report.figures import save_figure
from mibench.report.metrics import summarize
from mibench.report.palette import estimator_styles
from mibench.tasks import list_tasks
from mibench.tasks.gaussian import CorrelatedPairs

#: Estimators of the figure (registry names).
ESTIMATORS = ("mine", "mine-f", "ksg")
#: Sample size and seeds at full scale.
N, SEEDS = 10_000, 5


def plan(scale: Scale) -> FigureWork:
    """The ``mine-gaussian`` suite × MINE, MINE-f, KSG at n = 10,000, 5 seeds (scaled, >= 3)."""
    return fixed_work(list_tasks("mine-gaussian"), ESTIMATORS, [N], SEEDS, scale, min_seeds=3)


def _rho(task: object) -> float:
    """ρ of a ``mine-gaussian`` task, whose distribution is a :class:`CorrelatedPairs`."""
    dist = getattr(task, "distribution", None)
    if not isinstance(dist, CorrelatedPairs):
        raise TypeError(f"not a task of correlated normal pairs: {task!r}")
    return dist.rho


def draw(drawing: Drawing) -> list[Path]:
    """Write ``mine_gaussian.{png,pdf}`` and ``summary.csv`` into the run folder."""
    summary = summarize(drawing.results)
    tasks = {t.id: t for t in list_tasks("mine-gaussian")}
    summary["rho"] = [_rho(tasks[t]) for t in summary["task_id"]]
    summary["d"] = [tasks[t].dim_x for t in summary["task_id"]]
    styles = estimator_styles(summary["label"])
    dims = sorted(summary["d"].unique())
    fig, axes = plt.subplots(
        1, len(dims), squeeze=False, figsize=(5.2 * len(dims), 4.4), layout="constrained"
    )
    grid = np.linspace(summary["rho"].min(), summary["rho"].max(), 399)
    for ax, d in zip(axes[0], dims, strict=True):
        ax.plot(grid, -0.5 * d * np.log1p(-(grid**2)), color="black", lw=1.2, label="true MI")
        at_d = summary[summary["d"] == d]
        for label, s in at_d.groupby("label", sort=True):
            s = s.sort_values("rho")
            st = styles[label]
            ax.errorbar(
                s["rho"],
                s["mean"],
                yerr=s["sd"].fillna(0.0),
                color=st.color,
                marker=st.marker,
                ms=4,
                capsize=2,
                lw=1,
                label=st.display_name,
            )
        ax.set_title(f"d = {d}", fontsize=9)
        ax.set_xlabel("ρ")
        ax.set_ylabel("I(X; Z) (nats)")
        ax.legend(fontsize="small")
    n = int(summary["n"].max())
    seeds = int(drawing.results["seed"].nunique())
    text = drawing.caption(
        f"corr(X_i, Z_j) = δ_ij ρ; mean ± 1 sd over {seeds} seed(s) at n = {n}; each "
        "estimator with its mibench defaults."
    )
    set_title(fig, "MINE paper Gaussian test (Belghazi et al. 2018, Fig. 1)", text)
    written = save_figure(fig, drawing.folder / "mine_gaussian")
    summary.to_csv(drawing.folder / "summary.csv", index=False, float_format="%.6g")
    return [*written, drawing.folder / "summary.csv"]


FIGURE = register_figure(
    PaperFigure(
        name="mine-gaussian",
        description="MINE, MINE-f and KSG against rho for d = 2 and d = 20, with the true curve",
        source="Belghazi et al. (2018), MINE, Fig. 1",
        plan=plan,
        draw=draw,
    )
)
