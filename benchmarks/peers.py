"""KSG-1 against other implementations of it, timed in one run: scikit-learn, NPEET and bmi.

Each case times mibench's :class:`~mibench.baselines.KSG` (k = 3) and a peer on the same
samples, interleaved (the two alternate ``repeats`` times, so that a busy machine slows both
alike), and keeps the median of the per-repeat time ratios. Both peers add a little noise to the
samples before estimating; mibench is given exactly the samples the peer estimates on (see
:func:`peer_inputs`), so the two values agree to rounding (|difference| < 1e-10 nats).

- scikit-learn's ``mutual_info_regression`` (``n_neighbors=3, random_state=0``), 1-D × 1-D:
  it divides each variable by its standard deviation, adds 1e-10 · max(1, mean |·|) · N(0, 1)
  noise and clips the estimate at 0; mibench runs with ``standardize="none", clip=True``.
- NPEET's ``mi`` (package ``npeet-plus``, ``k=3``, ``base=e`` for nats; its default is bits):
  it adds 1e-10 · U(0, 1) noise from numpy's global generator; mibench runs with
  ``standardize="none"``.
- bmi's ``KSGEnsembleFirstEstimator`` (package ``benchmark-mi``; ``neighborhoods=(3,),
  standardize=False, metric_x="chebyshev"``, the max norm of mibench's default): no noise, the
  samples as they are; mibench runs with ``standardize="none"``. It is not in the ``bench``
  extra: install it by hand with ``pip install benchmark-mi==0.1.3 jax==0.4.30
  jaxlib==0.4.30`` (pip warns that it asks for pandas < 2; its KSG runs with mibench's
  pandas).

Run with ``asv run --python=same --bench peers`` (``track_time_ratio`` is mibench's time over
the peer's, lower is better; ``track_value_difference`` the |difference| in nats); a peer that
is not installed skips its cases. ``tests/perf/test_perf_baselines.py`` asserts the ratios.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mibench.baselines import KSG

from .common import benchmark_version, harness_sample

#: The cases: label → (task, n, peer). The 1-D task is the speed anchor of speed.py.
CASES = {
    "1x1 n=1e5 sklearn": ("1v1-normal-0.75", 100_000, "sklearn"),
    "1x1 n=1e5 npeet": ("1v1-normal-0.75", 100_000, "npeet"),
    "1x1 n=1e6 sklearn": ("1v1-normal-0.75", 1_000_000, "sklearn"),
    "5x5 n=1e4 npeet": ("multinormal-dense-5-5-0.5", 10_000, "npeet"),
    "25x25 n=1e4 npeet": ("multinormal-dense-25-25-0.5", 10_000, "npeet"),
    "50x50 n=5000 bmi": ("multinormal-dense-50-50-0.5", 5000, "bmi"),
}
#: Seed of the peers' noise.
NOISE_SEED = 0


@dataclass(frozen=True)
class PeerComparison:
    """Medians over the interleaved repeats of one case.

    Attributes:
        mibench_s: mibench's seconds (median).
        peer_s: the peer's seconds (median).
        ratio: median over repeats of peer seconds / mibench seconds (> 1: mibench is faster).
        difference: |mibench value − peer value|, nats.
    """

    mibench_s: float
    peer_s: float
    ratio: float
    difference: float


def peer_installed(peer: str) -> bool:
    """Whether ``peer`` (``"sklearn"``, ``"npeet"`` or ``"bmi"``) can be imported."""
    try:
        if peer == "npeet":
            import npeet_plus  # noqa: F401
        elif peer == "bmi":
            import bmi  # noqa: F401
        else:
            import sklearn.feature_selection  # noqa: F401
    except ImportError:
        return False
    return True


def peer_inputs(peer: str, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The samples the peer estimates on, after its own scaling and noise.

    Args:
        peer: ``"sklearn"`` (``random_state`` :data:`NOISE_SEED`), ``"npeet"`` (numpy's
            global generator seeded with :data:`NOISE_SEED` just before the call) or ``"bmi"``
            (no noise: the samples themselves).
        x: shape ``(n, dim_x)`` (``(n, 1)`` for scikit-learn).
        y: shape ``(n, dim_y)`` (``(n, 1)`` for scikit-learn).

    Returns:
        ``x: (n, dim_x)`` and ``y: (n, dim_y)``, float64.
    """
    if peer == "bmi":
        return x, y
    if peer == "npeet":
        rng = np.random.RandomState(NOISE_SEED)  # the stream of np.random.seed(NOISE_SEED)
        x = x + 1e-10 * rng.random_sample(x.shape)
        return x, y + 1e-10 * rng.random_sample(y.shape)
    from sklearn.preprocessing import scale

    # as scikit-learn's mutual_info_regression does (1.3 to 1.9): x's noise first, then y's
    rng = np.random.RandomState(NOISE_SEED)
    x = scale(x, with_mean=False)
    x += 1e-10 * np.maximum(1, np.mean(np.abs(x), axis=0)) * rng.standard_normal(x.shape)
    y = scale(y[:, 0], with_mean=False)
    y += 1e-10 * np.maximum(1, np.mean(np.abs(y))) * rng.standard_normal(y.shape)
    return x, y[:, None]


