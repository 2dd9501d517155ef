"""Make one paper figure: have the engine compute its pending cells, then draw it.

A figure's folder is ``<out>/<name>`` at full scale and ``<out>/<name>-scale<s>`` otherwise.
What it keeps (and what is committed under ``results/figures/``) is the committed-results
format of :mod:`mibench.harness.archive`: the figure's rows as ``results.parquet``, their
traces as ``traces.parquet``, the figure (PNG and PDF), its tables, ``COMMAND.txt`` (every
command that ran into the folder, with its date), ``README.md`` (caption, files) and
``report.html``, the figure's results page (:mod:`mibench.report.html`). The
SQLite store ``results.sqlite`` beside them is the working store of a run: rebuilt from the
tables when missing, so that a run resumes where the committed tables stop, and not meant
to be committed.

A figure whose plan has no cells (``pmi-profiles``) is computed directly by its draw, from
the tasks themselves: its folder holds the figure, its tables, ``COMMAND.txt``, ``README.md``
and ``report.html``, and no results tables, since no estimator ran.
"""

from __future__ import annotations

import shutil
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from mibench.harness.archive import (
    RESULTS_FILE,
    TRACES_FILE,
    has_tables,
    read_rows,
    read_traces,
    restore_store,
    write_tables,
)
from mibench.harness.lock import folder_lock
from mibench.harness.runner import execute
from mibench.harness.store import STORE_FILE, ResultStore, expand_params, store_file_used
from mibench.paper.registry import Drawing, PaperFigure, title_caption
from mibench.paper.scale import Scale
from mibench.report.html import PAGE_FILE, write_page


@dataclass
class MadeFigure:
    """What :func:`make_figure` did.

    Attributes:
        folder: the run folder.
        run_summary: one line on the cells computed now (empty when nothing was run).
        stored: the figure's cells stored.
        expected: the figure's cells at this scale.
        written: files written.
    """

    folder: Path
    run_summary: str
    stored: int
    expected: int
    written: list[Path]


def figure_folder(figure: PaperFigure, scale: Scale, out: str | Path) -> Path:
    """The run folder of ``figure`` at ``scale`` under ``out``."""
    return Path(out) / f"{figure.name}{scale.suffix()}"


def _readme(figure: PaperFigure, drawing: Drawing, written: list[Path]) -> str:
    images = [p.name for p in written if p.suffix == ".png"]
    lines = [f"# `{figure.name}`: {figure.description}", "", f"Source: {figure.source}.", ""]
    lines += [f"![{figure.name}]({name})" for name in images]
    if drawing.expected:
        caption = drawing.caption(f"{figure.description}; {len(drawing.results)} cells.")
        made = (
            "Made by the commands in `COMMAND.txt` (run again to resume; finished cells are "
            "skipped). This figure's rows: `results.parquet`; their training traces: "
            "`traces.parquet` (zstd-compressed Parquet; `mibench report` reads this folder)."
        )
    else:
        caption = drawing.caption(f"{figure.description}.")
        made = (
            "Made by the commands in `COMMAND.txt`, computed directly from the tasks (no "
            "estimator cells, so no `results.parquet`); its seeds are fixed, so running it "
            "again writes the same figure and tables."
        )
    lines += [
        "",
        caption,
        "",
        made,
        "",
        "Files: " + ", ".join(f"`{p.name}`" for p in written) + ".",
    ]
    return "\n".join(lines) + "\n"


def _log_command(folder: Path, command: str) -> None:
    with (folder / "COMMAND.txt").open("a", encoding="utf-8") as fh:
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        fh.write(f"# {stamp}\n{command}\n")


def _page(figure: PaperFigure, drawing: Drawing, drawn: list[Path]) -> Path:
    """Write the figure's results page (:mod:`mibench.report.html`) beside it: its rows, its
    drawn PNGs and, for a figure without cells, the CSV tables its draw wrote."""
    commands = drawing.folder / "COMMAND.txt"
    return write_page(
        drawing.results,
        drawing.traces,
        drawing.folder / PAGE_FILE,
        title=f"{figure.name}: {figure.description}",
        about=[
            f"Source: {figure.source}.",
            title_caption(drawing.caption(f"{figure.description}.")),
        ],
        figures=[p for p in drawn if p.suffix == ".png"],
        commands=commands.read_text(encoding="utf-8") if commands.is_file() else "",
        tables=[]
        if drawing.expected
        else [(p.stem.replace("_", " "), "", pd.read_csv(p)) for p in drawn if p.suffix == ".csv"],
    )


def _make_direct(
    figure: PaperFigure, scale: Scale, folder: Path, command: str, run: bool
) -> MadeFigure:
    """Draw a figure whose plan has no cells: its draw computes what it shows."""
    if not run:
        raise ValueError(
            f"figure {figure.name!r} stores no cells to redraw from: its draw computes it "
            "directly from the tasks; run it without --no-run"
        )
    folder.mkdir(parents=True, exist_ok=True)
    empty = pd.DataFrame()
    drawing = Drawing(results=empty, traces=empty, folder=folder, scale=scale, expected=0)
    with folder_lock(folder):
        _log_command(folder, command)
        drawn = figure.draw(drawing)
        drawn.append(_page(figure, drawing, drawn))
        (folder / "README.md").write_text(_readme(figure, drawing, drawn), encoding="utf-8")
    return MadeFigure(folder, "", 0, 0, [*drawn, folder / "README.md"])


def holds_results(folder: Path) -> bool:
    """Whether ``folder`` holds stored results to draw from (tables or a working store)."""
    return has_tables(folder) or store_file_used(folder / STORE_FILE)


