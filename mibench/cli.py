"""The ``mibench`` command line (click). Each command lives in :mod:`mibench.commands`."""

from __future__ import annotations

import click

from mibench.commands.compare import compare
from mibench.commands.estimate import estimate
from mibench.commands.figures import figures
from mibench.commands.listing import list_group
from mibench.commands.plot import plot
from mibench.commands.report import report
from mibench.commands.run import run


@click.group()
@click.version_option(package_name="mibench")
def main() -> None:
    """mibench: benchmark mutual-information estimators on tasks with known MI (nats)."""


main.add_command(run)
main.add_command(estimate)
main.add_command(list_group)
main.add_command(report)
main.add_command(plot)
main.add_command(compare)
main.add_command(figures)
