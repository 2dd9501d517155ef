"""Start-up: importing mibench and listing tasks, suites and estimators import no torch (nor
pandas, nor numba), and the neural estimators are built and configured without it; each check
runs in a fresh interpreter, whose ``sys.modules`` is then read."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

#: Modules that take seconds to import and that start-up must not load.
HEAVY = ("torch", "pandas", "numba")


def _fresh(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it leaves a dict in ``out``, returned with
    ``heavy``, the :data:`HEAVY` modules loaded by then."""
    script = (
        "import json, sys\nout = {}\n"
        + code
        + f"\nout['heavy'] = [m for m in {HEAVY!r} if m in sys.modules]\nprint(json.dumps(out))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_import_mibench_loads_no_torch_and_its_lazy_names_still_work() -> None:
    out = _fresh(
        "import mibench\n"
        f"out['on_import'] = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "out['names'] = sorted(n for n in mibench.__all__ if hasattr(mibench, n))\n"
        "out['all'] = sorted(mibench.__all__)\n"
    )
    assert out["on_import"] == []
    assert "torch" not in out["heavy"]  # mibench.run and estimate_mi need pandas, not torch
    assert out["names"] == out["all"]


@pytest.mark.parametrize("what", ["estimators", "tasks", "suites"])
def test_listing_loads_no_torch(what) -> None:
    code = (
        "import contextlib, io\n"
        "from mibench.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as text:\n"
        f"    main(['list', '{what}'], standalone_mode=False)\n"
        "out['lines'] = len(text.getvalue().splitlines())\n"
    )
    out = _fresh(code)
    assert out["heavy"] == []
    assert out["lines"] > 10


def test_neural_estimators_are_built_and_configured_without_torch() -> None:
    code = (
        "from mibench.neural import DENSITY_ESTIMATORS, NEURAL_ESTIMATORS\n"
        "from mibench.errorbars import supported\n"
        "for name, cls in {**NEURAL_ESTIMATORS, **DENSITY_ESTIMATORS}.items():\n"
        "    est = cls(seed=1).set_params(lr=1e-4)\n"
        "    out[name] = [est.get_params()['lr'], cls.source, list(supported(est)),\n"
        "                 sorted(cls.extra_values), est.required_samples(1, 1)]\n"
    )
    out = _fresh(code)
    assert out.pop("heavy") == []
    assert set(out) >= {"mine", "infonce", "smile", "ba", "club", "doe"}
    assert all(v[0] == 1e-4 and v[1] for v in out.values())
    assert out["smile"][3] == ["jsd"] and "log_likelihood" in out["doe"][3]


def test_lazy_names_resolve_to_the_torch_based_functions() -> None:
    import mibench
    import mibench.neural
    from mibench.api import estimate_mi
    from mibench.harness.study import run
    from mibench.neural.ensemble import fit_ensemble

    assert mibench.estimate_mi is estimate_mi and mibench.run is run
    assert mibench.neural.fit_ensemble is fit_ensemble
    assert "fit_ensemble" in dir(mibench.neural) and "run" in dir(mibench)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        mibench.nothing  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        mibench.neural.nothing  # noqa: B018
