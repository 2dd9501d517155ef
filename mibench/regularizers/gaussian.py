"""Gaussian closed forms shared by the training benchmarks: checked arrays, log-determinants,
the KL divergence of two multivariate normals (all float64, nats)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def as_matrix(name: str, value: ArrayLike, shape: tuple[int, int]) -> NDArray[np.float64]:
    """``value`` as a finite float64 matrix of ``shape``.

    Raises:
        ValueError: naming ``name`` for another shape or a non-finite entry.
    """
    a = np.asarray(value, dtype=np.float64)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    return a


def as_vector(name: str, value: ArrayLike, dim: int) -> NDArray[np.float64]:
    """``value`` as a finite float64 vector of shape ``(dim,)``.

    Raises:
        ValueError: naming ``name`` for another shape or a non-finite entry.
    """
    a = np.asarray(value, dtype=np.float64)
    if a.shape != (dim,):
        raise ValueError(f"{name} must have shape ({dim},), got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    return a


def as_covariance(name: str, value: ArrayLike, dim: int) -> NDArray[np.float64]:
    """``value`` as a symmetric positive definite ``(dim, dim)`` float64 matrix (symmetrised).

    Raises:
        ValueError: naming ``name`` for another shape, a non-finite entry, asymmetry beyond
            1e−12 relative, or a matrix that is not positive definite.
    """
    a = as_matrix(name, value, (dim, dim))
    scale = max(1.0, float(np.max(np.abs(a))))
    if not np.allclose(a, a.T, rtol=0.0, atol=1e-12 * scale):
        raise ValueError(f"{name} must be symmetric")
    try:
        np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name} must be positive definite") from None
    return (a + a.T) / 2.0


def logdet(a: NDArray[np.float64]) -> float:
    """ln det of a symmetric positive definite matrix ``a: (k, k)``, through its Cholesky factor.

    Raises:
        ValueError: when ``a`` is not positive definite.
    """
    try:
        factor = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise ValueError("the matrix is not positive definite") from None
    return 2.0 * float(np.sum(np.log(np.diag(factor))))


def gaussian_kl(mean0: ArrayLike, cov0: ArrayLike, mean1: ArrayLike, cov1: ArrayLike) -> float:
    """KL(N(m0, S0) ‖ N(m1, S1)) in nats, in float64.

    ½ [tr(S1⁻¹S0) + (m1 − m0)ᵀ S1⁻¹ (m1 − m0) − k + ln det S1 − ln det S0], the divergence of
    two multivariate normals (Kullback 1959), log-determinants through Cholesky factors.

    Args:
        mean0, mean1: shape ``(k,)``.
        cov0, cov1: shape ``(k, k)``, symmetric positive definite.

    Raises:
        ValueError: naming the argument with a wrong shape, a non-finite entry, or a covariance
            that is not symmetric positive definite.
    """
    m0 = np.asarray(mean0, dtype=np.float64)
    k = m0.shape[0] if m0.ndim == 1 else -1
    m0 = as_vector("mean0", m0, k)
    m1 = as_vector("mean1", mean1, k)
    s0 = as_covariance("cov0", cov0, k)
    s1 = as_covariance("cov1", cov1, k)
    diff = m1 - m0
    trace = float(np.trace(np.linalg.solve(s1, s0)))
    maha = float(diff @ np.linalg.solve(s1, diff))
    return 0.5 * (trace + maha - k + logdet(s1) - logdet(s0))
