"""The ``mibench`` command line (click). Each command lives in :mod:`mibench.commands`."""

from __future__ import annotations

import click

from mibench.commands.listing import list_group
from mibench.commands.run import run


@click.group()
@click.version_option(package_name="mibench")
def main() -> None:
    """mibench: benchmark mutual-information estimators on tasks with known MI (nats)."""


main.add_command(run)
main.add_command(list_group)
