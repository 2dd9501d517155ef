"""Multivariate Student-t tasks: heavy tails with closed-form MI.

For (X, Y) multivariate Student-t with ν degrees of freedom and dispersion Σ,
I(X; Y) = I_Gauss(Σ) + h(d_x) + h(d_y) − h(d_x + d_y), where the entropy of a k-dimensional
t is H = ½ ln det Σ + h(k) with
h(k) = −ln Γ((ν+k)/2) + ln Γ(ν/2) + (k/2) ln(νπ) + ((ν+k)/2)[ψ((ν+k)/2) − ψ(ν/2)]
(Arellano-Valle, Contreras-Reyes & Genton 2013, "Shannon entropy and mutual information for
multivariate skew-elliptical distributions", Scand. J. Stat.). Even with identity dispersion
X and Y are dependent through their shared scale.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln

from mibench.tasks.base import Distribution, Task, family_tags, format_id
from mibench.tasks.gaussian import CholeskyBlocks, dense_cov, gaussian_mi, sparse_cov
from mibench.validation import check_real

CITE_STUDENT = (
    "Arellano-Valle, Contreras-Reyes & Genton (2013), Shannon entropy and mutual information "
    "for multivariate skew-elliptical distributions, Scand. J. Stat.; tasks from Czyż et al. "
    "(2023), Beyond Normal"
)


def _entropy_term(k: int, nu: float) -> float:
    """h(k): entropy in nats of the standard k-dimensional t (identity dispersion)."""
    half = 0.5 * (nu + k)
    return float(
        -gammaln(half)
        + gammaln(0.5 * nu)
        + 0.5 * k * np.log(nu * np.pi)
        + half * (digamma(half) - digamma(0.5 * nu))
    )


def student_t_entropy(dispersion: np.ndarray, nu: float) -> float:
    """Differential entropy in nats of a multivariate t with dispersion ``(k, k)`` and ν dof.

    H = ½ ln det Σ + h(k) (Arellano-Valle et al. 2013).

    Raises:
        ValueError: when ``dispersion`` is not a square positive definite matrix or ν ≤ 0.
    """
    nu = check_real("nu", nu, 0, low_open=True)
    dispersion = np.atleast_2d(np.asarray(dispersion, dtype=np.float64))
    sign, logdet = np.linalg.slogdet(dispersion)
    if dispersion.shape[0] != dispersion.shape[1] or sign <= 0:
        raise ValueError("dispersion must be a square positive definite matrix")
    return 0.5 * float(logdet) + _entropy_term(dispersion.shape[0], nu)


def student_t_mi_correction(dim_x: int, dim_y: int, nu: float) -> float:
    """c = h(dim_x) + h(dim_y) − h(dim_x + dim_y) ≥ 0: MI in nats added to the Gaussian MI.

    Raises:
        ValueError: when ν ≤ 0.
    """
    nu = check_real("nu", nu, 0, low_open=True)
    return _entropy_term(dim_x, nu) + _entropy_term(dim_y, nu) - _entropy_term(dim_x + dim_y, nu)


class MultivariateStudentT(Distribution):
    """Zero-location multivariate Student-t over (X, Y); X is the first ``dim_x`` coordinates.

    Sampled as z / sqrt(w / ν) with z ~ N(0, Σ) and w ~ χ²_ν. Its X and Y marginals are t
    with the same ν and the diagonal blocks of Σ.

    Args:
        dispersion: symmetric positive definite matrix Σ, shape ``(d, d)``.
        dim_x: number of coordinates belonging to X (``1 <= dim_x < d``).
        nu: degrees of freedom, ν > 0 (ν = 1 is the multivariate Cauchy).

    Raises:
        ValueError: when Σ is not symmetric positive definite, ``dim_x`` is out of range or
            ν ≤ 0.
    """

    def __init__(self, dispersion: np.ndarray, dim_x: int, nu: float) -> None:
        self.nu = check_real("nu", nu, 0, low_open=True)
        self.blocks = CholeskyBlocks(dispersion, dim_x, arg="dispersion")
        self.dispersion = self.blocks.cov
        self.dim_x = int(dim_x)
        self.dim_y = self.dispersion.shape[0] - self.dim_x
        self._mi = gaussian_mi(self.dispersion, self.dim_x) + student_t_mi_correction(
            self.dim_x, self.dim_y, self.nu
        )

    @property
    def mi(self) -> float:
        return self._mi

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        z = rng.standard_normal((n, self.dispersion.shape[0])) @ self.blocks.chol.T
        z /= np.sqrt(rng.chisquare(self.nu, size=n) / self.nu)[:, None]
        return z[:, : self.dim_x], z[:, self.dim_x :]

    def log_densities(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        nu = self.nu
        dims = (self.dim_x + self.dim_y, self.dim_x, self.dim_y)
        out = []
        for q, ld, k in zip(
            self.blocks.quadratic_forms(x, y), self.blocks.logdets, dims, strict=True
        ):
            const = gammaln(0.5 * (nu + k)) - gammaln(0.5 * nu) - 0.5 * k * np.log(nu * np.pi)
            out.append(const - 0.5 * ld - 0.5 * (nu + k) * np.log1p(q / nu))
        return tuple(out)


def _nu_part(nu: float) -> int | float:
    """ν as it appears in ids: an integer when it is one (``student-identity-2-2-1``)."""
    nu = check_real("nu", nu, 0, low_open=True)
    return int(nu) if nu.is_integer() else nu


def _student_task(task_id: str, dispersion: np.ndarray, dim_x: int, nu: float, name: str) -> Task:
    dist = MultivariateStudentT(dispersion, dim_x, nu)
    return Task(
        id=task_id,
        distribution=dist,
        name=f"Student-t {dist.dim_x}x{dist.dim_y}, nu={nu}, {name}",
        tags=family_tags("heavy-tailed", dim_x=dist.dim_x, dim_y=dist.dim_y),
        citation=CITE_STUDENT,
    )


def student_identity(dim_x: int, dim_y: int, nu: float) -> Task:
    """Student-t with identity dispersion; I = h(d_x) + h(d_y) − h(d_x + d_y) > 0.

    Id ``student-identity-<dim_x>-<dim_y>-<nu>`` (Czyż et al. 2023).

    Raises:
        ValueError: when a dimension is not positive or ν ≤ 0.
    """
    return _student_task(
        format_id("student-identity", dim_x, dim_y, _nu_part(nu)),
        dense_cov(dim_x, dim_y, 0.0),
        dim_x,
        nu,
        "identity dispersion",
    )


def student_dense(dim_x: int, dim_y: int, rho: float, nu: float) -> Task:
    """Student-t whose dispersion is the dense correlation matrix of
    :func:`~mibench.tasks.gaussian.dense_cov`. Id ``student-dense-<dim_x>-<dim_y>-<rho>-<nu>``.

    Raises:
        ValueError: when the dispersion is not positive definite or ν ≤ 0.
    """
    return _student_task(
        format_id("student-dense", dim_x, dim_y, float(rho), _nu_part(nu)),
        dense_cov(dim_x, dim_y, rho),
        dim_x,
        nu,
        f"dense rho={rho}",
    )


def student_sparse(dim_x: int, dim_y: int, n_pairs: int, strength: float, nu: float) -> Task:
    """Student-t whose dispersion is the sparse matrix of
    :func:`~mibench.tasks.gaussian.sparse_cov`.
    Id ``student-sparse-<dim_x>-<dim_y>-<n_pairs>-<strength>-<nu>``.

    Raises:
        ValueError: unless ``1 <= n_pairs <= min(dim_x, dim_y)`` and ν > 0.
    """
    return _student_task(
        format_id("student-sparse", dim_x, dim_y, n_pairs, float(strength), _nu_part(nu)),
        sparse_cov(dim_x, dim_y, n_pairs, strength),
        dim_x,
        nu,
        f"{n_pairs} pairs of strength {strength}",
    )


def student_task(dispersion: np.ndarray, dim_x: int, nu: float) -> Task:
    """A Student-t task with any valid dispersion matrix.

    Its id is the placeholder ``student-custom``: give it a real one with
    ``dataclasses.replace(task, id=...)`` before registering it.

    Raises:
        ValueError: see :class:`MultivariateStudentT`.
    """
    return _student_task("student-custom", dispersion, dim_x, nu, "custom dispersion")
