"""Invariance profiles: how far each estimator moves under MI-preserving reparameterizations.

The ``invariance`` suite (:mod:`mibench.tasks.invariance`: 4 Gaussian bases, 10 transform
families × 3 strengths, and each base itself) × every built-in estimator, on paired draws:
every variant of a base sees the base's samples for a given (n, seed), so
Δ = Î(variant) − Î(base) measures the estimator, not sampling noise
(:mod:`mibench.report.invariance`).

Grid at full scale: the classical estimators at n ∈ {500, 2000} with 10 seeds, with and
without the per-column standardisation of the grid; the neural estimators at n = 2000 with
2 seeds, standardised only (they z-score their own inputs by default, so the grid's
standardisation changes little for them, and their fits are what the time budget allows).

Figures: ``invariance_profiles`` — one panel per family, mean Δ/I against strength at the
largest n with the grid's standardisation, one line per estimator, bands the 95 % t-interval
over seeds (the base ``multinormal-sparse-3-3-2-2.0``; the Swiss roll on
``1v1-normal-0.75``, the only base with 1-D X); ``invariance_heatmap`` — estimator × family
at its strongest strength, colour the mean over bases of |mean Δ|/I, with and without
standardisation. Tables: ``invariance.csv`` (one row per estimator, base, family, strength,
n, standardize) and ``invariance_scores.csv`` (the invariance score per estimator, family
and standardisation).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork, builtin_estimators, fixed_work, trains
from mibench.report.figures import save_figure
from mibench.report.invariance import invariance_scores, invariance_table
from mibench.report.palette import estimator_styles
from mibench.tasks import list_tasks
from mibench.tasks.invariance import FAMILIES

#: Sample sizes and seeds of the classical estimators at full scale.
CLASSICAL_NS, CLASSICAL_SEEDS = (500, 2000), 10
#: Sample size and seeds of the neural estimators at full scale.
NEURAL_N, NEURAL_SEEDS = 2000, 2
#: The base drawn in the profile panels (the Swiss roll panel uses the 1-D base).
PROFILE_BASE, PROFILE_BASE_1D = "multinormal-sparse-3-3-2-2.0", "1v1-normal-0.75"


def plan(scale: Scale) -> FigureWork:
    """The invariance suite × every built-in estimator (module docstring), scaled."""
    tasks = list_tasks("invariance")
    names = builtin_estimators()
    classical = [n for n in names if not trains(n)]
    neural = [n for n in names if trains(n)]
    parts = [
        fixed_work(tasks, classical, CLASSICAL_NS, CLASSICAL_SEEDS, scale, standardize=std)
        for std in (True, False)
    ]
    parts.append(fixed_work(tasks, neural, [NEURAL_N], NEURAL_SEEDS, scale))
    return FigureWork(cells=tuple(c for p in parts for c in p.cells), tasks=tuple(parts[0].tasks))


def plot_profiles(table: pd.DataFrame) -> plt.Figure:
    """One panel per family: mean Δ / I against strength at the largest n, standardised."""
    n = table["n"].max()
    at = table[(table["n"] == n) & table["standardize"].astype(bool)]
    styles = estimator_styles(sorted(at["estimator"].unique()))
    families = [f.name for f in FAMILIES if f.name in set(at["family"])]
    ncols = 5
    nrows = -(-len(families) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, squeeze=False, figsize=(3.3 * ncols, 2.8 * nrows + 1.2), layout="constrained"
    )
    for ax in axes.ravel()[len(families) :]:
        ax.set_visible(False)
    for ax, family in zip(axes.ravel(), families, strict=False):
        base = PROFILE_BASE_1D if family == "swissroll" else PROFILE_BASE
        panel = at[(at["family"] == family) & (at["base"] == base)]
        for label, g in panel.groupby("estimator", sort=True):
            g = g.sort_values("strength")
            st = styles[label]
            mi = g["mi_true"]
            ax.plot(
                g["strength"],
                g["delta_mean"] / mi,
                color=st.color,
                marker=st.marker,
                ms=3,
                lw=1,
                label=st.display_name,
            )
            ax.fill_between(
                g["strength"], g["ci_low"] / mi, g["ci_high"] / mi, color=st.color, alpha=0.12, lw=0
            )
        ax.axhline(0.0, color="black", lw=0.8)
        if family in ("asinh", "linear"):
            ax.set_xscale("log")
        stress = " (stress)" if panel["stress"].any() else ""
        ax.set_title(f"{family}{stress} on {base}", fontsize=8)
        ax.set_xlabel("strength", fontsize=8)
        ax.set_ylabel("mean Δ / true MI", fontsize=8)
        ax.tick_params(labelsize=7)
    handles, labels = axes.ravel()[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=7, fontsize="small")
    return fig


def plot_heatmap(table: pd.DataFrame) -> plt.Figure:
    """Estimator × family at the strongest strength and largest n: mean over bases of
    |mean Δ| / I, with and without the grid's standardisation ("failed": no ok pair; blank:
    not run)."""
    n = table["n"].max()
    strongest = table.groupby("family")["strength"].transform("max")
    at = table[(table["n"] == n) & (table["strength"] == strongest)]
    families = [f.name for f in FAMILIES if f.name in set(at["family"])]
    labels = sorted(table["estimator"].unique())
    names = [estimator_styles(labels)[lb].display_name for lb in labels]
    fig, axes = plt.subplots(
        1,
        2,
        figsize=(2.2 + 0.7 * len(families) * 2, 1.6 + max(0.32 * len(labels), 2.0)),
        layout="constrained",
        sharey=True,
    )
    for ax, std in zip(axes, (True, False), strict=True):
        part = at[at["standardize"].astype(bool) == std]
        grid, pairs = (
            part.pivot_table(index="estimator", columns="family", values=v, aggfunc=agg)
            .reindex(index=labels, columns=families)
            .to_numpy(dtype=float)
            for v, agg in (("rel_shift", "mean"), ("pairs", "sum"))
        )
        values = np.where(pairs > 0, grid, np.nan)
        image = ax.imshow(
            np.ma.masked_invalid(values), cmap="magma_r", vmin=0, vmax=1, aspect="auto"
        )
        for i in range(len(labels)):
            for j in range(len(families)):
                v = values[i, j]
                text = f"{v:.2f}" if pairs[i, j] > 0 else "failed" if pairs[i, j] == 0 else ""
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if v > 0.6 else "black",
                )
        ax.set_xticks(range(len(families)), families, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(len(labels)), names, fontsize=8)
        ax.set_title(f"{'with' if std else 'without'} standardisation (n = {n})", fontsize=9)
    bar = fig.colorbar(image, ax=axes, shrink=0.8)
    # Two short lines, so that the label stays inside the figure next to a short bar.
    bar.set_label("|mean Δ| / true MI\n(clipped at 1)", fontsize=8)
    return fig


def draw(drawing: Drawing) -> list[Path]:
    """Write the two figures (PNG and PDF) and ``invariance.csv``, ``invariance_scores.csv``
    and ``invariance_scores.md`` into the run folder."""
    table = invariance_table(drawing.results)
    scores = invariance_scores(table)
    folder = drawing.folder
    table.to_csv(folder / "invariance.csv", index=False, float_format="%.6g")
    scores.to_csv(folder / "invariance_scores.csv", index=False, float_format="%.6g")
    parts = []
    families = [f.name for f in FAMILIES if f.name in set(scores["family"])]
    for std, g in scores.groupby("standardize", sort=False):
        text = [
            f"{score:.3g}" + (f" ({failed} failed)" if failed else "")
            for score, failed in zip(g["score"], g["failed_variants"], strict=True)
        ]
        wide = g.assign(text=text).pivot(index="estimator", columns="family", values="text")
        title = "with" if bool(std) else "without"
        parts.append(
            f"Invariance score, {title} standardisation (largest |mean Δ| / I over the "
            'variants with an ok pair; "(k failed)": k variants had none)\n\n'
            + wide.reindex(columns=families).fillna("").to_markdown()
        )
    (folder / "invariance_scores.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    seeds = int(drawing.results["seed"].nunique())
    paired = (
        f"Paired draws; Δ = estimate on the variant − estimate on its base (nats), over up to "
        f"{seeds} seed(s)"
    )
    n = int(table["n"].max())
    profiles = plot_profiles(table)
    set_title(
        profiles,
        f"Invariance profiles: mean Δ / true MI against strength (n = {n}, standardised)",
        drawing.caption(f"{paired}; bands: 95 % t-interval of the mean Δ."),
    )
    heat = plot_heatmap(table)
    set_title(
        heat,
        "Invariance at the strongest strength: |mean Δ| / true MI, mean over bases",
        drawing.caption(f"{paired}; failed: no ok pair; blank: not run."),
    )
    written = save_figure(profiles, folder / "invariance_profiles")
    written += save_figure(heat, folder / "invariance_heatmap")
    return [
        *written,
        folder / "invariance.csv",
        folder / "invariance_scores.csv",
        folder / "invariance_scores.md",
    ]


FIGURE = register_figure(
    PaperFigure(
        name="invariance",
        description="paired invariance profiles and heatmap: Δ under 10 MI-preserving "
        "transform families, every built-in estimator",
        source="MI's invariance under reparameterization (Kraskov et al. 2004; Brakel & "
        "Bengio 2017), measured on paired draws",
        plan=plan,
        draw=draw,
    )
)
