"""The results page (mibench.report.html): its content, its determinism, and how it loads in
a real browser (headless Chromium, the ``dump_dom`` fixture of conftest.py)."""

from __future__ import annotations

import base64
import gzip
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mibench.cli import main
from mibench.report.html import (
    PAGE_BUDGET_BYTES,
    PAGE_FILE,
    TRACE_POINTS,
    family_ranks,
    render_page,
)
from mibench.report.load import load_results, load_traces
from mibench.report.metrics import summarize

FIGURES = Path(__file__).resolve().parents[1] / "results" / "figures"


class _Tables(HTMLParser):
    """Rows per table id, images, and the embedded cell data of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, int] = {}
        self.images: list[str] = []
        self.data = ""
        self._table: str | None = None
        self._in_body = False
        self._in_data = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.rows[self._table] = 0
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table:
            self.rows[self._table] += 1
        elif tag == "img":
            self.images.append(a["src"])
        elif tag == "script" and a.get("id") == "cell-data":
            self._in_data = True

    def handle_endtag(self, tag):
        if tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None
        elif tag == "script":
            self._in_data = False

    def handle_data(self, data):
        if self._in_data:
            self.data += data


def _parse(html: str) -> _Tables:
    parser = _Tables()
    parser.feed(html)
    return parser


def _document(parsed: _Tables) -> dict:
    return json.loads(gzip.decompress(base64.b64decode(parsed.data.strip())))


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    """A run of KSG and a short MINE fit (traces) on two tasks, 2 seeds, with its report."""
    folder = tmp_path_factory.mktemp("html") / "run"
    args = [
        "run",
        "--tasks",
        "1v1-normal-0.75,multinormal-dense-2-2-0.5",
        "--estimators",
        "ksg,mine[max_steps=60,eval_every=20]",
        "--n",
        "300",
        "--seeds",
        "2",
        "--run-dir",
        str(folder),
        "--quiet",
    ]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    result = CliRunner().invoke(main, ["report", str(folder), "--html"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert str(folder / "report" / PAGE_FILE) in result.output
    return folder


def test_family_ranks_average_the_ranks_of_each_family():
    summary = pd.DataFrame(
        {
            "task_id": ["a", "a", "a", "b", "b", "b"],
            "n": [100] * 6,
            "label": ["x", "y", "z"] * 2,
            "rmse": [0.1, 0.2, 0.2, 0.5, 0.4, np.nan],
        }
    )
    ranks = family_ranks(summary, {"a": "gaussian", "b": "gaussian,heavy-tailed", "c": "x"})
    got = ranks.set_index("label")
    # a: x 1, y 2.5, z 2.5 (tie); b: y 1, x 2, z 3 (no RMSE there: last).
    assert got.loc["x", "rank:all"] == pytest.approx(1.5)
    assert got.loc["y", "rank:all"] == pytest.approx(1.75)
    assert got.loc["z", "rank:all"] == pytest.approx(2.75)
    assert got.loc["z", "count:all"] == 2
    assert got.loc["y", "rank:heavy-tailed"] == 1.0 and got.loc["z", "rank:heavy-tailed"] == 3.0
    assert list(ranks["label"]) == ["x", "y", "z"]  # by the overall rank
    assert "rank:x" not in ranks  # no task of family x in the summary
    # Two configurations without an RMSE share the last ranks.
    two = summary.assign(rmse=[0.1, np.nan, np.nan, 0.5, 0.4, np.nan])
    got = family_ranks(two, {"a": "g", "b": "g"}).set_index("label")
    assert got.loc["y", "rank:all"] == pytest.approx((2.5 + 1) / 2)
    assert got.loc["z", "rank:all"] == pytest.approx((2.5 + 3) / 2)
    # Nothing to rank without an RMSE.
    assert family_ranks(summary.assign(rmse=np.nan), {}).empty


def test_page_holds_every_summary_row_figure_and_cell(small_run):
    page = (small_run / "report" / PAGE_FILE).read_text(encoding="utf-8")
    parsed = _parse(page)
    results = load_results(small_run)
    summary = summarize(results)
    assert parsed.rows["summary-table"] == len(summary) == 4
    assert parsed.rows["failures-table"] == 2  # ksg and the MINE configuration
    assert parsed.rows["ranking-table"] == 2
    assert len(parsed.images) == 1 and parsed.images[0].startswith("data:image/png;base64,")
    png = (small_run / "estimate_vs_true.png").read_bytes()
    assert base64.b64decode(parsed.images[0].split(",", 1)[1]) == png
    data = _document(parsed)
    assert sorted(j for g in data["groups"] for j in g) == list(range(len(results)))
    keys = summary[["task_id", "label", "n"]].itertuples(index=False, name=None)
    assert data["keys"] == [[t, lab, int(n)] for t, lab, n in keys]
    # Each cell's estimate and trace, to the 5 significant digits kept.
    traces = load_traces(small_run)
    cells = data["cells"]
    for j, g in enumerate(data["groups"]):
        task, label, n = data["keys"][j]
        rows = results[(results.task_id == task) & (results.label == label) & (results.n == n)]
        assert sorted(cells["seed"][i] for i in g) == sorted(rows["seed"])
        for i in g:
            row = rows[rows["seed"] == cells["seed"][i]].iloc[0]
            assert cells["mi"][i] == pytest.approx(row["mi_estimate"], rel=1e-4)
            trace = traces[traces.cell_id == row["cell_id"]].sort_values("step")
            if label.startswith("mine"):
                a, b = cells["trace"][i]
                assert data["traces"]["step"][a:b] == trace["step"].tolist() == [20, 40, 60]
                np.testing.assert_allclose(data["traces"]["test"][a:b], trace["test_value"], 1e-4)
            else:
                assert cells["trace"][i] is None and trace.empty
    # Both tasks have densities: each has its pointwise-MI profile, whose mean is near the MI.
    assert set(data["profiles"]) == {"1v1-normal-0.75", "multinormal-dense-2-2-0.5"}
    for task, profile in data["profiles"].items():
        true = results.loc[results.task_id == task, "mi_true"].iloc[0]
        assert profile["true"] == pytest.approx(true)
        assert abs(profile["mean"] - true) < 5 * profile["stderr"]


def test_page_is_deterministic_and_names_no_path_of_the_machine(small_run):
    results, traces = load_results(small_run), load_traces(small_run)
    first = render_page(results, traces, title="t", figures=[small_run / "estimate_vs_true.png"])
    second = render_page(results, traces, title="t", figures=[small_run / "estimate_vs_true.png"])
    assert first == second
    assert str(small_run) not in first and str(Path.home()) not in first
    assert not re.search(r"/(tmp|home|work|root)/", first.split('id="cell-data"')[0])


def test_long_traces_are_thinned_to_evenly_spaced_steps(small_run):
    results, traces = load_results(small_run), load_traces(small_run)
    cell = results.loc[results.label.str.startswith("mine"), "cell_id"].iloc[0]
    steps = np.arange(1, 10_001)
    long = pd.DataFrame(
        {"cell_id": cell, "step": steps, "train_value": steps / 1e4, "test_value": steps / 1e4}
    )
    page = render_page(results, pd.concat([traces[traces.cell_id != cell], long]), title="t")
    data = _document(_parse(page))
    spans = [s for s in data["cells"]["trace"] if s is not None]
    longest = max(spans, key=lambda s: s[1] - s[0])
    kept = data["traces"]["step"][longest[0] : longest[1]]
    assert len(kept) == TRACE_POINTS and kept[0] == 1 and kept[-1] == 10_000
    assert np.ptp(np.diff(kept)) <= 1  # evenly spaced


def test_run_page_loads_in_chromium_with_tables_figures_and_details(small_run, dump_dom):
    page = small_run / "report" / PAGE_FILE
    data = _document(_parse(page.read_text(encoding="utf-8")))
    mine = next(i for i, k in enumerate(data["keys"]) if k[1].startswith("mine"))
    dom = dump_dom(page, f"#group={mine}")
    assert 'data-ready="1"' in dom  # the script ran
    assert f'data-loaded="{mine}"' in dom  # details decompressed and drawn
    assert re.search(r'<img class="figure"[^>]*data-width="[1-9]\d*"', dom)  # figure decoded
    assert dom.count('<select data-filter="') == 4 + 1 + 1  # summary; failures; ranking
    assert "4 of 4 rows" in dom
    details = dom[dom.index('id="details-body"') :]
    assert details.count("<tr>") == 1 + 2  # header and the two seeds
    assert 'id="training-curves"' in details and details.count('class="curve"') == 4
    assert 'id="pmi-profile"' in details and 'class="bar"' in details


def test_committed_heatmap_page_stays_within_its_size_budget():
    page = FIGURES / "standard-heatmap" / PAGE_FILE
    assert page.stat().st_size <= PAGE_BUDGET_BYTES
    parsed = _parse(page.read_text(encoding="utf-8"))
    results = load_results(page.parent)
    groups = results.drop_duplicates(["task_id", "label", "n"])
    assert results["task_id"].nunique() == 40 and results["n"].nunique() == 6
    assert parsed.rows["summary-table"] == len(groups)  # tasks × estimators × sample sizes


def test_committed_figure_redraws_byte_identically_into_an_empty_folder(tmp_path, monkeypatch):
    """``--no-run --out DIR`` draws the committed results (here of the smallest figure) into a
    folder that holds nothing: every committed file comes out byte-identical, the page and
    both image formats included."""
    committed = FIGURES / "mine-gaussian"
    monkeypatch.chdir(FIGURES.parents[1])  # the default source is ./results/figures
    out = tmp_path / "elsewhere"
    result = CliRunner().invoke(
        main, ["figures", "mine-gaussian", "--no-run", "--out", str(out)], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert "Drawing the results stored under results/figures" in result.output
    drawn = out / "mine-gaussian"
    names = {p.name for p in committed.iterdir() if not p.name.startswith("results.sqlite")}
    assert {p.name for p in drawn.iterdir()} == names
    for name in sorted(names):
        assert (drawn / name).read_bytes() == (committed / name).read_bytes(), name
    assert not list(committed.glob("*.lock"))


def test_a_redraw_from_elsewhere_never_replaces_stored_results(tmp_path):
    out = tmp_path / "figures"
    (out / "mine-gaussian").mkdir(parents=True)
    mine = pd.read_parquet(FIGURES / "mine-gaussian" / "results.parquet").head(5)
    mine.to_parquet(out / "mine-gaussian" / "results.parquet")
    before = (out / "mine-gaussian" / "results.parquet").read_bytes()
    result = CliRunner().invoke(
        main, ["figures", "mine-gaussian", "--no-run", "--from", str(FIGURES), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert "already holds results of figure 'mine-gaussian'" in result.output
    assert (out / "mine-gaussian" / "results.parquet").read_bytes() == before


def test_from_is_refused_when_the_command_runs_cells(tmp_path):
    result = CliRunner().invoke(
        main, ["figures", "mine-gaussian", "--from", str(FIGURES), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "--from is read only with --no-run" in result.output


@pytest.mark.parametrize(
    "name", sorted(p.parent.name for p in FIGURES.glob(f"*/{PAGE_FILE}")) or ["none"]
)
def test_committed_figure_pages_load_in_chromium(name, dump_dom):
    page = FIGURES / name / PAGE_FILE
    assert page.is_file(), f"no committed page in {page.parent}"
    dom = dump_dom(page)
    assert 'data-ready="1"' in dom
    figures = sorted(p.name for p in page.parent.glob("*.png"))
    loaded = re.findall(r'<img class="figure" alt="([^"]+)"[^>]*data-width="[1-9]\d*"', dom)
    assert sorted(loaded) == figures


def test_page_of_a_sweep_shows_the_best_configuration_per_task(tmp_path):
    folder = tmp_path / "sweep"
    args = ["run", "--tasks", "1v1-normal-0.75", "--estimators", "ksg,ksg[k=5|10]"]
    args += ["--n", "200", "--seeds", "4", "--run-dir", str(folder), "--quiet"]
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    page = render_page(load_results(folder), load_traces(folder), title="sweep")
    parsed = _parse(page)
    assert parsed.rows["summary-table"] == 3
    assert parsed.rows["best-table"] == 1  # one (task, estimator, n)
    assert re.search(r"<td>ksg\[k=(5|10)\]</td>|<td>ksg</td>", page.split('id="best-table"')[1])


def test_a_results_file_gets_the_figures_and_traces_of_its_run_folder(small_run, tmp_path):
    from mibench.report.html import write_run_page

    for name in ("results.csv", "results.parquet"):
        parsed = _parse(write_run_page(small_run / name, tmp_path / name).read_text("utf-8"))
        assert len(parsed.images) == 1  # estimate_vs_true.png beside the file
        data = _document(parsed)
        assert sum(span is not None for span in data["cells"]["trace"]) == 4  # the MINE cells


def test_run_figures_come_from_the_run_the_plot_and_the_report_folders(tmp_path):
    from mibench.report.html import run_figures

    for sub in ("", "figures", "report", "other"):
        (tmp_path / sub).mkdir(exist_ok=True)
        for name in ("b.png", "a.png"):
            (tmp_path / sub / name).write_bytes(b"")
    got = [p.relative_to(tmp_path).as_posix() for p in run_figures(tmp_path)]
    assert got == [
        f"{sub}{name}" for sub in ("", "figures/", "report/") for name in ("a.png", "b.png")
    ]


def test_headers_use_the_fields_spelling():
    from mibench.report.html import header

    assert header("mi_true") == "MI true" and header("task_id") == "task"
    assert header("winner_rmse_eval_se") == "winner RMSE eval s.e."
    assert header("coverage", {"coverage": "cov."}) == "cov."


def test_an_empty_results_file_is_refused_with_its_name(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValueError, match="empty.csv: results file is empty"):
        load_results(empty)


def test_a_task_without_a_profile_says_why_in_the_details(small_run, tmp_path, dump_dom):
    results = load_results(small_run).assign(task_version=99)  # no built-in task at version 99
    page = tmp_path / PAGE_FILE
    page.write_text(render_page(results, load_traces(small_run), title="t"), encoding="utf-8")
    assert _document(_parse(page.read_text(encoding="utf-8")))["profiles"] == {}
    dom = dump_dom(page, "#group=0")
    assert 'data-loaded="0"' in dom and 'id="no-profile"' in dom and 'id="pmi-profile"' not in dom
