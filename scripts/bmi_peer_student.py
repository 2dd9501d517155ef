"""bmi's neural estimators on the Student-t tasks of the standard suite (issue #18): the peer
results committed under ``results/peers/bmi-student/``.

Two steps, in two environments, because bmi (package ``benchmark-mi``) needs jax and mibench
needs torch:

1. ``samples DIR`` (mibench's environment): writes the samples each cell of the committed
   standard heatmap gives its estimator, ``DIR/<task>_s<seed>.npz`` (``x``, ``y``, ``mi``;
   n = 10,000, seeds 0-4, the cell's data seed, z-scored per column as ``mibench run`` does).
2. ``fit DIR OUT [--seeds 0,1]`` (an environment with ``benchmark-mi==0.1.3``,
   ``jax==0.4.30``, ``jaxlib==0.4.30``; it imports no mibench): fits bmi's MINE, InfoNCE, NWJ
   and Donsker-Varadhan estimators with their defaults on each sample and appends one CSV row
   per fit to ``OUT`` (task, estimator, seed, n, mi_true, mi_estimate in nats, seconds,
   versions); fits already in ``OUT`` are skipped, so an interrupted run resumes.
   ``--estimators`` picks a subset (e.g. to run two processes side by side).
3. ``compare FOLDER [--ours RUN_DIR --stem NAME]`` (mibench's environment): beside
   ``FOLDER/results.csv`` writes ``comparison.csv`` and ``comparison.md``: per task and
   estimator, bmi's and mibench's mean estimate over the seeds both have, bmi's standard error
   (sd / sqrt(seeds)) and each one's mean absolute error (nats), mibench's from the committed
   standard heatmap, or from the run folder ``RUN_DIR`` of the same tasks, n and seeds (whose
   cells see the same samples), written to ``NAME.csv`` and ``NAME.md``.

Usage:
    python scripts/bmi_peer_student.py samples /tmp/bmi-samples
    /path/to/bmi-env/bin/python scripts/bmi_peer_student.py fit /tmp/bmi-samples \\
        results/peers/bmi-student/results.csv
    python scripts/bmi_peer_student.py compare results/peers/bmi-student
    python scripts/bmi_peer_student.py compare results/peers/bmi-student \
        --ours results/heavy-tails-quadratic --stem comparison-quadratic
"""

from __future__ import annotations

import argparse
import csv
import platform
import sys
import time
from pathlib import Path

import numpy as np

N = 10_000
SEEDS = range(5)
ESTIMATORS = ("mine", "infonce", "nwj", "dv")
COLUMNS = (
    "task_id",
    "estimator",
    "seed",
    "n",
    "mi_true",
    "mi_estimate",
    "seconds",
    "bmi_version",
    "jax_version",
    "python_version",
)


def write_samples(folder: Path) -> None:
    """Step 1: the heatmap cells' samples of every ``student-identity-*`` task of the suite."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's benchmarks/
    from benchmarks.common import harness_sample
    from mibench.tasks import list_tasks

    folder.mkdir(parents=True, exist_ok=True)
    for task in list_tasks("standard"):
        if not task.id.startswith("student-identity-"):
            continue
        for seed in SEEDS:
            x, y = harness_sample(task.id, N, seed)
            np.savez(folder / f"{task.id}_s{seed}.npz", x=x, y=y, mi=task.mi)


def fit(folder: Path, out: Path, seeds: list[int], estimators: list[str]) -> None:
    """Step 2: bmi's estimators with their defaults on each stored sample, appended to ``out``."""
    import importlib.metadata

    import jax
    from bmi.estimators import (
        DonskerVaradhanEstimator,
        InfoNCEEstimator,
        MINEEstimator,
        NWJEstimator,
    )

    classes = {
        "mine": MINEEstimator,
        "infonce": InfoNCEEstimator,
        "nwj": NWJEstimator,
        "dv": DonskerVaradhanEstimator,
    }
    done = set()
    if out.is_file():
        with out.open(newline="") as f:
            done = {(r["task_id"], r["estimator"], int(r["seed"])) for r in csv.DictReader(f)}
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", newline="") as f:
            csv.writer(f).writerow(COLUMNS)
    versions = (
        importlib.metadata.version("benchmark-mi"),
        jax.__version__,
        platform.python_version(),
    )
    samples = sorted(folder.glob("student-identity-*_s*.npz"))
    for seed in seeds:  # seed by seed, so that a partial run holds whole seeds
        for path in samples:
            task_id, tail = path.stem.rsplit("_s", 1)
            if int(tail) != seed:
                continue
            data = np.load(path)
            for name in estimators:
                if (task_id, name, seed) in done:
                    continue
                start = time.perf_counter()
                value = float(classes[name](verbose=False).estimate(data["x"], data["y"]))
                seconds = time.perf_counter() - start
                row = (
                    task_id,
                    name,
                    seed,
                    N,
                    float(data["mi"]),
                    value,
                    round(seconds, 2),
                    *versions,
                )
                with out.open("a", newline="") as f:
                    csv.writer(f).writerow(row)
                print(*row[:6], f"{seconds:.1f}s", flush=True)


