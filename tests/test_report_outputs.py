"""`mibench report` and `mibench plot` on a finished run: every table and figure is written."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mibench.cli import main
from mibench.estimate import Estimate
from mibench.estimator import Estimator
from mibench.harness.grid import Grid
from mibench.harness.runner import run_grid
from mibench.harness.store import ResultStore
from mibench.registry import register_estimator
from mibench.report.figures import plot_heatmap
from mibench.report.metrics import summarize
from mibench.report.palette import display_name, estimator_styles
from mibench.tasks import get_task


class TracedEstimator(Estimator):
    """Test estimator that records a short training trace and a step count, like a neural one."""

    name = "test-traced"
    deterministic = False

    def __init__(self, steps: int = 5) -> None:
        self.steps = steps

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        value = -0.5 * np.log1p(-(r**2))
        trace = [
            (s, value * s / self.steps, value * (s - 0.5) / self.steps)
            for s in range(1, self.steps + 1)
        ]
        return Estimate(value=value, steps=self.steps, fit_seconds=1e-3, trace=trace)


register_estimator(TracedEstimator.name, TracedEstimator, replace=True)

FIGURE_STEMS = [
    "heatmap_n100",
    "heatmap_n300",
    "estimate_vs_true",
    "bias_sd_vs_n",
    "throughput_vs_n",
    "training_traces",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("run")
    grid = Grid(
        tasks=[get_task("1v1-normal-0.75"), get_task("multinormal-dense-2-2-0.5")],
        estimators=["test-corr", "test-fail", "test-traced"],
        ns=[100, 300],
        seeds=[0, 1],
    )
    with ResultStore(path / "results.sqlite") as store:
        run_grid(grid, store, progress=False)
    return path


def test_report_writes_tables_with_the_run_metrics(run_dir):
    res = CliRunner().invoke(main, ["report", str(run_dir)])
    assert res.exit_code == 0, res.output
    out = run_dir / "report"
    for stem in ("summary", "samples_to_factor_1.5"):
        for suffix in (".csv", ".md", ".tex"):
            path = out / f"{stem}{suffix}"
            assert path.stat().st_size > 0
            assert str(path) in res.output
    with ResultStore(run_dir / "results.sqlite") as store:
        expected = summarize(store.results())
    table = pd.read_csv(out / "summary.csv")
    pd.testing.assert_frame_equal(
        table[["task_id", "label", "n", "mean", "bias", "rmse", "failure_rate"]],
        expected[["task_id", "label", "n", "mean", "bias", "rmse", "failure_rate"]],
        check_dtype=False,
    )
    assert "\\toprule" in (out / "summary.tex").read_text()
    assert "multinormal-dense-2-2-0.5" in (out / "summary.md").read_text()
    wide = pd.read_csv(out / "samples_to_factor_1.5.csv")
    assert list(wide.columns) == ["task_id", "mi_true", "test-corr", "test-fail", "test-traced"]
    assert wide["test-fail"].isna().all()


def test_plot_writes_every_figure_as_png_and_pdf_with_truetype_fonts(run_dir):
    res = CliRunner().invoke(main, ["plot", str(run_dir)])
    assert res.exit_code == 0, res.output
    for stem in FIGURE_STEMS:
        png = (run_dir / "figures" / f"{stem}.png").read_bytes()
        pdf = (run_dir / "figures" / f"{stem}.pdf").read_bytes()
        assert png.startswith(b"\x89PNG") and pdf.startswith(b"%PDF")
        assert b"/FontFile2" in pdf, f"{stem}.pdf has no embedded TrueType font"


def test_heatmap_shows_mean_estimates_true_mi_and_failures(run_dir):
    with ResultStore(run_dir / "results.sqlite") as store:
        summary = summarize(store.results())
    fig = plot_heatmap(summary, 300)
    ax_true, ax = fig.axes[:2]
    assert [t.get_text() for t in ax_true.texts] == ["0.41", "0.29"]
    at_n = summary[summary["n"] == 300]
    expected = {f"{m:.2f}" for m in at_n["mean"].dropna()} | {"failed"}
    assert {t.get_text() for t in ax.texts} == expected
    colours = ax.images[0].get_array()
    assert colours.shape == (2, 3) and np.all(np.abs(colours.compressed()) <= 1.0)
    assert colours.mask[:, 1].all()  # test-fail: no ok rows


def test_heatmap_with_long_labels_keeps_its_cells_and_labels_in_the_figure(run_dir):
    # Before, 45° labels of this length squeezed the cells of a 2-task heatmap to nothing.
    with ResultStore(run_dir / "results.sqlite") as store:
        summary = summarize(store.results())
    summary["label"] = summary["label"] + "[max_steps=1000,patience=100,lr=0.0005]"
    fig = plot_heatmap(summary, 300)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax_true, ax = fig.axes[:2]
    cell_inches = ax.get_window_extent(renderer).height / fig.dpi / 2
    assert cell_inches > 0.25
    inside = fig.bbox.padded(1)
    for a in (ax_true, ax):
        for tick in a.get_xticklabels() + a.get_yticklabels():
            box = tick.get_window_extent(renderer)
            assert inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1)
    plt.close(fig)


def test_run_then_plot_without_traces_writes_the_other_figures(tmp_path):
    runner = CliRunner()
    run_dir = tmp_path / "run"
    res = runner.invoke(
        main,
        [
            "run",
            "--tasks",
            "1v1-normal-0.75",
            "--estimators",
            "test-corr,test-seeded",
            "--n",
            "100",
            "--seeds",
            "2",
            "--run-dir",
            str(run_dir),
            "--quiet",
        ],
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["plot", str(run_dir / "results.csv"), "--out", str(tmp_path / "f")])
    assert res.exit_code == 0, res.output
    assert "no training traces" in res.output
    for stem in FIGURE_STEMS[:1] + FIGURE_STEMS[2:5]:
        for suffix in (".png", ".pdf"):
            assert (tmp_path / "f" / f"{stem}{suffix}").stat().st_size > 0
    assert not (tmp_path / "f" / "training_traces.png").exists()


def test_bad_sources_are_usage_errors_naming_the_path_or_column(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["report", str(tmp_path)])
    assert res.exit_code == 2 and str(tmp_path) in res.output and "results.sqlite" in res.output
    bad = tmp_path / "r.csv"
    pd.DataFrame({"cell_id": ["a"], "task_id": ["t"]}).to_csv(bad, index=False)
    res = runner.invoke(main, ["plot", str(bad)])
    assert res.exit_code == 2 and "mi_estimate" in res.output and str(bad) in res.output
    res = runner.invoke(main, ["report", str(tmp_path / "missing.parquet")])
    assert res.exit_code == 2 and "missing.parquet" in res.output


def test_palette_is_stable_and_uses_the_fields_names():
    a = estimator_styles(["mine", "ksg[k=5]", "ksg"])
    b = estimator_styles(["ksg", "mine", "ksg[k=5]", "ksg"])
    assert a == b and len({s.color for s in a.values()}) == 3
    assert display_name("ksg[k=5]") == "KSG (k=5)" and display_name("infonce") == "InfoNCE"
    assert display_name("test-corr") == "test-corr"
