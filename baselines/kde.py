"""Kernel density (KDE) estimator of mutual information, as in bmi (Czyż et al. 2023).

The densities p(x, y), p(x) and p(y) are each estimated by a Gaussian kernel density with an
isotropic kernel N(0, h² I) on the (by default z-scored) samples, each with its own bandwidth,
and the MI is the mean log-ratio at the samples themselves (resubstitution):

    Î = (1/n) Σ_i [ln p̂_XY(x_i, y_i) − ln p̂_X(x_i) − ln p̂_Y(y_i)],
    p̂_Z(z) = (1/n) Σ_j φ_h(z − z_j),   φ_h(u) = (2π h²)^(−d/2) exp(−|u|² / (2h²)),

that is Ĥ(X) + Ĥ(Y) − Ĥ(X, Y) with the resubstitution entropies Ĥ(Z) = −(1/n) Σ_i ln p̂_Z(z_i)
(Ahmad & Lin 1976; Moon, Rajagopalan & Lall 1995 for MI). The bandwidth of a block of d columns
follows scikit-learn's ``KernelDensity`` rules, which bmi uses: Scott's h = n^(−1/(d + 4))
(the default) or Silverman's h = (n (d + 2) / 4)^(−1/(d + 4)), or a fixed h; on z-scored data
these are the usual rules for unit-sd columns (Scott 1992, "Multivariate Density Estimation",
eq. 6.42; Silverman 1986, eq. 4.14), with the kernel isotropic rather than shaped by the
sample covariance as in ``scipy.stats.gaussian_kde``.

This is bmi's ``KDEMutualInformationEstimator(kernel_xy="gaussian")`` (src/bmi/estimators/
_kde.py: ``StandardScaler`` on x and on y, then one ``KernelDensity`` per density, fitted and
scored on the same samples); bmi's own default kernel is ``"tophat"``. Beyond bmi, leave-one-
out evaluation drops the i-th kernel at z_i and divides by n − 1, which removes the self term
φ_h(0)/n that biases resubstitution upward in the joint space (dimension d_x + d_y, where
φ_h(0) = (2π h²)^(−d/2) is largest).

The sums over kernels are log-sum-exps over chunks of rows, so memory stays O(chunk · n) and
the cost O(n² (d_x + d_y)).
"""

from __future__ import annotations

import math
import warnings
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from mibench.estimate import Estimate
from mibench.preprocessing import standardize, standardize_method
from mibench.validation import check_bool, check_choice, check_real

from .base import BaselineEstimator
from .preprocess import constant_columns, dependent_columns

#: Accepted bandwidth rules (besides a fixed positive bandwidth).
BANDWIDTH_RULES = ("scott", "silverman")
#: Accepted values of ``standardize``: ranks 1..n (the kNN estimators' ``"rank"``) would put
#: kernels of sd below 1 on a lattice of spacing 1, so it is not offered.
KDE_STANDARDIZATIONS = ("zscore", "none")
#: Elements (rows × samples) of one block of kernel evaluations: 2²² float64 = 32 MiB.
CHUNK_ELEMENTS = 1 << 22


def kde_bandwidth(n: int, d: int, bandwidth: str | float) -> float:
    """Kernel sd h of a block of ``d`` columns and ``n`` samples.

    Args:
        n: number of samples.
        d: number of columns of the block.
        bandwidth: ``"scott"`` (n^(−1/(d + 4))), ``"silverman"`` ((n (d + 2) / 4)^(−1/(d + 4)))
            or a positive number, returned as it is (scikit-learn's ``KernelDensity`` rules).

    Returns:
        h > 0, in the units of the (standardised) data.
    """
    if bandwidth == "scott":
        return float(n ** (-1.0 / (d + 4)))
    if bandwidth == "silverman":
        return float((n * (d + 2) / 4.0) ** (-1.0 / (d + 4)))
    return float(bandwidth)


