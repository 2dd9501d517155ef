"""mibench.testing.check_estimator: built-ins and plug-ins pass; each rule catches its defect;
the plug-in wrappers report their registered name and determinism."""

from __future__ import annotations

import copy
import math
import time

import numpy as np
import pytest

import mibench
from mibench.estimate import Estimate
from mibench.estimator import Estimator
from mibench.harness.cells import canonical_json
from mibench.paper.work import builtin_estimators
from mibench.plugins import ContractAdapter
from mibench.registry import get_estimator
from mibench.testing import (
    CHECKS,
    EstimatorCheckFailed,
    check_estimator,
    fresh_process_params,
)

# The fresh process of "canonical-params" costs seconds (it imports mibench): the built-ins
# and the plug-in object share one (test_params_survive_a_fresh_process), and the broken
# estimators skip it, but for the one that breaks that rule.
NO_FRESH = ("canonical-params",)


def _corr_mi(x: np.ndarray, y: np.ndarray) -> float:
    """Gaussian MI (nats) from the correlation of the first columns of x: (n, dx), y: (n, dy)."""
    r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
    return float(-0.5 * np.log1p(-(r**2)))


class _Corr(Estimator):
    """A well-behaved estimator: the base of the broken ones below."""

    name = "test-check-corr"

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        return _corr_mi(x, y) * self.scale


class _PlugIn:
    """A plug-in object with the estimator contract and no Estimator base class."""

    def __init__(self, factor: float = 1.0) -> None:
        self.factor = factor

    def get_params(self) -> dict:
        return {"factor": self.factor}

    def estimate(self, x, y) -> float:
        return self.factor * _corr_mi(x, y)


# --- one broken estimator per rule ----------------------------------------------------------


class _ListHidden(_Corr):
    """params: converts a tuple hyperparameter to a list in __init__."""

    def __init__(self, scale: float = 1.0, hidden: tuple = (8, 8)) -> None:
        super().__init__(scale)
        self.hidden = list(hidden)


class _ExtraParam(_Corr):
    """params: get_params() reports a value that is not a constructor parameter."""

    def get_params(self) -> dict:
        return {**super().get_params(), "fitted": False}


class _SharedClone(_Corr):
    """clone: a shallow copy shares the dict that holds the hyperparameters."""

    def __init__(self, scale: float = 1.0) -> None:
        self._params = {"scale": scale}

    def get_params(self) -> dict:
        return dict(self._params)

    def set_params(self, **params) -> _SharedClone:
        unknown = set(params) - set(self._params)
        if unknown:
            raise ValueError(f"unknown hyperparameters {sorted(unknown)}")
        self._params.update(params)
        return self

    def clone(self) -> _SharedClone:
        return copy.copy(self)

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        return _corr_mi(x, y) * self._params["scale"]


class _HoldsLambda(_Corr):
    """pickle: keeps a lambda."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__(scale)
        self._transform = lambda v: v


class _Kernel:
    """A hyperparameter value with equality but the default repr (which holds its address)."""

    def __init__(self, width: float = 1.0) -> None:
        self.width = width

    def __eq__(self, other: object) -> bool:
        return type(other) is _Kernel and other.width == self.width

    __hash__ = None  # type: ignore[assignment]


class _KernelParam(_Corr):
    """canonical-params: a parameter whose canonical JSON (its repr) changes per process."""

    def __init__(self, scale: float = 1.0, kernel: _Kernel | None = None) -> None:
        super().__init__(scale)
        self.kernel = kernel


class _OneDOnly(_Corr):
    """estimate-shapes: its own estimate() works on (n,) inputs, crashes on (n, 1)."""

    def estimate(self, x, y, *, error_bar=None) -> Estimate:
        x, y = np.asarray(x, float), np.asarray(y, float)
        r = float(x @ y) / math.sqrt(float(x @ x) * float(y @ y))  # (n, 1) @ (n, 1) fails
        return Estimate(value=-0.5 * math.log1p(-r * r), n_samples=len(x), wall_seconds=1e-6)


class _RavelsColumns(_Corr):
    """estimate-shapes: flattens all columns, which breaks on (n, 2) and (n, 3)."""

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        r = np.corrcoef(x.ravel(), y.ravel())[0, 1]
        return float(-0.5 * np.log1p(-(r**2)))


class _Bits(_Corr):
    """units: reports bits."""

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        return _corr_mi(x, y) / math.log(2.0)


class _Negated(_Corr):
    """units: the sign is flipped."""

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        return -_corr_mi(x, y)


class _SeedsItself(_Corr):
    """determinism: declares deterministic=True but draws a seed in __init__ (each instance,
    clones included, adds different noise; one instance repeats itself)."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__(scale)
        self._seed = int(np.random.SeedSequence().entropy % 2**32)

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        return _corr_mi(x, y) + np.random.default_rng(self._seed).normal(0.0, 1e-3)


