"""Figures drawn from a results table (never by re-running estimators)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from mibench.report.metrics import summarize  # noqa: E402


def plot_estimate_vs_true(results: pd.DataFrame, path: str | Path) -> Path:
    """Mean estimate against true MI per (task, estimator, n), ±1 sd bars, identity line.

    Args:
        results: a results table.
        path: output file; the format follows its suffix (``.png``, ``.pdf``).

    Returns:
        The path written.
    """
    summary = summarize(results)
    fig, ax = plt.subplots(figsize=(6.5, 5.0), layout="constrained")
    labels = list(dict.fromkeys(summary["label"]))
    cmap = plt.get_cmap("tab10")
    for i, label in enumerate(labels):
        s = summary[summary["label"] == label]
        ax.errorbar(
            s["mi_true"],
            s["mean"],
            yerr=s["sd"].fillna(0.0),
            fmt="o",
            ms=4,
            capsize=2,
            alpha=0.85,
            color=cmap(i % 10),
            label=label,
        )
    hi = max(float(summary["mi_true"].max()), float(summary["mean"].max(skipna=True) or 0)) * 1.1
    hi = hi if hi > 0 else 1.0
    ax.plot([0, hi], [0, hi], color="black", lw=1, ls="--", label="true MI")
    ax.set_xlabel("true MI (nats)")
    ax.set_ylabel("mean estimate (nats), ±1 sd over seeds")
    ax.set_title("MI estimate against true MI")
    ax.legend(fontsize="small")
    path = Path(path)
    fig.savefig(path, dpi=150)
    plt.close(fig)
    return path