def gaussian_kde_log_density(
    z: np.ndarray, h: float, *, leave_one_out: bool = False, chunk_elements: int = CHUNK_ELEMENTS
) -> np.ndarray:
    """ln p̂(z_i) at every sample of the isotropic Gaussian KDE fitted on the same samples.

    ln p̂(z_i) = logsumexp_j(−|z_i − z_j|² / (2h²)) − ln m − (d/2) ln(2π h²), with j over all
    n samples and m = n (resubstitution), or over j ≠ i and m = n − 1 (leave-one-out).

    Args:
        z: samples, shape ``(n, d)``, float64; n >= 2 for leave-one-out.
        h: kernel sd, > 0.
        leave_one_out: drop the i-th kernel when evaluating at z_i.
        chunk_elements: the most kernel evaluations held at once (rows per chunk times n).

    Returns:
        Shape ``(n,)``, natural-log densities.
    """
    n, d = z.shape
    sq = np.einsum("ij,ij->i", z, z)
    rows = max(1, chunk_elements // max(n, 1))
    out = np.empty(n)
    scale = -0.5 / (h * h)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        d2 = z[start:stop] @ z.T
        d2 *= -2.0
        d2 += sq[start:stop, None]
        d2 += sq[None, :]
        np.maximum(d2, 0.0, out=d2)
        idx = np.arange(stop - start)
        # The self distance is exactly 0; the expansion above leaves rounding there.
        d2[idx, idx + start] = np.inf if leave_one_out else 0.0
        # log-sum-exp shifted by the nearest kernel (distance 0 under resubstitution).
        nearest = d2.min(axis=1)
        d2 -= nearest[:, None]
        d2 *= scale
        np.exp(d2, out=d2)
        out[start:stop] = np.log(d2.sum(axis=1)) + scale * nearest
    m = n - 1 if leave_one_out else n
    return out - math.log(m) - 0.5 * d * math.log(2.0 * math.pi * h * h)


class KDE(BaselineEstimator):
    """Kernel density estimator of I(X; Y) in nats: Gaussian kernels, resubstitution by
    default (bmi's KDE estimator with a Gaussian kernel; see the module docstring).

    Î = mean_i [ln p̂_XY(x_i, y_i) − ln p̂_X(x_i) − ln p̂_Y(y_i)], each p̂ an isotropic Gaussian
    KDE with its own bandwidth h (Scott's n^(−1/(d + 4)) by default, d the block's columns).

    Input: ``x: (n, dim_x)``, ``y: (n, dim_y)``. Constant columns are dropped with a warning
    (I(X; Y) is unchanged, but each would add ln φ_h(0) with a different h to the joint and to
    the marginal log-densities); a block with only constant columns gives 0. ``extras``
    records ``bandwidth`` (the rule), ``h_x``, ``h_y``, ``h_xy`` (the kernel sds used),
    ``leave_one_out``, ``standardize``, ``entropy_x``, ``entropy_y``, ``entropy_xy`` (the
    resubstitution or leave-one-out entropies, nats, of the standardised data) and the
    dropped constant columns.

    Args:
        bandwidth: ``"scott"`` (default), ``"silverman"`` or a positive number, the kernel sd
            h used for all three densities (in standardised units when ``standardize`` is
            ``"zscore"``); see :func:`kde_bandwidth`.
        leave_one_out: evaluate p̂(z_i) without the i-th kernel (normalised by n − 1) instead
            of by resubstitution (default False, as bmi).
        standardize: ``"zscore"`` (default; each column centred and scaled to sd 1 with
            ddof = 0, as bmi's ``StandardScaler``) or ``"none"``.
        error_bar: ``None`` or ``"subsampling"`` (fills ``Estimate.stderr``).
        seed: seed of the error bar's random partitions; None (default) uses 0.

    Raises:
        ValueError: for bad input, or a hyperparameter out of range (naming it).

    Warns:
        RuntimeWarning: for constant columns, and for (x, y) rows that repeat exactly (a copy
            sits at distance 0 from its twin: under leave-one-out it restores the left-out
            self kernel, under resubstitution it doubles it, and either inflates the joint
            density, and so the estimate, most).
    """

    name: ClassVar[str] = "kde"
    source: ClassVar[str] = "Moon, Rajagopalan & Lall (1995); as bmi (Czyż et al. 2023)"
    #: A resample with replacement copies points: the copies sit at distance 0, which undoes
    #: leave-one-out and multiplies the self kernel of resubstitution. On 2000 samples of
    #: multinormal-dense-2-2-0.5 (seed 0) bootstrap resamples average 0.06 nats above the
    #: resubstitution estimate (0.37) and 0.09 above the leave-one-out one (0.26), so the
    #: bootstrap is refused, as for the kNN estimators; subsampling keeps the points distinct.
    error_bars: ClassVar[tuple[str, ...]] = ("subsampling",)

    def __init__(
        self,
        bandwidth: str | float = "scott",
        leave_one_out: bool = False,
        standardize: str = "zscore",
        error_bar: str | None = None,
        seed: int | None = None,
    ) -> None:
        self.bandwidth = bandwidth
        self.leave_one_out = leave_one_out
        self.standardize = standardize
        self.error_bar = error_bar
        self.seed = seed
        self._check_params()

    def _check_params(self) -> None:
        super()._check_params()
        if isinstance(self.bandwidth, str):
            check_choice("bandwidth", self.bandwidth, BANDWIDTH_RULES)
        elif isinstance(self.bandwidth, bool) or not isinstance(self.bandwidth, Real):
            raise ValueError(
                f"bandwidth must be one of {list(BANDWIDTH_RULES)} or a finite number > 0, "
                f"got {self.bandwidth!r}"
            )
        else:
            check_real("bandwidth", self.bandwidth, 0, low_open=True)
        check_bool("leave_one_out", self.leave_one_out)
        standardize_method(self.standardize, KDE_STANDARDIZATIONS)

    def _point(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        n = x.shape[0]
        extras: dict[str, Any] = {
            "estimator": "kde (leave-one-out)" if self.leave_one_out else "kde (resubstitution)",
            "bandwidth": self.bandwidth,
            "leave_one_out": self.leave_one_out,
            "standardize": standardize_method(self.standardize, KDE_STANDARDIZATIONS),
            "units": "nats",
            "reference": "Gaussian KDE plug-in as in bmi (Czyż et al. 2023)",
        }
        blocks: dict[str, np.ndarray] = {}
        dropped: dict[str, list[int]] = {}
        dependent: dict[str, list[int]] = {}
        for name, a in (("x", x), ("y", y)):
            a = standardize(a, standardize_method(self.standardize, KDE_STANDARDIZATIONS))
            dropped[name] = constant_columns(a)
            if dropped[name]:
                warnings.warn(
                    f"{name} has constant column(s) {dropped[name]}: dropped, the MI is "
                    "unchanged (kde gives 0 when all columns are constant)",
                    RuntimeWarning,
                    stacklevel=5,
                )
            kept = np.setdiff1d(np.arange(a.shape[1]), dropped[name])
            a = a[:, kept]
            # A column that is a linear combination of the others (a duplicated column) adds
            # no information but would change every kernel's dimension and bandwidth.
            dependent[name] = [int(kept[c]) for c in dependent_columns(a, [])]
            if dependent[name]:
                warnings.warn(
                    f"{name} has column(s) {dependent[name]} that are linear combinations of "
                    "the other columns: dropped, the MI is unchanged",
                    RuntimeWarning,
                    stacklevel=5,
                )
            blocks[name] = a[:, np.isin(kept, dependent[name], invert=True)]
        extras["dropped_constant_columns"] = dropped
        extras["dropped_dependent_columns"] = dependent
        constant = [b for b in ("x", "y") if blocks[b].shape[1] == 0]
        if constant:
            return Estimate(
                value=0.0, message=f"{' and '.join(constant)} constant: I(X; Y) = 0", extras=extras
            )
        xy = np.hstack([blocks["x"], blocks["y"]])
        _, counts = np.unique(xy, axis=0, return_counts=True)
        repeated = int(counts[counts > 1].sum())
        extras["repeated_points"] = repeated
        if repeated:
            how = "restores the left-out kernel" if self.leave_one_out else "adds a self kernel"
            warnings.warn(
                f"{repeated} of {n} samples are exact copies of another (x, y) sample; each "
                f"copy sits at distance 0 from its twin, which {how} and biases the kde "
                "estimate upward (most in the joint density); remove the repeated rows or use "
                "a discrete estimator such as histogram",
                RuntimeWarning,
                stacklevel=5,
            )
        entropies = {}
        for name, a in (("x", blocks["x"]), ("y", blocks["y"]), ("xy", xy)):
            h = kde_bandwidth(n, a.shape[1], self.bandwidth)
            extras[f"h_{name}"] = h
            log_p = gaussian_kde_log_density(a, h, leave_one_out=self.leave_one_out)
            entropies[name] = -float(np.mean(log_p))
            extras[f"entropy_{name}"] = entropies[name]
        value = entropies["x"] + entropies["y"] - entropies["xy"]
        return Estimate(value=value, extras=extras)
