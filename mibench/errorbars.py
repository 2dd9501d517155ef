"""Error bars for any estimator: subsampling, the bootstrap, the held-out evaluation, seeds.

An error bar is asked for through one option, ``error_bar``: of
:meth:`mibench.estimator.Estimator.estimate`, of :func:`mibench.api.estimate_mi`, of
``mibench estimate --error-bar`` and of a grid (``error_bar`` in a run's configuration or
``mibench run --error-bar``). It fills :attr:`~mibench.estimate.Estimate.stderr` (nats), the
95 % interval ``(ci_low, ci_high)`` (nats), :attr:`~mibench.estimate.Estimate.error_bar` (the
method) and ``extras["error_bar"]`` (the details); a grid stores them in the columns
``mi_stderr``, ``mi_ci_low``, ``mi_ci_high`` and ``error_bar``.

**What an interval covers.** Every method measures how much the estimate would move with
another sample of the same size (and, for seeds, another training run). None measures the
estimator's bias: a biased estimator's interval narrows like 1/√n while its bias shrinks more
slowly, so its coverage of the true MI falls as n grows; ``mibench report`` and
``mibench figures coverage`` measure that coverage.

Methods (an estimator lists those it supports in ``Estimator.error_bars``; ``"auto"`` picks the
first):

* ``"subsampling"`` (every estimator): Holmes & Nemenman, "Estimation of mutual information
  for real-valued data with error bars and controlled bias", Phys. Rev. E 100, 022404 (2019).
  The n samples are split at random into s disjoint parts of m_s = ⌊n/s⌋ samples, for
  s = 2..10, and the estimator runs on each part. The variance of an estimate scales as 1/n, so
  each split gives Var_n ≈ Var_s · m_s / n, where Var_s is the sample variance (ddof = 1) of
  its s part estimates; the splits are pooled with weights s − 1 (their degrees of freedom).
  Cost: 54 runs on parts that hold 9n samples in all (a neural estimator trains the parts of
  a split as one batched model: 9 batched fits).
* ``"bootstrap"``: the sd (ddof = 1) of the estimates on :data:`BOOTSTRAP_RESAMPLES`
  resamples with replacement. Cost: 200 runs on n samples. Refused by the kNN estimators (a
  resample holds duplicated points at distance 0, which shifts kNN estimates upward by about
  0.8 nats; Holmes & Nemenman 2019), the kernel-density one (``kde``: a copy restores the
  left-out kernel or multiplies the self kernel; 0.06-0.09 nats upward) and the neural ones
  (duplicates would sit on both sides of the train/held-out split).
* ``"held-out"`` (neural estimators): the critic is held fixed at its selected evaluation and
  its held-out readout is recomputed on :data:`BOOTSTRAP_RESAMPLES` resamples of the held-out
  rows; the sd of those readouts is the standard error. It covers the evaluation noise of the
  finite held-out part, not the variability of training. Cost: readouts only, no training.
* ``"seeds"`` (neural estimators in a grid, whose seeds of one configuration train as one
  batched group anyway): the sd (ddof = 1) of the group's ok estimates, each a fresh sample
  and a fresh critic; it covers sampling and training variability together. It needs at least
  :data:`MIN_SEEDS` ok members. Cost: none beyond the group.

Intervals are estimate ± z·stderr with z the normal quantile of :data:`LEVEL` (1.96), except
``"seeds"``, which uses Student's t quantile with (ok members − 1) degrees of freedom.

Randomness (partitions, resamples) comes from a stream of the estimator's own ``seed`` (0 when
it has none or it is None), separate from the estimator's; the same call gives the same error
bar.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from mibench.estimate import Estimate

if TYPE_CHECKING:
    from mibench.estimator import Estimator

#: The error-bar methods.
METHODS = ("subsampling", "bootstrap", "held-out", "seeds")
#: The value that picks an estimator's first supported method.
AUTO = "auto"
#: Coverage level of the stored intervals.
LEVEL = 0.95
#: Largest number of disjoint parts used by subsampling.
MAX_SPLITS = 10
#: Number of resamples of the bootstrap (and of the held-out bootstrap).
BOOTSTRAP_RESAMPLES = 200
#: Fewest ok members of a group for a ``"seeds"`` error bar.
MIN_SEEDS = 3
#: Stream id separating error-bar randomness from the estimators' own randomness.
RNG_STREAM = 1

_REASONS = {
    "bootstrap": "a resample with replacement holds duplicated points",
    "held-out": "only the neural estimators have a held-out evaluation",
    "seeds": "only the neural estimators train the seeds of a grid as one group",
}


def supported(estimator: Estimator) -> tuple[str, ...]:
    """The error-bar methods ``estimator`` supports (its class's ``error_bars``)."""
    return tuple(type(estimator).error_bars)


def resolve(method: str | None, estimator: Estimator) -> str | None:
    """The method ``method`` names for ``estimator``: ``"auto"`` becomes its first supported
    method (None when it supports none); anything else is returned unchanged."""
    if method == AUTO:
        methods = supported(estimator)
        return methods[0] if methods else None
    return method


def check_error_bar(method: Any, estimator: Estimator, *, grouped: bool = False) -> None:
    """Refuse an error-bar method that ``estimator`` cannot give.

    Args:
        method: None, ``"auto"`` or one of :data:`METHODS`.
        estimator: the estimator.
        grouped: whether the estimate comes from a batched group of seeds (a grid's group
            job); ``"seeds"`` needs one.

    Raises:
        ValueError: naming ``error_bar`` and the value, for an unknown method, a method the
            estimator does not support (with the reason and the methods it does support), or
            ``"seeds"`` outside a group.
    """
    if method is None or method == AUTO:
        return
    if method not in METHODS:
        raise ValueError(f"error_bar must be one of {[None, AUTO, *METHODS]}, got {method!r}")
    name = type(estimator).__name__
    methods = supported(estimator)
    if method not in methods:
        reason = _REASONS.get(method, "")
        if method == "bootstrap" and "held-out" in methods:
            reason += " on both sides of the train/held-out split"
        elif method == "bootstrap":
            reason += (
                " at distance 0, which biases kNN estimates upward by about 0.8 nats (and "
                "kernel-density ones by about 0.06-0.09 nats)"
            )
        raise ValueError(
            f"error_bar={method!r} is not available for {name}: {reason}; it supports "
            f"{list(methods) or 'none'}"
        )
    if method == "seeds" and not grouped:
        raise ValueError(
            f"error_bar='seeds' needs the seeds of a grid trained as one group (a run with "
            f"several seeds); for one estimate of {name} use 'held-out' or 'subsampling'"
        )


def interval_quantile(dof: int | None = None) -> float:
    """The factor z of the :data:`LEVEL` interval estimate ± z·stderr: the normal quantile
    (1.96), or Student's t with ``dof`` degrees of freedom."""
    from scipy import stats  # here, not at import: scipy.stats takes a second to import

    q = 0.5 + LEVEL / 2
    return float(stats.norm.ppf(q) if dof is None else stats.t.ppf(q, dof))


def set_interval(
    result: Estimate, method: str, stderr: float, details: dict[str, Any], *, dof: int | None = None
) -> None:
    """Store an error bar in ``result``: ``stderr``, the :data:`LEVEL` interval (normal
    quantile, or Student's t with ``dof`` degrees of freedom), the method and the details."""
    z = interval_quantile(dof)
    result.stderr = float(stderr)
    result.ci_low = result.value - z * result.stderr
    result.ci_high = result.value + z * result.stderr
    result.error_bar = method
    result.extras["error_bar"] = {"method": method, "level": LEVEL, "quantile": z, **details}


def no_error_bar(result: Estimate, method: str, why: str) -> None:
    """Record in ``result`` that the asked-for error bar could not be computed (no value is
    made up: ``stderr`` and the interval stay None)."""
    result.extras["error_bar"] = {"method": method, "missing": why}
    note = f"no {method} error bar: {why}"
    result.message = f"{result.message}; {note}" if result.message else note


def _seed_of(estimator: Estimator) -> int:
    seed = estimator.get_params().get("seed")
    return int(seed) if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) else 0


