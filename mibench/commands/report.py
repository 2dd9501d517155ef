"""``mibench report``: summary, samples-to-factor and error-bar coverage tables (CSV, Markdown,
LaTeX) of a run, and with ``--html`` its results page."""

from __future__ import annotations

from pathlib import Path

import click

from mibench.commands.common import load_tasks_file, tasks_file_option


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the tables [default: RUN_DIR/report].",
)
@click.option(
    "--factor",
    type=click.FloatRange(min=1.0, min_open=True),
    default=1.5,
    show_default=True,
    help="Tolerance factor of the samples-to-factor table.",
)
@click.option(
    "--html",
    is_flag=True,
    help="Also write report.html: one self-contained page of the run (tables, figures, "
    "per-cell details) to open in a browser.",
)
@tasks_file_option
def report(
    run_dir: Path, out: Path | None, factor: float, html: bool, tasks_file: str | None
) -> None:
    """Write the summary tables of a run (CSV, Markdown, LaTeX).

    RUN_DIR is a run folder or a .sqlite/.parquet/.csv results file. Tables: per (task,
    estimator, n) mean, bias, sd, RMSE, MAE, failure rate and log ratio (nats), and the
    smallest n from which each mean estimate stays within FACTOR of the true MI; for runs
    with error bars, the coverage of the 95 % intervals (share of seeds whose interval holds
    the true MI). With --html, also one self-contained page (no network needed to view it)
    with the run's provenance, these tables (sortable, filterable), its figures and per-cell
    details.
    """
    from mibench.report.load import load_results
    from mibench.report.tables import write_report

    load_tasks_file(tasks_file)  # the page's PMI profiles of a run's own tasks

    try:
        results = load_results(run_dir)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    out = out or (run_dir if run_dir.is_dir() else run_dir.parent) / "report"
    written = write_report(results, out, factor)
    if html:
        from mibench.report.html import write_run_page

        written.append(write_run_page(run_dir, out))
    click.echo("Files written:")
    for p in written:
        click.echo(f"  {p}")
