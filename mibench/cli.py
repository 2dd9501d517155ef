"""The ``mibench`` command line (click). Each command lives in :mod:`mibench.commands`.

A command's module is imported only when that command runs (or when ``mibench --help`` lists
the commands' summaries), so ``mibench list ...`` does not pay for the imports of
``mibench run`` or ``mibench report`` (pandas, the harness, matplotlib).
"""

from __future__ import annotations

from importlib import import_module

import click

#: Command name → ``(module, attribute)`` of its click command.
COMMANDS = {
    "run": ("mibench.commands.run", "run"),
    "estimate": ("mibench.commands.estimate", "estimate"),
    "list": ("mibench.commands.listing", "list_group"),
    "report": ("mibench.commands.report", "report"),
    "plot": ("mibench.commands.plot", "plot"),
    "compare": ("mibench.commands.compare", "compare"),
    "figures": ("mibench.commands.figures", "figures"),
}


class LazyGroup(click.Group):
    """A click group whose :data:`COMMANDS` are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            module, attribute = COMMANDS[cmd_name]
            self.add_command(getattr(import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup)
@click.version_option(package_name="mibench")
def main() -> None:
    """mibench: benchmark mutual-information estimators on tasks with known MI (nats)."""
