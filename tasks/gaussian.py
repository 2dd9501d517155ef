"""Multivariate normal tasks with closed-form MI.

For (X, Y) jointly Gaussian with covariance Σ split into blocks Σ_XX, Σ_YY,
I(X; Y) = ½ [ln det Σ_XX + ln det Σ_YY − ln det Σ]  (Cover & Thomas 2006, §8.5).
The dense and sparse parametrisations are those of Czyż et al. (2023), "Beyond Normal: On the
Evaluation of Mutual Information Estimators"; independent correlated pairs are the Gaussian
test of Belghazi et al. (2018), "MINE: Mutual Information Neural Estimation".
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from scipy.linalg import solve_triangular

from mibench.tasks.base import Distribution, Task, family_tags, format_id
from mibench.validation import check_int, check_real

_LOG_2PI = float(np.log(2.0 * np.pi))
CITE_COVER = "Cover & Thomas (2006), Elements of Information Theory, §8.5"
CITE_BEYOND_NORMAL = (
    "Czyż et al. (2023), Beyond Normal: On the Evaluation of Mutual Information Estimators, NeurIPS"
)
CITE_MINE = "Belghazi et al. (2018), MINE: Mutual Information Neural Estimation, ICML, §5.1"


def gaussian_mi(cov: np.ndarray, dim_x: int) -> float:
    """I(X; Y) in nats for a Gaussian with covariance ``cov: (d, d)``, X = first ``dim_x`` coords.

    Uses log-determinants (``numpy.linalg.slogdet``), stable in high dimension
    (Cover & Thomas 2006, §8.5).
    """
    cov = np.asarray(cov, dtype=np.float64)
    _, ld = np.linalg.slogdet(cov)
    _, ldx = np.linalg.slogdet(cov[:dim_x, :dim_x])
    _, ldy = np.linalg.slogdet(cov[dim_x:, dim_x:])
    return float(0.5 * (ldx + ldy - ld))


class CholeskyBlocks:
    """Cholesky factors of a covariance (or dispersion) matrix and of its X and Y blocks.

    Shared by the Gaussian and Student-t families to sample and to evaluate quadratic forms.

    Args:
        cov: symmetric positive definite matrix of shape ``(d, d)``.
        dim_x: number of coordinates belonging to X (``1 <= dim_x < d``).
        arg: the argument name used in error messages.

    Raises:
        ValueError: when ``cov`` is not a finite square matrix, not symmetric, or not
            positive definite, or ``dim_x`` is out of range.
    """

    def __init__(self, cov: np.ndarray, dim_x: int, arg: str = "cov") -> None:
        cov = np.asarray(cov, dtype=np.float64)
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
            raise ValueError(f"{arg} must be a square matrix, got shape {cov.shape}")
        if not np.all(np.isfinite(cov)):
            raise ValueError(f"{arg} must have finite entries")
        d = cov.shape[0]
        if isinstance(dim_x, bool) or not isinstance(dim_x, (int, np.integer)):
            raise ValueError(f"dim_x must be an integer, got {dim_x!r}")
        if not 1 <= dim_x < d:
            raise ValueError(f"dim_x must be in [1, {d - 1}] for a {d}x{d} {arg}, got {dim_x}")
        if not np.allclose(cov, cov.T, rtol=0, atol=1e-12 * max(1.0, np.abs(cov).max())):
            raise ValueError(f"{arg} must be symmetric, got a matrix with {arg} != {arg}.T")
        try:
            self.chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            eig = np.linalg.eigvalsh(cov).min()
            raise ValueError(
                f"{arg} must be positive definite, got smallest eigenvalue {eig:.3g}"
            ) from None
        self.cov = cov
        self.dim_x = int(dim_x)

    @cached_property
    def _factors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = self.dim_x
        return self.chol, np.linalg.cholesky(self.cov[:d, :d]), np.linalg.cholesky(self.cov[d:, d:])

    @cached_property
    def logdets(self) -> tuple[float, float, float]:
        """``(ln det Σ, ln det Σ_XX, ln det Σ_YY)`` from the Cholesky diagonals."""
        ld, ld_x, ld_y = (2.0 * float(np.log(np.diag(c)).sum()) for c in self._factors)
        return ld, ld_x, ld_y

    @cached_property
    def _whiten(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        # Transposed inverse factors: ‖L⁻¹v‖² = ‖vᵀ L⁻ᵀ‖², one matrix product per block.
        w, w_x, w_y = (solve_triangular(c, np.eye(c.shape[0]), lower=True).T for c in self._factors)
        return w, w_x, w_y

    def quadratic_forms(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mahalanobis forms ``(zᵀΣ⁻¹z, xᵀΣ_XX⁻¹x, yᵀΣ_YY⁻¹y)``, ``z = [x, y]``, each ``(n,)``."""
        z = np.concatenate([x, y], axis=1)
        return tuple(
            np.square(v @ w).sum(axis=1) for v, w in zip((z, x, y), self._whiten, strict=True)
        )


