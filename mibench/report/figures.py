"""Figures drawn from a results table (never by re-running estimators).

Every ``plot_*`` function returns a matplotlib figure; :func:`save_figure` writes it as PNG
and PDF with TrueType (Type 42) fonts embedded, and :func:`plot_run` draws the whole set for a
run. Colours and display names of estimator labels come from
:func:`mibench.report.palette.estimator_styles` (a label looks the same in every figure).
Values in nats.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator

from mibench.report.metrics import summarize
from mibench.report.palette import EstimatorStyle, estimator_styles

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # matplotlib >= 3.8; only for the annotation

#: rcParams applied when saving: TrueType fonts embedded in PDF and PostScript.
SAVE_RC: dict[RcKeyType, Any] = {"pdf.fonttype": 42, "ps.fonttype": 42}
#: Formats written by :func:`save_figure` unless told otherwise.
FORMATS = ("png", "pdf")
#: Diverging colormap of the heatmap (red: overestimate, blue: underestimate).
HEATMAP_CMAP = "RdBu_r"
#: The heatmap colour is the log ratio clipped to ±this.
HEATMAP_CLIP = 1.0
#: Height (and width) in inches that one character of a 45° column label takes.
HEATMAP_INCH_PER_CHAR = 0.055
#: Colour-bar labels are wrapped to lines of at most this many characters.
COLORBAR_LABEL_WIDTH = 26
#: The least height (inches) of a heatmap's cells, so that its colour bar holds its label.
HEATMAP_MIN_CELLS_HEIGHT = 2.2
#: Share of the gap between two tasks that the labels of one task spread over sideways.
DODGE_SPREAD = 0.7
#: Least gap (in decades, per decade of the axis) between two labelled ticks of a log-n axis.
LOG_TICK_GAP = 0.1

Styles = dict[str, EstimatorStyle]


def save_figure(fig: Figure, stem: str | Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write ``fig`` to ``stem.<format>`` for each format, then close it.

    Returns:
        The paths written.
    """
    stem = Path(stem)
    paths = [stem.with_name(f"{stem.name}.{fmt}") for fmt in formats]
    with plt.rc_context(SAVE_RC):
        for p in paths:
            # No creation date in PDFs, so that redrawing unchanged results leaves the file
            # unchanged.
            metadata = {"CreationDate": None} if p.suffix == ".pdf" else None
            fig.savefig(p, dpi=150, metadata=metadata)
    plt.close(fig)
    return paths


def _labels(summary: pd.DataFrame) -> list[str]:
    return sorted(summary["label"].astype(str).unique())


def _styles_for(summary: pd.DataFrame, styles: Styles | None) -> Styles:
    return styles if styles is not None else estimator_styles(summary["label"])


def _task_order(df: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(df["task_id"]))


def short_count(n: float) -> str:
    """A sample size as a short tick label: ``100``, ``500``, ``1k``, ``2.5k``, ``10k``, ``1M``."""
    n = float(n)
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if n >= div:
            return f"{n / div:g}{suffix}"
    return f"{n:g}"


def set_log_n_axis(ax: Axes, ns: Iterable[float], fontsize: float = 7) -> None:
    """Log x axis with ticks at the run's sample sizes, labelled in short form.

    Every n gets a tick; a label is left out where it would sit closer than
    :data:`LOG_TICK_GAP` decades (per decade of the axis) to the previous labelled one, so that
    no two labels overlap. No minor ticks.

    Args:
        ax: the axes.
        ns: the sample sizes of the run (any order, repeats allowed).
        fontsize: tick label size.
    """
    ticks = sorted({float(n) for n in ns if n > 0})
    ax.set_xscale("log")
    if not ticks:
        return
    span = max(1.0, math.log10(ticks[-1] / ticks[0]))
    labels, last = [], -math.inf
    for n in ticks:
        if math.log10(n) - last >= LOG_TICK_GAP * span:
            labels.append(short_count(n))
            last = math.log10(n)
        else:
            labels.append("")
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xticks(ticks, labels, fontsize=fontsize)
    if len(ticks) > 1:
        pad = 0.08 * math.log10(ticks[-1] / ticks[0])
        ax.set_xlim(ticks[0] / 10**pad, ticks[-1] * 10**pad)


def _wrapped(text: str, width: int = COLORBAR_LABEL_WIDTH) -> str:
    return "\n".join(textwrap.wrap(text, width))


