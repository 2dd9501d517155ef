"""Load time of the committed results pages in headless Chromium, and the time to render one.

Skipped in the default run; run with

    pytest tests/perf/test_perf_html.py --benchmark-only

A page's load is timed as one headless Chromium run that loads it, runs its script and dumps
the DOM (``--dump-dom``), with the details of one summary row opened (the embedded cell data
decompressed and drawn). Before each round the same run on an empty page is timed (untimed by
the benchmark), so that ``extra_info`` records the page's own cost (``page_seconds``: the best
time less the empty page's best) and ``ratio_to_empty_page`` beside the browser's start-up;
``ready_seconds`` and ``details_seconds`` are the page's own clock (``performance.now()``) when
its script had set up the tables and when the details of the row were drawn.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from mibench.report.html import PAGE_FILE, render_page
from mibench.report.load import load_results, load_traces

FIGURES = Path(__file__).resolve().parents[2] / "results" / "figures"


@pytest.mark.parametrize("name", ["mine-gaussian", "standard-heatmap"])
def test_committed_page_load_in_chromium(benchmark, dump_dom, tmp_path, name):
    page = FIGURES / name / PAGE_FILE
    empty = tmp_path / "empty.html"
    empty.write_text("<!DOCTYPE html><html><body></body></html>", encoding="utf-8")
    baseline: list[float] = []

    def time_empty_page() -> None:  # before each timed round, untimed
        start = time.perf_counter()
        dump_dom(empty)
        baseline.append(time.perf_counter() - start)

    dom = benchmark.pedantic(
        dump_dom, args=(page, "#group=0"), setup=time_empty_page, rounds=3, iterations=1
    )
    assert 'data-loaded="0"' in dom
    best, empty_best = benchmark.stats.stats.min, min(baseline)
    # The page's own clock (performance.now()) of the last round: script ready, details drawn.
    ready = int(re.search(r'data-ready-ms="(\d+)"', dom).group(1))
    loaded = int(re.search(r'data-loaded-ms="(\d+)"', dom).group(1))
    benchmark.extra_info.update(
        page_bytes=page.stat().st_size,
        ready_seconds=ready / 1000,
        details_seconds=loaded / 1000,
        empty_page_seconds=empty_best,
        page_seconds=best - empty_best,
        ratio_to_empty_page=best / empty_best,
    )


def test_render_standard_heatmap_page(benchmark):
    folder = FIGURES / "standard-heatmap"
    results, traces = load_results(folder), load_traces(folder)
    html = benchmark.pedantic(
        render_page, args=(results, traces), kwargs={"title": "t"}, rounds=1, iterations=1
    )
    benchmark.extra_info.update(cells=len(results), page_bytes=len(html.encode()))
