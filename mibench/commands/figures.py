"""``mibench figures``: regenerate the reference figures of the field from stored results."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from mibench.registry import split_top_level

DEFAULT_FIGURES_FOLDER = Path("results") / "figures"


def _command_line(
    name: str,
    scale: float,
    out: str,
    estimators: str | None,
    no_run: bool,
    retry_failed: bool,
    workers: int = 0,
) -> str:
    parts = ["mibench", "figures", name, "--scale", f"{scale:g}", "--out", out]
    if estimators:
        parts += ["--estimators", estimators]
    if no_run:
        parts.append("--no-run")
    if retry_failed:
        parts.append("--retry-failed")
    if workers:
        parts += ["--workers", str(workers)]
    return shlex.join(parts)


@click.command()
@click.argument("name", required=False)
@click.option("--list", "list_only", is_flag=True, help="List the figures and exit.")
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="Shrink training steps, seeds and sample sizes by this factor for a CPU preview "
    "(stated in the caption); 1 is the published protocol.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=str(DEFAULT_FIGURES_FOLDER),
    show_default=True,
    help="Parent of the figure's run folder (<out>/<name>, or <out>/<name>-scale<s>).",
)
@click.option(
    "--estimators",
    default=None,
    help="Comma-separated registry names: compute only these estimators' cells now (the "
    "figure is drawn from every stored cell).",
)
@click.option(
    "--no-run", is_flag=True, help="Draw from the stored results without computing anything."
)
@click.option(
    "--from",
    "source",
    type=click.Path(file_okay=False),
    default=None,
    help="With --no-run: parent folder of the stored results to draw, written into --out "
    f"(default: --out when it holds them, else {DEFAULT_FIGURES_FOLDER} below the current "
    "folder).",
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Also rerun the figure's stored cells whose status is not ok (same seeds).",
)
@click.option(
    "--workers",
    default=0,
    type=click.IntRange(min=0),
    help="Compute cells in a local process pool of this many workers (0: in process).",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
def figures(
    name: str | None,
    list_only: bool,
    scale: float,
    out: str,
    estimators: str | None,
    no_run: bool,
    source: str | None,
    retry_failed: bool,
    workers: int,
    quiet: bool,
) -> None:
    """Compute the missing cells of figure NAME (resuming from its tables), then draw it.

    The figure's folder keeps its rows and traces (zstd Parquet), the figure (PNG and PDF),
    its tables, COMMAND.txt and a README; running the same command again skips every
    finished cell.
    """
    from mibench.harness.executors import make_executor
    from mibench.paper import Scale, get_figure, list_figures, make_figure
    from mibench.paper.make import figure_folder, holds_results

    if list_only:
        for fig in list_figures():
            width = max(len(f.name) for f in list_figures())
            click.echo(f"{fig.name:{width}s}  {fig.description}")
        return
    if name is None:
        names = ", ".join(f.name for f in list_figures())
        raise click.UsageError(f"give a figure NAME or --list; the figures are {names}")
    try:
        figure = get_figure(name)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if source is not None and not no_run:
        raise click.UsageError("--from is read only with --no-run (a run writes into --out)")
    if no_run and source is None and not holds_results(figure_folder(figure, Scale(scale), out)):
        if holds_results(figure_folder(figure, Scale(scale), DEFAULT_FIGURES_FOLDER)):
            source = str(DEFAULT_FIGURES_FOLDER)
            click.echo(f"Drawing the results stored under {source} into {out}.")
    only = set(split_top_level(estimators)) if estimators else None
    command = _command_line(name, scale, out, estimators, no_run, retry_failed, workers)
    try:
        with make_executor(workers, None) as executor:
            made = make_figure(
                figure,
                Scale(scale),
                out,
                command,
                run=not no_run,
                estimators=only,
                retry_failed=retry_failed,
                executor=executor,
                progress=not quiet,
                source=source,
            )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    if made.run_summary:
        click.echo(made.run_summary)
    if made.expected:
        click.echo(f"{made.stored} of {made.expected} cells of {name!r} stored in {made.folder}.")
    else:
        click.echo(f"{name!r} has no cells: computed directly into {made.folder}.")
    click.echo("Files written:")
    for p in made.written:
        click.echo(f"  {p}")
