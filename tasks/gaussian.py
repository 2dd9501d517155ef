"""Multivariate normal tasks with closed-form MI.

For (X, Y) jointly Gaussian with covariance Σ split into blocks Σ_XX, Σ_YY,
I(X; Y) = ½ [ln det Σ_XX + ln det Σ_YY − ln det Σ]  (Cover & Thomas 2006, §8.5).
"""

from __future__ import annotations

import numpy as np

from mibench.tasks.base import Distribution, Task


def gaussian_mi(cov: np.ndarray, dim_x: int) -> float:
    """I(X; Y) in nats for a Gaussian with covariance ``cov: (d, d)``, X = first ``dim_x`` coords.

    Uses log-determinants (``numpy.linalg.slogdet``), stable in high dimension.
    """
    cov = np.asarray(cov, dtype=np.float64)
    _, ld = np.linalg.slogdet(cov)
    _, ldx = np.linalg.slogdet(cov[:dim_x, :dim_x])
    _, ldy = np.linalg.slogdet(cov[dim_x:, dim_x:])
    return float(0.5 * (ldx + ldy - ld))


class MultivariateNormal(Distribution):
    """Zero-mean Gaussian over (X, Y) with covariance ``cov``; X is the first ``dim_x`` coords.

    Args:
        cov: symmetric positive definite matrix of shape ``(dim_x + dim_y, dim_x + dim_y)``.
        dim_x: number of coordinates belonging to X (``1 <= dim_x < d``).

    Raises:
        ValueError: when ``cov`` is not square, not symmetric, or not positive definite, or
            ``dim_x`` is out of range.
    """

    def __init__(self, cov: np.ndarray, dim_x: int) -> None:
        cov = np.asarray(cov, dtype=np.float64)
        if cov.ndim != 2 or cov.shape[0] != cov.shape[1]:
            raise ValueError(f"cov must be a square matrix, got shape {cov.shape}")
        d = cov.shape[0]
        if not 1 <= dim_x < d:
            raise ValueError(f"dim_x must be in [1, {d - 1}] for a {d}x{d} cov, got {dim_x}")
        if not np.allclose(cov, cov.T, rtol=0, atol=1e-12 * max(1.0, np.abs(cov).max())):
            raise ValueError("cov must be symmetric, got a matrix with cov != cov.T")
        try:
            self._chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            eig = np.linalg.eigvalsh(cov).min()
            raise ValueError(
                f"cov must be positive definite, got smallest eigenvalue {eig:.3g}"
            ) from None
        self.cov = cov
        self.dim_x = dim_x
        self.dim_y = d - dim_x
        self._mi = gaussian_mi(cov, dim_x)

    @property
    def mi(self) -> float:
        return self._mi

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        z = rng.standard_normal((n, self.cov.shape[0])) @ self._chol.T
        return z[:, : self.dim_x], z[:, self.dim_x :]


def _fmt(v: float) -> str:
    return repr(float(v))


def bivariate_normal(rho: float) -> Task:
    """1-D X and Y with correlation ``rho``; I = −½ ln(1 − ρ²). Id ``1v1-normal-<rho>``.

    Raises:
        ValueError: unless −1 < ``rho`` < 1.
    """
    if not -1.0 < rho < 1.0:
        raise ValueError(f"rho must be in (-1, 1), got {rho}")
    cov = np.array([[1.0, rho], [rho, 1.0]])
    return Task(
        id=f"1v1-normal-{_fmt(rho)}",
        distribution=MultivariateNormal(cov, 1),
        name=f"bivariate normal, rho={rho}",
        tags=frozenset({"gaussian"}),
        citation="Cover & Thomas (2006), Elements of Information Theory, §8.5",
    )


def dense_normal(dim: int, rho: float) -> Task:
    """X, Y of dimension ``dim`` each, unit variances, every off-diagonal correlation ``rho``.

    Id ``multinormal-dense-<dim>-<dim>-<rho>`` (Czyż et al. 2023, "Beyond Normal").

    Raises:
        ValueError: when ``dim < 1`` or the covariance is not positive definite
            (valid for −1/(2·dim − 1) < ρ < 1).
    """
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}")
    d = 2 * dim
    cov = np.full((d, d), float(rho))
    np.fill_diagonal(cov, 1.0)
    tags = {"gaussian"} | ({"high-dimensional"} if dim >= 25 else set())
    return Task(
        id=f"multinormal-dense-{dim}-{dim}-{_fmt(rho)}",
        distribution=MultivariateNormal(cov, dim),
        name=f"dense normal {dim}x{dim}, rho={rho}",
        tags=frozenset(tags),
        citation="Czyż et al. (2023), Beyond Normal: On the Evaluation of MI Estimators",
    )


def sparse_normal(dim: int, n_pairs: int = 2, strength: float = 2.0) -> Task:
    """``n_pairs`` interacting pairs corr(X_i, Y_i) = λ²/(1+λ²), everything else independent.

    With λ = ``strength`` = 2 the correlation is 0.8 and I = −n_pairs/2 · ln(1 − 0.64)
    (= 1.0217 for two pairs, at any ``dim``). Id ``multinormal-sparse-<dim>-<dim>-<k>-<λ>``
    (Czyż et al. 2023).

    Raises:
        ValueError: unless ``1 <= n_pairs <= dim``.
    """
    if not 1 <= n_pairs <= dim:
        raise ValueError(f"n_pairs must be in [1, dim={dim}], got {n_pairs}")
    corr = strength**2 / (1.0 + strength**2)
    d = 2 * dim
    cov = np.eye(d)
    for i in range(n_pairs):
        cov[i, dim + i] = cov[dim + i, i] = corr
    tags = {"gaussian"} | ({"high-dimensional"} if dim >= 25 else set())
    return Task(
        id=f"multinormal-sparse-{dim}-{dim}-{n_pairs}-{_fmt(strength)}",
        distribution=MultivariateNormal(cov, dim),
        name=f"sparse normal {dim}x{dim}, {n_pairs} pairs of corr {corr:.3g}",
        tags=frozenset(tags),
        citation="Czyż et al. (2023), Beyond Normal: On the Evaluation of MI Estimators",
    )