def plot_heatmap(summary: pd.DataFrame, n: int, styles: Styles | None = None) -> Figure:
    """Task × estimator heatmap at sample size ``n`` (Czyż et al. 2023, main figure).

    Rows are tasks (in run order), columns estimator labels, plus a first column with the
    true MI. Cell colour is the log ratio ln(max(mean, 1e-3) / true MI) clipped to ±1 on a
    diverging colormap (red: overestimate, blue: underestimate; for tasks with true MI 0 the
    log-ratio column holds |mean| and so shows red); cell text is the mean estimate over the ok
    rows, marked ``*`` where some seeds were not ok (failed, diverged or flagged); a group
    without ok rows is grey and reads "failed".

    Args:
        summary: the output of :func:`~mibench.report.metrics.summarize`.
        n: the sample size to draw.
        styles: label styles (display names); by default from the summary's labels.

    Raises:
        ValueError: when ``summary`` has no rows at ``n``.
    """
    styles = _styles_for(summary, styles)
    at_n = summary[summary["n"] == n]
    if at_n.empty:
        raise ValueError(
            f"summary has no rows at n={n}; sample sizes present: {sorted(summary['n'].unique())}"
        )
    tasks, labels = _task_order(at_n), _labels(at_n)
    colour, means, failed = (
        at_n.pivot(index="task_id", columns="label", values=v).reindex(index=tasks, columns=labels)
        for v in ("log_ratio", "mean", "failure_rate")
    )
    colour = colour.clip(-HEATMAP_CLIP, HEATMAP_CLIP)
    true = at_n.drop_duplicates("task_id").set_index("task_id")["mi_true"].reindex(tasks)

    names = [styles[lb].display_name for lb in labels]
    # Room for the column labels, drawn at 45° above the cells (about 0.05 inch per character
    # in each direction), and for the task ids left of them, so that long labels never squeeze
    # the cells away.
    slanted = HEATMAP_INCH_PER_CHAR * max(len(t) for t in [*names, "true MI"])
    fig, (ax_true, ax) = plt.subplots(
        1,
        2,
        sharey=True,
        width_ratios=[1, len(labels)],
        layout="constrained",
        figsize=(
            2.2 + 0.06 * max(len(t) for t in tasks) + 0.95 * (len(labels) + 1) + slanted,
            1.2 + max(0.34 * len(tasks), HEATMAP_MIN_CELLS_HEIGHT) + slanted,
        ),
    )
    ax_true.imshow(np.zeros((len(tasks), 1)), cmap=ListedColormap(["#eeeeee"]), aspect="auto")
    for i, v in enumerate(true):
        ax_true.text(0, i, f"{v:.2f}", ha="center", va="center", fontsize=8)
    ax_true.set_xticks([0], ["true MI"], rotation=45, ha="left")
    ax_true.set_yticks(range(len(tasks)), tasks, fontsize=8)

    cmap = plt.get_cmap(HEATMAP_CMAP).with_extremes(bad="#bbbbbb")
    image = ax.imshow(
        np.ma.masked_invalid(colour.to_numpy(dtype=float)),
        cmap=cmap,
        aspect="auto",
        vmin=-HEATMAP_CLIP,
        vmax=HEATMAP_CLIP,
    )
    means_v, colour_v, failed_v = (f.to_numpy(dtype=float) for f in (means, colour, failed))
    for i in range(len(tasks)):
        for j in range(len(labels)):
            m, c = means_v[i, j], colour_v[i, j]
            text = "failed" if pd.isna(m) else f"{m:.2f}"
            if not pd.isna(m) and failed_v[i, j] > 0:
                text += "*"  # some seeds were not ok: the mean is over the others
            dark = not pd.isna(c) and abs(c) > 0.6 * HEATMAP_CLIP
            ax.text(
                j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else "black"
            )
    ax.set_xticks(range(len(labels)), names, rotation=45, ha="left")
    for a in (ax_true, ax):
        a.xaxis.tick_top()
        a.tick_params(length=0)
    bar = fig.colorbar(image, ax=ax, shrink=0.8)
    # Wrapped, so that it stays inside the figure next to a short bar (few tasks).
    bar.set_label(
        _wrapped(f"log ratio ln(estimate / true MI), clipped to ±{HEATMAP_CLIP:g}"), fontsize=8
    )
    fig.suptitle(f"Mean estimate (nats) over seeds, n = {n}")
    return fig


