"""Start-up time (``time_``): a fresh Python process that imports mibench or runs a listing
command of the command line, as a user waits for it.

Each call starts a new interpreter (``sys.executable``), so the time includes Python's own
start-up (the ``python`` case: the interpreter alone) and every import the command needs;
neither torch nor pandas is among them (issue #18). The command's output is discarded.
"""

from __future__ import annotations

import subprocess
import sys

#: What the timed process runs, by benchmark parameter: Python code, then its arguments
#: (``sys.argv[1:]``, read by the click command line).
COMMANDS = {
    "python": ("pass",),  # the interpreter alone, to read the others against
    "import mibench": ("import mibench",),
    "list estimators": ("from mibench.cli import main; main()", "list", "estimators"),
    "list tasks": ("from mibench.cli import main; main()", "list", "tasks"),
    "list suites": ("from mibench.cli import main; main()", "list", "suites"),
}


def run_fresh(command: str) -> None:
    """Run :data:`COMMANDS` ``[command]`` in a fresh interpreter and wait for it.

    Raises:
        subprocess.CalledProcessError: when the process exits with a non-zero status.
    """
    code, *args = COMMANDS[command]
    subprocess.run(
        [sys.executable, "-c", code, *args], check=True, stdout=subprocess.DEVNULL, timeout=300
    )


class StartUp:
    """Wall time of ``import mibench`` and of ``mibench list estimators|tasks|suites``, each in
    a fresh process (one process per sample)."""

    params = [list(COMMANDS)]
    param_names = ["command"]
    number = 1
    repeat = (3, 10, 30.0)
    warmup_time = 0
    timeout = 600

    def time_fresh_process(self, command):
        run_fresh(command)
