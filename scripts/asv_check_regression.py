#!/usr/bin/env python
"""Exit non-zero when ``asv compare`` shows a regression between two recorded commits.

Runs ``asv compare --split --factor FACTOR BASE NEW`` (or reads its saved output with
``--input``), prints the table, and exits with

* 0 when no benchmark got worse,
* 1 when a benchmark got worse by more than the factor with statistical significance (asv
  marks it ``+``) or failed in NEW after working in BASE (marked ``!``),
* 2 when asv failed or its output compares no benchmark (nothing recorded for a commit).

asv assumes lower is better for every benchmark; mibench's ``track_`` benchmarks (|bias|,
RMSE, failure rate) follow that rule, so an accuracy loss is a regression like a slow-down.
Benchmarks whose ``version`` differs between the commits (marked ``x``, e.g. after a task
definition changed) are not comparable and never count.

Usage::

    python scripts/asv_check_regression.py BASE NEW [--factor 1.1] [--machine NAME]
    asv compare --split BASE NEW > out.txt; python scripts/asv_check_regression.py --input out.txt
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: Marks of ``asv compare`` that count as a regression: worse beyond the factor, new failure.
REGRESSION_MARKS = frozenset({"+", "!"})


@dataclass(frozen=True)
class CompareRow:
    """One benchmark row of the ``asv compare`` table.

    Attributes:
        mark: asv's change mark: ``+`` worse, ``-`` better, ``!`` newly failing, ``*`` fixed,
            ``x`` not comparable, empty when unchanged.
        before: the BASE value as asv prints it (with unit).
        after: the NEW value as asv prints it.
        ratio: NEW / BASE as printed (``n/a`` when a side is missing or zero; ``~`` prefix
            when the change is not statistically significant).
        benchmark: the benchmark name with its parameters.
    """

    mark: str
    before: str
    after: str
    ratio: str
    benchmark: str

    @property
    def regressed(self) -> bool:
        """True when the row counts as a regression (:data:`REGRESSION_MARKS`)."""
        return self.mark in REGRESSION_MARKS


def parse_compare_output(text: str) -> list[CompareRow]:
    """The benchmark rows of ``asv compare`` output (GitHub-style tables, with or without
    ``--split``); header, separator and other lines are skipped.

    Args:
        text: what ``asv compare`` printed.

    Returns:
        One :class:`CompareRow` per benchmark row, in order.
    """
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not (line.startswith("|") and line.endswith("|")):
            continue
        cells = [c.strip() for c in line[1:-1].split("|", 4)]
        header = cells[0] == "Change"
        separator = all(c and set(c) <= {"-", ":"} for c in cells)
        if len(cells) != 5 or header or separator:
            continue
        rows.append(CompareRow(*cells))
    return rows


def run_asv_compare(base: str, new: str, factor: float, machine: str | None, config: Path) -> str:
    """Run ``asv compare --split`` in this Python and return what it printed.

    Args:
        base: the BASE commit (hash, prefix or branch name recorded with asv).
        new: the NEW commit.
        factor: the ratio beyond which asv reports a change (> 1).
        machine: the asv machine name; required by asv when results of several exist.
        config: the asv configuration file.

    Raises:
        RuntimeError: when asv exits with an error; the message carries asv's output.
    """
    cmd = [
        sys.executable,
        "-m",
        "asv",
        "compare",
        "--split",
        "--factor",
        str(factor),
        "--config",
        str(config),
    ]
    if machine:
        cmd += ["--machine", machine]
    cmd += [base, new]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} exited with status {proc.returncode}:\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", nargs="?", help="BASE commit recorded with asv")
    parser.add_argument("new", nargs="?", help="NEW commit recorded with asv")
    parser.add_argument(
        "--factor",
        type=float,
        default=1.1,
        help="ratio NEW/BASE beyond which a change counts (default 1.1, asv's default)",
    )
    parser.add_argument("--machine", default=None, help="asv machine name")
    parser.add_argument(
        "--config",
        type=Path,
        default=Path("asv.conf.json"),
        help="asv configuration file (default asv.conf.json)",
    )
    parser.add_argument(
        "--input",
        type=argparse.FileType("r"),
        default=None,
        help="read saved `asv compare` output from this file ('-' for stdin) instead of "
        "running asv",
    )
    args = parser.parse_args(argv)
    if args.input is None and not (args.base and args.new):
        parser.error("give BASE and NEW commits, or --input with saved `asv compare` output")
    if args.input is not None and (args.base or args.new):
        parser.error("give either BASE and NEW, or --input, not both")
    if not args.factor > 1:
        parser.error(f"--factor must be > 1, got {args.factor}")

    if args.input is not None:
        text = args.input.read()
    else:
        try:
            text = run_asv_compare(args.base, args.new, args.factor, args.machine, args.config)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 2
    print(text, end="" if text.endswith("\n") else "\n")

    rows = parse_compare_output(text)
    if not rows:
        print(
            "asv compare listed no benchmarks: were both commits recorded on this machine?",
            file=sys.stderr,
        )
        return 2
    bad = [r for r in rows if r.regressed]
    if bad:
        print(f"\nREGRESSION: {len(bad)} of {len(rows)} benchmarks got worse or started failing:")
        for r in bad:
            print(f"  {r.mark} {r.benchmark}: {r.before} -> {r.after} (ratio {r.ratio})")
        return 1
    print(f"\nno regression: {len(rows)} benchmarks compared (factor {args.factor:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
