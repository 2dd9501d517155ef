"""Estimators in any language: ``external`` runs a user's program on samples written to files.

:class:`ExternalEstimator` (registry name ``external``) writes the samples to a fresh temporary
folder, runs a command given as an argument list (never through a shell), and reads the MI back
from the program's standard output. An estimator written in R, Julia or anything else then runs
through the same grids, store and reports as the built-in ones, e.g.::

    mibench run --suite quick \\
        --estimators 'ksg,external[command=("Rscript", "gaussian_mi.R", "{x}", "{y}")]'

**Files.** For ``format="csv"`` (the default) the folder holds ``x.csv`` and ``y.csv``: a
header line ``x0,x1,...,x{dim_x-1}`` (``y0,...`` for y), then one line per sample, values
separated by commas, written with 17 significant digits (``%.17g``, so that float64 values
read back exactly), no index column. For ``format="npy"`` it holds ``x.npy`` and ``y.npy``:
float64 arrays of shape ``(n, dim_x)`` and ``(n, dim_y)`` (:func:`numpy.save`). Row i of x and
row i of y are one sample of (X, Y). The folder is removed when the program has finished.

**Command.** ``command[0]`` is the program, looked up on ``PATH`` (or a path to an executable
file, relative to the working directory); the other items are its arguments, in which the
placeholders ``{x}``, ``{y}``, ``{dir}`` (the paths of the two files and of their folder) and
``{seed}`` (the seed, an int) are replaced; other braces pass unchanged. The same values are in
the environment variables ``MIBENCH_X``, ``MIBENCH_Y``, ``MIBENCH_DIR``, ``MIBENCH_SEED`` and
``MIBENCH_FORMAT``. The program runs in mibench's working directory, with no standard input.

**Answer.** The last non-empty line of the program's standard output must be one number, the
MI in ``units`` (nats or bits; bits are converted to nats); earlier lines and standard error
are free for logs. A non-number, NaN, ±inf or no output gives an ``error`` estimate whose
message names the command and quotes the output, a non-zero exit status an ``error`` estimate
with the end of standard error, and a run past ``timeout`` seconds a ``timeout`` estimate (the
program and its child processes are killed). A negative finite value is returned as printed.
No value is ever made up. Every estimate, failed or not, records the command and how it ran in
``Estimate.extras`` (a grid row's ``extras_json``).
"""

from __future__ import annotations

import math
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from numbers import Integral, Real
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from mibench.estimate import Estimate, Status
from mibench.estimator import Estimator
from mibench.registry import register_estimator

#: The sample-file formats.
FORMATS = ("csv", "npy")
#: The units the program may print its answer in.
UNITS = ("nats", "bits")
#: The placeholders replaced in the command's arguments.
PLACEHOLDERS = ("{x}", "{y}", "{dir}", "{seed}")
#: Default time limit of one run of the program, in seconds.
DEFAULT_TIMEOUT = 300.0
#: Characters kept from each end of the program's standard error in
#: ``extras["program_stderr"]``.
STDERR_KEEP = 500
#: Characters of standard error quoted (from its end) in a failure message.
MESSAGE_STDERR = 300
#: Characters of the offending output line quoted in a failure message.
MESSAGE_OUTPUT = 200
#: Seconds to wait for the pipes to close after killing a program that ran past its timeout.
KILL_GRACE = 5.0

_EXAMPLE = "command=('Rscript', 'my_mi.R', '{x}', '{y}')"


def _trim(text: str, head: int, tail: int) -> str:
    """``text`` cut to its first ``head`` and last ``tail`` characters, the cut marked."""
    if len(text) <= head + tail:
        return text
    cut = len(text) - head - tail
    return f"{text[:head]}[... {cut} characters ...]{text[len(text) - tail :]}"


def _tail(text: str, keep: int) -> str:
    text = text.strip()
    return text if len(text) <= keep else "..." + text[-keep:]


def _columns(prefix: str, a: np.ndarray) -> str:
    return ",".join(f"{prefix}{j}" for j in range(a.shape[1]))


