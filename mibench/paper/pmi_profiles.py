"""PMI profiles of the standard suite (after Czyż et al., "On the properties and estimation of
pointwise mutual information profiles", arXiv:2310.10240).

One panel per task of the ``standard`` suite that has densities
(:func:`~mibench.tasks.profiles.has_pmi`). Each panel shows the histogram of its pointwise MI
over :data:`N` draws of the task's base distribution (:func:`~mibench.tasks.profiles.pmi_profile`,
seed :data:`SEED`, :data:`BINS` bins), with the true MI (black) and the profile's mean
(dashed) as vertical lines. The caption names the tasks left out for lack of densities.
Transforms leave the PMI unchanged, so a transformed task shows its base's profile, drawn
from the same draws; its panel names the first earlier task with that profile.
``pmi_profiles.csv`` has one row per task with the true MI, mean, standard error, sd,
quantiles, n and z = (mean − true MI) / its standard error.

No estimator runs: the plan has no cells and :func:`draw` computes the profiles itself. They
are deterministic for their seed, so a rerun writes the same files.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork
from mibench.report.figures import save_figure
from mibench.tasks import PMIProfile, has_pmi, list_tasks, pmi_profile
from mibench.tasks.profiles import HISTOGRAM_TAIL

#: Draws per task at full scale (at a smaller scale: shrunk, at least :data:`MIN_N`).
N, MIN_N = 100_000, 1_000
#: Histogram bins of the central range and the seed of every profile.
BINS, SEED = 80, 0
#: Panels per row of the figure.
NCOLS = 5
#: A panel's x axis spans the 1 %–99 % quantiles of its PMI, widened by this share of their
#: distance on each side (the histogram itself spans every draw).
XLIM_MARGIN = 0.25
#: The y axis reaches this multiple of the highest bin, leaving room for the panel's note.
HEADROOM = 1.6
#: Colours of the histogram and of the profile-mean line (black is left to the true MI).
BAR_COLOR, MEAN_COLOR = "#9ecae1", "#d62728"


def plan(scale: Scale) -> FigureWork:
    """No cells: the profiles are computed by :func:`draw`."""
    return FigureWork(cells=(), tasks=())


def profiles(n: int) -> tuple[list[PMIProfile], list[str]]:
    """The profiles of the standard suite's tasks with densities at ``n`` draws, and the ids
    of the tasks without densities, both in suite order."""
    tasks = list_tasks("standard")
    drawn, without = [], []
    for t in tasks:
        if has_pmi(t):
            drawn.append(pmi_profile(t, n=n, seed=SEED, bins=BINS))
        else:
            without.append(t.id)
    return drawn, without


def profile_table(drawn: list[PMIProfile]) -> pd.DataFrame:
    """One row per profile: task_id, true_mi, true_mi_stderr, mean, stderr, z, sd, one
    column per quantile (``q01`` … ``q99``) and n (nats)."""
    rows = []
    for p in drawn:
        se = math.hypot(p.stderr, p.true_mi_stderr)
        row = {
            "task_id": p.task_id,
            "true_mi": p.true_mi,
            "true_mi_stderr": p.true_mi_stderr,
            "mean": p.mean,
            "stderr": p.stderr,
            "z": (p.mean - p.true_mi) / se if se > 0 else math.nan,
            "sd": p.sd,
        }
        row.update(
            {
                f"q{round(100 * q):02d}": v
                for q, v in zip(p.quantile_levels, p.quantiles, strict=True)
            }
        )
        rows.append({**row, "n": p.n})
    return pd.DataFrame(rows)


def _base_ids(drawn: list[PMIProfile]) -> dict[str, str]:
    """Task id → the first earlier task with the identical profile (a task on the same base
    distribution: the same draws), for the tasks that have one."""
    first: dict[tuple, str] = {}
    same = {}
    for p in drawn:
        key = (p.bin_edges, p.density)
        if key in first:
            same[p.task_id] = first[key]
        else:
            first[key] = p.task_id
    return same


def plot_profiles(drawn: list[PMIProfile]) -> plt.Figure:
    """Small multiples: one PMI histogram per profile with its true MI and mean."""
    nrows = -(-len(drawn) // NCOLS)
    fig, axes = plt.subplots(
        nrows,
        NCOLS,
        squeeze=False,
        figsize=(3.2 * NCOLS, 2.4 * nrows + 1.3),
        layout="constrained",
    )
    for ax in axes.ravel()[len(drawn) :]:
        ax.set_visible(False)
    same = _base_ids(drawn)
    for ax, p in zip(axes.ravel(), drawn, strict=False):
        ax.stairs(p.density, p.bin_edges, fill=True, color=BAR_COLOR, lw=0)
        ax.axvline(p.true_mi, color="black", lw=1.2, label="true MI", zorder=4)
        ax.axvline(p.mean, color=MEAN_COLOR, lw=1.2, ls="--", label="profile mean", zorder=4)
        levels = dict(zip(p.quantile_levels, p.quantiles, strict=True))
        low, high = levels[0.01], levels[0.99]
        margin = XLIM_MARGIN * (high - low)
        ax.set_xlim(low - margin, high + margin)
        ax.set_ylim(0, HEADROOM * max(p.density))
        ax.set_title(p.task_id, fontsize=7)
        note = f"I = {p.true_mi:.3f}\nmean = {p.mean:.3f} ± {p.stderr:.3f}\nsd = {p.sd:.2f}"
        if p.task_id in same:
            note += f"\nsame as {same[p.task_id]}"
        ax.text(
            0.02,
            0.97,
            note,
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=6,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5},
            zorder=5,
        )
        ax.tick_params(labelsize=6)
        ax.set_xlabel("PMI (nats)", fontsize=6, labelpad=1)
        ax.set_ylabel("density", fontsize=6, labelpad=1)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2, fontsize="small")
    return fig


def draw(drawing: Drawing) -> list[Path]:
    """Compute the profiles at the drawing's scale; write ``pmi_profiles.{png,pdf}`` and
    ``pmi_profiles.csv`` into its folder."""
    n = drawing.scale.n(N, floor=MIN_N)
    drawn, left_out = profiles(n)
    table = profile_table(drawn)
    table.to_csv(drawing.folder / "pmi_profiles.csv", index=False, float_format="%.6g")
    fig = plot_profiles(drawn)
    set_title(
        fig,
        f"PMI profiles of the standard suite (n = {n:,} draws per task, seed {SEED})",
        drawing.caption(
            "Histogram of PMI(x, y) = log p(x, y) − log p(x) − log p(y) over the draws of each "
            f"task's base distribution: {BINS} equal-width bins between the "
            f"{100 * HISTOGRAM_TAIL:g} % and {100 * (1 - HISTOGRAM_TAIL):g} % quantiles and one "
            "bin on each side for the tails; x axis: the 1 %–99 % quantiles widened by "
            f"{XLIM_MARGIN:g} of their distance on each side. A task's transforms leave every "
            'PMI unchanged, so a transformed task shows its base\'s profile ("same as"). Black: '
            "the true MI; dashed red: the profile mean (± its standard error in the panel); "
            f"largest |mean − true MI| / standard error: {table['z'].abs().max():.1f}. Left out "
            f"(no densities): {', '.join(left_out) if left_out else 'none'}."
        ),
    )
    written = save_figure(fig, drawing.folder / "pmi_profiles")
    return [*written, drawing.folder / "pmi_profiles.csv"]


FIGURE = register_figure(
    PaperFigure(
        name="pmi-profiles",
        description="PMI profile (histogram of the pointwise MI) of every standard-suite task "
        "with densities, with its true MI and mean",
        source="Czyż et al. (2023), On the properties and estimation of pointwise mutual "
        "information profiles (arXiv:2310.10240)",
        plan=plan,
        draw=draw,
    )
)
