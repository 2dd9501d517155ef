"""Figure styling read from the drawn figures: palette, dodging, log-n ticks, colour bars, units
and captions."""

from __future__ import annotations

import colorsys
import itertools
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from mibench.paper import Scale  # noqa: E402
from mibench.paper import invariance as paper_invariance  # noqa: E402
from mibench.paper.registry import Drawing, set_title  # noqa: E402
from mibench.paper.staircase import plot_staircase  # noqa: E402
from mibench.paper.staircase_lee_rhee import LEE_RHEE  # noqa: E402
from mibench.paper.work import builtin_estimators  # noqa: E402
from mibench.report.figures import (  # noqa: E402
    DODGE_SPREAD,
    plot_bias_sd_vs_n,
    plot_estimate_vs_true,
    plot_heatmap,
    plot_throughput,
    short_count,
)
from mibench.report.palette import BUILTIN_STYLES, estimator_styles  # noqa: E402
from mibench.tasks.invariance import FAMILIES  # noqa: E402

NS = (100, 500, 1000, 3000, 5000, 10_000)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def make_summary(tasks: dict[str, float], labels: list[str], ns=NS, seed: int = 0) -> pd.DataFrame:
    """A summary table (the columns the figures read) with random estimates."""
    rng = np.random.default_rng(seed)
    rows = []
    for (task, mi), label, n in itertools.product(tasks.items(), labels, ns):
        mean = mi + rng.normal(0, 0.1) / math.sqrt(n / 100)
        rows.append(
            {
                "task_id": task,
                "label": label,
                "n": n,
                "estimator": label.split("[")[0],
                "mi_true": mi,
                "n_rows": 3,
                "n_ok": 3,
                "mean": mean,
                "bias": mean - mi,
                "sd": abs(rng.normal(0.05, 0.01)),
                "failure_rate": 0.0,
                "log_ratio": math.log(max(mean, 1e-3) / mi),
                "samples_per_second": 1e4,
                "steps_per_second": np.nan,
            }
        )
    return pd.DataFrame(rows)


def _hue(color: str) -> float:
    return colorsys.rgb_to_hls(*to_rgb(color))[0]


# --- palette -------------------------------------------------------------------------------


def test_a_label_keeps_its_style_whatever_the_other_labels():
    one = estimator_styles(["ksg", "infonce[max_steps=10]", "my-plugin"])
    other = estimator_styles(["nwj", "my-plugin", "infonce[max_steps=10]", "ksg", "dv", "kl"])
    alone = {lb: estimator_styles([lb])[lb] for lb in one}
    for label in one:
        assert one[label] == other[label] == alone[label]


def test_every_builtin_estimator_has_its_own_fixed_style():
    names = builtin_estimators()
    assert set(names) <= set(BUILTIN_STYLES)
    styles = estimator_styles(names)
    assert {lb: (s.color, s.marker) for lb, s in styles.items()} == {
        n: BUILTIN_STYLES[n] for n in names
    }
    assert len({s.color for s in styles.values()}) == len(names)


def test_25_estimators_get_25_distinct_styles():
    plugins = [f"plugin-{i}" for i in range(25 - len(builtin_estimators()))]
    styles = estimator_styles([*builtin_estimators(), *plugins])
    assert len(styles) == 25
    assert len({(s.color, s.marker) for s in styles.values()}) == 25
    # and 25 plug-ins alone, and many configurations of one estimator
    alone = estimator_styles([f"other-{i}" for i in range(25)])
    assert len({(s.color, s.marker) for s in alone.values()}) == 25
    configs = estimator_styles([f"ksg[k={k}]" for k in range(1, 31)])
    assert len({(s.color, s.marker) for s in configs.values()}) == 30


def test_a_configuration_is_a_variant_of_its_estimator():
    styles = estimator_styles(["ksg", "ksg[k=10]", "ksg[k=3]", "mine", "mine[max_steps=10]"])
    for base, variant in (
        ("ksg", "ksg[k=10]"),
        ("ksg", "ksg[k=3]"),
        ("mine", "mine[max_steps=10]"),
    ):
        b, v = styles[base], styles[variant]
        assert (v.color, v.marker) != (b.color, b.marker)
        assert v.marker != b.marker and v.color != b.color  # another shade and another marker
        assert abs(_hue(v.color) - _hue(b.color)) < 0.02  # of the same colour family
    assert styles["ksg[k=10]"].display_name == "KSG (k=10)"
    # labels of the coverage figure ("NWJ (seeds)") are variants of their estimator too
    nwj = estimator_styles(["NWJ (seeds)"])["NWJ (seeds)"]
    assert abs(_hue(nwj.color) - _hue(BUILTIN_STYLES["nwj"][0])) < 0.02


