"""``mibench run``: run a grid of tasks × estimators × n × seeds into a run folder."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from mibench import tasks as task_registry
from mibench.commands.common import int_list, load_tasks_file, tasks_file_option
from mibench.errorbars import AUTO, METHODS
from mibench.harness.config import MAX_SEEDS
from mibench.registry import split_top_level

if TYPE_CHECKING:
    from mibench.harness.grid import Grid
    from mibench.harness.store import ResultStore

DEFAULT_ESTIMATORS = "ksg,histogram,mine"
DEFAULT_RUNS_FOLDER = Path("results") / "runs"


def _merge_config(ctx: click.Context, options: dict, config_path: str | None) -> dict:
    """Options from the run file, unless given explicitly on the command line."""
    if not config_path:
        return options
    from mibench.harness.config import load_run_config

    try:
        config = load_run_config(config_path)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    names = {"n": "ns", "tasks": "task_ids"}
    merged = dict(options)
    for key, value in config.items():
        option = names.get(key, key)
        if ctx.get_parameter_source(option) is ParameterSource.COMMANDLINE:
            continue
        if key in ("tasks", "estimators"):
            value = ",".join(value)
        merged[option] = value
    return merged


@click.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="TOML run file describing the study (see mibench.harness.config); explicit options "
    "override it.",
)
@click.option("--suite", default="quick", show_default=True, help="Suite of tasks to run.")
@click.option(
    "--tasks", "task_ids", default=None, help="Comma-separated task ids (overrides --suite)."
)
@click.option(
    "--estimators",
    default=DEFAULT_ESTIMATORS,
    show_default=True,
    help="Comma-separated estimator specs, each 'name' or 'name[param=value,...]'; a sweep "
    "such as 'ksg[k=3|5|10]' or 'mine[lr=1e-4|5e-4,batch_size=128|256]' runs one configuration "
    "per value (per combination), and `mibench report` then names the best per task.",
)
@click.option(
    "--n",
    "ns",
    default="2000",
    show_default=True,
    callback=int_list,
    help="Comma-separated sample sizes.",
)
@click.option(
    "--seeds",
    default=3,
    show_default=True,
    type=click.IntRange(min=1, max=MAX_SEEDS),
    help="Number of replicate seeds (0..seeds-1).",
)
@click.option(
    "--run-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Run folder; default results/runs/<suite>-<grid hash>, so the same command resumes "
    "the same run.",
)
@click.option("--device", default=None, help="Torch device for neural estimators: cpu, cuda, auto.")
@click.option(
    "--workers",
    default=0,
    type=click.IntRange(min=0),
    help="Run cells in a local process pool of this many workers (0: in process).",
)
@click.option(
    "--scheduler",
    default=None,
    help="Dask: 'local:N' starts a LocalCluster of N workers; 'tcp://HOST:PORT' uses a cluster.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=1e9),
    default=None,
    help="Per-cell limit in seconds (each cell then runs in its own process).",
)
@click.option(
    "--retry-failed",
    is_flag=True,
    help="Rerun stored cells whose status is not ok (with their seeds; the new row keeps the "
    "earlier attempts in its extras).",
)
@click.option(
    "--reseed",
    is_flag=True,
    help="With --retry-failed: rerun a failed cell of a trained (non-deterministic) estimator "
    "with a new estimator seed instead of repeating the same fit; the row is marked "
    "('reseeded retry') and its first attempt still counts in first_attempt_failure_rate.",
)
@click.option(
    "--standardize/--no-standardize",
    default=True,
    show_default=True,
    help="Standardise x and y per column after sampling.",
)
@click.option(
    "--error-bar",
    "error_bar",
    type=click.Choice([AUTO, *METHODS]),
    default=None,
    help="Give every cell a standard error and 95 % interval: 'auto' (each estimator's own "
    "method) or a method every estimator supports; `mibench report` then adds coverage.",
)
@click.option(
    "--batch/--no-batch",
    default=True,
    show_default=True,
    help="Train the seeds of each neural configuration as one batched model (same values as "
    "separate runs, less time).",
)
@tasks_file_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def run(ctx: click.Context, config_path: str | None, **options) -> None:
    """Run tasks × estimators × n × seeds; store, tabulate and plot the results."""
    from mibench.harness.grid import Grid, fixed_sample_tasks
    from mibench.harness.lock import FolderBusy, folder_lock

    o = _merge_config(ctx, options, config_path)
    seeds = o["seeds"] if isinstance(o["seeds"], list) else list(range(o["seeds"]))
    given = {
        k
        for k in ("suite", "task_ids")
        if ctx.get_parameter_source(k) is ParameterSource.COMMANDLINE
    }
    if given == {"suite", "task_ids"}:
        raise click.UsageError("give --suite or --tasks, not both")
    if o.get("reseed") and not o["retry_failed"]:
        raise click.UsageError(
            "--reseed needs --retry-failed: only stored cells that are not ok are rerun with a "
            "new seed"
        )
    load_tasks_file(o["tasks_file"])
    try:
        if o["task_ids"]:
            tasks = [task_registry.get_task(t) for t in split_top_level(o["task_ids"])]
            name = "tasks"
        else:
            tasks = task_registry.list_tasks(o["suite"])
            name = o["suite"]
        grid = Grid(
            tasks=fixed_sample_tasks(tasks),
            estimators=split_top_level(o["estimators"]),
            ns=o["ns"],
            seeds=seeds,
            standardize=o["standardize"],
            device=o["device"],
            error_bar=o["error_bar"],
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    run_path = Path(o["run_dir"] or DEFAULT_RUNS_FOLDER / f"{name}-{grid.fingerprint()}")
    run_path.mkdir(parents=True, exist_ok=True)
    try:
        with folder_lock(run_path):
            _run_in_folder(ctx, o, grid, run_path)
    except FolderBusy as exc:
        raise click.UsageError(str(exc)) from exc


def _echo_not_ok(store: ResultStore, grid: Grid, limit: int = 10) -> None:
    """Name the grid's stored cells that are not ok, with their messages (the first ``limit``)."""
    ids = {c.cell_id for c in grid.cells()}
    rows = store.rows()
    bad = rows[rows["cell_id"].isin(ids) & (rows["status"] != "ok")]
    if bad.empty:
        return
    click.echo(f"Cells not ok ({len(bad)}; all in results.csv):", err=True)
    for r in bad.head(limit).itertuples(index=False):
        click.echo(
            f"  {r.label} on {r.task_id}, n={r.n}, seed {r.seed}: {r.status}: {r.message}",
            err=True,
        )
    if len(bad) > limit:
        click.echo(f"  ... and {len(bad) - limit} more", err=True)


