"""Helpers shared by several commands: integer lists, task files."""

from __future__ import annotations

import click


def int_list(ctx: click.Context, param: click.Parameter, value: str | None) -> list[int] | None:
    """Click callback: ``"100,1000"`` → ``[100, 1000]``."""
    if value is None:
        return None
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"expected comma-separated integers, got {value!r}") from None


def load_tasks_file(path: str | None) -> None:
    """Register the tasks and suites of a user TOML file (no-op for None)."""
    if path:
        from mibench.tasks import load_tasks_file as _load

        try:
            _load(path)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc


tasks_file_option = click.option(
    "--tasks-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="TOML file of user-defined tasks and suites to register first.",
)
