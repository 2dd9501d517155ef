#!/usr/bin/env python
"""Turn pytest-benchmark JSON into a throughput table (Markdown or CSV).

One row per benchmark: its name, mean time per call (seconds), throughput and the
comparison ratios the test stored in ``extra_info``. Conventions for ``extra_info``:

* ``n_samples`` (or ``n``): samples processed per call; the throughput is then samples per
  second (``n_samples / mean``), otherwise calls per second (``1 / mean``, pytest-benchmark's
  ``ops``).
* every numeric key whose name starts with ``ratio`` or ``speedup`` becomes a column (e.g.
  ``ratio`` = reference time / mibench time, as the test documents).

Usage::

    pytest tests/perf --benchmark-only --benchmark-json=.benchmarks/perf.json
    python scripts/benchmark_table.py .benchmarks/perf.json [--format csv] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from numbers import Real
from pathlib import Path

import pandas as pd
from tabulate import tabulate

#: ``extra_info`` keys giving the samples per call, in order of preference.
SAMPLE_KEYS = ("n_samples", "n")
#: Prefixes of the ``extra_info`` keys shown as ratio columns.
RATIO_PREFIXES = ("ratio", "speedup")


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def throughput_table(benchmarks: list[dict]) -> pd.DataFrame:
    """The throughput table of pytest-benchmark records.

    Args:
        benchmarks: the ``benchmarks`` list of a pytest-benchmark JSON file (or records of
            the same form: ``name``, ``stats`` with ``mean`` and ``ops``, ``extra_info``).

    Returns:
        Columns ``name``, ``mean_s`` (seconds per call), ``throughput``, ``unit``
        (``samples/s`` or ``calls/s``), then one column per ratio key of ``extra_info``
        (NaN where a benchmark lacks it), in the order of ``benchmarks``.

    Raises:
        ValueError: for a record without ``name`` or without a positive ``stats.mean``.
    """
    rows, ratio_keys = [], []
    for i, bench in enumerate(benchmarks):
        stats = bench.get("stats") or {}
        if "name" not in bench or not (_is_number(stats.get("mean")) and stats["mean"] > 0):
            raise ValueError(
                f"benchmark record {i} lacks 'name' or a positive 'stats.mean': {bench!r:.200}"
            )
        extra = bench.get("extra_info") or {}
        mean = float(stats["mean"])
        n = next((extra[k] for k in SAMPLE_KEYS if _is_number(extra.get(k))), None)
        throughput, unit = (n / mean, "samples/s") if n is not None else (1 / mean, "calls/s")
        ratios = {
            k: float(v) for k, v in extra.items() if k.startswith(RATIO_PREFIXES) and _is_number(v)
        }
        ratio_keys += [k for k in ratios if k not in ratio_keys]
        rows.append(
            {
                "name": bench["name"],
                "mean_s": mean,
                "throughput": throughput,
                "unit": unit,
                **ratios,
            }
        )
    return pd.DataFrame(rows, columns=["name", "mean_s", "throughput", "unit", *ratio_keys])


def load_benchmarks(path: str | Path) -> list[dict]:
    """The ``benchmarks`` list of a pytest-benchmark JSON file.

    Raises:
        ValueError: when the file is not JSON or has no ``benchmarks`` list.
    """
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read pytest-benchmark JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise ValueError(f"{path}: not pytest-benchmark JSON (no 'benchmarks' list)")
    return data["benchmarks"]


def format_table(table: pd.DataFrame, fmt: str) -> str:
    """``table`` as GitHub Markdown (``fmt="markdown"``) or CSV (``fmt="csv"``).

    Raises:
        ValueError: for another ``fmt``.
    """
    if fmt == "csv":
        return table.to_csv(index=False)
    if fmt == "markdown":
        return (
            tabulate(
                table.astype(object).where(table.notna(), None),
                headers="keys",
                tablefmt="github",
                showindex=False,
                floatfmt=".4g",
                missingval="—",
            )
            + "\n"
        )
    raise ValueError(f"fmt must be 'markdown' or 'csv', got {fmt!r}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (2 for unreadable input)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path, help="pytest-benchmark JSON (--benchmark-json)")
    parser.add_argument("--format", choices=("markdown", "csv"), default="markdown")
    parser.add_argument("--output", type=Path, default=None, help="write here (default stdout)")
    args = parser.parse_args(argv)
    try:
        text = format_table(throughput_table(load_benchmarks(args.results)), args.format)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
