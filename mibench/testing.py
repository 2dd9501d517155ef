"""Conformance checks for estimators: :func:`check_estimator` (for plug-in authors).

``check_estimator(est)`` runs the rules below in order and raises
:class:`EstimatorCheckFailed` (an ``AssertionError``) on the first one broken; its message
starts with the rule's name (``"clone: ..."``). scikit-learn's ``check_estimator`` and
benchopt's ``test`` are the models. The rules, by name (:data:`CHECKS` lists them as
``(name, function)`` pairs, each function taking the estimator and ``quick``):

``params``
    ``get_params()`` returns a dict whose keys are exactly the constructor's keyword
    parameters (those of the wrapped class for a plug-in object). Building the class from
    ``get_params()`` and from the constructor's defaults stores every value unchanged (the
    same object, or an equal one of the same type: ``3`` and ``3.0`` differ in a cell id);
    ``set_params`` stores values unchanged too, and refuses an unknown name with ValueError.
``clone``
    ``clone()`` returns a new object of the same type with equal ``get_params()``, name and
    determinism, and setting a parameter on the copy leaves the original as it is. Unless
    the class overrides ``clone`` (the plug-in wrappers of :mod:`mibench.plugins` do: a
    function is not a hyperparameter, so it cannot be rebuilt from ``get_params()``),
    ``type(e)(**e.get_params())`` must rebuild an equal estimator, name and determinism
    included.
``pickle``
    A pickle round trip gives an estimator of the same type with equal parameters, name and
    determinism (process-pool workers and Dask pickle estimators).
``canonical-params``
    ``canonical_json(cell_params())`` (what cell ids hash, :mod:`mibench.harness.cells`) is
    the same text in a fresh Python process (``sys.executable``, string hashing randomised)
    that unpickles the estimator, so that a resumed run finds its cells. Run after
    ``pickle``, which it relies on.
``estimate-shapes``
    ``estimate`` on x and y of shapes ``(n,)``, ``(n, 1)`` and ``(n, 2)``/``(n, 3)``, with
    ``n = max(required_samples, 200)`` samples of a fixed-seed Gaussian (correlation 0.8;
    categorical sides as quartile codes, see "Categorical estimators" below),
    returns an :class:`~mibench.estimate.Estimate` with ``n_samples == n`` and
    ``wall_seconds > 0``; its value is a finite float (nats) when the status is ok, and a
    status other than ok carries a message. For a deterministic estimator the ``(n,)`` and
    ``(n, 1)`` results are identical. No call changes ``get_params()``.
``units``
    On 2000 samples of a 1-D Gaussian pair with correlation 0.8, whose MI is
    ``-0.5 ln(1 - 0.64) = 0.511`` nats, the estimate has status ok and lies within
    :data:`UNITS_TOLERANCE` (0.4) nats of the truth, and nearer to it than to the truth in
    bits (0.737): 0.4 nats alone would let a value in bits pass, so a value above 0.624 nats
    fails as "bits, or an upward bias of more than 22 %". An approximate upper bound
    (``bound = "approximate upper bound"``, CLUB) must lie above the truth less the tolerance:
    its value on this law depends on its learned q(y | x) (CLUB's with the true conditional is
    ρ²/(1 − ρ²) = 1.78 nats), so nats and bits cannot be told apart there. A status other than
    ok fails the rule with its message.
``determinism``
    When the estimator declares ``deterministic = True``: two estimates on the same data,
    under different global numpy random states, and one by a clone, are bit-identical.
    Nothing is required of an estimator that declares ``deterministic = False``.
``bad-input``
    ``estimate`` raises ValueError (not another exception, not a NaN) for x and y with
    different numbers of rows, NaN in x, inf in y, a 3-D x, and fewer than ``min_samples``
    rows.
``error-bar``
    When the estimator supports ``"subsampling"`` (:func:`mibench.errorbars.supported`),
    ``estimate(x, y, error_bar="subsampling")`` on the 2000-sample Gaussian records the
    method and gives a finite positive ``stderr`` (with ``ci_low <= value <= ci_high``), or
    none with a message saying why.

Categorical estimators: every rule feeds an estimator the data its
:meth:`~mibench.estimator.Estimator.variable_kinds` ask for. A continuous side gets the
Gaussian samples above; a categorical side gets them cut at the quartiles of N(0, 1), as
integer codes 0..3 per column (:data:`CATEGORIES` equiprobable categories; each distinct row
of a multi-column side is one category). ``units`` then compares the estimate with the exact
MI of that law (:func:`true_mi`): 0.352 nats with both sides categorical, 0.407 nats with one;
the rules and the tolerance are those of the continuous case. ``bad-input`` puts the NaN and
the inf into the codes (as floats). The rules for continuous estimators are unchanged.

With ``quick=True`` an estimator that trains (one with a ``max_steps`` hyperparameter: the
neural estimators) is estimated by a clone with ``max_steps`` = :data:`QUICK_MAX_STEPS` (50),
except for ``units``, which needs a trained critic and uses :data:`QUICK_UNITS_MAX_STEPS`
(200; after 50 steps NWJ is still about 0.4 nats below the truth). The clone's ``seed`` is
set to 0 when it is None, so that the check gives the same verdict on every run. ``params``,
``clone``, ``pickle`` and ``canonical-params`` always check the estimator as given, and no
rule changes it.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import subprocess
import sys
from collections.abc import Callable, Collection, Sequence
from typing import Any

import numpy as np

from mibench import errorbars
from mibench.estimate import Estimate
from mibench.estimator import Estimator
from mibench.harness.cells import canonical_json
from mibench.plugins import ContractAdapter
from mibench.registry import get_estimator

#: Samples (at least) of the data of ``estimate-shapes``, ``determinism`` and ``bad-input``.
SMALL_N = 200
#: Samples of the data of ``units`` and ``error-bar``.
LARGE_N = 2000
#: Correlation of the Gaussian pairs.
RHO = 0.8
#: The MI of the 1-D Gaussian pair with correlation :data:`RHO`, in nats (about 0.511).
TRUE_MI = -0.5 * math.log(1.0 - RHO**2)
#: Equiprobable categories (quartiles of N(0, 1)) of each column of a categorical side.
CATEGORIES = 4
#: Largest distance (nats) of the ``units`` estimate from the true MI (:func:`true_mi`).
UNITS_TOLERANCE = 0.4
#: ``max_steps`` of a trained estimator under ``quick=True`` (all rules but ``units``).
QUICK_MAX_STEPS = 50
#: ``max_steps`` of a trained estimator for ``units`` under ``quick=True``.
QUICK_UNITS_MAX_STEPS = 200
#: Seed of the check's data.
DATA_SEED = 0
#: Time limit (seconds) of the fresh process of ``canonical-params``.
FRESH_PROCESS_TIMEOUT = 600.0

_MARKER = "MIBENCH-CANONICAL-PARAMS "
_CHILD = (
    "import json, pickle, sys\n"
    "sys.path[:0] = json.loads(sys.argv[1])\n"
    "from mibench.harness.cells import canonical_json\n"
    "estimators = pickle.load(sys.stdin.buffer)\n"
    "texts = [canonical_json(e.cell_params()) for e in estimators]\n"
    f"sys.stdout.write('\\n{_MARKER}' + json.dumps(texts) + '\\n')\n"
)


class EstimatorCheckFailed(AssertionError):
    """An estimator broke a rule of :func:`check_estimator`.

    Attributes:
        rule: the name of the rule (one of :data:`CHECKS`); the message starts with it.
        detail: the message after ``"<rule>: "``.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule
        self.detail = message

    def __reduce__(self) -> tuple[Any, ...]:  # picklable, for test runners that send it
        return (type(self), (self.rule, self.detail))