class _AcceptsNaN(_Corr):
    """bad-input: checks shapes itself but returns NaN for NaN input instead of raising."""

    def estimate(self, x, y, *, error_bar=None) -> Estimate:
        x = np.asarray(x, float).reshape(len(x), -1) if np.ndim(x) == 1 else np.asarray(x)
        y = np.asarray(y, float).reshape(len(y), -1) if np.ndim(y) == 1 else np.asarray(y)
        if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < self.min_samples:
            raise ValueError("bad shapes")
        start = time.perf_counter()
        value = _corr_mi(x, y)
        status = "ok" if math.isfinite(value) else "error"
        return Estimate(
            value=value,
            status=status,
            message="" if status == "ok" else "NaN",
            n_samples=len(x),
            wall_seconds=time.perf_counter() - start,
        )


class _TypeErrorOn3D(_Corr):
    """bad-input: a 3-D x raises TypeError, not ValueError."""

    def estimate(self, x, y, *, error_bar=None) -> Estimate:
        if np.ndim(x) == 3:
            raise TypeError("3-D")
        return super().estimate(x, y, error_bar=error_bar)


class _DropsErrorBar(_Corr):
    """error-bar: ignores the ``error_bar`` option, so its estimate never has one and never
    says why. (A value rounded to 0.5 nats, whose parts all agree, gets no interval and a
    message from mibench.errorbars: that passes.)"""

    def estimate(self, x: object, y: object, *, error_bar: str | None = None) -> Estimate:
        return super().estimate(x, y)


BROKEN = [
    ("params", _ListHidden()),
    ("params", _ExtraParam()),
    ("clone", _SharedClone()),
    ("pickle", _HoldsLambda()),
    ("estimate-shapes", _OneDOnly()),
    ("estimate-shapes", _RavelsColumns()),
    ("units", _Bits()),
    ("units", _Negated()),
    ("determinism", _SeedsItself()),
    ("bad-input", _AcceptsNaN()),
    ("bad-input", _TypeErrorOn3D()),
    ("error-bar", _DropsErrorBar()),
]


# --- tests -----------------------------------------------------------------------------------


def test_checks_are_the_documented_rules() -> None:
    names = [name for name, _ in CHECKS]
    assert names == [
        "params",
        "clone",
        "pickle",
        "canonical-params",
        "estimate-shapes",
        "units",
        "determinism",
        "bad-input",
        "error-bar",
    ]
    doc = mibench.testing.__doc__
    assert all(f"``{name}``" in doc for name in names)
    assert issubclass(EstimatorCheckFailed, AssertionError)


@pytest.mark.parametrize("name", builtin_estimators())
def test_builtin_estimator_passes(name: str) -> None:
    est = get_estimator(name)
    before = canonical_json(est.get_params())
    check_estimator(est, skip=NO_FRESH)  # canonical-params: test_params_survive_a_fresh_process
    assert canonical_json(est.get_params()) == before  # the quick clone left it unchanged


def test_registered_plugin_function_passes() -> None:
    mibench.register("test-check-fn", _corr_mi, replace=True)
    check_estimator("test-check-fn")  # every rule, its own fresh process included


def test_registered_plugin_object_passes() -> None:
    mibench.register("test-check-obj", _PlugIn(1.0), deterministic=False, replace=True)
    check_estimator("test-check-obj[factor=1.0]", skip=NO_FRESH)  # fresh process: below


def test_params_survive_a_fresh_process() -> None:
    # "canonical-params" of the built-ins and the plug-in object, in one process.
    mibench.register("test-check-obj", _PlugIn(1.0), deterministic=False, replace=True)
    specs = [*builtin_estimators(), "mine[max_steps=20,hidden=(16, 16)]", "test-check-obj"]
    estimators = [get_estimator(spec) for spec in specs]
    assert fresh_process_params(estimators) == [canonical_json(e.cell_params()) for e in estimators]


def test_well_behaved_subclass_passes_the_rules_before_the_fresh_process() -> None:
    check_estimator(_Corr(), skip=NO_FRESH)
    check_estimator(_KernelParam(kernel=_Kernel(2.0)), skip=NO_FRESH)