def plot_estimate_vs_true(summary: pd.DataFrame, styles: Styles | None = None) -> Figure:
    """Mean estimate per task against its true MI at the largest n of the run, ±1 sd bars.

    One column per task (named on the x axis, in order of true MI), its true MI a black bar
    across the column; the labels' points are dodged sideways within the column, over
    :data:`DODGE_SPREAD` of the gap between two tasks, so that the columns never overlap
    (tasks often share a true MI, so an x axis of true MI could not tell them apart).
    """
    styles = _styles_for(summary, styles)
    n = summary["n"].max()
    at_n = summary[(summary["n"] == n) & (summary["n_ok"] > 0)]
    labels = _labels(at_n)
    true = at_n.drop_duplicates("task_id").set_index("task_id")["mi_true"]
    order = {t: i for i, t in enumerate(_task_order(at_n))}
    tasks = sorted(true.index, key=lambda t: (true[t], order[t]))
    x = {t: i for i, t in enumerate(tasks)}
    longest = max((len(t) for t in tasks), default=0)
    fig, ax = plt.subplots(
        figsize=(max(6.5, 2.5 + 0.32 * len(tasks)), 4.2 + 0.06 * longest), layout="constrained"
    )
    for i in range(1, len(tasks), 2):
        ax.axvspan(i - 0.5, i + 0.5, color="#f2f2f2", lw=0, zorder=0)
    step = DODGE_SPREAD / max(len(labels) - 1, 1)
    for i, label in enumerate(labels):
        s, st = at_n[at_n["label"] == label], styles[label]
        dodge = (i - (len(labels) - 1) / 2) * step if len(labels) > 1 else 0.0
        ax.errorbar(
            s["task_id"].map(x).to_numpy(dtype=float) + dodge,
            s["mean"],
            yerr=s["sd"].fillna(0.0),
            fmt=st.marker,
            ms=4,
            capsize=2,
            alpha=0.85,
            color=st.color,
            label=st.display_name,
        )
    half = DODGE_SPREAD / 2 + 0.1
    ax.hlines(
        [true[t] for t in tasks],
        [x[t] - half for t in tasks],
        [x[t] + half for t in tasks],
        color="black",
        lw=1.2,
        label="true MI",
    )
    ax.set_xticks(range(len(tasks)), tasks, rotation=60, ha="right", rotation_mode="anchor")
    ax.tick_params(axis="x", labelsize=7)
    ax.set_xlim(-0.5, len(tasks) - 0.5)
    ax.set_xlabel("task (in order of true MI)")
    ax.set_ylabel("mean estimate (nats), ±1 sd over seeds")
    ax.set_title(f"MI estimate against true MI (black bars), n = {n}")
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside right upper", fontsize="small")
    return fig


def _panel_grid(count: int, ncols: int = 4, size: tuple[float, float] = (3.6, 2.8)):
    ncols = min(ncols, count)
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        squeeze=False,
        layout="constrained",
        figsize=(size[0] * ncols, size[1] * nrows + 0.6),
    )
    for a in axes.flat[count:]:
        a.set_visible(False)
    return fig, list(axes.flat[:count])


def _style_handle(styles: Styles, label: str) -> Line2D:
    st = styles[label]
    return Line2D([], [], color=st.color, marker=st.marker, label=st.display_name)


def _style_legend(
    fig: Figure, styles: Styles, labels: list[str], extra: list[Line2D], ncols: int = 5
) -> None:
    handles = [_style_handle(styles, lb) for lb in labels]
    fig.legend(
        handles=handles + extra,
        loc="outside lower center",
        fontsize="small",
        ncols=min(len(handles) + len(extra), ncols),
    )


def _rows_legend(
    fig: Figure, styles: Styles, rows: list[list[str]], extra: list[Line2D], most: int = 7
) -> None:
    """A legend below the figure with one row per group of labels (wrapped after ``most``
    entries), then a row of ``extra``."""
    grid = [
        [_style_handle(styles, lb) for lb in row[i : i + most]]
        for row in rows
        for i in range(0, len(row), most)
    ] + [extra]
    ncols = max(len(r) for r in grid)
    blank = Line2D([], [], ls="none", label=" ")
    grid = [r + [blank] * (ncols - len(r)) for r in grid]
    # matplotlib fills a legend column by column: list the grid column-major.
    fig.legend(
        handles=[grid[r][c] for c in range(ncols) for r in range(len(grid))],
        loc="outside lower center",
        fontsize="small",
        ncols=ncols,
    )


def _note_figure(title: str, note: str) -> Figure:
    """A figure with one empty panel that says why nothing is drawn."""
    fig, ax = plt.subplots(figsize=(6.5, 2.4), layout="constrained")
    ax.text(0.5, 0.5, note, ha="center", va="center", wrap=True, transform=ax.transAxes)
    ax.set_axis_off()
    fig.suptitle(title)
    return fig