def compare(folder: Path, ours_dir: Path | None = None, stem: str = "comparison") -> None:
    """Step 3: bmi's fits against mibench's cells of the same samples: the committed heatmap's,
    or those of the run folder ``ours_dir``."""
    import pandas as pd

    heatmap = Path(__file__).resolve().parents[1] / "results/figures/standard-heatmap"
    peer = pd.read_csv(folder / "results.csv")
    ours = pd.read_parquet(
        (ours_dir or heatmap) / "results.parquet",
        columns=["task_id", "estimator", "n", "seed", "mi_estimate", "status"],
    )
    ours = ours[(ours["n"] == N) & ours["estimator"].isin(ESTIMATORS)]
    both = peer.merge(ours, on=["task_id", "estimator", "seed", "n"], suffixes=("_bmi", "_mibench"))
    both["abs_error_bmi"] = (both["mi_estimate_bmi"] - both["mi_true"]).abs()
    both["abs_error_mibench"] = (both["mi_estimate_mibench"] - both["mi_true"]).abs()
    table = (
        both.groupby(["task_id", "estimator"], sort=True)
        .agg(
            mi_true=("mi_true", "first"),
            seeds=("seed", "size"),
            mean_bmi=("mi_estimate_bmi", "mean"),
            se_bmi=("mi_estimate_bmi", lambda v: v.std(ddof=1) / np.sqrt(len(v))),
            mean_mibench=("mi_estimate_mibench", "mean"),
            mae_bmi=("abs_error_bmi", "mean"),
            mae_mibench=("abs_error_mibench", "mean"),
            mibench_not_ok=("status", lambda v: int((v != "ok").sum())),
        )
        .reset_index()
    )
    table["mibench_within_bmi_mae_plus_se"] = table["mae_mibench"] <= table["mae_bmi"] + table[
        "se_bmi"
    ].fillna(0.0)
    table.to_csv(folder / f"{stem}.csv", index=False)
    (folder / f"{stem}.md").write_text(
        table.to_markdown(index=False, floatfmt=".3f") + "\n", encoding="utf-8"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    s = sub.add_parser("samples")
    s.add_argument("folder", type=Path)
    f = sub.add_parser("fit")
    f.add_argument("folder", type=Path)
    f.add_argument("out", type=Path)
    f.add_argument("--seeds", default="0,1,2,3,4")
    f.add_argument("--estimators", default=",".join(ESTIMATORS))
    c = sub.add_parser("compare")
    c.add_argument("folder", type=Path)
    c.add_argument("--ours", type=Path, default=None)
    c.add_argument("--stem", default="comparison")
    args = parser.parse_args()
    if args.step == "samples":
        write_samples(args.folder)
    elif args.step == "compare":
        compare(args.folder, args.ours, args.stem)
    else:
        seeds = [int(v) for v in args.seeds.split(",")]
        fit(args.folder, args.out, seeds, args.estimators.split(","))


if __name__ == "__main__":
    main()
