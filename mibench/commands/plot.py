"""``mibench plot``: the figures of a run, as PNG and PDF."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the figures [default: RUN_DIR/figures].",
)
def plot(run_dir: Path, out: Path | None) -> None:
    """Draw the figures of a run (PNG and PDF).

    RUN_DIR is a run folder or a .sqlite/.parquet/.csv results file.
    Figures: heatmap_n<n> (task x estimator, colour = log ratio to true MI clipped to ±1, text
    = mean estimate; one per sample size), estimate_vs_true, bias_sd_vs_n, throughput_vs_n and
    training_traces (neural estimators; skipped with a note when the run has no traces).
    """
    from mibench.report.figures import plot_run
    from mibench.report.load import load_results, load_traces

    try:
        results, traces = load_results(run_dir), load_traces(run_dir)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    out = out or (run_dir if run_dir.is_dir() else run_dir.parent) / "figures"
    try:
        done = plot_run(results, traces, out)
    except ValueError as exc:
        raise click.UsageError(f"{run_dir}: {exc}") from exc
    for note in done.notes:
        click.echo(f"note: {note}")
    click.echo("Files written:")
    for p in done.written:
        click.echo(f"  {p}")