def plot_bias_sd_vs_n(
    summary: pd.DataFrame,
    styles: Styles | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    ncols: int = 4,
) -> Figure:
    """Bias and sd over seeds against n: one column per task, bias and sd in separate rows.

    Each group of labels gets its own pair of rows (bias, then sd), so that a run with many
    estimators can be split into readable panels (e.g. classical and neural); tasks wrap
    after ``ncols`` columns. The log x axis has a tick at each sample size of the run
    (:func:`set_log_n_axis`). A run with a single sample size has no curve to draw: the figure
    then holds one panel that says so.

    Args:
        summary: the output of :func:`~mibench.report.metrics.summarize`.
        styles: label styles; by default from the summary's labels.
        groups: group name → labels, in row order; labels of the summary in no group (and
            every label when None) form a last group without a name.
        ncols: most task columns per row.
    """
    styles = _styles_for(summary, styles)
    ns = sorted(summary["n"].unique())
    if len(ns) < 2:
        only = f" (n = {ns[0]})" if ns else ""
        return _note_figure(
            "Bias and sd against n",
            f"This run has one sample size{only}: bias and sd against n need two or more, "
            "so there is no curve to draw.",
        )
    present = _labels(summary[summary["n_ok"] > 0])
    rows: list[tuple[str, list[str]]] = []
    for name, members in (groups or {}).items():
        kept = [lb for lb in members if lb in present]
        if kept:
            rows.append((name, kept))
    grouped = {lb for _, members in rows for lb in members}
    rest = [lb for lb in present if lb not in grouped]
    if rest or not rows:
        rows.append(("", rest))
    tasks = _task_order(summary)
    ncols = max(1, min(ncols, len(tasks)))
    chunks = [tasks[i : i + ncols] for i in range(0, len(tasks), ncols)]
    nrows = len(chunks) * 2 * len(rows)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        squeeze=False,
        layout="constrained",
        figsize=(2.6 * ncols + 0.6, 1.9 * nrows + 1.4),
    )
    metrics = (("bias", "bias (nats)", "-"), ("sd", "sd over seeds (nats)", "--"))
    for c, chunk in enumerate(chunks):
        for g, (group, members) in enumerate(rows):
            for m, (column, unit, ls) in enumerate(metrics):
                r = (c * len(rows) + g) * 2 + m
                for j in range(ncols):
                    ax = axes[r, j]
                    if j >= len(chunk):
                        ax.set_visible(False)
                        continue
                    t = summary[summary["task_id"] == chunk[j]]
                    for label in members:
                        s, st = t[t["label"] == label].sort_values("n"), styles[label]
                        ax.plot(
                            s["n"], s[column], color=st.color, marker=st.marker, ms=3, lw=1, ls=ls
                        )
                    ax.axhline(0.0, color="black", lw=0.8)
                    set_log_n_axis(ax, ns)
                    ax.tick_params(axis="y", labelsize=7)
                    if g == 0 and m == 0:
                        ax.set_title(f"{chunk[j]}\ntrue MI {t['mi_true'].iloc[0]:.3f}", fontsize=8)
                    if j == 0:
                        ax.set_ylabel(f"{group}\n{unit}" if group else unit, fontsize=8)
                    if g == len(rows) - 1 and m == 1:
                        ax.set_xlabel("n (samples)", fontsize=8)
    _rows_legend(
        fig,
        styles,
        [members for _, members in rows],
        [
            Line2D([], [], color="grey", label="bias = mean − true MI"),
            Line2D([], [], color="grey", ls="--", label="sd over seeds"),
        ],
    )
    return fig


def plot_throughput(summary: pd.DataFrame, styles: Styles | None = None) -> Figure:
    """Throughput against n (log–log): samples/s, and steps/s for iterative estimators.

    Each point is the median over tasks of the per-(task, label, n) median over ok seeds.
    The steps/s panel says so when no estimator of the run records training steps.
    """
    styles = _styles_for(summary, styles)
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.2), layout="constrained")
    panels = [
        ("samples_per_second", "samples / s", "no throughput recorded in this run"),
        ("steps_per_second", "training steps / s", "no iterative (neural) estimators in this run"),
    ]
    for ax, (column, unit, empty_note) in zip(axes, panels, strict=True):
        per_n = summary.groupby(["label", "n"])[column].median().dropna().reset_index()
        for label, s in per_n.groupby("label"):
            st = styles[str(label)]
            ax.plot(s["n"], s[column], color=st.color, marker=st.marker, label=st.display_name)
        if per_n.empty:
            ax.text(0.5, 0.5, empty_note, ha="center", va="center", transform=ax.transAxes)
        else:
            set_log_n_axis(ax, summary["n"].unique(), fontsize=8)
            ax.set_yscale("log")
            ax.legend(fontsize="small")
        ax.set_xlabel("n (samples)")
        ax.set_ylabel(f"{unit} (median over tasks and seeds)")
    fig.suptitle("Throughput against sample size")
    return fig


