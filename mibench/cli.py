"""The ``mibench`` command line (click)."""

from __future__ import annotations

import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import click

from mibench import tasks as task_registry
from mibench.registry import estimator_factory, list_estimators

DEFAULT_ESTIMATORS = "ksg,histogram,mine"
DEFAULT_RUNS_FOLDER = Path("results") / "runs"


def split_specs(text: str) -> list[str]:
    """Split ``"a,b[x=1,y=2],c"`` on the commas that are outside brackets."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def _int_list(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None


def _load_tasks_file(path: str | None) -> None:
    if path:
        from mibench.tasks import load_tasks_file

        load_tasks_file(path)


@click.group()
@click.version_option(package_name="mibench")
def main() -> None:
    """mibench: benchmark mutual-information estimators on tasks with known MI (nats)."""


@main.command()
@click.option("--suite", default="quick", show_default=True, help="Suite of tasks to run.")
@click.option("--tasks", "task_ids", default=None, help="Comma-separated task ids (overrides --suite).")
@click.option(
    "--estimators",
    default=DEFAULT_ESTIMATORS,
    show_default=True,
    help="Comma-separated estimator specs, each 'name' or 'name[param=value,...]'.",
)
@click.option("--n", "ns", default="2000", show_default=True, callback=_int_list,
              help="Comma-separated sample sizes.")
@click.option("--seeds", default=3, show_default=True, type=click.IntRange(min=1),
              help="Number of replicate seeds (0..seeds-1).")
@click.option("--run-dir", type=click.Path(file_okay=False), default=None,
              help="Run folder; default results/runs/<suite>-<grid hash>, so the same command "
                   "resumes the same run.")
@click.option("--device", default=None, help="Torch device for neural estimators: cpu, cuda, auto.")
@click.option("--workers", default=0, type=click.IntRange(min=0),
              help="Run cells in a local process pool of this many workers (0: in process).")
@click.option("--retry-failed", is_flag=True, help="Rerun stored cells whose status is not ok.")
@click.option("--standardize/--no-standardize", default=True, show_default=True,
              help="Standardise x and y per column after sampling.")
@click.option("--tasks-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML file of user-defined tasks and suites to register first.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def run(suite, task_ids, estimators, ns, seeds, run_dir, device, workers, retry_failed,
        standardize, tasks_file, quiet) -> None:
    """Run tasks × estimators × n × seeds; store, tabulate and plot the results."""
    from mibench.harness.grid import Grid
    from mibench.harness.runner import run_grid
    from mibench.harness.store import ResultStore
    from mibench.report.metrics import summarize
    from mibench.report.tables import export_run

    try:
        _load_tasks_file(tasks_file)
        if task_ids:
            tasks = [task_registry.get_task(t) for t in split_specs(task_ids)]
            name = "tasks"
        else:
            tasks = task_registry.list_tasks(suite)
            name = suite
        grid = Grid(tasks=tasks, estimators=split_specs(estimators), ns=ns,
                    seeds=list(range(seeds)), standardize=standardize, device=device)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    run_path = Path(run_dir) if run_dir else DEFAULT_RUNS_FOLDER / f"{name}-{grid.fingerprint()}"
    run_path.mkdir(parents=True, exist_ok=True)
    with ResultStore(run_path / "results.sqlite") as store:
        executor = ProcessPoolExecutor(max_workers=workers) if workers else None
        try:
            summary = run_grid(grid, store, executor=executor, retry_failed=retry_failed,
                               progress=not quiet)
        finally:
            if executor:
                executor.shutdown(cancel_futures=True)
        click.echo(f"{summary.total} cells in the grid: {summary.skipped} already stored "
                   f"(skipped), {summary.run} run now, {summary.failed} of them not ok.")
        written = export_run(run_path, store)
        table = summarize(store.results())
    if not table.empty:
        cols = ["task_id", "label", "n", "mi_true", "mean", "bias", "sd", "rmse",
                "mean_wall_seconds"]
        click.echo(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    click.echo("Files written:")
    for p in [run_path / "results.sqlite", *written]:
        click.echo(f"  {p}")


@main.group(name="list")
def list_() -> None:
    """List registered tasks, estimators or suites."""


@list_.command(name="tasks")
@click.option("--suite", default=None, help="Only the tasks of this suite, in suite order.")
@click.option("--tasks-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML file of user-defined tasks and suites to register first.")
def list_tasks(suite, tasks_file) -> None:
    """Tasks: id, dimensions, true MI (nats) and its standard error, tags."""
    try:
        _load_tasks_file(tasks_file)
        tasks = task_registry.list_tasks(suite)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    width = max((len(t.id) for t in tasks), default=10)
    click.echo(f"{'id':<{width}}  {'dims':>7}  {'MI (nats)':>9}  {'stderr':>7}  tags")
    for t in tasks:
        dims = f"{t.dim_x}x{t.dim_y}"
        click.echo(f"{t.id:<{width}}  {dims:>7}  {t.mi:>9.4f}  {t.mi_stderr:>7.4f}  "
                   f"{','.join(sorted(t.tags))}")


@list_.command(name="suites")
@click.option("--tasks-file", type=click.Path(exists=True, dir_okay=False), default=None,
              help="TOML file of user-defined tasks and suites to register first.")
def list_suites(tasks_file) -> None:
    """Suites: name, number of tasks, description."""
    _load_tasks_file(tasks_file)
    for s in task_registry.list_suites():
        click.echo(f"{s.name:<22} {len(s.task_ids):>4} tasks  {s.description}")


@list_.command(name="estimators")
def list_estimators_cmd() -> None:
    """Estimators: registry name and default hyperparameters."""
    for name in list_estimators():
        params = estimator_factory(name)().get_params()
        args = ", ".join(f"{k}={v!r}" for k, v in params.items())
        click.echo(f"{name:<16} {args}")


if __name__ == "__main__":
    sys.exit(main())
