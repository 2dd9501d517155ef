"""The MI staircase figure (Poole et al. 2019, Fig. 2; Song & Ermon 2020, Fig. 1).

Protocol (Poole et al. 2019, §5; Song & Ermon 2020, §6; docs/figures.md): x ~ N(0, I_20), y = ρx
+ sqrt(1 − ρ²)ε, the true MI stepping through 2, 4, 6, 8, 10 nats for 4,000 steps each (20,000
in all); a fresh batch of 64 every step; Adam with learning rate 5e-4. Critics: joint (an MLP on
[x, y], 2×256 ReLU, scoring all 64² pairs) and separable (g(x)ᵀh(y), 3×256 ReLU → 32, the
depth of Song & Ermon's published critic; with 2×256 NWJ, MINE-f and MINE diverge on the cubic
staircase, docs/figures.md). The cubic variant maps y ↦ y³. Estimators: InfoNCE, NWJ, JSD,
MINE, MINE-f and SMILE(τ = 5). mibench's ``nwj`` and ``mine-f`` are one objective under two
names (Belghazi et al. 2018, §3.1), so their panels agree exactly.

The figure has one panel per (staircase, critic, estimator): the raw per-step estimates
(faint), their exponential moving average (span 200 steps, solid), the true staircase (black)
and, on InfoNCE panels, the ln(batch size) = 4.159 nats ceiling (dashed). The table gives the
median of the last 1,000 steps of each stage (in nats). :class:`StaircaseDesign` also serves
the bits variant of Lee & Rhee (2024) (:mod:`mibench.paper.staircase_lee_rhee`), whose figure
is drawn in bits, the unit of its levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mibench.harness.cells import Cell
from mibench.harness.grid import spec_label, streaming_cells
from mibench.paper.registry import Drawing, PaperFigure, register_figure, set_title
from mibench.paper.scale import Scale, scaled_span
from mibench.paper.work import FigureWork
from mibench.report.figures import save_figure
from mibench.report.palette import estimator_styles
from mibench.tasks.streaming import Staircase

#: Samples per step (a fresh batch each step).
BATCH_SIZE = 64
#: Adam learning rate.
LEARNING_RATE = 5e-4
#: Steps per stage of the published staircases.
STEPS_PER_LEVEL = 4000
#: Span (steps) of the exponential moving average drawn over the raw estimates.
EMA_SPAN = 200
#: Each stage's table entry is the median of its last this many steps.
MEDIAN_WINDOW = 1000
#: Most points drawn per line (the stored traces are complete; only the plot is thinned).
PLOT_POINTS = 4000


def _spec(name: str, params: dict[str, Any]) -> str:
    """The estimator spec ``name[k=v,...]`` (just ``name`` without parameters)."""
    return f"{name}[{','.join(f'{k}={v}' for k, v in params.items())}]" if params else name


@dataclass(frozen=True)
class StaircaseDesign:
    """A staircase experiment: staircases × critics × estimators × seeds.

    Attributes:
        variants: ``(cubic, unit)`` of each staircase (unit of the levels, nats or bits).
        critics: critic kind → hidden widths.
        estimators: ``(registry name, objective hyperparameters)`` in panel order.
        seeds: replicate seeds at full scale.
        levels: the stage MIs in the variant's unit.
    """

    variants: tuple[tuple[bool, str], ...]
    critics: tuple[tuple[str, tuple[int, ...]], ...]
    estimators: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    seeds: int = 1
    levels: tuple[float, ...] = (2.0, 4.0, 6.0, 8.0, 10.0)

    def tasks(self, scale: Scale) -> list[Staircase]:
        """The staircases at ``scale`` (4,000 steps per stage at full scale, at least 4)."""
        spl = scale.steps(STEPS_PER_LEVEL, floor=4)
        return [
            Staircase(levels=self.levels, steps_per_level=spl, cubic=cubic, unit=unit)
            for cubic, unit in self.variants
        ]

    def panels(self, scale: Scale) -> list[tuple[Cell, Staircase, str, str]]:
        """Every run with its panel keys: ``(cell, staircase, short estimator label, critic)``."""
        out = []
        seeds = list(range(scale.seeds(self.seeds)))
        for task in self.tasks(scale):
            for critic, hidden in self.critics:
                for name, extra in self.estimators:
                    params = {
                        "critic": critic,
                        "hidden": hidden,
                        "batch_size": BATCH_SIZE,
                        "lr": LEARNING_RATE,
                        "negatives": "all",
                        **dict(extra),
                    }
                    spec, short = _spec(name, params), spec_label(_spec(name, dict(extra)))
                    out += [(c, task, short, critic) for c in streaming_cells(task, spec, seeds)]
        return out

    def work(self, scale: Scale) -> FigureWork:
        """The runs of the design at ``scale``."""
        return FigureWork(
            tuple(cell for cell, _, _, _ in self.panels(scale)), tuple(self.tasks(scale))
        )

    def keys(self, scale: Scale) -> pd.DataFrame:
        """cell_id → task_id, variant, critic, short label, seed, steps_per_level."""
        return pd.DataFrame(
            [
                {
                    "cell_id": cell.cell_id,
                    "task_id": task.id,
                    "variant": f"{'cubic' if task.cubic else 'Gaussian'}, {task.unit}",
                    "critic": critic,
                    "short": short,
                    "seed": cell.seed,
                    "steps_per_level": task.steps_per_level,
                }
                for cell, task, short, critic in self.panels(scale)
            ]
        )


#: The Poole et al. / Song & Ermon staircase: Gaussian and cubic, in nats, both critics.
POOLE = StaircaseDesign(
    variants=((False, "nats"), (True, "nats")),
    critics=(("joint", (256, 256)), ("separable", (256, 256, 256))),
    estimators=(
        ("infonce", ()),
        ("nwj", ()),
        ("jsd", ()),
        ("mine", ()),
        ("mine-f", ()),
        ("smile", (("tau", 5.0),)),
    ),
)


def _joined(drawing: Drawing, design: StaircaseDesign) -> pd.DataFrame:
    """Stored traces with their panel keys: one row per (run, step), runs in design order."""
    keys = design.keys(drawing.scale).reset_index(names="order")
    stored = drawing.results[["cell_id", "status"]]
    joined = drawing.traces.merge(keys.merge(stored, on="cell_id"), on="cell_id")
    return joined.sort_values(["order", "step"])


def stage_medians(drawing: Drawing, design: StaircaseDesign) -> pd.DataFrame:
    """Median estimate over the last 1,000 steps (scaled) of each stage of each stored run.

    Returns:
        One row per (run, stage): task_id, variant, critic, estimator (short label), seed,
        stage (1-based), true_mi (nats), median (nats), window (steps), status, cell_id; in
        the design's run order.
    """
    window = drawing.scale.steps(MEDIAN_WINDOW)
    rows = []
    for cell_id, t in _joined(drawing, design).groupby("cell_id", sort=False):
        first = t.iloc[0]
        spl = int(first["steps_per_level"])
        for stage, s in t.groupby(t["step"] // spl):
            last = s[s["step"] >= (stage + 1) * spl - window]
            rows.append(
                {
                    "task_id": first["task_id"],
                    "variant": first["variant"],
                    "critic": first["critic"],
                    "estimator": first["short"],
                    "seed": int(first["seed"]),
                    "stage": int(stage) + 1,
                    "true_mi": float(s["test_value"].iloc[0]),
                    "median": float(np.median(last["train_value"])) if len(last) else math.nan,
                    "window": window,
                    "status": first["status"],
                    "cell_id": cell_id,
                }
            )
    return pd.DataFrame(rows)


def wide_medians(long: pd.DataFrame) -> pd.DataFrame:
    """One row per (variant, critic, estimator), one column per stage (mean over seeds), and
    a ``status`` column: the runs' statuses with their counts (e.g. ``ok``, ``diverged``,
    ``ok 2, diverged 1``); the stages after a run turned non-finite are NaN."""
    long = long.assign(
        column=[f"stage {s} ({v:.2f})" for s, v in zip(long["stage"], long["true_mi"], strict=True)]
    )
    index = ["variant", "critic", "estimator"]
    wide = long.pivot_table(index=index, columns="column", values="median", aggfunc="mean")
    rows = list(dict.fromkeys(zip(*(long[c] for c in index), strict=True)))
    columns = list(dict.fromkeys(long["column"]))
    wide = wide.reindex(index=rows, columns=columns)
    runs = long.drop_duplicates("cell_id").groupby(index, sort=False)["status"]
    wide["status"] = runs.agg(_status_counts).reindex(rows)
    return wide.reset_index().rename_axis(columns=None)


def _status_counts(statuses: pd.Series) -> str:
    counts = statuses.value_counts(sort=False)
    if len(counts) == 1:
        return str(counts.index[0])
    return ", ".join(f"{status} {count}" for status, count in counts.items())


def _thin(values: np.ndarray) -> np.ndarray:
    step = max(1, math.ceil(len(values) / PLOT_POINTS))
    return values[::step]


def plot_staircase(drawing: Drawing, design: StaircaseDesign, title: str) -> Figure:
    """One panel per (staircase, critic) row and estimator column; see the module docstring.

    Values are drawn in the unit of the design's levels (nats, or bits for a bits staircase;
    the stored traces are in nats).

    The title carries the protocol caption (:func:`caption`), with the scale and coverage.
    """
    joined = _joined(drawing, design)
    keys = design.keys(drawing.scale)
    rows = list(dict.fromkeys(zip(keys["variant"], keys["critic"], strict=True)))
    columns = list(dict.fromkeys(keys["short"]))
    styles = estimator_styles(columns)
    span = scaled_span(EMA_SPAN, drawing.scale)
    first = design.tasks(drawing.scale)[0]
    # Drawn in the unit of the levels (a bits staircase in bits); traces are stored in nats.
    per_nat = 1 / math.log(2.0) if first.unit == "bits" else 1.0
    top = max(first.levels)
    fig, axes = plt.subplots(
        len(rows),
        len(columns),
        squeeze=False,
        sharex=True,
        sharey=True,
        figsize=(2.7 * len(columns), 2.2 * len(rows) + 1.2),
        layout="constrained",
    )
    for i, (variant, critic) in enumerate(rows):
        for j, short in enumerate(columns):
            ax = axes[i, j]
            mine = keys[
                (keys["variant"] == variant) & (keys["critic"] == critic) & (keys["short"] == short)
            ]
            task = next(t for t in design.tasks(drawing.scale) if t.id == mine["task_id"].iloc[0])
            steps = np.arange(task.n_steps)
            truth = [task.true_mi(int(s)) * per_nat for s in steps]
            ax.step(steps, truth, where="post", color="black", lw=1.0)
            color = styles[short].color
            failed = []
            for cell_id in mine["cell_id"]:
                t = joined[joined["cell_id"] == cell_id]
                if t.empty:
                    continue
                if t["status"].iloc[0] != "ok":
                    failed.append(f"{t['status'].iloc[0]} (seed {int(t['seed'].iloc[0])})")
                raw = t["train_value"].to_numpy(dtype=float) * per_nat
                ema = pd.Series(raw).ewm(span=span, adjust=False).mean().to_numpy()
                x = t["step"].to_numpy()
                ax.plot(_thin(x), _thin(raw), color=color, alpha=0.25, lw=0.5)
                ax.plot(_thin(x), _thin(ema), color=color, lw=1.3)
            if short == "infonce":
                ax.axhline(math.log(BATCH_SIZE) * per_nat, color="black", ls="--", lw=0.9)
            if failed:
                ax.text(
                    0.03,
                    0.97,
                    "\n".join(failed),
                    ha="left",
                    va="top",
                    fontsize=7,
                    transform=ax.transAxes,
                    color="darkred",
                )
            if mine["cell_id"].isin(joined["cell_id"]).sum() == 0:
                ax.text(
                    0.5,
                    0.5,
                    "not run yet",
                    ha="center",
                    va="center",
                    transform=ax.transAxes,
                    color="grey",
                )
            ax.set_ylim(-0.5, 1.25 * top + 0.5)
            if i == 0:
                ax.set_title(styles[short].display_name, fontsize=9)
            if j == 0:
                ax.set_ylabel(f"{variant}\n{critic} critic\nMI ({first.unit})", fontsize=8)
            if i == len(rows) - 1:
                ax.set_xlabel("training step", fontsize=8)
            ax.tick_params(labelsize=7)
    handles = [
        Line2D([], [], color="grey", alpha=0.4, lw=0.6, label="estimate per step"),
        Line2D([], [], color="grey", lw=1.3, label=f"EMA (span {span:g} steps)"),
        Line2D([], [], color="black", lw=1.0, label="true MI"),
        Line2D(
            [],
            [],
            color="black",
            ls="--",
            lw=0.9,
            label=f"{'log₂' if first.unit == 'bits' else 'ln'} {BATCH_SIZE} = "
            f"{math.log(BATCH_SIZE) * per_nat:.4g} {first.unit} (InfoNCE bound)",
        ),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize="small")
    set_title(fig, title, drawing.caption(caption(design, drawing.scale)))
    return fig


def write_median_tables(long: pd.DataFrame, stem: Path) -> list[Path]:
    """Write the long table as ``<stem>.csv`` and the wide one as ``<stem>.md``."""
    long.to_csv(stem.with_suffix(".csv"), index=False, float_format="%.6g")
    md = stem.with_suffix(".md")
    md.write_text(
        wide_medians(long).to_markdown(index=False, floatfmt=".2f") + "\n", encoding="utf-8"
    )
    return [stem.with_suffix(".csv"), md]


def caption(design: StaircaseDesign, scale: Scale) -> str:
    """The protocol sentence of a staircase figure at ``scale``."""
    task = design.tasks(scale)[0]
    widths = ", ".join(
        f"{c} {'×'.join(map(str, h))}{' → 32' if c == 'separable' else ''}"
        for c, h in design.critics
    )
    return (
        f"MI staircase, 20-d, levels {'/'.join(f'{v:g}' for v in design.levels)} {task.unit}, "
        f"{task.steps_per_level} steps each, batch {BATCH_SIZE}, Adam lr {LEARNING_RATE:g}, "
        f"critics {widths} (ReLU); faint: per-step estimate, solid: EMA, black: true MI."
    )


def draw(drawing: Drawing) -> list[Path]:
    """Write ``staircase.{png,pdf}`` and ``stage_medians.{csv,md}`` into the run folder."""
    fig = plot_staircase(drawing, POOLE, "MI staircase (Poole et al. 2019; Song & Ermon 2020)")
    written = save_figure(fig, drawing.folder / "staircase")
    return written + write_median_tables(
        stage_medians(drawing, POOLE), drawing.folder / "stage_medians"
    )


FIGURE = register_figure(
    PaperFigure(
        name="staircase",
        description="MI staircase, Gaussian and cubic, joint and separable critics, "
        "InfoNCE/NWJ/JSD/MINE/MINE-f/SMILE(5), with stage medians",
        source="Poole et al. (2019), Fig. 2; Song & Ermon (2020), Fig. 1",
        plan=POOLE.work,
        draw=draw,
    )
)