def peer_estimate(peer: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """The peer's KSG-1 estimate (k = 3, nats) of ``x: (n, dim_x)``, ``y: (n, dim_y)``."""
    if peer == "npeet":
        import npeet_plus

        def npeet(x: np.ndarray, y: np.ndarray) -> float:
            np.random.seed(NOISE_SEED)  # noqa: NPY002 (NPEET draws its noise from it)
            return float(npeet_plus.mi(x, y, k=3, base=np.e))

        return npeet
    if peer == "bmi":
        import bmi

        ksg = bmi.estimators.KSGEnsembleFirstEstimator(
            neighborhoods=(3,), standardize=False, metric_x="chebyshev"
        )
        return lambda x, y: float(ksg.estimate(x, y))
    from sklearn.feature_selection import mutual_info_regression

    def sklearn(x: np.ndarray, y: np.ndarray) -> float:
        return float(mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=NOISE_SEED)[0])

    return sklearn


def compare(task_id: str, n: int, peer: str, repeats: int = 5) -> PeerComparison:
    """Time mibench's KSG-1 and the peer on the same samples, interleaved.

    Args:
        task_id: the task whose grid-cell samples (seed 0) are estimated.
        n: number of samples.
        peer: ``"sklearn"``, ``"npeet"`` or ``"bmi"``.
        repeats: timed calls of each (after one untimed warm-up call at n = 1000).

    Returns:
        A :class:`PeerComparison`.

    Raises:
        ImportError: when the peer is not installed.
    """
    x, y = harness_sample(task_id, n)
    theirs = peer_estimate(peer)
    ours = KSG(k=3, standardize="none", clip=peer == "sklearn")
    xp, yp = peer_inputs(peer, x, y)
    ours.estimate(xp[:1000], yp[:1000]), theirs(x[:1000], y[:1000])  # imports, allocator
    ours_s, peer_s = [], []
    for i in range(repeats):
        for who in ("ours", "peer") if i % 2 == 0 else ("peer", "ours"):
            start = time.perf_counter()
            if who == "ours":
                value = ours.estimate(xp, yp).value
                ours_s.append(time.perf_counter() - start)
            else:
                reference = theirs(x, y)
                peer_s.append(time.perf_counter() - start)
    return PeerComparison(
        mibench_s=float(np.median(ours_s)),
        peer_s=float(np.median(peer_s)),
        ratio=float(np.median(np.array(peer_s) / np.array(ours_s))),
        difference=abs(value - reference),
    )


class PeerSpeed:
    """mibench's KSG-1 time over a peer's, and the |difference| of their values (nats).

    All cases are measured once, in ``setup_cache`` (minutes: NPEET takes about 20 s at
    25 × 25 and scikit-learn about 45 s at n = 1e6, per call); the 1e6 case repeats 3 times,
    the others 5.
    """

    params = [list(CASES)]
    param_names = ["case"]
    version = benchmark_version(sorted({task for task, _, _ in CASES.values()}))
    timeout = 1800

    def setup_cache(self) -> dict[str, PeerComparison]:
        return {
            case: compare(task, n, peer, repeats=3 if n >= 1_000_000 else 5)
            for case, (task, n, peer) in CASES.items()
            if peer_installed(peer)
        }

    def setup(self, cache, case):
        if case not in cache:
            raise NotImplementedError(f"{CASES[case][2]} is not installed")  # asv skips it

    def track_time_ratio(self, cache, case):
        return 1.0 / cache[case].ratio

    track_time_ratio.unit = "mibench s / peer s"

    def track_value_difference(self, cache, case):
        return cache[case].difference

    track_value_difference.unit = "nats"