class MultivariateNormal(Distribution):
    """Gaussian over (X, Y) with covariance ``cov``; X is the first ``dim_x`` coordinates.

    Args:
        cov: symmetric positive definite matrix of shape ``(dim_x + dim_y, dim_x + dim_y)``.
        dim_x: number of coordinates belonging to X (``1 <= dim_x < d``).
        mean: optional mean of shape ``(d,)`` (zero by default); it does not change the MI.

    Raises:
        ValueError: when ``cov`` is not square, finite, symmetric and positive definite,
            ``dim_x`` is out of range, or ``mean`` has the wrong shape.
    """

    def __init__(self, cov: np.ndarray, dim_x: int, mean: np.ndarray | None = None) -> None:
        self.blocks = CholeskyBlocks(cov, dim_x)
        self.cov = self.blocks.cov
        d = self.cov.shape[0]
        self.dim_x = int(dim_x)
        self.dim_y = d - self.dim_x
        if mean is not None:
            mean = np.asarray(mean, dtype=np.float64)
            if mean.shape != (d,) or not np.all(np.isfinite(mean)):
                raise ValueError(f"mean must be a finite vector of shape ({d},), got {mean!r}")
        self.mean = mean
        self._mi = gaussian_mi(self.cov, self.dim_x)

    @property
    def mi(self) -> float:
        return self._mi

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        z = rng.standard_normal((n, self.cov.shape[0])) @ self.blocks.chol.T
        if self.mean is not None:
            z += self.mean
        return z[:, : self.dim_x], z[:, self.dim_x :]

    def log_densities(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.mean is not None:
            x, y = x - self.mean[: self.dim_x], y - self.mean[self.dim_x :]
        dims = (self.dim_x + self.dim_y, self.dim_x, self.dim_y)
        forms = self.blocks.quadratic_forms(x, y)
        joint, marginal_x, marginal_y = (
            -0.5 * (q + ld + k * _LOG_2PI)
            for q, ld, k in zip(forms, self.blocks.logdets, dims, strict=True)
        )
        return joint, marginal_x, marginal_y

    def product_of_marginals(self) -> MultivariateNormal:
        """The Gaussian with the same X and Y marginals and independent X, Y (MI = 0)."""
        cov = self.cov.copy()
        cov[: self.dim_x, self.dim_x :] = 0.0
        cov[self.dim_x :, : self.dim_x] = 0.0
        return MultivariateNormal(cov, self.dim_x, self.mean)


class CorrelatedPairs(Distribution):
    """``dim`` independent pairs (X_i, Y_i) of standard normals with corr(X_i, Y_j) = δ_ij ρ.

    Sampled as ``y = ρ x + s ε`` with ``s = sqrt(1 − ρ²)``, in O(n·dim), so it stays exact
    and fast at high MI and high dimension. I = −dim · ln s = −(dim/2) ln(1 − ρ²)
    (Belghazi et al. 2018, §5.1).

    Args:
        dim: number of pairs (``dim_x = dim_y = dim``).
        rho: the correlation, −1 < ρ < 1.

    Raises:
        ValueError: when ``dim < 1`` or ρ is not in (−1, 1).
    """

    def __init__(self, dim: int, rho: float) -> None:
        _check_dim(dim, "dim")
        if not -1.0 < rho < 1.0:
            raise ValueError(f"rho must be in (-1, 1), got {rho}")
        self.dim_x = self.dim_y = int(dim)
        self.rho = float(rho)
        self.noise = float(np.sqrt((1.0 - rho) * (1.0 + rho)))

    @classmethod
    def with_mi(cls, dim: int, mi: float) -> CorrelatedPairs:
        """The positive ρ giving I = ``mi`` nats: ρ = sqrt(1 − exp(−2·mi/dim)).

        Raises:
            ValueError: when ``mi < 0`` or ``dim < 1``.
        """
        _check_dim(dim, "dim")
        mi = check_real("mi", mi, 0)
        pairs = cls(dim, 0.0)
        # Set from mi directly: exact where sqrt(1 - rho^2) would lose digits (rho near 1).
        pairs.rho = float(np.sqrt(-np.expm1(-2.0 * mi / dim)))
        pairs.noise = float(np.exp(-mi / dim))
        return pairs

    @property
    def mi(self) -> float:
        return -self.dim_x * float(np.log(self.noise))

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((n, self.dim_x))
        y = self.rho * x + self.noise * rng.standard_normal((n, self.dim_x))
        return x, y

    def log_densities(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d = self.dim_x
        lx = -0.5 * (np.square(x).sum(axis=1) + d * _LOG_2PI)
        ly = -0.5 * (np.square(y).sum(axis=1) + d * _LOG_2PI)
        resid = (y - self.rho * x) / self.noise
        ly_given_x = -0.5 * (np.square(resid).sum(axis=1) + d * _LOG_2PI) - d * np.log(self.noise)
        return lx + ly_given_x, lx, ly


#: The largest dimension of X or of Y: a dense Gaussian task holds a (dim_x + dim_y)² covariance
#: and its Cholesky factor, 3.2 GB in float64 at 2 × 10,000.
MAX_DIM = 10_000


def _check_dim(v: object, arg: str) -> None:
    """Refuse a dimension that is not an int >= 1, or that exceeds :data:`MAX_DIM`."""
    v = check_int(arg, v, 1)
    if v > MAX_DIM:
        raise ValueError(
            f"{arg} must be at most {MAX_DIM:,}, got {v:,}: the task's covariance matrix alone "
            f"would take {8 * (2 * v) ** 2 / 1e9:,.0f} GB or more"
        )


def dense_cov(dim_x: int, dim_y: int, rho: float) -> np.ndarray:
    """Unit variances and every off-diagonal correlation ``rho``: shape ``(dim_x+dim_y,)*2``.

    Positive definite for −1/(dim_x + dim_y − 1) < ρ < 1 (Czyż et al. 2023).

    Raises:
        ValueError: when a dimension is not a positive integer.
    """
    _check_dim(dim_x, "dim_x")
    _check_dim(dim_y, "dim_y")
    d = dim_x + dim_y
    cov = np.full((d, d), float(rho))
    np.fill_diagonal(cov, 1.0)
    return cov


def sparse_cov(dim_x: int, dim_y: int, n_pairs: int, strength: float) -> np.ndarray:
    """``n_pairs`` pairs corr(X_i, Y_i) = λ²/(1 + λ²) with λ = ``strength``; identity elsewhere.

    Raises:
        ValueError: unless ``1 <= n_pairs <= min(dim_x, dim_y)``.
    """
    _check_dim(dim_x, "dim_x")
    _check_dim(dim_y, "dim_y")
    if (
        isinstance(n_pairs, bool)
        or not isinstance(n_pairs, (int, np.integer))
        or not (1 <= n_pairs <= min(dim_x, dim_y))
    ):
        raise ValueError(f"n_pairs must be an integer in [1, {min(dim_x, dim_y)}], got {n_pairs}")
    corr = strength**2 / (1.0 + strength**2)
    cov = np.eye(dim_x + dim_y)
    for i in range(n_pairs):
        cov[i, dim_x + i] = cov[dim_x + i, i] = corr
    return cov


def bivariate_normal(rho: float) -> Task:
    """1-D X and Y with correlation ``rho``; I = −½ ln(1 − ρ²). Id ``1v1-normal-<rho>``.

    Raises:
        ValueError: unless −1 < ``rho`` < 1.
    """
    if not -1.0 < rho < 1.0:
        raise ValueError(f"rho must be in (-1, 1), got {rho}")
    cov = np.array([[1.0, rho], [rho, 1.0]])
    return Task(
        id=format_id("1v1-normal", float(rho)),
        distribution=MultivariateNormal(cov, 1),
        name=f"bivariate normal, rho={rho}",
        tags=family_tags("gaussian", dim_x=1, dim_y=1, independent=rho == 0),
        citation=CITE_COVER,
    )


def dense_normal(dim_x: int, dim_y: int, rho: float) -> Task:
    """Unit variances, every off-diagonal correlation ``rho`` (:func:`dense_cov`).

    For dim_x = dim_y = d: I = ½[−ln(1−ρ) + 2 ln(1+(d−1)ρ) − ln(1+(2d−1)ρ)].
    Id ``multinormal-dense-<dim_x>-<dim_y>-<rho>`` (Czyż et al. 2023).

    Raises:
        ValueError: when a dimension is not positive or the covariance is not positive
            definite (valid for −1/(dim_x + dim_y − 1) < ρ < 1).
    """
    return Task(
        id=format_id("multinormal-dense", dim_x, dim_y, float(rho)),
        distribution=MultivariateNormal(dense_cov(dim_x, dim_y, rho), dim_x),
        name=f"dense normal {dim_x}x{dim_y}, rho={rho}",
        tags=family_tags("gaussian", dim_x=dim_x, dim_y=dim_y, independent=rho == 0),
        citation=CITE_BEYOND_NORMAL,
    )


def sparse_normal(dim_x: int, dim_y: int, n_pairs: int = 2, strength: float = 2.0) -> Task:
    """``n_pairs`` interacting pairs corr(X_i, Y_i) = λ²/(1+λ²), the rest independent.

    With λ = ``strength`` = 2 the correlation is 0.8 and I = −(n_pairs/2) ln(1 − 0.64)
    (= 1.0217 for two pairs, at any dimension). Id
    ``multinormal-sparse-<dim_x>-<dim_y>-<n_pairs>-<strength>`` (Czyż et al. 2023).

    Raises:
        ValueError: unless ``1 <= n_pairs <= min(dim_x, dim_y)``.
    """
    cov = sparse_cov(dim_x, dim_y, n_pairs, strength)
    return Task(
        id=format_id("multinormal-sparse", dim_x, dim_y, n_pairs, float(strength)),
        distribution=MultivariateNormal(cov, dim_x),
        name=f"sparse normal {dim_x}x{dim_y}, {n_pairs} pairs of corr {cov[0, dim_x]:.3g}",
        tags=family_tags("gaussian", dim_x=dim_x, dim_y=dim_y, independent=strength == 0),
        citation=CITE_BEYOND_NORMAL,
    )


def independent_normal(dim_x: int, dim_y: int) -> Task:
    """Independent standard normal X and Y (MI = 0), a control of any dimension.

    Id ``multinormal-identity-<dim_x>-<dim_y>``.

    Raises:
        ValueError: when a dimension is not a positive integer.
    """
    _check_dim(dim_x, "dim_x")
    _check_dim(dim_y, "dim_y")
    return Task(
        id=format_id("multinormal-identity", dim_x, dim_y),
        distribution=MultivariateNormal(np.eye(dim_x + dim_y), dim_x),
        name=f"independent normal {dim_x}x{dim_y}",
        tags=family_tags("gaussian", dim_x=dim_x, dim_y=dim_y, independent=True),
        citation=CITE_COVER,
    )


def correlated_pairs(dim: int, rho: float) -> Task:
    """``dim`` independent pairs with corr(X_i, Y_j) = δ_ij ρ; I = −(dim/2) ln(1 − ρ²).

    The Gaussian test of the MINE paper (Belghazi et al. 2018). Id
    ``multinormal-pairs-<dim>-<rho>``.

    Raises:
        ValueError: when ``dim < 1`` or ρ is not in (−1, 1).
    """
    return Task(
        id=format_id("multinormal-pairs", dim, float(rho)),
        distribution=CorrelatedPairs(dim, rho),
        name=f"{dim} correlated normal pairs, rho={rho}",
        tags=family_tags("gaussian", dim_x=dim, dim_y=dim, independent=rho == 0),
        citation=CITE_MINE,
    )


def correlated_pairs_with_mi(dim: int, mi: float) -> Task:
    """``dim`` independent correlated pairs with total MI ``mi`` nats.

    ρ = sqrt(1 − exp(−2·mi/dim)) (Belghazi et al. 2018). Id ``multinormal-pairs-mi-<dim>-<mi>``.

    Raises:
        ValueError: when ``dim < 1`` or ``mi < 0``.
    """
    dist = CorrelatedPairs.with_mi(dim, mi)
    return Task(
        id=format_id("multinormal-pairs-mi", dim, float(mi)),
        distribution=dist,
        name=f"{dim} correlated normal pairs, MI={mi} nats (rho={dist.rho:.6g})",
        tags=family_tags("gaussian", dim_x=dim, dim_y=dim, independent=mi == 0),
        citation=CITE_MINE,
    )


def gaussian_task(cov: np.ndarray, dim_x: int, mean: np.ndarray | None = None) -> Task:
    """A Gaussian task with any valid covariance; MI by :func:`gaussian_mi`.

    Its id is the placeholder ``multinormal-custom``: give it a real one with
    ``dataclasses.replace(task, id=...)`` before registering it.

    Raises:
        ValueError: see :class:`MultivariateNormal`.
    """
    dist = MultivariateNormal(cov, dim_x, mean)
    return Task(
        id="multinormal-custom",
        distribution=dist,
        name=f"normal {dist.dim_x}x{dist.dim_y}, custom covariance",
        tags=family_tags("gaussian", dim_x=dist.dim_x, dim_y=dist.dim_y, independent=dist.mi == 0),
        citation=CITE_COVER,
    )
