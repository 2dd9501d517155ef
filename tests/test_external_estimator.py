"""The ``external`` estimator: a user's program run on sample files (issue #19).

Programs are small Python scripts run by this interpreter (CI has no R or Julia); those that
need no numpy run with ``-I -S`` so that each start costs a few tens of milliseconds.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mibench.baselines import GaussianMI
from mibench.cli import main
from mibench.estimate import Status
from mibench.external import ExternalEstimator, write_samples
from mibench.harness.grid import Grid
from mibench.harness.runner import execute
from mibench.harness.store import ResultStore
from mibench.paper.work import builtin_estimators
from mibench.registry import get_estimator, parse_spec
from mibench.tasks import get_task

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "external" / "gaussian_mi.py"
FAST = (sys.executable, "-I", "-S")

#: −½ ln(1 − r²) of the first columns of two CSV files, standard library only.
CORRELATION_SCRIPT = """
import csv, math, sys
def column(path):
    with open(path) as f:
        return [float(row[0]) for row in list(csv.reader(f))[1:]]
x, y = column(sys.argv[1]), column(sys.argv[2])
n = len(x)
mx, my = sum(x) / n, sum(y) / n
sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
sxx, syy = sum((a - mx) ** 2 for a in x), sum((b - my) ** 2 for b in y)
r = sxy / math.sqrt(sxx * syy)
print(repr(-0.5 * math.log1p(-r * r)))
"""


def _script(tmp_path: Path, code: str, name: str = "prog.py") -> Path:
    path = tmp_path / name
    path.write_text(code)
    return path


def _code(code: str, **params) -> ExternalEstimator:
    """An external estimator running the Python statements ``code`` (``-c``)."""
    return ExternalEstimator(command=(*FAST, "-c", code), **params)


@pytest.fixture(scope="module")
def xy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 2))
    y = x @ np.array([[0.6], [0.3]]) + 0.7 * rng.standard_normal((400, 1))
    return x, y


@pytest.mark.parametrize("fmt", ["csv", "npy"])
def test_python_example_agrees_with_the_gaussian_baseline(xy, fmt):
    x, y = xy
    spec = f"external[command={(sys.executable, str(EXAMPLE), '{x}', '{y}')!r},format={fmt}]"
    result = get_estimator(spec).estimate(x, y)
    assert result.ok, result.message
    assert result.value == pytest.approx(GaussianMI().estimate(x, y).value, abs=1e-9)
    assert result.n_samples == 400 and result.wall_seconds >= result.extras["program_seconds"]
    extras = result.extras
    assert extras["command"] == [sys.executable, str(EXAMPLE), "{x}", "{y}"]
    assert extras["format"] == fmt and extras["units"] == "nats"
    assert extras["returncode"] == 0 and extras["program_stderr"] == ""


def test_files_follow_the_documented_layout(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((5, 3)) * 1e-7, rng.standard_normal((5, 1)) * 1e30
    csv = write_samples(tmp_path, x, y, "csv")
    assert csv["x"].read_text().splitlines()[0] == "x0,x1,x2"
    assert csv["y"].read_text().splitlines()[0] == "y0"
    back = np.loadtxt(csv["x"], delimiter=",", skiprows=1, ndmin=2)
    assert np.array_equal(back, x)  # 17 significant digits read back exactly
    assert np.array_equal(np.loadtxt(csv["y"], delimiter=",", skiprows=1, ndmin=2), y)
    npy = write_samples(tmp_path, x, y, "npy")
    loaded = np.load(npy["y"])
    assert loaded.dtype == np.float64 and loaded.shape == (5, 1) and np.array_equal(loaded, y)
    with pytest.raises(ValueError, match="format"):
        write_samples(tmp_path, x, y, "parquet")


def test_grid_rows_record_the_command_and_agree_with_the_baseline(tmp_path):
    task = get_task("multinormal-dense-2-2-0.5")
    command = (sys.executable, str(EXAMPLE), "{x}", "{y}")
    spec = f"external[command={command!r}]"
    grid = Grid([task], [spec, "gaussian"], ns=[300], seeds=[0, 1])
    with ResultStore(tmp_path / "r.sqlite") as store:
        execute(grid.cells(), [task], store, progress=False)
        rows = store.rows()
    assert (rows["status"] == "ok").all(), rows["message"].tolist()
    external = rows[rows["estimator"] == "external"].set_index("seed")
    gaussian = rows[rows["estimator"] == "gaussian"].set_index("seed")
    assert np.allclose(external["mi_estimate"], gaussian["mi_estimate"], rtol=0, atol=1e-9)
    for _, row in external.iterrows():
        extras = json.loads(row["extras_json"])
        assert extras["command"] == list(command) and extras["format"] == "csv"
        assert json.loads(row["params_json"])["command"] == list(command)
        assert row["deterministic"] == 0
    # seed=None: each cell hands the program its own derived seed
    assert len({json.loads(e)["seed"] for e in external["extras_json"]}) == 2


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("print('abc')", "printed 'abc' as its last line of output, which is not a number"),
        ("print('0.5'); print('MI = 0.5')", "'MI = 0.5' as its last line"),
        ("print('nan')", "printed 'nan', which is not a finite number"),
        ("print('-inf')", "printed '-inf', which is not a finite number"),
        ("import sys; sys.stderr.write('only logs')", "printed nothing on standard output"),
        ("print('   '); print()", "printed nothing on standard output"),
    ],
)
def test_bad_answers_are_errors_naming_the_command_and_quoting_the_output(xy, code, expected):
    result = _code(code).estimate(*xy)
    assert result.status is Status.ERROR and math.isnan(result.value)
    assert expected in result.message
    assert f"external command {sys.executable}" in result.message and "-c" in result.message
    assert result.extras["command"][-1] == code


def test_a_failing_program_reports_its_exit_status_and_stderr(xy):
    code = "import sys; print('0.3'); sys.stderr.write('x' * 2000 + 'the real reason'); sys.exit(3)"
    result = _code(code).estimate(*xy)
    assert result.status is Status.ERROR and math.isnan(result.value)
    assert "exited with status 3" in result.message
    assert result.message.endswith("the real reason'")
    stderr = result.extras["program_stderr"]  # the first and last 500 characters
    assert stderr.startswith("x" * 500) and stderr.endswith("the real reason")
    assert "characters ...]" in stderr and len(stderr) < 1100
    assert result.extras["returncode"] == 3


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_timeout_kills_the_program_and_its_children(xy, tmp_path):
    pid_file = tmp_path / "child.pid"
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print('0.1', flush=True)\n"
        "time.sleep(60)\n"
    )
    start = time.perf_counter()
    result = _code(code, timeout=1.0).estimate(*xy)
    assert time.perf_counter() - start < 15
    assert result.status is Status.TIMEOUT and math.isnan(result.value)
    assert "ran past its timeout of 1 s and was killed" in result.message
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        state = stat.read_text().rsplit(")", 1)[1].split()[0] if stat.exists() else "gone"
        if state in ("gone", "Z", "X"):
            break
        time.sleep(0.05)
    assert state in ("gone", "Z", "X"), f"the program's child {pid} is still running"


def test_failures_become_rows_with_their_status(tmp_path):
    task = get_task("1v1-normal-0.75")
    abc = f"external[command={(*FAST, '-c', 'print(chr(97))')!r}]"
    slow = f"external[command={(*FAST, '-c', 'import time; time.sleep(30)')!r},timeout=0.5]"
    grid = Grid([task], [abc, slow], ns=[50], seeds=[0])
    with ResultStore(tmp_path / "r.sqlite") as store:
        execute(grid.cells(), [task], store, progress=False)
        rows = store.rows()
    by_status = rows.set_index("status")
    assert set(rows["status"]) == {"error", "timeout"}
    assert "printed 'a' as its last line" in by_status.loc["error", "message"]
    assert "ran past its timeout of 0.5 s" in by_status.loc["timeout", "message"]
    assert rows["mi_estimate"].isna().all()
    for extras in rows["extras_json"]:
        assert json.loads(extras)["command"][:3] == list(FAST)


def test_missing_or_empty_commands_are_clear_value_errors(xy):
    missing = ExternalEstimator(command=("no-such-mi-program-here", "{x}"))
    with pytest.raises(ValueError, match="program 'no-such-mi-program-here' not found"):
        missing.validate()
    with pytest.raises(ValueError, match="program 'no-such-mi-program-here' not found"):
        missing.estimate(*xy)
    with pytest.raises(ValueError, match="no-such-mi-program-here"):
        Grid(
            [get_task("1v1-normal-0.75")],
            ["external[command=('no-such-mi-program-here',)]"],
            ns=[50],
            seeds=[0],
        )
    empty = get_estimator("external")  # the defaults construct (mibench list estimators)
    with pytest.raises(ValueError, match="external needs a command"):
        empty.validate()
    with pytest.raises(ValueError, match="a list or tuple of strings"):
        ExternalEstimator(command="Rscript my_mi.R")
    with pytest.raises(ValueError, match=r"command\[1\]=3"):
        ExternalEstimator(command=("python", 3))
    for bad, match in (
        ({"format": "parquet"}, "format"),
        ({"units": "hartleys"}, "units"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": math.inf}, "timeout"),
        ({"seed": -1}, "seed"),
        ({"deterministic": "yes"}, "deterministic"),
    ):
        with pytest.raises(ValueError, match=match):
            ExternalEstimator(command=FAST, **bad)


def test_units_bits_convert_and_negative_values_pass_through(xy):
    assert _code("print(1)", units="bits").estimate(*xy).value == pytest.approx(math.log(2))
    logs = "print('fitting...'); print('-0.25'); print(); print('  ')"
    result = _code(logs).estimate(*xy)
    assert result.ok and result.value == -0.25 and result.extras["printed"] == "-0.25"


def test_arguments_reach_the_program_literally_never_through_a_shell(xy, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nasty = "$(touch pwned) `touch pwned2`; rm -rf / && echo 'a\"b' | cat > out *.csv {x}"
    checker = _script(
        tmp_path,
        "import os, sys\n"
        "nasty, x, y, folder, seed = sys.argv[1:]\n"
        "assert nasty.startswith('$(touch pwned) `touch pwned2`; rm -rf / && '), nasty\n"
        "assert nasty.endswith(' *.csv ' + x) and os.path.isfile(x), nasty\n"
        "assert os.path.dirname(x) == os.path.dirname(y) == folder == os.environ['MIBENCH_DIR']\n"
        "assert (x, y) == (os.environ['MIBENCH_X'], os.environ['MIBENCH_Y'])\n"
        "assert seed == os.environ['MIBENCH_SEED'] == '7'\n"
        "assert os.environ['MIBENCH_FORMAT'] == 'npy' and x.endswith('x.npy')\n"
        "assert os.getcwd() == sys.argv[0].rsplit(os.sep, 1)[0]\n"
        "print(0.5)\n",
    )
    command = (*FAST, str(checker), nasty, "{x}", "{y}", "{dir}", "{seed}")
    spec = f"external[command={command!r},format=npy,seed=7]"
    assert parse_spec(spec)[1]["command"] == command
    result = get_estimator(spec).estimate(*xy)
    assert result.ok, result.message
    assert result.value == 0.5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prog.py"]  # no pwned, out


def test_subsampling_error_bar(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(200)
    y = 0.8 * x + 0.6 * rng.standard_normal(200)
    script = _script(tmp_path, CORRELATION_SCRIPT)
    est = ExternalEstimator(command=(*FAST, str(script), "{x}", "{y}"))
    result = est.estimate(x, y, error_bar="subsampling")
    assert result.ok and result.error_bar == "subsampling"
    assert result.value == pytest.approx(GaussianMI().estimate(x, y).value, abs=1e-9)
    assert 0 < result.stderr < 0.2 and result.ci_low < result.value < result.ci_high
    assert result.extras["error_bar"]["splits"] == list(range(2, 11))
    with pytest.raises(ValueError, match="bootstrap"):
        est.estimate(x, y, error_bar="bootstrap")


def test_left_out_of_the_figures_but_listed_and_cloned():
    assert "external" not in builtin_estimators() and "gaussian" in builtin_estimators()
    out = CliRunner().invoke(main, ["list", "estimators"], catch_exceptions=False).output
    assert "external         a user's program (any language)\n" in out
    assert "                 error bars: subsampling; command=()" in out
    est = get_estimator("external[command=('python', 'a.py'),deterministic=true]")
    copy = est.clone()
    assert copy.get_params() == est.get_params() and copy is not est
    assert copy.deterministic is True and ExternalEstimator.deterministic is False