def _stored(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Results and traces to draw from without running: the working store when there is one
    (a run may still be writing to it), else the committed tables."""
    if store_file_used(folder / STORE_FILE):
        with ResultStore(folder / STORE_FILE) as store:
            return store.results(), store.traces()
    return expand_params(read_rows(folder)), read_traces(folder)


def _copied_tables(origin: Path, folder: Path) -> list[Path]:
    """The committed tables of a redraw, in ``folder``: copied there (with ``COMMAND.txt``)
    when the results come from another folder, so the redrawn folder is a complete one."""
    if origin.resolve() != folder.resolve():
        for name in (RESULTS_FILE, TRACES_FILE, "COMMAND.txt"):
            if (origin / name).is_file():
                shutil.copyfile(origin / name, folder / name)
    return [p for p in (folder / RESULTS_FILE, folder / TRACES_FILE) if p.is_file()]


def make_figure(
    figure: PaperFigure,
    scale: Scale,
    out: str | Path,
    command: str,
    *,
    run: bool = True,
    estimators: set[str] | None = None,
    retry_failed: bool = False,
    executor: Executor | None = None,
    progress: bool = True,
    source: str | Path | None = None,
) -> MadeFigure:
    """Compute the pending cells of ``figure`` at ``scale`` into its folder and draw it.

    A figure whose plan has no cells is drawn at once: its draw computes what it shows
    (module docstring).

    Args:
        figure: the figure.
        scale: its scale.
        out: parent folder of the run folders (e.g. ``results/figures``).
        command: the command line, appended to ``COMMAND.txt`` when ``run``.
        run: compute pending cells; False draws from what is stored (the working store, or
            the committed tables) and computes nothing.
        estimators: registry names of the estimators to compute now (None: all); the
            figure is drawn from every stored cell of the figure whatever this is.
        retry_failed: also rerun stored cells of the figure whose status is not ok (with
            their seeds: a deterministic failure fails again, its row is rewritten).
        executor: where the cells run (:func:`~mibench.harness.executors.make_executor`);
            None: in this process.
        progress: show progress bars on stderr.
        source: with ``run=False``, the parent folder whose run folder of the figure holds
            the stored results to draw (e.g. the committed ``results/figures``); the drawing,
            its tables and page are written into the figure's folder under ``out``, which
            need hold nothing: the results tables and ``COMMAND.txt`` are copied there (None:
            draw from that folder itself). A redraw with the same library versions is
            byte-identical wherever it is written.

    Returns:
        A :class:`MadeFigure`.

    Raises:
        ValueError: when ``estimators`` names an estimator outside the figure, or when no cell of
            the figure is stored (nothing to draw; with ``run=False`` nothing is created), or
            ``run=False`` for a figure without cells, or ``source`` with ``run=True``, or a
            ``source`` other than ``out`` while the figure's folder under ``out`` holds results
            (they would be replaced).
        StoreError: (a ValueError) when another run holds the folder's lock, or its store is
            unusable.
    """
    folder = figure_folder(figure, scale, out)
    if source is not None and run:
        raise ValueError("a source folder to draw from is only read when nothing is run")
    origin = folder if source is None else figure_folder(figure, scale, source)
    if origin.resolve() != folder.resolve() and holds_results(folder):
        raise ValueError(
            f"{folder} already holds results of figure {figure.name!r}: a redraw from "
            f"{origin} would replace them; redraw that folder in place (without a source "
            "folder) or give an empty output folder"
        )
    work = figure.plan(scale)
    if estimators is not None and not set(estimators) <= set(work.estimators()):
        raise ValueError(
            f"estimators must name estimators of figure {figure.name!r} {work.estimators()}, got "
            f"{sorted(set(estimators) - set(work.estimators()))}"
        )
    if not work.cells:
        return _make_direct(figure, scale, folder, command, run)
    if not run and not holds_results(origin):
        raise ValueError(
            f"{origin} holds no results of figure {figure.name!r}; run it first, or name the "
            "parent folder of its stored results with --from"
        )
    folder.mkdir(parents=True, exist_ok=True)
    ids = set(work.cell_ids())
    summary = ""
    if run:
        with folder_lock(folder), ResultStore(folder / STORE_FILE) as store:
            # Logged once the folder is ours: a refused run leaves COMMAND.txt as it was (and
            # a redraw, which computes nothing, never touches it).
            _log_command(folder, command)
            if has_tables(folder):
                restore_store(folder, store)
            summary = execute(
                work.select(estimators),
                work.tasks,
                store,
                retry_failed=retry_failed,
                executor=executor,
                progress=progress,
            ).text()
            results, traces = store.results(), store.traces()
    else:
        results, traces = _stored(origin)
    # The figure's own task order (its plan's), not the store's alphabetical one; within a
    # task the store's fixed row order is kept.
    task_rank = {t.id: i for i, t in enumerate(work.tasks)}
    results = results[results["cell_id"].isin(ids)].sort_values(
        "task_id", key=lambda column: column.map(task_rank), kind="stable"
    )
    if results.empty:
        raise ValueError(
            f"no cell of figure {figure.name!r} at scale {scale.factor:g} is stored in "
            f"{origin}; run it first (without --no-run)"
        )
    traces = traces[traces["cell_id"].isin(set(results["cell_id"]))]
    drawing = Drawing(results=results, traces=traces, folder=folder, scale=scale, expected=len(ids))
    if run:
        tables = write_tables(folder, results, traces)
    else:
        tables = _copied_tables(origin, folder)
    drawn = figure.draw(drawing)
    drawn.append(_page(figure, drawing, drawn))
    (folder / "README.md").write_text(_readme(figure, drawing, tables + drawn), encoding="utf-8")
    written = (tables if run else []) + drawn + [folder / "README.md"]
    return MadeFigure(folder, summary, len(results), len(ids), written)
