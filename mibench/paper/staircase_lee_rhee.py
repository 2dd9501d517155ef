"""The staircase in bits of Lee & Rhee (2024), checked against their stage medians.

Lee & Rhee ("A Benchmark Suite for Evaluating Neural MI Estimators on Unstructured Datasets")
re-ran the Gaussian staircase of :mod:`mibench.paper.staircase` with the levels in **bits**
(2, 4, 6, 8, 10 bits = 1.39 … 6.93 nats), batch 64 and a joint critic with **three** hidden
layers of 256, and report the median of the last 1,000 steps of each stage (the protocol in
docs/figures.md).
This figure runs InfoNCE, NWJ and SMILE(τ = 5) under that protocol (Adam lr 5e-4 as in the
original staircase) and tabulates each stage median next to theirs with the relative
difference; their MINE numbers are not a reference (their moving average was not carried
between steps), so MINE is left out.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from mibench.paper.registry import Drawing, PaperFigure, register_figure
from mibench.paper.staircase import (
    StaircaseDesign,
    plot_staircase,
    stage_medians,
    write_median_tables,
)
from mibench.report.figures import save_figure

#: Relative tolerance of the agreement check.
TOLERANCE = 0.15

#: Lee & Rhee (2024): median of the last 1,000 steps of each stage, nats.
REFERENCE_MEDIANS: dict[str, tuple[float, ...]] = {
    "infonce": (1.25, 2.31, 3.08, 3.61, 3.89),
    "nwj": (1.31, 2.62, 3.89, 5.20, 5.96),
    "smile[tau=5.0]": (1.29, 2.64, 4.11, 5.72, 7.32),
}

LEE_RHEE = StaircaseDesign(
    variants=((False, "bits"),),
    critics=(("joint", (256, 256, 256)),),
    estimators=(("infonce", ()), ("nwj", ()), ("smile", (("tau", 5.0),))),
)


def comparison(medians: pd.DataFrame) -> pd.DataFrame:
    """Stage medians (mean over seeds) beside Lee & Rhee's, with the relative difference.

    Args:
        medians: the output of :func:`~mibench.paper.staircase.stage_medians`.

    Returns:
        One row per (estimator, stage): estimator, stage, true_mi, mibench, lee_rhee (nats),
        rel_diff = (mibench − lee_rhee) / lee_rhee, within = |rel_diff| <= 15 %.
    """
    mean = (
        medians.groupby(["estimator", "stage"], sort=False)
        .agg(true_mi=("true_mi", "first"), mibench=("median", "mean"))
        .reset_index()
    )
    mean["lee_rhee"] = [
        REFERENCE_MEDIANS[e][s - 1] for e, s in zip(mean["estimator"], mean["stage"], strict=True)
    ]
    mean["rel_diff"] = (mean["mibench"] - mean["lee_rhee"]) / mean["lee_rhee"]
    mean["within"] = mean["rel_diff"].abs() <= TOLERANCE
    return mean


def draw(drawing: Drawing) -> list[Path]:
    """Write ``staircase_lee_rhee.{png,pdf}``, ``stage_medians.{csv,md}`` and
    ``comparison.{csv,md}`` into the run folder."""
    fig = plot_staircase(drawing, LEE_RHEE, "MI staircase in bits (Lee & Rhee 2024 protocol)")
    written = save_figure(fig, drawing.folder / "staircase_lee_rhee")
    medians = stage_medians(drawing, LEE_RHEE)
    written += write_median_tables(medians, drawing.folder / "stage_medians")
    if not medians.empty:
        table = comparison(medians)
        table.to_csv(drawing.folder / "comparison.csv", index=False, float_format="%.6g")
        md = drawing.folder / "comparison.md"
        md.write_text(table.to_markdown(index=False, floatfmt=".3f") + "\n", encoding="utf-8")
        written += [drawing.folder / "comparison.csv", md]
    return written


FIGURE = register_figure(
    PaperFigure(
        name="staircase-lee-rhee",
        description="staircase in bits, 3x256 joint critic: InfoNCE/NWJ/SMILE(5) stage "
        "medians against Lee & Rhee (2024)",
        source="Lee & Rhee (2024), staircase re-run; Poole et al. (2019)",
        plan=LEE_RHEE.work,
        draw=draw,
    )
)