def test_unknown_labels_fall_back_deterministically():
    a = estimator_styles(["zeta-estimator"])["zeta-estimator"]
    b = estimator_styles(["ksg", "zeta-estimator", "alpha"])["zeta-estimator"]
    assert a == b
    assert (a.color, a.marker) not in set(BUILTIN_STYLES.values())


# --- estimate against true MI --------------------------------------------------------------


def test_estimate_vs_true_names_tasks_and_dodges_within_the_gap():
    # three tasks share a true MI: an x axis of true MI could not tell them apart
    tasks = {"t-a": 0.5, "t-b": 1.0, "t-c": 1.0, "t-d": 1.0, "t-e": 2.0}
    labels = builtin_estimators()
    fig = plot_estimate_vs_true(make_summary(tasks, labels), estimator_styles(labels))
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_xticklabels()]
    assert sorted(names) == sorted(tasks)
    positions = {name: loc for name, loc in zip(names, ax.get_xticks(), strict=True)}
    xs: dict[str, list[float]] = {t: [] for t in tasks}
    containers = [c for c in ax.containers if hasattr(c, "lines")]
    assert len(containers) == len(labels)
    for container in containers:
        x = container.lines[0].get_xdata()
        assert len(x) == len(tasks)
        for value in x:
            task = min(positions, key=lambda t: abs(positions[t] - value))
            xs[task].append(float(value))
    centres = sorted(positions.values())
    gap = min(np.diff(centres))
    for task, values in xs.items():
        assert len(values) == len(labels)
        spread = max(values) - min(values)
        assert 0 < spread <= DODGE_SPREAD * gap + 1e-9
        assert max(abs(v - positions[task]) for v in values) < gap / 2
    ordered = [names[i] for i in np.argsort(ax.get_xticks())]
    assert [tasks[t] for t in ordered] == sorted(tasks.values())  # in order of true MI


# --- bias and sd against n ------------------------------------------------------------------


def _texts(fig) -> str:
    return " ".join(t.get_text() for ax in fig.axes for t in ax.texts) + " ".join(
        t.get_text() for t in fig.texts
    )


def test_bias_sd_vs_n_with_one_n_says_so():
    summary = make_summary({"t": 1.0}, ["ksg", "mine"], ns=(500,))
    fig = plot_bias_sd_vs_n(summary)
    assert "one sample size (n = 500)" in _texts(fig)
    assert not any(line for ax in fig.axes for line in ax.lines)


def test_bias_sd_vs_n_groups_put_bias_and_sd_in_rows_of_their_own():
    labels = ["ksg", "kl", "mine", "infonce", "nwj"]
    summary = make_summary({"t1": 0.5, "t2": 1.0, "t3": 2.0}, labels)
    groups = {"classical": ["ksg", "kl"], "neural": ["mine", "infonce", "nwj"]}
    fig = plot_bias_sd_vs_n(summary, groups=groups, ncols=3)
    axes = np.array(fig.axes).reshape(4, 3)
    styles = estimator_styles(labels)
    rows = [(group, members) for group, members in groups.items() for _ in ("bias", "sd")]
    for row, (group, members) in enumerate(rows):
        for ax in axes[row]:
            colors = {ln.get_color() for ln in ax.lines if len(ln.get_xdata()) == len(NS)}
            assert colors == {styles[lb].color for lb in members}
            style = {ln.get_linestyle() for ln in ax.lines if len(ln.get_xdata()) == len(NS)}
            assert style == ({"-"} if row % 2 == 0 else {"--"})
        assert group in axes[row, 0].get_ylabel()
        assert ("bias" if row % 2 == 0 else "sd") in axes[row, 0].get_ylabel()


def _label_extents(ax):
    return [t.get_window_extent() for t in ax.get_xticklabels() if t.get_visible() and t.get_text()]


@pytest.mark.parametrize(
    "ns", [NS, (50, 100, 200, 300, 400, 500, 700, 1000, 2000, 3000, 5000, 7000, 10_000)]
)
def test_log_n_ticks_are_the_runs_n_and_do_not_overlap(ns):
    summary = make_summary({"t1": 0.5, "t2": 1.0}, ["ksg", "mine"], ns=ns)
    for fig in (plot_bias_sd_vs_n(summary), plot_throughput(summary)):
        fig.canvas.draw()
        ax = fig.axes[0]
        assert ax.get_xscale() == "log"
        assert list(ax.get_xticks()) == sorted(ns)
        shown = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert set(shown) <= {short_count(n) for n in ns} and len(shown) >= 3
        assert short_count(min(ns)) in shown
        boxes = sorted(_label_extents(ax), key=lambda b: b.x0)
        for left, right in itertools.pairwise(boxes):
            assert left.x1 <= right.x0, (left, right)
    assert short_count(3000) == "3k" and short_count(100) == "100" and short_count(2500) == "2.5k"