def plot_traces(
    results: pd.DataFrame, traces: pd.DataFrame, styles: Styles | None = None
) -> Figure | None:
    """Training traces of neural estimators: one panel per task, at its largest traced n.

    Each traced cell (one seed) is a pair of lines in its label's colour: test value (solid)
    and train value (dotted) against the training step; the true MI is a black dashed line.

    Args:
        results: the results table (task_id, label, n, mi_true and cell_id are used).
        traces: the side table (cell_id, step, train_value, test_value).
        styles: label styles; by default from the results' labels.

    Returns:
        The figure, or None when no trace belongs to a cell of ``results``.
    """
    styles = styles if styles is not None else estimator_styles(results["label"])
    cells = results[["cell_id", "task_id", "label", "n", "mi_true"]]
    joined = traces.merge(cells, on="cell_id", how="inner")
    if joined.empty:
        return None
    largest = joined.groupby("task_id")["n"].transform("max")
    joined = joined[joined["n"] == largest]
    tasks = [t for t in _task_order(results) if t in set(joined["task_id"])]
    labels = sorted(joined["label"].unique())
    fig, axes = _panel_grid(len(tasks), ncols=3, size=(4.2, 3.0))
    for ax, task in zip(axes, tasks, strict=True):
        t = joined[joined["task_id"] == task]
        for (label, _), c in t.groupby(["label", "cell_id"]):
            c = c.sort_values("step")
            color = styles[str(label)].color
            ax.plot(c["step"], c["test_value"], color=color, lw=1.2, alpha=0.8)
            ax.plot(c["step"], c["train_value"], color=color, lw=0.8, ls=":", alpha=0.8)
        ax.axhline(t["mi_true"].iloc[0], color="black", ls="--", lw=1)
        ax.set_title(f"{task}, n = {t['n'].iloc[0]}", fontsize=8)
        ax.set_xlabel("training step", fontsize=8)
        ax.set_ylabel("MI estimate (nats)", fontsize=8)
        ax.tick_params(labelsize=7)
    _style_legend(
        fig,
        styles,
        labels,
        [
            Line2D([], [], color="grey", label="test"),
            Line2D([], [], color="grey", ls=":", label="train"),
            Line2D([], [], color="black", ls="--", label="true MI"),
        ],
    )
    return fig


@dataclass
class FigureSet:
    """What :func:`plot_run` did: files written and notes on figures skipped."""

    written: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def plot_run(
    results: pd.DataFrame,
    traces: pd.DataFrame,
    out_dir: str | Path,
    formats: Sequence[str] = FORMATS,
) -> FigureSet:
    """Draw every figure of a run into ``out_dir`` (created if missing).

    Files (each in every format): ``heatmap_n<n>`` (one per sample size of the run),
    ``estimate_vs_true``, ``bias_sd_vs_n``, ``throughput_vs_n`` and, when the run has
    training traces, ``training_traces``.

    Args:
        results: a results table (see :func:`~mibench.report.metrics.summarize`).
        traces: its trace side table (may be empty).
        out_dir: folder for the files.
        formats: file formats (matplotlib suffixes).

    Returns:
        A :class:`FigureSet`.

    Raises:
        ValueError: when the results table has no ok row (nothing to draw) or lacks a column.
    """
    summary = summarize(results)
    if not (summary["n_ok"] > 0).any():
        raise ValueError("results table has no ok rows: every cell failed, nothing to plot")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    styles = estimator_styles(summary["label"])
    done = FigureSet()
    for n in sorted(summary["n"].unique()):
        done.written += save_figure(
            plot_heatmap(summary, n, styles), out / f"heatmap_n{n}", formats
        )
    done.written += save_figure(
        plot_estimate_vs_true(summary, styles), out / "estimate_vs_true", formats
    )
    done.written += save_figure(plot_bias_sd_vs_n(summary, styles), out / "bias_sd_vs_n", formats)
    done.written += save_figure(plot_throughput(summary, styles), out / "throughput_vs_n", formats)
    fig = plot_traces(results, traces, styles)
    if fig is None:
        done.notes.append("no training traces in this run: training_traces figure skipped")
    else:
        done.written += save_figure(fig, out / "training_traces", formats)
    return done
