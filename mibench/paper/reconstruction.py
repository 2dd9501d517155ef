"""The reconstruction bound with an MI term (the decomposition of the reconstruction error into
KL terms, H(p_d) and I_q(X; Z), after Belghazi et al. 2018; docs/figures.md).

Two training benchmarks of :mod:`mibench.regularizers.reconstruction`, each trained as the
plain model (``none``, the reconstruction loss alone, with an InfoNCE monitor critic that
never reaches the model) and with loss reconstruction − β·Î(X; Z) for each of MINE, MINE-f,
JSD, InfoNCE, DV and SMILE, with and without MINE's adaptive gradient clipping:

* ``reconstruction-linear-gaussian``: a linear-Gaussian autoencoder on 8-d Gaussian data
  (d_z = 4, encoder noise sd 1, learned diagonal decoder variance), 1,000 steps of batch
  256, β = 1; the term's estimate against the exact I_q of the current encoder at every
  step, and the exact reconstruction error R reached.
* ``reconstruction-digits``: an MLP autoencoder on ``load_digits`` (d_z = 8, tanh means,
  encoder noise sd 0.5, Bernoulli decoder), 1,500 steps of batch 128, β = 1; test
  reconstruction error and KL(q(z) ‖ N(0, I)) of the aggregate posterior (kNN estimate).

Five seeds (paired: every setting trains the same initial model on the same batches at a
seed). ``summary.csv`` holds one row per (benchmark, setting) with the mean and sd over seeds
of every metric.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes

from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork
from mibench.regularizers.benchmark import NO_REGULARIZER, Setting
from mibench.regularizers.reconstruction import (
    DigitsReconstruction,
    LinearGaussianReconstruction,
)
from mibench.regularizers.summary import summarize_training, training_metrics
from mibench.report.figures import save_figure
from mibench.report.palette import STANDARD_NAMES, estimator_styles

#: The regularisers of the grid (``nwj`` is left out: it is ``mine-f`` under another name).
ESTIMATORS = ("mine", "mine-f", "jsd", "infonce", "dv", "smile")
#: Outer training steps at full scale.
STEPS_LINEAR, STEPS_DIGITS = 1000, 1500
#: β of the MI term in each benchmark.
BETA_LINEAR, BETA_DIGITS = 1.0, 1.0
#: Replicate seeds at full scale.
SEEDS = 5


def settings(beta: float) -> list[Setting]:
    """``none``, then each estimator at ``beta`` without and with adaptive clipping."""
    return [Setting(NO_REGULARIZER)] + [
        Setting(e, beta, clip) for e in ESTIMATORS for clip in (False, True)
    ]


def benchmarks(scale: Scale) -> tuple[LinearGaussianReconstruction, DigitsReconstruction]:
    """The two benchmarks with their step counts shrunk to ``scale`` (at least 20)."""
    return (
        LinearGaussianReconstruction(steps=scale.steps(STEPS_LINEAR, floor=20)),
        DigitsReconstruction(steps=scale.steps(STEPS_DIGITS, floor=20)),
    )


def plan(scale: Scale) -> FigureWork:
    """Both benchmarks × (none + 6 estimators × clip off/on) × 5 seeds (scaled, >= 2)."""
    linear, digits = benchmarks(scale)
    seeds = list(range(scale.seeds(SEEDS, floor=2)))
    cells = linear.cells(settings(BETA_LINEAR), seeds) + digits.cells(settings(BETA_DIGITS), seeds)
    return FigureWork(tuple(cells), (linear, digits))


def _name(regularizer: str) -> str:
    return "none" if regularizer == NO_REGULARIZER else STANDARD_NAMES.get(regularizer, regularizer)


def _points(
    ax: Axes,
    summary: pd.DataFrame,
    metric: str,
    ylabel: str,
    title: str,
    plain_label: str = "none (plain model)",
) -> None:
    """Mean ± sd of ``metric`` per estimator, clip off (circles) and on (squares), with the
    plain model as a line and a band of ± 1 sd."""
    plain = summary[summary["regularizer"] == NO_REGULARIZER]
    if len(plain):
        m, s = float(plain[f"{metric}_mean"].iloc[0]), plain[f"{metric}_sd"].iloc[0]
        s = 0.0 if pd.isna(s) else float(s)
        ax.axhline(m, color="black", lw=1, label=plain_label)
        ax.axhspan(m - s, m + s, color="black", alpha=0.1, lw=0)
    regs = [e for e in ESTIMATORS if e in set(summary["regularizer"])]
    for offset, clip, marker, fill in ((-0.12, False, "o", "C0"), (0.12, True, "s", "C3")):
        rows = summary[(summary["regularizer"].isin(regs)) & (summary["clip"] == clip)]
        pos = [regs.index(r) + offset for r in rows["regularizer"]]
        ax.errorbar(
            pos,
            rows[f"{metric}_mean"],
            yerr=rows[f"{metric}_sd"].fillna(0.0),
            fmt=marker,
            color=fill,
            ms=5,
            capsize=3,
            lw=1,
            label="adaptive clipping" if clip else "no clipping",
        )
    ax.set_xticks(range(len(regs)), [_name(r) for r in regs], rotation=30, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize="x-small")


def _traces(drawing: Drawing, task_id: str) -> pd.DataFrame:
    """Trace rows of ``task_id`` with their regulariser and clip, averaged over seeds."""
    res = drawing.results[drawing.results["task_id"] == task_id]
    if res.empty or drawing.traces.empty:
        return pd.DataFrame(columns=["regularizer", "clip", "step", "estimate", "exact"])
    keys = pd.DataFrame(
        {
            "cell_id": res["cell_id"],
            "regularizer": res["estimator"],
            "clip": [bool(json.loads(p)["clip"]) for p in res["params_json"]],
        }
    )
    joined = drawing.traces.merge(keys, on="cell_id")
    joined = joined.rename(columns={"train_value": "estimate", "test_value": "exact"})
    return (
        joined.groupby(["regularizer", "clip", "step"], as_index=False)[["estimate", "exact"]]
        .mean()
        .sort_values(["regularizer", "clip", "step"])
    )


def _trace_panel(ax: Axes, traces: pd.DataFrame, clip: bool, styles: dict) -> None:
    """Mean estimate (solid) and exact I_q (dotted) over training, one colour per regulariser."""
    for reg in [NO_REGULARIZER, *ESTIMATORS]:
        rows = traces[(traces["regularizer"] == reg) & (traces["clip"] == (clip and reg != "none"))]
        if rows.empty:
            continue
        color = "black" if reg == NO_REGULARIZER else styles[reg].color
        # A centred rolling mean over 5 trace rows smooths the single-batch readouts.
        est = rows["estimate"].rolling(5, center=True, min_periods=1).mean()
        label = "none (InfoNCE monitor)" if reg == NO_REGULARIZER else _name(reg)
        ax.plot(rows["step"], est, color=color, lw=1.2, label=label)
        ax.plot(rows["step"], rows["exact"], color=color, lw=1, ls=":")
    ax.set_xlabel("outer step")
    ax.set_ylabel("I(X; Z) (nats)")
    ax.set_title(
        f"linear: estimate (solid) vs exact I_q (dotted), {'with' if clip else 'no'} clipping",
        fontsize=9,
    )
    ax.legend(fontsize="x-small", ncol=2)


def draw(drawing: Drawing) -> list[Path]:
    """Write ``reconstruction.{png,pdf}`` and ``summary.csv`` into the run folder."""
    summary = summarize_training(drawing.results)
    summary.to_csv(drawing.folder / "summary.csv", index=False, float_format="%.6g")
    linear_id, digits_id = LinearGaussianReconstruction.id, DigitsReconstruction.id
    lin = summary[summary["benchmark"] == linear_id]
    dig = summary[summary["benchmark"] == digits_id]
    styles = estimator_styles(ESTIMATORS)
    traces = _traces(drawing, linear_id)
    fig, axes = plt.subplots(2, 4, figsize=(19, 9), layout="constrained")
    _trace_panel(axes[0, 0], traces, False, styles)
    _trace_panel(axes[0, 1], traces, True, styles)
    _points(axes[0, 2], lin, "recon_exact", "R (nats per sample)", "linear: exact R reached")
    _points(
        axes[0, 3],
        lin,
        "mi_abs_error_mean",
        "mean |Î − I_q| (nats)",
        "linear: estimate's error over training",
        "none (its InfoNCE monitor)",
    )
    _points(axes[1, 0], dig, "test_bce", "test BCE (nats per image)", "digits: test reconstruction")
    _points(axes[1, 1], dig, "test_mse", "test MSE per pixel", "digits: test squared error")
    _points(axes[1, 2], dig, "kl_aggregate", "KL (nats)", "digits: KL(q(z) ‖ N(0, I)), kNN")
    ceiling = DigitsReconstruction().mi_ceiling
    _points(
        axes[1, 3],
        dig,
        "mi_estimate",
        "Î(X; Z) (nats)",
        f"digits: final MI estimate (exact unknown; I ≤ {ceiling:.2f})",
        "none (its InfoNCE monitor)",
    )
    table = training_metrics(drawing.results)
    seeds = int(table["seed"].nunique()) if len(table) else 0
    steps = ", ".join(
        f"{int(n):,} ({str(task).removeprefix('reconstruction-')})"
        for task, n in drawing.results.groupby("task_id")["n"].first().items()
    )
    text = drawing.caption(
        "Loss = reconstruction − β·Î(X; Z), β = 1, each estimator's critic (mibench defaults) "
        "updated once per outer step on the same batch; with and without MINE's adaptive "
        "clipping over the encoder's parameters. Top: linear-Gaussian autoencoder, 8-d "
        "N(0, Σ_x) data (eigenvalues 4·2^−i), d_z = 4, encoder noise sd 1, learned diagonal "
        "decoder variance, batch 256, Adam lr 2e−3; R and I_q exact (float64). Bottom: "
        "load_digits autoencoder (1,437 train / 360 test), d_z = 8, tanh means + noise sd 0.5, "
        "Bernoulli decoder, batch 128, Adam lr 1e−3; KL(q(z) ‖ N(0, I)) = −ĥ_kNN(q) − "
        f"E_q log N(z; 0, I) from 5 codes per test image. Steps {steps}; mean ± 1 sd over "
        f"{seeds} paired seed(s); line and band: the plain model."
    )
    set_title(fig, "MI as a regulariser: the reconstruction bound", text)
    written = save_figure(fig, drawing.folder / "reconstruction")
    return [*written, drawing.folder / "summary.csv"]


FIGURE = register_figure(
    PaperFigure(
        name="reconstruction",
        description=(
            "Autoencoders trained with reconstruction − β·Î(X; Z) per estimator, with and "
            "without adaptive clipping: linear-Gaussian (exact R and I_q) and load_digits"
        ),
        source="the reconstruction bound of an autoencoder (after Belghazi et al. 2018)",
        plan=plan,
        draw=draw,
    )
)
