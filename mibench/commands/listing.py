"""``mibench list tasks|suites|estimators``."""

from __future__ import annotations

import click

from mibench import tasks as task_registry
from mibench.commands.common import load_tasks_file, tasks_file_option
from mibench.errorbars import supported
from mibench.registry import estimator_factory, list_estimators
from mibench.tasks.streaming import StreamingTask


@click.group(name="list")
def list_group() -> None:
    """List registered tasks, estimators or suites."""


@list_group.command(name="tasks")
@click.option("--suite", default=None, help="Only the tasks of this suite, in suite order.")
@tasks_file_option
def list_tasks(suite: str | None, tasks_file: str | None) -> None:
    """Tasks: id, dimensions, true MI (nats) and its standard error, tags."""
    load_tasks_file(tasks_file)
    try:
        tasks = task_registry.list_tasks(suite)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    width = max((len(t.id) for t in tasks), default=10)
    click.echo(f"{'id':<{width}}  {'dims':>7}  {'MI (nats)':>9}  {'stderr':>7}  tags")
    for t in tasks:
        dims = f"{t.dim_x}x{t.dim_y}"
        if isinstance(t, StreamingTask):  # the true MI follows a schedule over steps
            mi = f"{t.true_mi(0):.4f}..{t.true_mi(t.n_steps - 1):.4f} over {t.n_steps} steps"
            click.echo(f"{t.id:<{width}}  {dims:>7}  {mi}  {','.join(sorted(t.tags))}")
            continue
        click.echo(
            f"{t.id:<{width}}  {dims:>7}  {t.mi:>9.4f}  {t.mi_stderr:>7.4f}  "
            f"{','.join(sorted(t.tags))}"
        )


@list_group.command(name="suites")
@tasks_file_option
def list_suites(tasks_file: str | None) -> None:
    """Suites: name, number of tasks, description."""
    load_tasks_file(tasks_file)
    for s in task_registry.list_suites():
        click.echo(f"{s.name:<22} {len(s.task_ids):>4} tasks  {s.description}")


@list_group.command(name="estimators")
def list_estimators_cmd() -> None:
    """Estimators: registry name, source (paper), error-bar methods (preferred first) and
    default hyperparameters."""
    for name in list_estimators():
        estimator = estimator_factory(name)()
        args = ", ".join(f"{k}={v!r}" for k, v in estimator.get_params().items())
        bars = ",".join(supported(estimator)) or "none"
        source = type(estimator).source or "no source given"
        click.echo(f"{name:<16} {source}\n{'':<16} error bars: {bars}; {args}")