# --- colour bars ---------------------------------------------------------------------------


def _inside(fig, artist) -> bool:
    box, frame = artist.get_window_extent(), fig.bbox
    tol = 1.0
    return (
        box.x0 >= frame.x0 - tol
        and box.y0 >= frame.y0 - tol
        and box.x1 <= frame.x1 + tol
        and box.y1 <= frame.y1 + tol
    )


@pytest.mark.parametrize("n_tasks, n_labels", [(1, 1), (2, 3), (40, 14)])
def test_heatmap_colour_bar_label_is_inside_the_figure(n_tasks, n_labels):
    tasks = {f"task-{i}-with-a-longish-name": 0.2 + 0.05 * i for i in range(n_tasks)}
    labels = builtin_estimators()[:n_labels]
    fig = plot_heatmap(make_summary(tasks, labels, ns=(1000,)), 1000)
    set_title(fig, "A title", "A caption long enough to wrap over two lines or more. " * 4)
    fig.canvas.draw()
    bar = fig.axes[-1]
    label = bar.yaxis.label
    assert "log ratio" in label.get_text()
    assert _inside(fig, label)


@pytest.mark.parametrize("n_labels", [1, 3, 14])
def test_invariance_heatmap_colour_bar_label_is_inside_the_figure(n_labels):
    labels = builtin_estimators()[:n_labels]
    rows = [
        {
            "estimator": lb,
            "family": f.name,
            "strength": 1.0,
            "n": 500,
            "standardize": std,
            "rel_shift": 0.3,
            "pairs": 2,
        }
        for lb in labels
        for f in FAMILIES
        for std in (True, False)
    ]
    fig = paper_invariance.plot_heatmap(pd.DataFrame(rows))
    set_title(fig, "A title", "A caption. " * 20)
    fig.canvas.draw()
    label = fig.axes[-1].yaxis.label
    assert "true MI" in label.get_text()
    assert _inside(fig, label)


# --- Lee & Rhee units, captions ------------------------------------------------------------


def _lee_rhee_drawing(scale: Scale) -> Drawing:
    keys = LEE_RHEE.keys(scale)
    task = LEE_RHEE.tasks(scale)[0]
    cell = keys["cell_id"].iloc[0]
    steps = np.arange(task.n_steps)
    truth = [task.true_mi(int(s)) for s in steps]  # nats
    traces = pd.DataFrame(
        {"cell_id": cell, "step": steps, "train_value": truth, "test_value": truth}
    )
    results = pd.DataFrame({"cell_id": [cell], "status": ["ok"], "seed": [0]})
    return Drawing(results, traces, folder=None, scale=scale, expected=len(keys))


def test_lee_rhee_figure_is_drawn_in_bits():
    scale = Scale(0.001)
    fig = plot_staircase(_lee_rhee_drawing(scale), LEE_RHEE, "MI staircase in bits")
    ax = fig.axes[0]
    assert "bits" in ax.get_ylabel() and "nats" not in ax.get_ylabel()
    top = max(LEE_RHEE.levels)  # 10 bits
    drawn = max(float(np.max(line.get_ydata())) for line in ax.lines)
    assert drawn == pytest.approx(top, rel=1e-6)  # not 10 ln 2 = 6.93
    bound = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert bound and bound[0].get_ydata()[0] == pytest.approx(math.log2(64))


@pytest.mark.parametrize("factor", [1.0, 0.005, 0.1])
def test_titles_state_the_scale_in_words_without_the_option(factor):
    scale = Scale(factor)
    drawing = _lee_rhee_drawing(scale)
    caption = drawing.caption("Some text.")
    assert f"--scale {factor:g}" in caption  # the folder's README names the option
    fig, _ = plt.subplots()
    set_title(fig, "Title", caption)
    title = fig.get_suptitle().replace("\n", " ")
    assert "--scale" not in title and "--" not in title
    assert "Some text." in title and "Partial: 1 of 3 cells" in title
    words = "Full protocol" if factor == 1 else f"Preview at {factor:g}× the protocol"
    assert words in title
    staircase = plot_staircase(drawing, LEE_RHEE, "MI staircase in bits")
    assert "--scale" not in staircase.get_suptitle()
