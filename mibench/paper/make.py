"""Make one paper figure: run (or reuse from the store) its cells, then draw it.

A figure's run folder is ``<out>/<name>`` at full scale and ``<out>/<name>-scale<s>``
otherwise. It holds the store ``results.sqlite`` (so a later call resumes the run), the
figure's own rows as ``results.csv``, the figure (PNG and PDF) and its tables, ``COMMAND.txt``
(every command that ran into the folder, with its date) and ``README.md`` (caption, files).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from mibench.harness.store import ResultStore
from mibench.paper.registry import Drawing, PaperFigure
from mibench.paper.scale import Scale


@dataclass
class MadeFigure:
    """What :func:`make_figure` did.

    Attributes:
        folder: the run folder.
        run_summary: one line on the cells computed now (empty when nothing was run).
        stored: the figure's cells in the store.
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
    lines += [
        "",
        drawing.caption(f"{figure.description}; {len(drawing.results)} cells."),
        "",
        "Made by the commands in `COMMAND.txt` (run again to resume; finished cells are "
        "skipped). Store: `results.sqlite` (traces in its `traces` table); this figure's rows: "
        "`results.csv`.",
        "",
        "Files: " + ", ".join(f"`{p.name}`" for p in written) + ".",
    ]
    return "\n".join(lines) + "\n"


def make_figure(
    figure: PaperFigure,
    scale: Scale,
    out: str | Path,
    command: str,
    *,
    run: bool = True,
    estimators: set[str] | None = None,
    progress: bool = True,
) -> MadeFigure:
    """Run the pending cells of ``figure`` at ``scale`` into its folder and draw it.

    Args:
        figure: the figure.
        scale: its scale.
        out: parent folder of the run folders (e.g. ``results/figures``).
        command: the command line, appended to ``COMMAND.txt``.
        run: compute pending cells; False draws from what is stored.
        estimators: registry names of the estimators to compute now (None: all); the
            figure is drawn from every stored cell of the figure whatever this is.
        progress: show progress bars on stderr.

    Returns:
        A :class:`MadeFigure`.

    Raises:
        ValueError: when ``estimators`` names an estimator outside the figure, or when no cell of
            the figure is stored (nothing to draw; with ``run=False`` nothing is created).
    """
    folder = figure_folder(figure, scale, out)
    work = figure.plan(scale)
    if estimators is not None and not set(estimators) <= set(work.estimators()):
        raise ValueError(
            f"estimators must name estimators of figure {figure.name!r} {work.estimators()}, got "
            f"{sorted(set(estimators) - set(work.estimators()))}"
        )
    if not run and not (folder / "results.sqlite").is_file():
        raise ValueError(f"{folder} holds no store of figure {figure.name!r}; run it first")
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "COMMAND.txt").open("a", encoding="utf-8") as fh:
        stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
        fh.write(f"# {stamp}\n{command}\n")
    ids = work.cell_ids()
    with ResultStore(folder / "results.sqlite") as store:
        summary = work.run(store, only=estimators, progress=progress) if run else ""
        results = store.results()
        traces = store.traces()
    results = results[results["cell_id"].isin(set(ids))]
    if results.empty:
        raise ValueError(
            f"no cell of figure {figure.name!r} at scale {scale.factor:g} is stored in "
            f"{folder}; run it first (without --no-run)"
        )
    traces = traces[traces["cell_id"].isin(set(results["cell_id"]))]
    drawing = Drawing(results=results, traces=traces, folder=folder, scale=scale, expected=len(ids))
    results.to_csv(folder / "results.csv", index=False)
    written = [folder / "results.csv", *figure.draw(drawing)]
    (folder / "README.md").write_text(_readme(figure, drawing, written), encoding="utf-8")
    return MadeFigure(folder, summary, len(results), len(ids), [*written, folder / "README.md"])