# --------------------------------------------------------------------------------------------
# Helpers


def _label(est: Estimator) -> str:
    return est.name or type(est).__name__


def _fail(rule: str, est: Estimator, message: str) -> EstimatorCheckFailed:
    return EstimatorCheckFailed(rule, f"{_label(est)}: {message}")


def _same(a: Any, b: Any) -> bool:
    """True when ``a`` is ``b``, or both have one type and are equal (NaN equals NaN)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        if isinstance(a, np.ndarray):
            return a.shape == b.shape and a.dtype == b.dtype and bool(np.array_equal(a, b))
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an __eq__ that raises means "not equal" here
        return False


def _differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """``"name: got ... (type), expected ... (type)"`` for each key whose values differ."""
    out = []
    for key in sorted(set(got) | set(want), key=str):
        if key not in got or key not in want or not _same(got[key], want[key]):
            g = f"{got[key]!r} ({type(got[key]).__name__})" if key in got else "missing"
            w = f"{want[key]!r} ({type(want[key]).__name__})" if key in want else "missing"
            out.append(f"{key}: got {g}, expected {w}")
    return out


def _constructor_params(cls: type) -> dict[str, Any]:
    """The keyword parameters of ``cls.__init__``, with those of the ``__init__`` up the MRO
    that a ``**kwargs`` forwards to (as the neural estimators' subclasses do): name ->
    ``inspect.Parameter``."""
    import inspect

    out: dict[str, inspect.Parameter] = {}
    for klass in cls.__mro__:
        if klass is object:
            break
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        forwards = False
        for p in list(inspect.signature(init).parameters.values())[1:]:
            if p.kind is p.VAR_KEYWORD:
                forwards = True
            elif p.kind is not p.VAR_POSITIONAL:
                out.setdefault(p.name, p)
        if not forwards:
            break
    return out


def _param_owner(est: Estimator) -> Any:
    """The object whose constructor takes the parameters: the wrapped object of a plug-in
    adapter, else the estimator."""
    return est._inner if isinstance(est, ContractAdapter) else est


def _gaussian(n: int, dim_x: int = 1, dim_y: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-seed Gaussian samples ``x: (n, dim_x)``, ``y: (n, dim_y)``; column j of y is
    ``RHO * x[:, j % dim_x]`` plus independent noise of variance ``1 - RHO**2``."""
    rng = np.random.default_rng(DATA_SEED)
    x = rng.standard_normal((n, dim_x))
    noise = rng.standard_normal((n, dim_y))
    y = RHO * x[:, [j % dim_x for j in range(dim_y)]] + math.sqrt(1.0 - RHO**2) * noise
    return x, y


def _codes(a: np.ndarray) -> np.ndarray:
    """Standard-normal samples cut at the quantiles 1/4, 2/4, 3/4: int64 codes 0..3."""
    from scipy import stats

    cuts = stats.norm.ppf(np.arange(1, CATEGORIES) / CATEGORIES)
    return np.digitize(a, cuts).astype(np.int64)


def _kinds(est: Estimator) -> tuple[str, str]:
    kinds = tuple(est.variable_kinds())
    if len(kinds) != 2 or any(k not in ("continuous", "categorical") for k in kinds):
        raise ValueError(
            f"variable_kinds() returned {kinds!r}, not two of 'continuous' and 'categorical'"
        )
    return kinds[0], kinds[1]


def _data(est: Estimator, n: int, dim_x: int = 1, dim_y: int = 1) -> tuple[np.ndarray, ...]:
    """The check's data for ``est``: :func:`_gaussian`, each side the estimator takes as
    categorical replaced by its quartile codes (:func:`_codes`)."""
    x, y = _gaussian(n, dim_x, dim_y)
    kx, ky = _kinds(est)
    return (_codes(x) if kx == "categorical" else x, _codes(y) if ky == "categorical" else y)


_TRUE_MI_CACHE: dict[tuple[str, str], float] = {}


def true_mi(kinds: tuple[str, str] = ("continuous", "continuous")) -> float:
    """The exact MI (nats) of the ``units`` data of an estimator taking ``kinds``.

    :data:`TRUE_MI` for two continuous variables; with a side cut into its
    :data:`CATEGORIES` quartile codes, the MI of the cut pair, by quadrature:
    I(B; Y) = ln 4 − E_Y[H(B | Y)] with one side categorical (X | Y = y is normal with mean
    ρy and variance 1 − ρ²), Σ p_ij ln(16 p_ij) with both (p_ij the probability of a cell).
    """
    kinds = (kinds[0], kinds[1])
    if kinds == ("continuous", "continuous"):
        return TRUE_MI
    if kinds in _TRUE_MI_CACHE:
        return _TRUE_MI_CACHE[kinds]
    from scipy import integrate, stats

    sd = math.sqrt(1.0 - RHO**2)
    edges = np.r_[-np.inf, stats.norm.ppf(np.arange(1, CATEGORIES) / CATEGORIES), np.inf]

    def given(v: float) -> np.ndarray:  # P(B = i | other side = v)
        return np.diff(stats.norm.cdf((edges - RHO * v) / sd))

    if "continuous" in kinds:

        def weighted_entropy(v: float) -> float:
            p = given(v)
            p = p[p > 0]
            return float(stats.norm.pdf(v) * -(p * np.log(p)).sum())

        h = integrate.quad(weighted_entropy, -np.inf, np.inf, epsabs=1e-12, limit=200)[0]
        value = math.log(CATEGORIES) - h
    else:
        cells = np.array(
            [
                integrate.quad(
                    lambda v, j=j: float(stats.norm.pdf(v) * given(v)[j]),
                    edges[i],
                    edges[i + 1],
                    epsabs=1e-13,
                    limit=200,
                )[0]
                for i in range(CATEGORIES)
                for j in range(CATEGORIES)
            ]
        )
        value = float(np.sum(cells * np.log(cells * CATEGORIES**2)))
    _TRUE_MI_CACHE[kinds] = value
    return value


def _small_n(est: Estimator, dim_x: int = 1, dim_y: int = 1) -> int:
    return max(int(est.required_samples(dim_x, dim_y)), int(est.min_samples), SMALL_N)


def _trained(est: Estimator, quick: bool, max_steps: int) -> Estimator:
    """``est``, or under ``quick`` for a trained estimator a clone with ``max_steps`` steps
    and seed 0 in place of None (see the module docstring)."""
    params = est.get_params()
    if not quick or "max_steps" not in params:
        return est
    updates: dict[str, Any] = {"max_steps": max_steps}
    if "seed" in params and params["seed"] is None:
        updates["seed"] = 0
    return est.clone().set_params(**updates)


def _run(rule: str, est: Estimator, x: Any, y: Any, **kwargs: Any) -> Estimate:
    """``est.estimate(x, y, **kwargs)``, any exception turned into a failure of ``rule``."""
    try:
        result = est.estimate(x, y, **kwargs)
    except Exception as exc:
        shapes = f"x {np.shape(x)}, y {np.shape(y)}"
        raise _fail(rule, est, f"estimate({shapes}) raised {type(exc).__name__}: {exc}") from exc
    if not isinstance(result, Estimate):
        raise _fail(rule, est, f"estimate returned {type(result).__name__}, not an Estimate")
    return result


def _bits(value: float) -> bytes:
    return np.float64(value).tobytes()


def _identical(a: Estimate, b: Estimate) -> bool:
    return a.status is b.status and _bits(a.value) == _bits(b.value)


# --------------------------------------------------------------------------------------------
# The rules


def _check_params(est: Estimator, quick: bool = True) -> None:
    rule = "params"
    params = est.get_params()
    if not isinstance(params, dict):
        raise _fail(rule, est, f"get_params() returned {type(params).__name__}, not a dict")
    owner = _param_owner(est)
    cls = type(owner)
    declared = _constructor_params(cls)
    positional = [n for n, p in declared.items() if p.kind is p.POSITIONAL_ONLY]
    if positional:
        raise _fail(rule, est, f"{cls.__name__}.__init__ has positional-only {positional}")
    if set(params) != set(declared):
        extra = sorted(set(params) - set(declared), key=str)
        missing = sorted(set(declared) - set(params))
        raise _fail(
            rule,
            est,
            f"get_params() keys must be the keyword parameters of {cls.__name__}.__init__; "
            f"not parameters: {extra}, missing: {missing}",
        )
    defaults = {
        name: (params[name] if p.default is p.empty else p.default) for name, p in declared.items()
    }
    for what, values in (("get_params()", params), ("its defaults", defaults)):
        try:
            rebuilt = cls(**values).get_params()
        except Exception as exc:
            raise _fail(
                rule, est, f"{cls.__name__}(**{what}) raised {type(exc).__name__}: {exc}"
            ) from exc
        diff = _differences(rebuilt, values)
        if diff:
            raise _fail(
                rule,
                est,
                f"{cls.__name__}(...) built from {what} does not store its parameters "
                f"unchanged (store each argument as given; convert it where it is used): "
                + "; ".join(diff),
            )
    # A new estimator to probe set_params on (not clone(), which the next rule checks).
    probe = cls(**params)
    copy = ContractAdapter(probe) if owner is not est else probe
    for name in params:
        for value in (params[name], defaults[name]):
            copy.set_params(**{name: value})
            got = copy.get_params()[name]
            if not _same(got, value):
                raise _fail(
                    rule,
                    est,
                    f"set_params({name}={value!r}) then get_params() gives {got!r} "
                    f"({type(got).__name__}), not the value set",
                )
    unknown = "no_such_parameter_of_check_estimator"
    try:
        copy.set_params(**{unknown: 1})
    except ValueError:
        pass
    except Exception as exc:
        raise _fail(
            rule,
            est,
            f"set_params({unknown}=1) raised {type(exc).__name__} instead of ValueError",
        ) from exc
    else:
        raise _fail(rule, est, f"set_params({unknown}=1) accepted an unknown parameter")


class _Sentinel:
    """A value no estimator has: set on a clone to see whether the original changes."""

    def __repr__(self) -> str:
        return "<check_estimator sentinel>"


def _check_clone(est: Estimator, quick: bool = True) -> None:
    rule = "clone"
    params = est.get_params()
    copy = est.clone()
    if copy is est:
        raise _fail(rule, est, "clone() returned the estimator itself, not a new one")
    if type(copy) is not type(est):
        raise _fail(
            rule, est, f"clone() returned a {type(copy).__name__}, not a {type(est).__name__}"
        )
    diff = _differences(copy.get_params(), params)
    if diff:
        raise _fail(rule, est, "the clone's get_params() differs: " + "; ".join(diff))
    if (copy.name, copy.deterministic) != (est.name, est.deterministic):
        raise _fail(
            rule,
            est,
            f"the clone has name {copy.name!r} and deterministic={copy.deterministic}, the "
            f"original {est.name!r} and {est.deterministic}",
        )
    for name in params:
        try:
            copy.set_params(**{name: _Sentinel()})
        except (TypeError, ValueError):
            continue  # a set_params that validates values: this parameter cannot be probed
        diff = _differences(est.get_params(), params)
        if diff:
            raise _fail(
                rule,
                est,
                f"setting {name!r} on the clone changed the original (they share state): "
                + "; ".join(diff),
            )
    if type(est).clone is not Estimator.clone:
        return  # wrappers (mibench.plugins) rebuild themselves; see the module docstring
    try:
        rebuilt = type(est)(**params)
    except Exception as exc:
        raise _fail(
            rule,
            est,
            f"{type(est).__name__}(**get_params()) raised {type(exc).__name__}: {exc} "
            "(override clone() if the estimator holds more than its parameters)",
        ) from exc
    diff = _differences(rebuilt.get_params(), params)
    if diff:
        raise _fail(rule, est, f"{type(est).__name__}(**get_params()) differs: " + "; ".join(diff))
    if (rebuilt.name, rebuilt.deterministic) != (est.name, est.deterministic):
        raise _fail(
            rule,
            est,
            f"{type(est).__name__}(**get_params()) has name {rebuilt.name!r} and "
            f"deterministic={rebuilt.deterministic}, the original {est.name!r} and "
            f"{est.deterministic}: declare them on the class, or override clone()",
        )


def _check_pickle(est: Estimator, quick: bool = True) -> None:
    rule = "pickle"
    try:
        back = pickle.loads(pickle.dumps(est))
    except Exception as exc:
        raise _fail(
            rule,
            est,
            f"pickle round trip failed ({type(exc).__name__}: {exc}); process-pool workers "
            "and Dask pickle estimators: define functions and classes at module level and "
            "hold no lambdas, open files or locks",
        ) from exc
    if type(back) is not type(est):
        raise _fail(rule, est, f"unpickled as {type(back).__name__}, not {type(est).__name__}")
    diff = _differences(back.get_params(), est.get_params())
    if diff:
        raise _fail(rule, est, "the unpickled get_params() differs: " + "; ".join(diff))
    if (back.name, back.deterministic) != (est.name, est.deterministic):
        raise _fail(
            rule,
            est,
            f"unpickled with name {back.name!r} and deterministic={back.deterministic}, not "
            f"{est.name!r} and {est.deterministic}",
        )


def fresh_process_params(estimators: Sequence[Estimator]) -> list[str]:
    """``canonical_json(cell_params())`` of each estimator, computed in one fresh Python
    process that unpickles them (``sys.executable``, this process's ``sys.path``, string
    hashing randomised).

    One process serves a whole list, so that checking many estimators pays its start-up
    (importing mibench) once.

    Args:
        estimators: picklable estimators.

    Returns:
        One canonical JSON text per estimator, in order.

    Raises:
        pickle.PicklingError, TypeError, AttributeError: when an estimator cannot be pickled.
        RuntimeError: when the process fails or runs past :data:`FRESH_PROCESS_TIMEOUT`
            seconds (with the end of its error output).
    """
    payload = pickle.dumps(list(estimators))
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    try:
        proc = subprocess.run(
            [sys.executable, "-c", _CHILD, json.dumps(sys.path)],
            input=payload,
            capture_output=True,
            timeout=FRESH_PROCESS_TIMEOUT,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"the fresh process ran past {FRESH_PROCESS_TIMEOUT:g} s") from exc
    out = proc.stdout.decode(errors="replace")
    lines = [line for line in out.splitlines() if line.startswith(_MARKER)]
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.decode(errors="replace").strip()[-2000:]
        raise RuntimeError(f"the fresh process failed (exit status {proc.returncode}): {tail}")
    texts = json.loads(lines[-1][len(_MARKER) :])
    if len(texts) != len(estimators):
        raise RuntimeError(f"the fresh process returned {len(texts)} texts")
    return texts


def _check_canonical_params(est: Estimator, quick: bool = True) -> None:
    rule = "canonical-params"
    try:
        here = canonical_json(est.cell_params())
    except Exception as exc:
        raise _fail(
            rule,
            est,
            f"canonical_json(cell_params()) raised {type(exc).__name__}: {exc} (cell ids hash "
            "it: use JSON-able parameters with string keys)",
        ) from exc
    try:
        (there,) = fresh_process_params([est])
    except RuntimeError as exc:
        hint = (
            " (the fresh process imports the estimator's classes and functions by name: define "
            "them in an importable module, not in __main__ or a notebook)"
        )
        raise _fail(rule, est, f"{exc}{hint}") from exc
    if there != here:
        raise _fail(
            rule,
            est,
            f"canonical_json(cell_params()) differs in a fresh process, so cell ids would not "
            f"survive a resume (a parameter whose repr holds an address or a hash?): here "
            f"{here}, there {there}",
        )


def _check_estimate_shapes(est: Estimator, quick: bool = True) -> None:
    rule = "estimate-shapes"
    work = _trained(est, quick, QUICK_MAX_STEPS)
    before = canonical_json(work.get_params())
    n = _small_n(work, 1, 1)
    x1, y1 = _data(work, n)
    n23 = _small_n(work, 2, 3)
    x23, y23 = _data(work, n23, 2, 3)
    cases = [(x1[:, 0], y1[:, 0], n), (x1, y1, n), (x23, y23, n23)]
    results = []
    for x, y, rows in cases:
        result = _run(rule, work, x, y)
        shapes = f"x {x.shape}, y {y.shape}"
        if result.ok and not (isinstance(result.value, float) and math.isfinite(result.value)):
            raise _fail(
                rule, work, f"on {shapes}: status ok with value {result.value!r}, not finite"
            )
        if not result.ok and not result.message:
            raise _fail(rule, work, f"on {shapes}: status {result.status} without a message")
        if result.n_samples != rows:
            raise _fail(rule, work, f"on {shapes}: n_samples is {result.n_samples}, not {rows}")
        if not result.wall_seconds > 0:
            raise _fail(rule, work, f"on {shapes}: wall_seconds is {result.wall_seconds!r}")
        if canonical_json(work.get_params()) != before:
            raise _fail(
                rule,
                work,
                f"estimate on {shapes} changed get_params() from {before} to "
                f"{canonical_json(work.get_params())}",
            )
        results.append(result)
    if work.deterministic and not _identical(results[0], results[1]):
        raise _fail(
            rule,
            work,
            f"deterministic, but (n,) inputs give {results[0].value!r} "
            f"({results[0].status}) and (n, 1) inputs {results[1].value!r} "
            f"({results[1].status})",
        )


def _check_units(est: Estimator, quick: bool = True) -> None:
    rule = "units"
    work = _trained(est, quick, QUICK_UNITS_MAX_STEPS)
    x, y = _data(work, LARGE_N)
    result = _run(rule, work, x[:, 0], y[:, 0])
    kinds = _kinds(work)
    mi = true_mi(kinds)
    cut = [side for side, kind in zip("xy", kinds, strict=True) if kind == "categorical"]
    law = "1-D Gaussian"
    if cut:
        law += f", {' and '.join(cut)} cut into {CATEGORIES} quartile categories"
    truth = f"{mi:.3f} nats ({law}, correlation {RHO}, n={LARGE_N})"
    if not result.ok:
        raise _fail(
            rule,
            work,
            f"status {result.status} on a Gaussian with MI {truth}: {result.message or '-'}",
        )
    value = result.value
    if work.bound == "approximate upper bound":
        if value >= mi - UNITS_TOLERANCE:
            return
        raise _fail(
            rule,
            work,
            f"estimate {value:.4f} of an approximate upper bound is more than "
            f"{UNITS_TOLERANCE} nats below the true MI of {truth}",
        )
    error = abs(value - mi)
    in_bits = mi / math.log(2.0)
    if error <= UNITS_TOLERANCE and error <= abs(value - in_bits):
        return
    if abs(value - in_bits) < error:
        hint = (
            f"nearer the MI in bits ({in_bits:.3f}) than in nats: report nats (natural log), "
            "or fix an upward bias of more than 22 %"
        )
    elif abs(value + mi) < error:
        hint = "nearer minus the truth: is the sign flipped?"
    else:
        hint = f"more than {UNITS_TOLERANCE} nats away"
    raise _fail(rule, work, f"estimate {value:.4f} for a true MI of {truth}: {hint}")


def _check_determinism(est: Estimator, quick: bool = True) -> None:
    rule = "determinism"
    if not est.deterministic:
        return
    work = _trained(est, quick, QUICK_MAX_STEPS)
    x, y = _data(work, _small_n(work))
    # Different global random states: an estimator must not read them (restored after).
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(1)  # noqa: NPY002
        first = _run(rule, work, x, y)
        np.random.seed(2)  # noqa: NPY002
        second = _run(rule, work, x, y)
        third = _run(rule, work.clone(), x, y)
    finally:
        np.random.set_state(state)  # noqa: NPY002
    for what, other in (("a second call", second), ("a clone", third)):
        if not _identical(first, other):
            raise _fail(
                rule,
                work,
                f"declares deterministic=True, but the same data gives {first.value!r} "
                f"({first.status}) and, from {what}, {other.value!r} ({other.status}); declare "
                "deterministic = False, or take randomness from a seed hyperparameter",
            )


def _check_bad_input(est: Estimator, quick: bool = True) -> None:
    rule = "bad-input"
    work = _trained(est, quick, QUICK_MAX_STEPS)
    n = _small_n(work)
    x, y = (a.astype(np.float64) for a in _data(work, n))
    x_nan = x.copy()
    x_nan[n // 2, 0] = np.nan
    y_inf = y.copy()
    y_inf[n // 3, 0] = np.inf
    few = max(int(work.min_samples) - 1, 0)
    cases = [
        ("x and y with different numbers of rows", x, y[:-1]),
        ("NaN in x", x_nan, y),
        ("inf in y", x, y_inf),
        ("a 3-D x", x[:, :, None], y),
        (f"{few} rows (min_samples is {work.min_samples})", x[:few], y[:few]),
    ]
    for what, xb, yb in cases:
        try:
            result = work.estimate(xb, yb)
        except ValueError:
            continue
        except Exception as exc:
            raise _fail(
                rule,
                work,
                f"estimate on {what} raised {type(exc).__name__} ({exc}), not ValueError",
            ) from exc
        got = (
            f"{result.value!r} (status {result.status})"
            if isinstance(result, Estimate)
            else repr(result)
        )
        raise _fail(rule, work, f"estimate on {what} returned {got} instead of a ValueError")


def _check_error_bar(est: Estimator, quick: bool = True) -> None:
    rule = "error-bar"
    if "subsampling" not in errorbars.supported(est):
        return
    work = _trained(est, quick, QUICK_MAX_STEPS)
    x, y = _data(work, LARGE_N)
    result = _run(rule, work, x[:, 0], y[:, 0], error_bar="subsampling")
    if result.error_bar != "subsampling":
        raise _fail(rule, work, f"the result's error_bar is {result.error_bar!r}")
    if result.stderr is None:
        if not result.message:
            raise _fail(rule, work, "no stderr and no message saying why")
        return
    stderr = result.stderr
    if not (isinstance(stderr, float) and math.isfinite(stderr) and stderr > 0):
        raise _fail(rule, work, f"stderr {stderr!r} is not a finite positive float")
    low, high = result.ci_low, result.ci_high
    if low is None or high is None or not low <= result.value <= high:
        raise _fail(rule, work, f"the interval ({low!r}, {high!r}) does not hold {result.value!r}")


#: The rules, in the order :func:`check_estimator` runs them: (name, function). Each
#: function takes ``(estimator, quick=True)`` and raises :class:`EstimatorCheckFailed`.
CHECKS: tuple[tuple[str, Callable[..., None]], ...] = (
    ("params", _check_params),
    ("clone", _check_clone),
    ("pickle", _check_pickle),
    ("canonical-params", _check_canonical_params),
    ("estimate-shapes", _check_estimate_shapes),
    ("units", _check_units),
    ("determinism", _check_determinism),
    ("bad-input", _check_bad_input),
    ("error-bar", _check_error_bar),
)


def check_estimator(
    estimator_or_name: Estimator | str, *, quick: bool = True, skip: Collection[str] = ()
) -> None:
    """Check that an estimator keeps mibench's estimator contract (rules: module docstring).

    Example::

        from mibench.testing import check_estimator
        check_estimator("corr-mi")  # raises EstimatorCheckFailed("units: ...") on a failure

    Args:
        estimator_or_name: an :class:`~mibench.estimator.Estimator`, a registered name or a
            registry spec (``"ksg"``, ``"mine[max_steps=20]"``).
        quick: check a trained estimator (one with ``max_steps``) on a clone with
            ``max_steps`` = :data:`QUICK_MAX_STEPS` (:data:`QUICK_UNITS_MAX_STEPS` for
            ``units``) and seed 0 for None, so that the check takes seconds; False checks it
            as given.
        skip: names of rules (of :data:`CHECKS`) not to run.

    Raises:
        EstimatorCheckFailed: on the first rule broken (an ``AssertionError``; the message
            starts with the rule's name). An unexpected exception inside a rule is reported
            as a failure of that rule.
        ValueError: for an unknown name or a malformed spec, or an unknown rule in ``skip``.
        TypeError: when ``estimator_or_name`` is neither an Estimator nor a string.
    """
    names = [name for name, _ in CHECKS]
    unknown = sorted(set(skip) - set(names))
    if isinstance(skip, str) or unknown:
        raise ValueError(f"skip must be a collection of rule names {names}, got {skip!r}")
    if isinstance(estimator_or_name, str):
        est = get_estimator(estimator_or_name)
    elif isinstance(estimator_or_name, Estimator):
        est = estimator_or_name
    else:
        raise TypeError(
            "check_estimator takes an Estimator or a registry name or spec, got "
            f"{type(estimator_or_name).__name__} (register a function or an object with "
            "mibench.register first, then check it by name)"
        )
    for name, check in CHECKS:
        if name in skip:
            continue
        try:
            check(est, quick)
        except EstimatorCheckFailed:
            raise
        except Exception as exc:
            raise _fail(name, est, f"raised {type(exc).__name__}: {exc}") from exc


__all__ = [
    "CHECKS",
    "EstimatorCheckFailed",
    "check_estimator",
    "fresh_process_params",
    "true_mi",
]
