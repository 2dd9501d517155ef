"""``mibench run``: run a grid of tasks × estimators × n × seeds into a run folder."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click

from mibench import tasks as task_registry
from mibench.commands.common import int_list, load_tasks_file, split_specs, tasks_file_option

DEFAULT_ESTIMATORS = "ksg,histogram,mine"
DEFAULT_RUNS_FOLDER = Path("results") / "runs"


@click.command()
@click.option("--suite", default="quick", show_default=True, help="Suite of tasks to run.")
@click.option(
    "--tasks", "task_ids", default=None, help="Comma-separated task ids (overrides --suite)."
)
@click.option(
    "--estimators",
    default=DEFAULT_ESTIMATORS,
    show_default=True,
    help="Comma-separated estimator specs, each 'name' or 'name[param=value,...]'.",
)
@click.option(
    "--n", "ns", default="2000", show_default=True, callback=int_list,
    help="Comma-separated sample sizes.",
)
@click.option(
    "--seeds", default=3, show_default=True, type=click.IntRange(min=1),
    help="Number of replicate seeds (0..seeds-1).",
)
@click.option(
    "--run-dir", type=click.Path(file_okay=False), default=None,
    help="Run folder; default results/runs/<suite>-<grid hash>, so the same command resumes "
    "the same run.",
)
@click.option("--device", default=None, help="Torch device for neural estimators: cpu, cuda, auto.")
@click.option(
    "--workers", default=0, type=click.IntRange(min=0),
    help="Run cells in a local process pool of this many workers (0: in process).",
)
@click.option("--retry-failed", is_flag=True, help="Rerun stored cells whose status is not ok.")
@click.option(
    "--standardize/--no-standardize", default=True, show_default=True,
    help="Standardise x and y per column after sampling.",
)
@tasks_file_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(suite, task_ids, estimators, ns, seeds, run_dir, device, workers, retry_failed,
        standardize, tasks_file, quiet) -> None:
    """Run tasks × estimators × n × seeds; store, tabulate and plot the results."""
    from mibench.harness.grid import Grid
    from mibench.harness.runner import run_grid
    from mibench.harness.store import ResultStore
    from mibench.report.metrics import summarize
    from mibench.report.tables import export_run

    load_tasks_file(tasks_file)
    try:
        if task_ids:
            tasks = [task_registry.get_task(t) for t in split_specs(task_ids)]
            name = "tasks"
        else:
            tasks = task_registry.list_tasks(suite)
            name = suite
        grid = Grid(
            tasks=tasks, estimators=split_specs(estimators), ns=ns, seeds=list(range(seeds)),
            standardize=standardize, device=device,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    run_path = Path(run_dir) if run_dir else DEFAULT_RUNS_FOLDER / f"{name}-{grid.fingerprint()}"
    run_path.mkdir(parents=True, exist_ok=True)
    with ResultStore(run_path / "results.sqlite") as store:
        executor = ProcessPoolExecutor(max_workers=workers) if workers else None
        try:
            summary = run_grid(
                grid, store, executor=executor, retry_failed=retry_failed, progress=not quiet
            )
        finally:
            if executor:
                executor.shutdown(cancel_futures=True)
        click.echo(
            f"{summary.total} cells in the grid: {summary.skipped} already stored (skipped), "
            f"{summary.run} run now, {summary.failed} of them not ok."
        )
        written = export_run(run_path, store)
        table = summarize(store.results())
    if not table.empty:
        cols = ["task_id", "label", "n", "mi_true", "mean", "bias", "sd", "rmse",
                "mean_wall_seconds"]
        click.echo(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    click.echo("Files written:")
    for p in [run_path / "results.sqlite", *written]:
        click.echo(f"  {p}")