def write_samples(folder: str | Path, x: np.ndarray, y: np.ndarray, fmt: str) -> dict[str, Path]:
    """Write the samples in the layout of the module docstring.

    Args:
        folder: an existing folder.
        x: samples of X, float64 array of shape ``(n, dim_x)``.
        y: samples of Y, float64 array of shape ``(n, dim_y)``.
        fmt: ``"csv"`` (``x.csv``, ``y.csv``, with header) or ``"npy"`` (``x.npy``, ``y.npy``).

    Returns:
        ``{"x": path, "y": path}``.

    Raises:
        ValueError: for a format not in :data:`FORMATS`, or arrays that are not 2-D.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {list(FORMATS)}, got {fmt!r}")
    paths = {}
    for name, a in (("x", x), ("y", y)):
        a = np.asarray(a, dtype=np.float64)
        if a.ndim != 2:
            raise ValueError(f"{name} must be a 2-D array (n, dim_{name}), got shape {a.shape}")
        path = Path(folder) / f"{name}.{fmt}"
        if fmt == "npy":
            np.save(path, np.ascontiguousarray(a))
        else:
            np.savetxt(path, a, fmt="%.17g", delimiter=",", header=_columns(name, a), comments="")
        paths[name] = path
    return paths


@dataclass(frozen=True)
class _Run:
    """How one run of the program went (text decoded as UTF-8, bad bytes replaced)."""

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool


def _kill(proc: subprocess.Popen) -> None:
    """Kill the program and, on POSIX, every process of its session (child processes too)."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def _run(argv: list[str], timeout: float, env: dict[str, str]) -> _Run:
    """Run ``argv`` (no shell) with ``timeout`` seconds; kill it and its children past that.

    Raises:
        ValueError: when the program cannot be started (not executable, bad format).
    """
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=os.name == "posix",  # its own process group, killed as a whole
        )
    except OSError as exc:
        raise ValueError(
            f"external: cannot start the program {argv[0]!r} of the command "
            f"{shlex.join(argv)}: {exc}"
        ) from exc
    with proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            try:
                out, err = proc.communicate(timeout=KILL_GRACE)
            except subprocess.TimeoutExpired:  # a descendant outside the session holds a pipe
                proc.kill()
                out, err = "", ""
            return _Run(None, out or "", err or "", time.perf_counter() - start, True)
        except BaseException:  # KeyboardInterrupt and the like: leave no program behind
            _kill(proc)
            raise
    return _Run(proc.returncode, out, err, time.perf_counter() - start, False)


def _parse(stdout: str) -> tuple[float | None, str, str]:
    """``(value, line, problem)``: the number on the last non-empty line of ``stdout``, or
    None with the line and what is wrong with it."""
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if not lines:
        return None, "", "printed nothing on standard output"
    line = lines[-1]
    quoted = repr(_tail(line, MESSAGE_OUTPUT))
    try:
        value = float(line)
    except ValueError:
        return None, line, f"printed {quoted} as its last line of output, which is not a number"
    if not math.isfinite(value):
        return None, line, f"printed {quoted}, which is not a finite number"
    return value, line, ""


