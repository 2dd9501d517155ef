"""The ``mode-collapse`` figure: each neural estimator as a GAN's entropy term (MINE, §5.1).

Plan: the four benchmarks of :mod:`mibench.regularizers.mode_collapse` (grid25, ring8,
stacked digits, linear Gaussian) × 13 settings (``none``, the plain GAN; then −β·Î for each of
MINE, MINE-f, JSD, InfoNCE, DV and SMILE, with and without adaptive clipping) × 5 seeds at
full scale, β fixed per benchmark (:data:`BETAS`). ``--scale`` shrinks the training steps
(at least 10) and the seeds (at least 1); the evaluation protocol (sample sizes, thresholds)
is the same at every scale.

Drawn: ``summary.csv`` (:func:`~mibench.regularizers.summary.summarize_training`: one row per
benchmark × setting, mean and sd over seeds of every metric) and ``mode_collapse.{png,pdf}``:
modes captured, high-quality share and KL(mode histogram ‖ uniform) per estimator for the
three mode data sets (mean ± sd over the ok seeds; open markers without clipping, filled with;
the plain GAN as a grey line and band), and for the linear-Gaussian generator the term's
estimate against the exact I(Z; Y) over training and the mean absolute error of the estimate.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork
from mibench.regularizers.benchmark import NO_REGULARIZER, Setting
from mibench.regularizers.mode_collapse import (
    BENCHMARKS,
    Grid25,
    LinearGaussianGan,
    NoisyGanBenchmark,
    Ring8,
    StackedDigitsGan,
)
from mibench.regularizers.summary import summarize_training
from mibench.report.figures import save_figure
from mibench.report.palette import estimator_styles

#: The regularisers (registry names; ``nwj`` is left out: it is ``mine-f``).
ESTIMATORS = ("mine", "mine-f", "jsd", "infonce", "dv", "smile")
#: β of the regularised runs, per benchmark id.
BETAS: dict[str, float] = {
    Grid25.id: 0.1,
    Ring8.id: 0.1,
    StackedDigitsGan.id: 1.0,
    LinearGaussianGan.id: 0.1,
}
#: Replicate seeds at full scale.
SEEDS = 5
#: The panels of the mode data sets: metric column, axis label.
MODE_METRICS = (
    ("modes", "modes captured"),
    ("high_quality", "high-quality share"),
    ("kl_uniform", "KL(modes ‖ uniform) (nats)"),
)


def settings(beta: float) -> list[Setting]:
    """``none``, then each estimator at ``beta`` without and with adaptive clipping."""
    out = [Setting(NO_REGULARIZER)]
    out += [Setting(name, beta, clip) for name in ESTIMATORS for clip in (False, True)]
    return out


def benchmarks(scale: Scale) -> list[NoisyGanBenchmark]:
    """The four benchmarks with their step counts shrunk to ``scale`` (at least 10)."""
    return [cls(scale.steps(cls.default_steps, floor=10)) for cls in BENCHMARKS]


def plan(scale: Scale) -> FigureWork:
    """Every benchmark × :func:`settings` × 5 seeds (scaled, at least 1)."""
    tasks = benchmarks(scale)
    seeds = range(scale.seeds(SEEDS, floor=1))
    cells = [c for b in tasks for c in b.cells(settings(BETAS[b.id]), seeds)]
    return FigureWork(cells=tuple(cells), tasks=tuple(tasks))


def _mode_panel(ax, rows: pd.DataFrame, metric: str, styles: dict) -> None:
    plain = rows[rows["regularizer"] == NO_REGULARIZER]
    if len(plain) and np.isfinite(plain[f"{metric}_mean"].iloc[0]):
        m, s = plain[f"{metric}_mean"].iloc[0], plain[f"{metric}_sd"].fillna(0.0).iloc[0]
        ax.axhline(m, color="0.4", lw=1.2, label="none (plain GAN)")
        ax.axhspan(m - s, m + s, color="0.85", zorder=0)
    for i, name in enumerate(ESTIMATORS):
        st = styles[name]
        for clip, dx in ((False, -0.15), (True, 0.15)):
            r = rows[(rows["regularizer"] == name) & (rows["clip"] == clip)]
            if r.empty:
                continue
            ax.errorbar(
                i + dx,
                r[f"{metric}_mean"].iloc[0],
                yerr=np.nan_to_num(r[f"{metric}_sd"].iloc[0]),
                color=st.color,
                marker=st.marker,
                mfc=st.color if clip else "white",
                ms=6,
                capsize=2,
                lw=1,
                ls="none",
            )
    ax.set_xticks(range(len(ESTIMATORS)), [styles[n].display_name for n in ESTIMATORS])
    ax.tick_params(axis="x", labelsize=7, rotation=30)
    ax.set_xlim(-0.6, len(ESTIMATORS) - 0.4)


def _linear_panels(
    axes, summary: pd.DataFrame, results: pd.DataFrame, traces: pd.DataFrame, styles: dict
) -> None:
    rows = results[(results["task_id"] == LinearGaussianGan.id) & (results["status"] == "ok")]
    merged = traces.merge(rows[["cell_id", "estimator", "params_json"]], on="cell_id")
    merged["clip"] = merged["params_json"].str.contains('"clip":true')
    for ax, clip in zip(axes[:2], (False, True), strict=True):
        for name in ESTIMATORS:
            part = merged[(merged["estimator"] == name) & (merged["clip"] == clip)]
            if part.empty:
                continue
            mean = part.groupby("step")[["train_value", "test_value"]].mean()
            st = styles[name]
            ax.plot(mean.index, mean["train_value"], color=st.color, lw=1.1, label=st.display_name)
            ax.plot(mean.index, mean["test_value"], color=st.color, lw=0.9, ls="--")
        ax.axhline(LinearGaussianGan().mi_target, color="black", lw=0.8, ls=":")
        ax.set_xlabel("training step")
        ax.set_ylabel("I(Z; Y) (nats)")
        ax.set_title(f"linear Gaussian, {'with' if clip else 'no'} clipping", fontsize=9)
    handles, _ = axes[0].get_legend_handles_labels()
    handles += [
        Line2D([], [], color="0.3", lw=1.1, label="estimate Î (mean over seeds)"),
        Line2D([], [], color="0.3", lw=0.9, ls="--", label="exact I(Z; Y)"),
        Line2D([], [], color="black", lw=0.8, ls=":", label="I of a matched generator"),
    ]
    axes[0].legend(handles=handles, fontsize=6, ncol=2)
    lin = summary[summary["benchmark"] == LinearGaussianGan.id]
    ax = axes[2]
    for i, name in enumerate(ESTIMATORS):
        st = styles[name]
        for clip, dx in ((False, -0.15), (True, 0.15)):
            r = lin[(lin["regularizer"] == name) & (lin["clip"] == clip)]
            if r.empty or "mi_abs_error_mean" not in r:
                continue
            ax.errorbar(
                i + dx,
                r["mi_abs_error_mean"].iloc[0],
                yerr=np.nan_to_num(r["mi_abs_error_sd"].iloc[0]),
                color=st.color,
                marker=st.marker,
                mfc=st.color if clip else "white",
                ms=6,
                capsize=2,
                ls="none",
            )
    plain = lin[lin["regularizer"] == NO_REGULARIZER]
    if len(plain) and "mi_abs_error_mean" in plain:
        ax.axhline(plain["mi_abs_error_mean"].iloc[0], color="0.4", lw=1.2)
    ax.set_xticks(range(len(ESTIMATORS)), [styles[n].display_name for n in ESTIMATORS])
    ax.tick_params(axis="x", labelsize=7, rotation=30)
    ax.set_ylabel("mean |estimate − exact| (nats)")
    ax.set_title("linear Gaussian: error of the term over training", fontsize=9)


def draw(drawing: Drawing) -> list[Path]:
    """Write ``summary.csv`` and ``mode_collapse.{png,pdf}`` into the run folder."""
    summary = summarize_training(drawing.results)
    summary.to_csv(drawing.folder / "summary.csv", index=False, float_format="%.6g")
    styles = estimator_styles(ESTIMATORS)
    mode_sets = (Grid25, Ring8, StackedDigitsGan)
    fig, axes = plt.subplots(4, 3, figsize=(12, 13.5), layout="constrained")
    for col, cls in enumerate(mode_sets):
        rows = summary[summary["benchmark"] == cls.id]
        for row, (metric, label) in enumerate(MODE_METRICS):
            ax = axes[row, col]
            if f"{metric}_mean" in rows:
                _mode_panel(ax, rows, metric, styles)
            ax.set_ylabel(label, fontsize=8)
            if row == 0:
                short = cls.id.removeprefix("mode-collapse-")
                ax.set_title(f"{short} (β = {BETAS[cls.id]:g})", fontsize=9)
    axes[0, 0].legend(
        handles=[
            Line2D([], [], color="0.4", lw=1.2, label="none (plain GAN) ± sd"),
            Line2D([], [], color="0.3", marker="o", mfc="white", ls="none", label="no clipping"),
            Line2D([], [], color="0.3", marker="o", ls="none", label="adaptive clipping"),
        ],
        fontsize=7,
        loc="best",
    )
    _linear_panels(axes[3], summary, drawing.results, drawing.traces, styles)
    results = drawing.results
    failed = int((results["status"] != "ok").sum())
    seeds = int(results["seed"].nunique())
    steps = ", ".join(
        f"{int(n):,} ({cls.id.removeprefix('mode-collapse-')})"
        for cls in BENCHMARKS
        for n in results.loc[results["task_id"] == cls.id, "n"].unique()
    )
    text = drawing.caption(
        "GANs with a noisy generator Y = G(Z) + σε and generator loss −log D(Y) − β·Î(Z; Y) "
        "(open markers: no clipping; filled: MINE's adaptive clipping; grey line and band: the "
        "plain GAN, whose readout comes from an InfoNCE monitor critic that never reaches it). "
        "High quality: within 3 sd of the nearest centre (2-D) or classifier "
        "confidence >= 0.9 on all three digits; a mode is captured with >= 20 of 2,500 (2-D) "
        f"or >= 1 of 10,000 (digits) high-quality samples. Steps {steps}; mean ± 1 sd over "
        f"the ok cells of {seeds} seed(s); {failed} of {len(results)} cells failed (left out "
        "of the means; counted in summary.csv)."
    )
    set_title(fig, "Mode collapse: each MI estimator as a GAN's entropy term (MINE §5.1)", text)
    written = save_figure(fig, drawing.folder / "mode_collapse")
    return [*written, drawing.folder / "summary.csv"]


FIGURE = register_figure(
    PaperFigure(
        name="mode-collapse",
        description="GANs with each estimator's I(Z; G(Z)+σε) term: modes, quality, KL, exact MI",
        source="Belghazi et al. (2018), MINE, §5.1 (maximising I to reduce mode collapse)",
        plan=plan,
        draw=draw,
    )
)