def _run_in_folder(ctx: click.Context, o: dict, grid: Grid, run_path: Path) -> None:
    """Run ``grid`` into ``run_path`` (whose lock the caller holds), export and report."""
    from mibench.harness.archive import RESULTS_FILE, has_tables, restore_store
    from mibench.harness.executors import make_executor
    from mibench.harness.runner import run_grid
    from mibench.harness.store import STORE_FILE, ResultStore, StoreError, store_file_used
    from mibench.report.figures import plot_estimate_vs_true, save_figure
    from mibench.report.tables import export_run

    fresh = not store_file_used(run_path / STORE_FILE)
    try:
        store = ResultStore(run_path / STORE_FILE)
    except StoreError as exc:
        raise click.UsageError(str(exc)) from exc
    if fresh and has_tables(run_path):
        # A folder whose store was moved away (or never copied) resumes from its exported
        # table instead of computing every cell again.
        restored = restore_store(run_path, store)
        click.echo(f"Rebuilt the store from {RESULTS_FILE}: {restored} cells.", err=True)
    # A plain `kill` (SIGTERM) stops the run like Ctrl-C: pool workers are stopped too and
    # the finished cells stay stored.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with store:
        try:
            with make_executor(
                o["workers"], o["scheduler"], cells_in_own_process=o["timeout"] is not None
            ) as executor:
                summary = run_grid(
                    grid,
                    store,
                    executor=executor,
                    timeout=o["timeout"],
                    retry_failed=o["retry_failed"],
                    reseed=bool(o.get("reseed")),
                    batch=o["batch"],
                    progress=not o["quiet"],
                )
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        except KeyboardInterrupt:
            stored = len(store.statuses())
            click.echo(
                f"\nInterrupted: {stored} cells are stored in {run_path}; run the same command "
                "again to resume (finished cells are skipped).",
                err=True,
            )
            ctx.exit(130)
        click.echo(summary.text())
        _echo_not_ok(store, grid)
        if summary.lost:
            click.echo("Lost (run the same command again to finish them):", err=True)
            for msg in summary.lost_messages[:10]:
                click.echo(f"  {msg}", err=True)
        written, table = export_run(run_path, store)
    if (table["n_ok"] > 0).any():
        written += save_figure(
            plot_estimate_vs_true(table), run_path / "estimate_vs_true", formats=("png",)
        )
    if not table.empty:
        cols = [
            "task_id",
            "label",
            "n",
            "mi_true",
            "mean",
            "bias",
            "sd",
            "rmse",
            "mean_wall_seconds",
        ]
        click.echo(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    click.echo("Files written:")
    for p in [run_path / STORE_FILE, *written]:
        click.echo(f"  {p}")
    if summary.lost:
        click.echo(
            f"{summary.lost} cell(s) were lost to a dead worker and are not stored; run the same "
            "command again to compute them.",
            err=True,
        )
        ctx.exit(1)
