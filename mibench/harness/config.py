"""Run files: a TOML description of a study, read by ``mibench run --config run.toml``.

Keys (all optional; command-line options given explicitly take precedence)::

    suite = "standard"                 # or: tasks = ["1v1-normal-0.75", ...]
    estimators = ["ksg", "ksg[k=10]", "mine[lr=5e-4]"]  # a sweep: "ksg[k=5|10|20]"
    n = [1000, 10000]                  # an integer or a list
    seeds = 5                          # a count (0..4) or an explicit list [0, 3, 7]
    device = "cpu"                     # cpu, cuda, auto
    timeout = 600.0                    # seconds per cell
    standardize = true
    error_bar = "auto"                 # or a method of mibench.errorbars
    workers = 2                        # a local process pool, or instead:
    # scheduler = "local:2"            # Dask, or "tcp://HOST:PORT"
    run_dir = "results/runs/my-study"  # relative to the run file
    tasks_file = "my_tasks.toml"       # relative to the run file
    retry_failed = false
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

_TYPES: dict[str, tuple[type, ...]] = {
    "suite": (str,),
    "tasks": (list,),
    "estimators": (list,),
    "n": (int, list),
    "seeds": (int, list),
    "device": (str,),
    "timeout": (int, float),
    "standardize": (bool,),
    "error_bar": (str,),
    "workers": (int,),
    "scheduler": (str,),
    "run_dir": (str,),
    "tasks_file": (str,),
    "retry_failed": (bool,),
}
#: The most replicate seeds a grid may have (a count beyond this is almost surely a typo).
MAX_SEEDS = 100_000

_LISTS_OF = {"tasks": str, "estimators": str, "n": int, "seeds": int}


def load_run_config(path: str | Path) -> dict[str, Any]:
    """Read and validate a run file.

    Returns:
        The settings, with ``n`` and ``seeds`` as lists of ints (a ``seeds`` count ``k``
        becomes ``[0, ..., k-1]``) and ``run_dir``/``tasks_file`` resolved against the
        file's folder.

    Raises:
        ValueError: for a file that is not TOML, an unknown key, or a value of the wrong
            type; the message names the key.
    """
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from exc
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in _TYPES:
            raise ValueError(f"{path}: unknown key {key!r}; known keys are {sorted(_TYPES)}")
        types = _TYPES[key]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            expected = " or ".join(t.__name__ for t in types)
            raise ValueError(
                f"{path}: key {key!r} must be {expected}, got {type(value).__name__} {value!r}"
            )
        if isinstance(value, list):
            item_type = _LISTS_OF[key]
            bad = [v for v in value if not isinstance(v, item_type) or isinstance(v, bool)]
            if bad or not value:
                raise ValueError(
                    f"{path}: key {key!r} must be a non-empty list of {item_type.__name__}, "
                    f"got {value!r}"
                )
        out[key] = value
    if isinstance(out.get("n"), int):
        out["n"] = [out["n"]]
    if isinstance(out.get("seeds"), int):
        if not 1 <= out["seeds"] <= MAX_SEEDS:
            raise ValueError(
                f"{path}: key 'seeds' must be a count in [1, {MAX_SEEDS:,}], got {out['seeds']}"
            )
        out["seeds"] = list(range(out["seeds"]))
    negative = [v for v in out.get("seeds", []) if v < 0] + [v for v in out.get("n", []) if v < 1]
    if negative:
        raise ValueError(f"{path}: seeds must be >= 0 and n >= 1, got {negative[0]}")
    for key in ("run_dir", "tasks_file"):
        if key in out:
            out[key] = str((path.parent / out[key]).resolve())
    return out
