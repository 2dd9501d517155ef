"""``mibench list tasks|suites|estimators``.

Each command imports what it lists when it runs (tasks or estimators, not both), so that
listing stays fast.
"""

from __future__ import annotations

import click

from mibench.commands.common import load_tasks_file, tasks_file_option


@click.group(name="list")
def list_group() -> None:
    """List registered tasks, estimators or suites."""


@list_group.command(name="tasks")
@click.option("--suite", default=None, help="Only the tasks of this suite, in suite order.")
@tasks_file_option
def list_tasks(suite: str | None, tasks_file: str | None) -> None:
    """Tasks: id, dimensions, true MI (nats) and its standard error, tags."""
    from threadpoolctl import threadpool_limits

    from mibench import tasks as task_registry
    from mibench.protocols import StreamingTaskLike

    load_tasks_file(tasks_file)
    # Building the tasks factors hundreds of small matrices: with one BLAS thread that takes
    # half the time of OpenBLAS's pool (measured on 2 cores: 0.8 s against 1.4-3.6 s), and
    # the printed values are the same.
    with threadpool_limits(limits=1, user_api="blas"):
        try:
            tasks = task_registry.list_tasks(suite)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        width = max((len(t.id) for t in tasks), default=10)
        lines = [f"{'id':<{width}}  {'dims':>7}  {'MI (nats)':>9}  {'stderr':>7}  tags"]
        for t in tasks:
            dims, tags = f"{t.dim_x}x{t.dim_y}", ",".join(sorted(t.tags))
            if isinstance(t, StreamingTaskLike):  # the true MI follows a schedule over steps
                mi = f"{t.true_mi(0):.4f}..{t.true_mi(t.n_steps - 1):.4f} over {t.n_steps} steps"
                lines.append(f"{t.id:<{width}}  {dims:>7}  {mi}  {tags}")
            else:
                lines.append(
                    f"{t.id:<{width}}  {dims:>7}  {t.mi:>9.4f}  {t.mi_stderr:>7.4f}  {tags}"
                )
    click.echo("\n".join(lines))


@list_group.command(name="suites")
@tasks_file_option
def list_suites(tasks_file: str | None) -> None:
    """Suites: name, number of tasks, description."""
    from mibench import tasks as task_registry

    load_tasks_file(tasks_file)
    for s in task_registry.list_suites():
        click.echo(f"{s.name:<22} {len(s.task_ids):>4} tasks  {s.description}")


@list_group.command(name="estimators")
def list_estimators_cmd() -> None:
    """Estimators: registry name, source (paper), error-bar methods (preferred first) and
    default hyperparameters."""
    from mibench.errorbars import supported
    from mibench.registry import estimator_factory, list_estimators

    for name in list_estimators():
        estimator = estimator_factory(name)()
        args = ", ".join(f"{k}={v!r}" for k, v in estimator.get_params().items())
        bars = ",".join(supported(estimator)) or "none"
        source = type(estimator).source or "no source given"
        click.echo(f"{name:<16} {source}\n{'':<16} error bars: {bars}; {args}")