def _values(estimator: Estimator, parts: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray):
    """The estimates (nats) of ``estimator`` on the row subsets ``parts``; NaN for a part
    whose estimate failed. Batched as one group when the estimator class trains groups."""
    group = getattr(type(estimator), "estimate_group", None)
    if callable(group):
        members = [estimator.clone() for _ in parts]
        try:
            results = group(members, [x[p] for p in parts], [y[p] for p in parts])
        except ValueError:  # a part the estimator refuses (too few distinct rows, ...)
            return np.full(len(parts), math.nan)
    else:
        results = []
        for p in parts:
            try:
                results.append(estimator._estimate(x[p], y[p]))
            except ValueError:  # e.g. a singular resample: that part gives no value
                results.append(Estimate.failed("error", "refused"))
    out = []
    for r in results:
        ok = not isinstance(r, Estimate) or r.ok
        out.append(float(r.value if isinstance(r, Estimate) else r) if ok else math.nan)
    return np.array(out)


def subsampling_stderr(
    estimator: Estimator, x: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[float | None, dict[str, Any]]:
    """Standard error by pooled disjoint subsampling (Holmes & Nemenman 2019; see the module).

    Args:
        estimator: the estimator (its point estimate is recomputed on every part).
        x: samples of X, shape ``(n, dim_x)``; y: samples of Y, shape ``(n, dim_y)``.
        rng: source of the random partitions.

    Returns:
        ``(stderr, details)``: the standard error in nats (None when no split had two parts
        with a value) and the splits used.
    """
    n = x.shape[0]
    need = estimator.required_samples(x.shape[1], y.shape[1])
    weighted, dof, used = 0.0, 0, []
    for s in range(2, MAX_SPLITS + 1):
        m = n // s
        if m < need:
            break
        parts = rng.permutation(n)[: s * m].reshape(s, m)
        values = _values(estimator, list(parts), x, y)
        values = values[np.isfinite(values)]
        if len(values) < 2:
            continue
        weighted += (len(values) - 1) * float(np.var(values, ddof=1)) * m / n
        dof += len(values) - 1
        used.append(s)
    details = {"splits": used, "reference": "Holmes & Nemenman 2019"}
    return (math.sqrt(weighted / dof) if dof else None), details


def bootstrap_stderr(
    estimator: Estimator, x: np.ndarray, y: np.ndarray, rng: np.random.Generator
) -> tuple[float | None, dict[str, Any]]:
    """Standard error as the sd (ddof = 1) of :data:`BOOTSTRAP_RESAMPLES` estimates on
    resamples with replacement of the ``n`` rows of ``x: (n, dim_x)``, ``y: (n, dim_y)``.

    Returns:
        ``(stderr, details)``: nats (None when fewer than two resamples gave a value), and the
        number of resamples with a value.
    """
    n: int = x.shape[0]
    rows = [rng.integers(0, n, size=n) for _ in range(BOOTSTRAP_RESAMPLES)]
    values = _values(estimator, rows, x, y)
    values = values[np.isfinite(values)]
    stderr = float(np.std(values, ddof=1)) if len(values) >= 2 else None
    return stderr, {"resamples": int(len(values))}


def add_error_bar(
    estimator: Estimator, x: np.ndarray, y: np.ndarray, result: Estimate, method: str
) -> None:
    """Fill the error bar of one estimate ``result`` of ``estimator`` on ``x``, ``y``.

    ``method`` must have passed :func:`check_error_bar` (``"auto"`` resolved). A failed
    estimate gets none; so does an estimate whose method found nothing to measure (too few
    samples for two parts, no held-out readout), with the reason in its message;
    ``result.error_bar`` names the method in every case.
    """
    result.error_bar = method
    if not result.ok:
        return
    if method == "held-out":
        stderr = result.extras.pop("held_out_stderr", None)
        if stderr is None or not math.isfinite(stderr):
            no_error_bar(result, method, "the fit has no held-out evaluation")
            return
        set_interval(result, method, stderr, {"resamples": BOOTSTRAP_RESAMPLES})
        return
    rng = np.random.default_rng((_seed_of(estimator), RNG_STREAM))
    fn = subsampling_stderr if method == "subsampling" else bootstrap_stderr
    with warnings.catch_warnings():
        # The estimate on all the data has raised its warnings already.
        warnings.simplefilter("ignore")
        stderr, details = fn(estimator, x, y, rng)
    if stderr is None:
        need = estimator.required_samples(x.shape[1], y.shape[1])
        why = (
            f"fewer than two parts or resamples gave a value (n={x.shape[0]}; the others were "
            f"refused by the estimator or smaller than its {need} samples)"
        )
        no_error_bar(result, method, why)
        return
    if stderr == 0.0:
        why = "every part or resample gave the same value, so its spread measures nothing"
        no_error_bar(result, method, why)
        return
    set_interval(result, method, stderr, details)


def add_group_error_bars(
    members: Sequence[Estimator],
    xs: Sequence[np.ndarray],
    ys: Sequence[np.ndarray],
    results: Sequence[Estimate],
    method: str,
) -> None:
    """Fill the error bars of the estimates of a batched group (one per member, on its own
    ``xs[e]``, ``ys[e]``): ``"seeds"`` from the spread of the group's ok estimates, any other
    method member by member as :func:`add_error_bar`."""
    for result in results:
        result.error_bar = method
    if method != "seeds":
        for member, x, y, result in zip(members, xs, ys, results, strict=True):
            add_error_bar(member, x, y, result, method)
        return
    ok = [r for r in results if r.ok]
    if len(ok) < MIN_SEEDS:
        why = f"{len(ok)} ok member(s) in the group, {MIN_SEEDS} needed"
        for result in ok:
            no_error_bar(result, method, why)
        return
    sd = float(np.std([r.value for r in ok], ddof=1))
    for result in ok:
        set_interval(result, method, sd, {"members": len(ok)}, dof=len(ok) - 1)