@pytest.mark.parametrize(
    ("rule", "est"), BROKEN, ids=[f"{rule}-{type(e).__name__.strip('_')}" for rule, e in BROKEN]
)
def test_broken_estimator_fails_its_rule(rule: str, est: Estimator) -> None:
    with pytest.raises(EstimatorCheckFailed, match=f"^{rule}: ") as info:
        check_estimator(est, skip=NO_FRESH)
    assert info.value.rule == rule


def test_parameter_with_an_address_in_its_repr_fails_canonical_params() -> None:
    with pytest.raises(EstimatorCheckFailed, match="^canonical-params: .*fresh process"):
        check_estimator(_KernelParam(kernel=_Kernel(2.0)))


def test_unserialisable_parameter_fails_canonical_params_without_a_process() -> None:
    est = _KernelParam(kernel={1: "a", "b": 2})  # mixed key types: sort_keys fails
    with pytest.raises(EstimatorCheckFailed, match="^canonical-params: .*raised TypeError"):
        dict(CHECKS)["canonical-params"](est)


def test_units_message_names_bits_and_sign() -> None:
    with pytest.raises(EstimatorCheckFailed, match="bits"):
        dict(CHECKS)["units"](_Bits())
    with pytest.raises(EstimatorCheckFailed, match="sign"):
        dict(CHECKS)["units"](_Negated())


def test_accepts_names_specs_and_refuses_other_things() -> None:
    check_estimator("ksg[k=5]", skip=NO_FRESH)
    with pytest.raises(ValueError, match="unknown estimator"):
        check_estimator("no-such-estimator")
    with pytest.raises(TypeError, match="mibench.register"):
        check_estimator(_PlugIn())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="skip"):
        check_estimator("ksg", skip=("no-such-rule",))


def test_quick_trains_a_clone_for_fifty_steps() -> None:
    est = get_estimator("mine[max_steps=2000]")
    dict(CHECKS)["estimate-shapes"](est, quick=True)
    assert est.get_params()["max_steps"] == 2000 and est.get_params()["seed"] is None


# --- the plug-in wrappers (mibench.plugins) ---------------------------------------------------


@pytest.fixture(scope="module")
def xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(300)
    return x, 0.8 * x + 0.6 * rng.standard_normal(300)


@pytest.mark.parametrize("obj", [_PlugIn(1.0), _corr_mi], ids=["object", "function"])
def test_plugin_declared_non_deterministic_gets_no_permutation_refits(obj, xy) -> None:
    mibench.register("test-check-nondet", obj, deterministic=False, replace=True)
    est = get_estimator("test-check-nondet")
    assert est.deterministic is False and est.clone().deterministic is False
    result = mibench.estimate_mi(*xy, "test-check-nondet")
    assert result.permutations == 0 and result.p_value is None
    mibench.register("test-check-det", obj, deterministic=True, replace=True)
    assert mibench.estimate_mi(*xy, "test-check-det", permutations=5).permutations == 5


def test_plugin_object_reports_its_registered_name(xy) -> None:
    mibench.register("test-check-named", _PlugIn(1.0), replace=True)
    est = get_estimator("test-check-named")
    assert isinstance(est, ContractAdapter) and est.name == "test-check-named"
    assert mibench.estimate_mi(*xy, "test-check-named").estimator == "test-check-named"
    assert mibench.estimate_mi(*xy, est).estimator == "test-check-named"


def test_plugin_object_refuses_unknown_hyperparameters() -> None:
    mibench.register("test-check-strict", _PlugIn(1.0), replace=True)
    est = get_estimator("test-check-strict")
    with pytest.raises(ValueError, match="no hyperparameter 'nonsense'"):
        est.set_params(nonsense=1)
    assert est.set_params(factor=0.5).get_params() == {"factor": 0.5}


def test_function_wrapper_is_rebuilt_by_its_clone_not_from_its_params(xy) -> None:
    # A function is not a hyperparameter (its repr would change every cell id), so
    # type(e)(**e.get_params()) cannot rebuild it; clone() does, and the clone rule accepts
    # an overridden clone().
    mibench.register("test-check-rebuild", _corr_mi, replace=True)
    est = get_estimator("test-check-rebuild")
    assert est.get_params() == {}
    with pytest.raises(TypeError):
        type(est)(**est.get_params()).estimate(*xy)
    copy_ = est.clone()
    assert copy_.estimate(*xy).value == est.estimate(*xy).value and copy_.name == est.name
    dict(CHECKS)["clone"](est)


def test_clone_rule_requires_rebuilding_without_an_overridden_clone() -> None:
    est = _Corr()
    est.name = "renamed"  # set on the instance: type(e)(**get_params()) loses it
    with pytest.raises(EstimatorCheckFailed, match="^clone: .*name"):
        dict(CHECKS)["clone"](est)
