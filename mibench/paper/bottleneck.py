"""The information bottleneck with each estimator as the I(X; Z) term (``information-bottleneck``).

Two training benchmarks of :mod:`mibench.regularizers.bottleneck`, each over a β sweep (the
note's β, the weight of I(X; Z) in L = H(Y|Z) + β I(X; Z)), with and without MINE's adaptive
gradient clipping, for every critic-based estimator (DV, InfoNCE, JSD, MINE, MINE-f, SMILE;
NWJ is MINE-f), plus the plain model (``none``, β = 0) and a reference that is not an
estimator, at :data:`SEEDS` seeds:

* ``bottleneck-gaussian``: a linear encoder Z = WX + ξ on the Gaussian bottleneck of
  Chechik et al. (2005) (X ∈ R⁴, Y ∈ R², λ = (0.19, 0.64, 1, 1), critical note's β = 0.81 and
  0.36), :data:`GAUSSIAN_STEPS` steps of batch 128, Adam 1e-2, β ∈ :data:`GAUSSIAN_BETAS` (one
  value in each regime: two, one and no active components); reference: the exact
  I(X; Z) = ½ ln det(I + WΣ_xWᵀ) as the term (``exact``).
* ``bottleneck-digits``: the MINE paper's bottleneck (stochastic encoder 64 → 128 → 2·8,
  softmax classifier, cross-entropy + β·Î(X; Z)) on ``load_digits`` (1,197 train / 600 test),
  :data:`DIGITS_STEPS` steps of batch 128, Adam 3e-3, β ∈ :data:`DIGITS_BETAS`; reference: VIB
  (``vib``, Alemi et al. 2017). Readout of the information plane: a fresh InfoNCE fit
  (:data:`READOUT_STEPS` steps) on 2,400 held-out (x, z) and (z, one-hot y) pairs.

The figure: (a) the Gaussian information plane with the analytic optimal curve and the points
reached (mean ± sd over seeds of the exact I(X; Z), I(Z; Y)); (b) the Gaussian Lagrangian gap
(β I_X − I_Y) − L*(β) against β; (c) the digits test error against β with VIB and the plain
model; (d) the digits information plane read out by InfoNCE. ``summary.csv``: one row per
benchmark × regulariser × β × clip (:func:`~mibench.regularizers.bottleneck.summary_table`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork
from mibench.regularizers.benchmark import NO_REGULARIZER, Setting, TrainingBenchmark
from mibench.regularizers.bottleneck import (
    GAUSSIAN_IB,
    BottleneckDigits,
    BottleneckDigitsVIB,
    BottleneckGaussian,
    BottleneckGaussianExact,
    summary_table,
)
from mibench.report.figures import save_figure
from mibench.report.palette import STANDARD_NAMES, estimator_styles

#: The estimators used as the I(X; Z) term (``nwj`` is ``mine-f``, left out).
REGULARIZERS = ("dv", "infonce", "jsd", "mine", "mine-f", "smile")
#: The note's β of the Gaussian benchmark: below 0.36 (two components), between 0.36 and 0.81
#: (one), above 0.81 (none).
GAUSSIAN_BETAS = (0.2, 0.5, 0.9)
#: β of the digits benchmark (VIB's β at the same values).
DIGITS_BETAS = (0.01, 0.1)
#: Outer steps at full scale.
GAUSSIAN_STEPS, DIGITS_STEPS = 400, 300
#: ``max_steps`` of each readout fit at full scale.
READOUT_STEPS = 150
#: Replicate seeds at full scale.
SEEDS = 5
#: Protocol constants (not scaled).
GAUSSIAN_BATCH, GAUSSIAN_LR = 128, 1e-2
DIGITS_BATCH, DIGITS_LR = 128, 3e-3


def settings(betas: tuple[float, ...]) -> list[Setting]:
    """``none`` then every regulariser × β × clip (False, True).

    Raises:
        ValueError: from :class:`~mibench.regularizers.benchmark.Setting` for a negative β (or
            a non-differentiable regulariser), before any cell exists.
    """
    return [Setting(NO_REGULARIZER)] + [
        Setting(r, b, c) for r in REGULARIZERS for b in betas for c in (False, True)
    ]


class _GaussianKwargs(TypedDict):
    """The protocol arguments of the Gaussian benchmarks (and, with more, of the digits')."""

    steps: int
    batch: int
    lr: float


class _DigitsKwargs(_GaussianKwargs):
    readout_steps: int


def benchmarks(scale: Scale) -> list[TrainingBenchmark]:
    """The two benchmarks and their references (one per β) at ``scale``."""
    g: _GaussianKwargs = {
        "steps": scale.steps(GAUSSIAN_STEPS, floor=20),
        "batch": GAUSSIAN_BATCH,
        "lr": GAUSSIAN_LR,
    }
    d: _DigitsKwargs = {
        "steps": scale.steps(DIGITS_STEPS, floor=20),
        "batch": DIGITS_BATCH,
        "lr": DIGITS_LR,
        "readout_steps": scale.steps(READOUT_STEPS, floor=10),
    }
    return [
        BottleneckGaussian(**g),
        *(BottleneckGaussianExact(b, **g) for b in GAUSSIAN_BETAS),
        BottleneckDigits(**d),
        *(BottleneckDigitsVIB(b, **d) for b in DIGITS_BETAS),
    ]


def plan(scale: Scale) -> FigureWork:
    """Benchmarks × settings × seeds: each base benchmark with :func:`settings` of its βs, each
    reference with ``none``; :data:`SEEDS` seeds (scaled, at least 2)."""
    seeds = list(range(scale.seeds(SEEDS, floor=2)))
    cells = []
    for bench in benchmarks(scale):
        if isinstance(bench, (BottleneckGaussianExact, BottleneckDigitsVIB)):
            cells += bench.cells([Setting(NO_REGULARIZER)], seeds)
        elif isinstance(bench, BottleneckGaussian):
            cells += bench.cells(settings(GAUSSIAN_BETAS), seeds)
        else:
            cells += bench.cells(settings(DIGITS_BETAS), seeds)
    return FigureWork(tuple(cells), tuple(benchmarks(scale)))


_REFERENCE_NAMES = {"none": "none (β = 0)", "exact": "exact I(X; Z) term", "vib": "VIB"}


def _styles() -> dict[str, tuple[str, str, str]]:
    """regulariser → (colour, marker, display name); references in black/grey."""
    est = estimator_styles(REGULARIZERS)
    out = {r: (est[r].color, est[r].marker, STANDARD_NAMES.get(r, r)) for r in REGULARIZERS}
    out["none"] = ("#7f7f7f", "X", _REFERENCE_NAMES["none"])
    out["exact"] = ("#000000", "*", _REFERENCE_NAMES["exact"])
    out["vib"] = ("#000000", "*", _REFERENCE_NAMES["vib"])
    return out


def _col(rows: pd.DataFrame, name: str) -> np.ndarray:
    return rows[name].to_numpy(dtype=float)


def _sd(rows: pd.DataFrame, name: str) -> np.ndarray:
    return np.nan_to_num(_col(rows, name), nan=0.0)


def _point(ax: Axes, rows: pd.DataFrame, x: str, y: str, style, clip: bool, **kw) -> None:
    color, marker, _ = style
    ax.errorbar(
        _col(rows, f"{x}_mean"),
        _col(rows, f"{y}_mean"),
        xerr=_sd(rows, f"{x}_sd"),
        yerr=_sd(rows, f"{y}_sd"),
        fmt=marker,
        color=color,
        mfc="white" if clip else color,
        ms=kw.pop("ms", 5),
        capsize=1.5,
        lw=0.8,
        **kw,
    )


def _gaussian_plane(ax: Axes, summary: pd.DataFrame, styles) -> None:
    ib = GAUSSIAN_IB
    rows = summary[summary["benchmark"] == BottleneckGaussian.id]
    top = max(3.0, float(np.nanmax(_col(rows, "ix_exact_mean"))) * 1.05) if len(rows) else 3.0
    grid = np.linspace(0.0, top, 400)
    ax.plot(grid, ib.curve(grid), color="black", lw=1.2, label="optimal curve")
    ax.axhline(ib.mi_xy, color="black", ls=":", lw=0.8, label="I(X; Y)")
    for beta in GAUSSIAN_BETAS:
        ix, iy, _ = ib.optimum(beta)
        ax.plot([ix], [iy], "o", ms=11, mfc="none", mec="black", mew=0.8)
        ax.annotate(
            f"β={beta:g}", (ix, iy), xytext=(4, -11), textcoords="offset points", fontsize=7
        )
    reached = zip(
        _col(rows, "beta"),
        rows["regularizer"],
        _col(rows, "ix_exact_mean"),
        _col(rows, "iy_exact_mean"),
        strict=True,
    )
    for beta, reg, ix_mean, iy_mean in reached:  # faint line: reached point → optimum at its β
        if beta > 0 and np.isfinite(ix_mean):
            ix, iy, _ = ib.optimum(beta)
            color = styles[reg][0]
            ax.plot([ix_mean, ix], [iy_mean, iy], color=color, lw=0.5, alpha=0.3)
    for (reg, clip), group in rows.groupby(["regularizer", "clip"], sort=True):
        _point(
            ax,
            group,
            "ix_exact",
            "iy_exact",
            styles[str(reg)],
            bool(clip),
            ms=6 if reg == "exact" else 5,
        )
    ax.set_xlabel("I(X; Z) (nats, exact)")
    ax.set_ylabel("I(Z; Y) (nats, exact)")
    ax.set_xlim(-0.05, top)
    ax.set_ylim(-0.03, ib.mi_xy * 1.08)
    ax.set_title(
        "(a) Gaussian: information plane (circles: optimum at each β; faint lines to it)",
        fontsize=8,
    )


def _versus_beta(ax: Axes, rows: pd.DataFrame, metric: str, styles, betas) -> None:
    """metric_mean ± sd against β, one line per (regulariser, clip), offsets to separate."""
    regs = [r for r in [*REGULARIZERS, "exact", "vib"] if r in set(rows["regularizer"])]
    span = len(regs) * 2
    pos = {b: i for i, b in enumerate(betas)}
    for k, reg in enumerate(regs):
        for clip in (False, True):
            r = rows[(rows["regularizer"] == reg) & (rows["clip"] == clip)].sort_values("beta")
            if r.empty:
                continue
            offset = ((2 * k + clip) - (span - 1) / 2) * 0.6 / span
            x = np.array([pos.get(b, np.nan) for b in r["beta"]]) + offset
            color, marker, _ = styles[reg]
            ax.errorbar(
                x,
                _col(r, f"{metric}_mean"),
                yerr=_sd(r, f"{metric}_sd"),
                fmt=marker,
                ls="--" if clip else "-",
                color=color,
                mfc="white" if clip else color,
                ms=5,
                capsize=1.5,
                lw=0.8,
            )
    ax.set_xticks(range(len(betas)), [f"{b:g}" for b in betas])
    ax.set_xlim(-0.6, len(betas) - 0.4)
    ax.set_xlabel("β (note's: weight of I(X; Z))")


def _legend(fig, styles) -> None:
    handles = [
        Line2D([], [], color=c, marker=m, ls="none", label=name) for c, m, name in styles.values()
    ]
    handles += [
        Line2D([], [], color="#444444", marker="o", ls="-", label="no clipping"),
        Line2D(
            [], [], color="#444444", marker="o", mfc="white", ls="--", label="adaptive clipping"
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=6, fontsize=7, frameon=False)


def draw(drawing: Drawing) -> list[Path]:
    """Write ``information_bottleneck.{png,pdf}`` and ``summary.csv`` into the run folder."""
    benches = benchmarks(drawing.scale)
    summary = summary_table(drawing.results, benches)
    styles = _styles()
    fig, axes = plt.subplots(2, 2, figsize=(12.5, 10.0), layout="constrained")
    _gaussian_plane(axes[0, 0], summary, styles)

    gauss = summary[summary["benchmark"] == BottleneckGaussian.id]
    ax = axes[0, 1]
    _versus_beta(ax, gauss, "lagrangian_gap", styles, GAUSSIAN_BETAS)
    ax.set_ylabel("(β I_X − I_Y) − L*(β) (nats, exact)")
    ax.set_yscale("symlog", linthresh=1e-3)
    if len(gauss):
        top = np.nanmax(_col(gauss, "lagrangian_gap_mean") + _sd(gauss, "lagrangian_gap_sd"))
        ax.set_ylim(0, max(1e-2, 1.6 * float(top)))
    ax.set_title(
        "(b) Gaussian: Lagrangian gap to the optimum at each β (>= 0; symlog axis)", fontsize=8
    )

    digits = summary[summary["benchmark"] == BottleneckDigits.id]
    ax = axes[1, 0]
    _versus_beta(ax, digits, "test_error", styles, DIGITS_BETAS)
    plain = digits[digits["regularizer"] == NO_REGULARIZER]
    if len(plain):
        m, s = (
            float(plain["test_error_mean"].iloc[0]),
            float(np.nan_to_num(plain["test_error_sd"].iloc[0])),
        )
        ax.axhspan(m - s, m + s, color="#7f7f7f", alpha=0.2, lw=0)
        ax.axhline(m, color="#7f7f7f", lw=1, label="none (β = 0), mean ± sd")
    ax.set_ylabel("test error (%, 600 test images)")
    ax.set_title("(c) load_digits: test error against β (grey band: plain model)", fontsize=8)

    ax = axes[1, 1]
    for (reg, clip), group in digits.groupby(["regularizer", "clip"], sort=True):
        _point(ax, group, "ix_readout", "iy_readout", styles[str(reg)], bool(clip))
    for r in digits[digits["regularizer"] == "vib"].itertuples(index=False):
        ax.annotate(
            f"VIB β={r.beta:g}",
            (r.ix_readout_mean, r.iy_readout_mean),
            xytext=(6, -10),
            textcoords="offset points",
            fontsize=7,
        )
    ax.axhline(np.log(10), color="black", ls=":", lw=0.8)
    ax.annotate(
        "ln 10",
        (0.02, np.log(10)),
        xycoords=("axes fraction", "data"),
        fontsize=7,
        xytext=(0, 2),
        textcoords="offset points",
    )
    ax.set_xlabel("I(X; Z) read out by a fresh InfoNCE (nats, held-out)")
    ax.set_ylabel("I(Z; Y) read out by a fresh InfoNCE (nats, held-out)")
    ax.set_title("(d) load_digits: information plane (readout, not the trained critic)", fontsize=8)
    _legend(fig, styles)

    seeds = int(drawing.results["seed"].nunique())
    g = next(b for b in benches if type(b) is BottleneckGaussian)
    d = next(b for b in benches if type(b) is BottleneckDigits)
    lam = ", ".join(f"{v:.2f}" for v in GAUSSIAN_IB.lambdas)
    text = drawing.caption(
        f"Loss H(Y|Z) bound + β·Î(X; Z) (the MI term minimised), each estimator with and without "
        f"MINE's adaptive clipping, mean ± sd over {seeds} seed(s). Gaussian: X = MU ∈ R⁴, "
        f"Y ∈ R² (canonical correlations 0.9, 0.6), λ(Σ_x|y Σ_x⁻¹) = ({lam}), critical note's "
        f"β = 0.81, 0.36 (Chechik's β = 1/β); Z = WX + ξ ∈ R², Gaussian decoder; {g.steps} steps "
        f"× batch {g.batch}, Adam {g.lr:g}; points and gaps are exact log-determinants of the "
        f"final W. Digits: load_digits 1,197/600, encoder 64→{d.hidden}→2·{d.dim_z}, softmax "
        f"classifier, {d.steps} steps × batch {d.batch}, Adam {d.lr:g}; test error from 12 "
        f"draws of z; readout by InfoNCE ({d.readout_steps} steps) on 4 draws per test image. "
        "Minimising a lower bound on I(X; Z) does not bound I(X; Z)."
    )
    set_title(fig, "Information bottleneck with an estimated I(X; Z)", text)
    written = save_figure(fig, drawing.folder / "information_bottleneck")
    summary.to_csv(drawing.folder / "summary.csv", index=False, float_format="%.6g")
    return [*written, drawing.folder / "summary.csv"]


FIGURE = register_figure(
    PaperFigure(
        name="information-bottleneck",
        description="each estimator as the I(X; Z) term of an information bottleneck: the "
        "Gaussian IB curve and load_digits against VIB",
        source="Chechik et al. (2005); Alemi et al. (2017); Belghazi et al. (2018), MINE",
        plan=plan,
        draw=draw,
    )
)