class ExternalEstimator(Estimator):
    """MI (nats) computed by an external program on samples written to files (module docstring:
    the file layout, the placeholders and the answer).

    Input: ``x: (n, dim_x)``, ``y: (n, dim_y)``, n >= 2; the program sees them as files. The
    configuration needs a command, so the estimator is left out of the figures' grids of every
    built-in estimator (:attr:`needs_configuration`).

    Args:
        command: the program and its arguments, a list or tuple of strings, e.g.
            ``("Rscript", "my_mi.R", "{x}", "{y}")``; run without a shell, so quotes, ``;``,
            ``$`` and the like reach the program literally. The default, ``()``, only serves
            listings: :meth:`validate` and every estimate refuse it.
        format: ``"csv"`` or ``"npy"``, the sample files' format.
        units: the units of the printed number, ``"nats"`` or ``"bits"`` (converted to nats).
        timeout: seconds one run of the program may take, finite and > 0. Keep it below a
            grid's per-cell ``timeout``, which kills the cell's worker but not its program.
        seed: the seed handed to the program (``{seed}``, ``MIBENCH_SEED``) and of the
            subsampling error bar's partitions, an int >= 0; None (default) uses 0 (a grid
            replaces None with a seed derived from the cell).
        deterministic: whether the program's answer depends on the data and seed alone.
            :func:`mibench.estimate_mi` reads it from the estimator (True: a permutation test,
            100 more runs of the program) and so does :func:`mibench.testing.check_estimator`
            (True: the same data must give the same value). A grid's ``deterministic`` column
            records the class's declaration instead, False (mibench cannot know), so that
            ``mibench compare`` never demands exact agreement of external values.

    Raises:
        ValueError: on construction, for a command that is not a list or tuple of strings, or
            a bad ``format``, ``units``, ``timeout``, ``seed`` or ``deterministic``; in
            :meth:`validate` and every estimate, also for an empty command or a program that
            is not found, and in an estimate for a program that cannot be started.

    Estimates (not exceptions) report the program's failures: ``error`` for a bad answer or a
    non-zero exit status, ``timeout`` past ``timeout``; see the module docstring.
    """

    name: ClassVar[str] = "external"
    source: ClassVar[str] = "a user's program (any language)"
    min_samples: ClassVar[int] = 2
    #: What grids record (the registered class is read, not the instance): see ``deterministic``.
    deterministic: ClassVar[bool] = False
    #: Bootstrap resamples hold duplicated rows, which some programs (kNN estimators) cannot
    #: take: only subsampling, which gives every program distinct rows.
    error_bars: ClassVar[tuple[str, ...]] = ("subsampling",)
    #: Cannot run without user configuration (a command): left out of
    #: :func:`mibench.paper.work.builtin_estimators`.
    needs_configuration: ClassVar[bool] = True

    def __init__(
        self,
        command: tuple[str, ...] | list[str] = (),
        format: str = "csv",
        units: str = "nats",
        timeout: float = DEFAULT_TIMEOUT,
        seed: int | None = None,
        deterministic: bool = False,
    ) -> None:
        self.command = command
        self.format = format
        self.units = units
        self.timeout = timeout
        self.seed = seed
        # The hyperparameter shadows the class's ClassVar on purpose (grids read the class's).
        self.deterministic = deterministic  # type: ignore[misc]
        self._check_params(complete=False)

    @property
    def seed_used(self) -> int:
        """The seed handed to the program: ``seed``, or 0 when it is None."""
        return 0 if self.seed is None else int(self.seed)

    def validate(self) -> None:
        """Check every hyperparameter, and that the command's program exists.

        Raises:
            ValueError: naming the hyperparameter at fault; for a missing program, naming it.
        """
        self._check_params(complete=True)

    def _check_params(self, *, complete: bool) -> None:
        command = self.command
        if isinstance(command, (str, bytes)) or not isinstance(command, (list, tuple)):
            raise ValueError(
                "command must be a list or tuple of strings, the program and then its "
                f"arguments (run without a shell), e.g. {_EXAMPLE}; got {command!r}"
            )
        for i, arg in enumerate(command):
            if not isinstance(arg, str):
                raise ValueError(f"command must hold strings only, got command[{i}]={arg!r}")
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {list(FORMATS)}, got {self.format!r}")
        if self.units not in UNITS:
            raise ValueError(f"units must be one of {list(UNITS)}, got {self.units!r}")
        t = self.timeout
        if isinstance(t, bool) or not isinstance(t, Real) or not (math.isfinite(t) and t > 0):
            raise ValueError(f"timeout must be a finite number of seconds > 0, got {t!r}")
        s = self.seed
        if s is not None and (isinstance(s, bool) or not isinstance(s, Integral) or s < 0):
            raise ValueError(f"seed must be None or an integer >= 0, got {s!r}")
        if not isinstance(self.deterministic, (bool, np.bool_)):
            raise ValueError(f"deterministic must be true or false, got {self.deterministic!r}")
        if not complete:
            return
        if not command or not command[0]:
            raise ValueError(f"external needs a command (the program to run), e.g. {_EXAMPLE}")
        if shutil.which(command[0]) is None:
            raise ValueError(
                f"command[0]: program {command[0]!r} not found (not on PATH, or not an "
                f"executable file); the command is {shlex.join(command)}"
            )

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        self._check_params(complete=True)
        command = list(self.command)
        shown = shlex.join(command)
        seed = self.seed_used
        extras: dict[str, Any] = {
            "estimator": type(self).__name__,
            "command": command,
            "program": shutil.which(command[0]),
            "format": self.format,
            "program_units": self.units,
            "units": "nats",
            "seed": seed,
        }
        with tempfile.TemporaryDirectory(prefix="mibench-external-") as folder:
            paths = write_samples(folder, x, y, self.format)
            values = {
                "{x}": str(paths["x"]),
                "{y}": str(paths["y"]),
                "{dir}": folder,
                "{seed}": str(seed),
            }
            argv = [command[0]]
            for arg in command[1:]:
                for key in PLACEHOLDERS:
                    arg = arg.replace(key, values[key])
                argv.append(arg)
            env = {
                **os.environ,
                "MIBENCH_X": values["{x}"],
                "MIBENCH_Y": values["{y}"],
                "MIBENCH_DIR": folder,
                "MIBENCH_SEED": str(seed),
                "MIBENCH_FORMAT": self.format,
            }
            run = _run(argv, float(self.timeout), env)
        extras["returncode"] = run.returncode
        extras["program_seconds"] = run.seconds
        extras["program_stderr"] = _trim(run.stderr, STDERR_KEEP, STDERR_KEEP)
        stderr_note = (
            f"; its standard error ends: {_tail(run.stderr, MESSAGE_STDERR)!r}"
            if run.stderr.strip()
            else "; its standard error is empty"
        )
        if run.timed_out:
            message = (
                f"external command {shown} ran past its timeout of {self.timeout:g} s and was "
                "killed"
            )
            return Estimate.failed(Status.TIMEOUT, message + stderr_note, extras=extras)
        returncode = run.returncode
        assert returncode is not None  # None only for a run that timed out
        if returncode != 0:
            how = (
                f"was killed by signal {-returncode}"
                if returncode < 0
                else f"exited with status {returncode}"
            )
            message = f"external command {shown} {how}"
            return Estimate.failed(Status.ERROR, message + stderr_note, extras=extras)
        value, line, problem = _parse(run.stdout)
        extras["printed"] = _tail(line, MESSAGE_OUTPUT)
        if value is None:
            message = (
                f"external command {shown} {problem}: the program must print the MI in "
                f"{self.units} as one number on its last non-empty line of standard output"
            )
            return Estimate.failed(Status.ERROR, message + stderr_note, extras=extras)
        return Estimate(
            value=value * math.log(2.0) if self.units == "bits" else value, extras=extras
        )


register_estimator(ExternalEstimator.name, ExternalEstimator)
