"""The information bottleneck with an estimated I(X; Z): an exact Gaussian case and digits.

The note's bottleneck Lagrangian for an encoder q(z|x) of a chain Y − X − Z is

    L = H(Y|Z) + β I(X; Z),                                                   (note's β)

minimised over the encoder: keep what predicts Y, pay β nats of loss per nat of I(X; Z). The
training benchmarks here put each critic-based estimator of :mod:`mibench.neural` in the place
of I(X; Z) (the loss is ``main + β·term(x, z)``, the term *minimised*) and measure what the
trained encoder reaches.

**The Gaussian bottleneck** (Chechik, Globerson, Tishby & Weiss 2005, "Information Bottleneck
for Gaussian Variables", JMLR 6) is solved in closed form: for jointly Gaussian X (d_x) and Y,
the optimal encoder is linear, Z = AX + ξ with ξ ~ N(0, I), and the optimal information curve
I(Z; Y) against I(X; Z) is analytic (:class:`GaussianIB`). Chechik et al. minimise
I(X; Z) − β_C I(Z; Y); since H(Y|Z) = H(Y) − I(Z; Y), their β_C is the **inverse** of the
note's β (β_C = 1/β): the critical trade-offs β_C,i = 1/(1 − λ_i) are note's β_i = 1 − λ_i.
:class:`BottleneckGaussian` trains a linear encoder Z = WX + ξ on the fixed Σ below, where
I(X; Z) and I(Z; Y) of every W are exact log-determinants, so the reached point's distance from
the optimal curve and the estimate's error against the exact I(X; Z) are measured exactly.

**The applied version** (:class:`BottleneckDigits`) is the MINE paper's bottleneck experiment
(Belghazi et al. 2018: a stochastic encoder, a softmax classifier, loss = cross-entropy +
β·Î(X; Z)) on ``sklearn.datasets.load_digits``, with the variational information bottleneck
(VIB; Alemi, Fischer, Dillon & Murphy 2017) as the reference: the same encoder and classifier
with the KL(q(z|x) ‖ N(0, I)) upper bound on I(X; Z) as the term (:class:`BottleneckDigitsVIB`).

**A caveat that is the point of the benchmark.** Every estimator here is (or is read out as) a
*lower* bound on I(X; Z) or a quantity that is not a bound at all (JSD). Minimising a lower
bound does not bound I(X; Z): an encoder can lower the estimate by fooling the critic while
I(X; Z) stays high. Only VIB's KL term is an upper bound. Minimising an estimator's value is
the published practice (MINE's bottleneck) that this benchmark measures, not a guarantee; the
exact I(X; Z) of the Gaussian case and the Monte-Carlo-exact I(X; Z) of the digits encoder
(under the empirical distribution of the images, :func:`mixture_information`) say what the
encoder really carries.

**References as settings.** A reference that is not an estimator (VIB's KL term, the exact
Gaussian I(X; Z)) cannot be a :class:`~mibench.regularizers.benchmark.Setting` (whose
regulariser is an estimator or ``none`` at β = 0). Each is a benchmark of its own, one per β
(:class:`BottleneckDigitsVIB`, :class:`BottleneckGaussianExact`; ids such as
``bottleneck-digits-vib-b0.01``), whose cells use regulariser ``none`` with the reference term
built into the loss; its β is in the id and its label (``vib[beta=0.01]``). Its cells take the
data seed of their base benchmark's cells (``Cell.paired_base``), so that at a replicate every
setting, reference or estimator, starts from the same initial model and sees the same batches.
:func:`summary_table` folds them into the base benchmark's summary as one row per reference ×
β (``regularizer`` ``vib``/``exact``, ``beta`` their β), so that ``summary.csv`` stays one
row per regulariser × setting.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.linalg
import torch
import torch.nn.functional as F
from torch import Tensor

from mibench.harness.cells import Cell
from mibench.registry import get_estimator
from mibench.regularizers.benchmark import (
    NO_REGULARIZER,
    Setting,
    TrainingBenchmark,
    TrainingRun,
)
from mibench.regularizers.gaussian import logdet
from mibench.regularizers.summary import summarize_training
from mibench.regularizers.term import MITerm, TrainingDiverged, backward_with_mi
from mibench.validation import check_int, check_real

LOG_2PI = math.log(2 * math.pi)


# --------------------------------------------------------------------------------------------
# The Gaussian information bottleneck (Chechik et al. 2005)
# --------------------------------------------------------------------------------------------


class GaussianIB:
    """The Gaussian information bottleneck of jointly Gaussian X and Y (Chechik et al. 2005).

    With Σ_{x|y} = Σ_x − Σ_xy Σ_y⁻¹ Σ_yx, let λ_1 ≤ … ≤ λ_{d_x} be the eigenvalues of
    Σ_{x|y} Σ_x⁻¹ and v_i its left eigenvectors (v_iᵀ Σ_{x|y} Σ_x⁻¹ = λ_i v_iᵀ, i.e.
    Σ_{x|y} v_i = λ_i Σ_x v_i), r_i = v_iᵀ Σ_x v_i. For Chechik's trade-off β_C (the weight of
    I(Z; Y) in min I(X; Z) − β_C I(Z; Y); the note's β is 1/β_C) the optimal encoder is
    Z = A X + ξ, ξ ~ N(0, I), whose i-th row is α_i v_iᵀ with

        α_i² = (β_C (1 − λ_i) − 1) / (λ_i r_i)  for β_C > β_C,i = 1/(1 − λ_i),  else α_i = 0

    (Chechik et al. 2005, Theorem 3.1). On the optimal curve with n_I active eigenvalues
    (Chechik et al. 2005, §5, the information curve):

        I(Z; Y) = I(X; Z) − (n_I/2) ln( Π_{i≤n_I} (1 − λ_i)^{1/n_I}
                                       + e^{2 I(X;Z)/n_I} Π_{i≤n_I} λ_i^{1/n_I} ).

    All values are in nats; arrays are float64. Eigenvalues equal to 1 (directions of X
    independent of Y) never become active.

    Args:
        sigma_x: Σ_x, shape ``(d_x, d_x)``.
        sigma_y: Σ_y, shape ``(d_y, d_y)``.
        sigma_xy: Σ_xy = Cov(X, Y), shape ``(d_x, d_y)``.

    Raises:
        ValueError: naming the argument for a wrong shape, or ``sigma_xy`` when the joint
            covariance is not positive definite (Σ_{x|y} must be, so that every λ_i > 0).
    """

    def __init__(self, sigma_x: np.ndarray, sigma_y: np.ndarray, sigma_xy: np.ndarray) -> None:
        sx = np.asarray(sigma_x, dtype=np.float64)
        sy = np.asarray(sigma_y, dtype=np.float64)
        sxy = np.asarray(sigma_xy, dtype=np.float64)
        for name, m in (("sigma_x", sx), ("sigma_y", sy)):
            if m.ndim != 2 or m.shape[0] != m.shape[1] or not np.allclose(m, m.T):
                raise ValueError(f"{name} must be a symmetric square matrix, got shape {m.shape}")
        if sxy.shape != (sx.shape[0], sy.shape[0]):
            raise ValueError(
                f"sigma_xy must have shape {(sx.shape[0], sy.shape[0])}, got {sxy.shape}"
            )
        joint = np.block([[sx, sxy], [sxy.T, sy]])
        if np.linalg.eigvalsh(joint).min() <= 1e-12:
            raise ValueError("sigma_xy: the joint covariance of (X, Y) is not positive definite")
        self.sigma_x, self.sigma_y, self.sigma_xy = sx, sy, sxy
        self.sigma_x_given_y = sx - sxy @ np.linalg.solve(sy, sxy.T)
        # The symmetric-definite pencil Σ_{x|y} v = λ Σ_x v: λ ascending, Vᵀ Σ_x V = I.
        lam, vecs = scipy.linalg.eigh(self.sigma_x_given_y, sx)
        self.lambdas = np.clip(lam, 0.0, 1.0)
        #: Left eigenvectors v_i of Σ_{x|y} Σ_x⁻¹ as columns, shape (d_x, d_x).
        self.vectors = vecs
        self.r = np.einsum("ij,jk,ki->i", vecs.T, sx, vecs)
        self._active = self.lambdas < 1 - 1e-12

    @property
    def dim_x(self) -> int:
        """d_x."""
        return self.sigma_x.shape[0]

    @property
    def mi_xy(self) -> float:
        """I(X; Y) = −½ Σ ln λ_i, nats: the supremum of I(Z; Y)."""
        return float(-0.5 * np.log(self.lambdas).sum())

    def critical_betas(self) -> np.ndarray:
        """Chechik's critical trade-offs β_C,i = 1/(1 − λ_i), ascending (inf where λ_i = 1).

        Component i enters the optimal encoder for β_C > β_C,i; in the note's β (= 1/β_C) for
        β < 1 − λ_i.
        """
        with np.errstate(divide="ignore"):
            return np.where(self._active, 1.0 / (1.0 - self.lambdas), np.inf)

    def projection(self, beta_c: float) -> np.ndarray:
        """The optimal A(β_C), shape ``(d_x, d_x)``: row i is α_i v_iᵀ (zero when inactive).

        Args:
            beta_c: Chechik's trade-off β_C > 0 (the note's β is 1/β_C).

        Raises:
            ValueError: naming ``beta_c`` unless it is a finite number > 0.
        """
        beta_c = check_real("beta_c", beta_c, 0, low_open=True)
        num = beta_c * (1.0 - self.lambdas) - 1.0
        on = self._active & (num > 0)
        alpha2 = np.where(on, num / (np.where(on, self.lambdas, 1.0) * self.r), 0.0)
        return np.sqrt(alpha2)[:, None] * self.vectors.T

    def information(self, w: np.ndarray) -> tuple[float, float]:
        """Exact I(X; Z) and I(Z; Y) of a linear encoder Z = W X + ξ, ξ ~ N(0, I_k), nats.

        I(X; Z) = ½ ln det(I + W Σ_x Wᵀ) and I(Z; Y) = I(X; Z) − ½ ln det(I + W Σ_{x|y} Wᵀ)
        (Gaussian entropies; Cover & Thomas, Thm 8.4.1).

        Args:
            w: W, shape ``(k, d_x)`` (any k >= 1).

        Raises:
            ValueError: naming ``w`` for a wrong shape.
        """
        w = np.asarray(w, dtype=np.float64)
        if w.ndim != 2 or w.shape[1] != self.dim_x:
            raise ValueError(f"w must have shape (k, {self.dim_x}), got {w.shape}")
        eye = np.eye(w.shape[0])
        ix = 0.5 * logdet(eye + w @ self.sigma_x @ w.T)
        iy = ix - 0.5 * logdet(eye + w @ self.sigma_x_given_y @ w.T)
        return ix, iy

    def point(self, beta_c: float) -> tuple[float, float]:
        """The optimal (I(X; Z), I(Z; Y)) at Chechik's β_C, nats, from the closed forms

        I(X; Z) = ½ Σ_active ln((β_C − 1)(1 − λ_i)/λ_i),
        I(Z; Y) = ½ Σ_active ln((β_C − 1)/(β_C λ_i)).

        Raises:
            ValueError: naming ``beta_c`` unless it is a finite number > 0.
        """
        beta_c = check_real("beta_c", beta_c, 0, low_open=True)
        on = self._active & (beta_c * (1.0 - self.lambdas) > 1.0)
        lam = self.lambdas[on]
        ix = 0.5 * np.log((beta_c - 1.0) * (1.0 - lam) / lam).sum()
        iy = 0.5 * np.log((beta_c - 1.0) / (beta_c * lam)).sum()
        return float(ix), float(iy)

    def breakpoints(self) -> np.ndarray:
        """I(X; Z) at which each active eigenvalue enters the optimal curve (0 first), nats."""
        crit = self.critical_betas()[self._active]
        return np.array([self.point(b)[0] for b in crit])

    def curve(self, ix: float | np.ndarray) -> float | np.ndarray:
        """The optimal I(Z; Y) at I(X; Z) = ``ix`` (nats; any ``ix`` >= 0, scalar or array).

        Raises:
            ValueError: naming ``ix`` for a negative or non-finite value.
        """
        arr = np.asarray(ix, dtype=np.float64)
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError(f"ix must be finite and >= 0, got {ix!r}")
        lam = self.lambdas[self._active]
        n_active = np.searchsorted(self.breakpoints(), arr, side="right")
        out = np.zeros_like(arr)
        for n in range(1, len(lam) + 1):
            sel = n_active == n
            if not np.any(sel):
                continue
            log_a = np.log(1.0 - lam[:n]).mean()  # ln Π (1 − λ_i)^{1/n}
            log_b = np.log(lam[:n]).mean()  # ln Π λ_i^{1/n}
            out[sel] = arr[sel] - 0.5 * n * np.logaddexp(log_a, 2.0 * arr[sel] / n + log_b)
        return float(out) if out.ndim == 0 else out

    def optimum(self, beta: float) -> tuple[float, float, float]:
        """The optimum of the note's Lagrangian −I(Z; Y) + β I(X; Z) at the note's β >= 0.

        Returns:
            ``(I(X; Z), I(Z; Y), L*)`` in nats, L* = min_W (β I(X; Z) − I(Z; Y)); at β = 0 the
            infimum L* = −I(X; Y) is approached as W grows without bound (I(X; Z) = inf).

        Raises:
            ValueError: naming ``beta`` for a negative or non-finite value.
        """
        beta = check_real("beta", beta, 0)
        if beta == 0:
            return math.inf, self.mi_xy, -self.mi_xy
        ix, iy = self.point(1.0 / beta)
        return ix, iy, beta * ix - iy


#: The benchmark's X = M U with U ~ N(0, I_4) (M lower-triangular).
MIXING = np.array(
    [[1.0, 0.0, 0.0, 0.0], [0.5, 1.0, 0.0, 0.0], [0.0, 0.5, 1.0, 0.0], [0.5, 0.0, 0.5, 1.0]]
)
#: Canonical correlations: Y_j = ρ_j U_j + √(1 − ρ_j²) E_j, E ~ N(0, I_2).
RHO = np.array([0.9, 0.6])
#: Σ_x = M Mᵀ.
SIGMA_X = MIXING @ MIXING.T
#: Σ_y = I_2.
SIGMA_Y = np.eye(2)
#: Σ_xy = M[:, :2] diag(ρ).
SIGMA_XY = MIXING[:, :2] * RHO
#: The Gaussian bottleneck of the benchmark: λ = (0.19, 0.64, 1, 1).
GAUSSIAN_IB = GaussianIB(SIGMA_X, SIGMA_Y, SIGMA_XY)


# --------------------------------------------------------------------------------------------
# Benchmark: a linear-Gaussian encoder on the Gaussian bottleneck
# --------------------------------------------------------------------------------------------


def _seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed) % (2**63))


def _uniform(shape: tuple[int, ...], fan_in: int, g: torch.Generator) -> Tensor:
    bound = 1.0 / math.sqrt(fan_in)
    return ((torch.rand(shape, generator=g) * 2 - 1) * bound).requires_grad_()


def _finite(value: Tensor) -> bool:
    return bool(torch.isfinite(value.detach()).all())


class _GaussianDecoder:
    """q(y|z) = N(B z + c, (U Uᵀ)⁻¹) with U lower-triangular (a precision Cholesky factor)."""

    def __init__(self, dim_z: int, dim_y: int) -> None:
        self.b = torch.zeros(dim_y, dim_z, requires_grad=True)
        self.c = torch.zeros(dim_y, requires_grad=True)
        self.log_diag = torch.zeros(dim_y, requires_grad=True)
        self.lower = torch.zeros(dim_y, dim_y, requires_grad=True)
        self.dim_y = dim_y

    def params(self) -> list[Tensor]:
        return [self.b, self.c, self.log_diag, self.lower]

    def nll(self, z: Tensor, y: Tensor) -> Tensor:
        """Mean −ln q(y|z) over the batch, nats."""
        u = torch.tril(self.lower, -1) + torch.diag(torch.exp(self.log_diag))
        r = (y - z @ self.b.T - self.c) @ u  # rows: rᵀU, so ‖·‖² = rᵀ U Uᵀ r
        quad = 0.5 * (r**2).sum(dim=1)
        return (quad - self.log_diag.sum() + 0.5 * self.dim_y * LOG_2PI).mean()


def _exact_ix_torch(w: Tensor, sigma_x: Tensor) -> Tensor:
    """½ ln det(I + W Σ_x Wᵀ), differentiable in W (float64 inside)."""
    w64 = w.to(torch.float64)
    eye = torch.eye(w.shape[0], dtype=torch.float64)
    return 0.5 * torch.logdet(eye + w64 @ sigma_x @ w64.T)


class BottleneckGaussian(TrainingBenchmark):
    """A linear-Gaussian encoder trained on the Gaussian bottleneck with Î(X; Z) as the term.

    **Data.** X = M U ∈ R⁴ and Y ∈ R² with U ~ N(0, I_4), Y_j = ρ_j U_j + √(1 − ρ_j²) E_j,
    ρ = (0.9, 0.6), M = :data:`MIXING`; so

        Σ_x = [[1, .5, 0, .5], [.5, 1.25, .5, .25], [0, .5, 1.25, .5], [.5, .25, .5, 1.5]],
        Σ_y = I_2,  Σ_xy = [[.9, 0], [.45, .6], [0, .3], [.45, 0]],

    the eigenvalues of Σ_{x|y} Σ_x⁻¹ are λ = (1 − ρ²) = (0.19, 0.64) and 1, 1 (two directions
    of X that carry nothing about Y), I(X; Y) = −½ ln(0.19 · 0.64) ≈ 1.0534 nats, and the
    critical trade-offs are β_C = 1/(1 − λ) ≈ (1.2346, 2.7778), i.e. the note's β = 1 − λ =
    (0.81, 0.36): for note's β ≥ 0.81 the optimal Z carries nothing, for 0.36 ≤ β < 0.81 one
    component, below 0.36 two.

    **Model.** Encoder Z = W X + ξ, W ∈ R^{2×4}, ξ ~ N(0, I_2) fixed unit noise (two rows reach
    the optimal curve: Chechik's A has at most two non-zero rows here), W's entries initialised
    N(0, 0.1²). Decoder q(y|z) = N(B z + c, Λ⁻¹) with a learned full precision Λ (its negative
    log-likelihood bounds H(Y|Z) from above, with equality at the best linear-Gaussian
    decoder). Loss = NLL(y|z) + β · term(x, z); ``shared`` = [W], ``others`` = the decoder's.
    Adam (learning rate :attr:`lr`) on all of them, one critic step per outer step, a fresh
    batch of :attr:`batch` (x, y, ξ) per step from the cell's data seed.

    **Metrics** (nats): ``ix_exact``, ``iy_exact`` (log-determinants of the final W);
    ``ix_opt``, ``iy_opt`` (the optimum at this β; ``ix_opt`` NaN at β = 0, where it is
    infinite); ``curve_gap`` = I*_Y(I_X) − I_Y, the vertical distance of the reached point
    below the optimal curve (>= 0 for every encoder); ``lagrangian_gap`` = (β I_X − I_Y) − L*(β),
    how far the reached trade-off is from the optimum at its own β (>= 0); ``decoder_gap`` =
    the decoder's NLL on 8,192 fresh samples minus the exact H(Y|Z) (the slack of the H(Y|Z)
    bound); ``ix_bias`` and ``ix_rmse``: mean and root-mean-square of (critic readout − exact
    I(X; Z) of the current W) over the second half of training. ``mi_true`` is the final exact
    I(X; Z); the trace is (step, readout, exact I(X; Z) of the current W).

    Args:
        steps: outer training steps.
        batch: samples per step.
        lr: Adam learning rate of the encoder and decoder.

    Raises:
        ValueError: naming the argument for a non-positive value.
    """

    id: ClassVar[str] = "bottleneck-gaussian"
    version: ClassVar[int] = 1
    name: ClassVar[str] = "Gaussian information bottleneck, linear encoder (Chechik et al. 2005)"
    tags: ClassVar[frozenset[str]] = frozenset({"regularizer", "bottleneck", "gaussian"})
    dim_x = 4
    dim_y = 2
    #: Samples of the held-out decoder NLL.
    test_size: ClassVar[int] = 8192

    def __init__(self, steps: int = 400, batch: int = 128, lr: float = 1e-2) -> None:
        self.steps = check_int("steps", steps, 2)
        self.batch = check_int("batch", batch, 2)
        self.lr = check_real("lr", lr, 0, low_open=True)
        self.trace_every = max(1, self.steps // 50)
        self.window = max(1, min(100, self.steps // 4))
        self.problem = GAUSSIAN_IB
        self._mix = torch.tensor(MIXING, dtype=torch.float32)
        self._rho = torch.tensor(RHO, dtype=torch.float32)
        self._sigma_x64 = torch.tensor(SIGMA_X, dtype=torch.float64)

    def sample(self, n: int, g: torch.Generator) -> tuple[Tensor, Tensor]:
        """n draws of (X, Y), shapes ``(n, 4)`` and ``(n, 2)``, float32."""
        u = torch.randn(n, 4, generator=g)
        e = torch.randn(n, 2, generator=g)
        y = u[:, :2] * self._rho + torch.sqrt(1 - self._rho**2) * e
        return u @ self._mix.T, y

    def _term(self, term: MITerm, x: Tensor, z: Tensor, w: Tensor) -> Tensor:
        """The I(X; Z) term of the loss (the estimator's; :class:`BottleneckGaussianExact`
        uses the exact value)."""
        return term(x, z)

    def train(self, term: MITerm, beta: float, clip: bool, seed: int) -> TrainingRun:
        """Train (W, decoder) for :attr:`steps` steps; see the class docstring.

        Raises:
            TrainingDiverged: when the critic, the decoder NLL or W turns non-finite.
        """
        g = _seeded(seed)
        w = (0.1 * torch.randn(2, 4, generator=g)).requires_grad_()
        decoder = _GaussianDecoder(2, 2)
        others = decoder.params()
        opt = torch.optim.Adam([w, *others], lr=self.lr)
        estimates: list[float] = []
        errors: list[float] = []
        trace: list[tuple[int, float, float]] = []
        for step in range(1, self.steps + 1):
            x, y = self.sample(self.batch, g)
            z = x @ w.T + torch.randn(self.batch, 2, generator=g)
            readout = term.critic_step(x, z)
            exact = self.problem.information(w.detach().numpy())[0]
            estimates.append(readout)
            errors.append(readout - exact)
            if step % self.trace_every == 0 or step == self.steps:
                trace.append((step, readout, exact))
            main = decoder.nll(z, y)
            if not _finite(main):
                raise TrainingDiverged("decoder NLL", step)
            opt.zero_grad()
            if beta > 0:
                mi = self._term(term, x, z, w)
                if not _finite(mi):
                    raise TrainingDiverged("MI term", step)
                backward_with_mi(main, beta * mi, [w], others, clip=clip)
            else:
                main.backward()
            opt.step()
            if not _finite(w):
                raise TrainingDiverged("encoder weights", step)
        metrics = self._metrics(w, decoder, beta, g, errors)
        return TrainingRun(estimates, trace, metrics, mi_true=metrics["ix_exact"])

    def _metrics(
        self,
        w: Tensor,
        decoder: _GaussianDecoder,
        beta: float,
        g: torch.Generator,
        errors: Sequence[float],
    ) -> dict[str, float]:
        wn = w.detach().numpy().astype(np.float64)
        ix, iy = self.problem.information(wn)
        ix_opt, iy_opt, l_opt = self.problem.optimum(beta)
        lagrangian = (beta * ix - iy) - l_opt
        x, y = self.sample(self.test_size, g)
        with torch.no_grad():
            z = x @ w.T + torch.randn(self.test_size, 2, generator=g)
            nll = float(decoder.nll(z, y))
        h_y = 0.5 * logdet(2 * math.pi * math.e * self.problem.sigma_y)
        tail = np.asarray(errors[len(errors) // 2 :], dtype=np.float64)
        return {
            "ix_exact": float(ix),
            "iy_exact": float(iy),
            "ix_opt": ix_opt if math.isfinite(ix_opt) else math.nan,
            "iy_opt": iy_opt,
            "curve_gap": float(self.problem.curve(ix)) - iy,
            "lagrangian_gap": float(lagrangian),
            "decoder_gap": nll - (h_y - iy),
            "ix_bias": float(tail.mean()),
            "ix_rmse": float(np.sqrt((tail**2).mean())),
        }


# --------------------------------------------------------------------------------------------
# References that are not estimators: one benchmark per β, paired with a base benchmark
# --------------------------------------------------------------------------------------------


class _Reference:
    """Mixin of a reference term (not an estimator) at a fixed β: cells of regulariser
    ``none`` whose loss has the term built in, seeded like the base benchmark's cells."""

    base_id: ClassVar[str]
    reference: ClassVar[str]
    beta: float

    def _init_reference(self, beta: float, name: str) -> None:
        """Check β; set the instance's id and display name (``name`` formatted with β)."""
        self.beta = check_real("beta", beta, 0)
        self.id = f"{self.base_id}-{self.reference}-b{self.beta:g}"
        self.name = name.format(beta=self.beta)

    @property
    def label(self) -> str:
        """``<reference>[beta=<β>]``, e.g. ``vib[beta=0.01]``."""
        return f"{self.reference}[beta={self.beta:g}]"

    def cells(self, settings: Sequence[Setting], seeds: Sequence[int]) -> list[Cell]:
        """One cell per seed; ``settings`` must be ``[Setting("none")]`` (the reference's term
        and β are its own).

        Raises:
            ValueError: naming ``settings`` when any is not the plain ``none`` setting.
        """
        if any(s.regularizer != NO_REGULARIZER for s in settings):
            raise ValueError(
                f"settings of the reference {self.label} must all be Setting('none'), got "
                f"{[s.label for s in settings]}"
            )
        cells = TrainingBenchmark.cells(self, settings, seeds)  # type: ignore[arg-type]
        return [replace(c, label=self.label, paired_base=self.base_id) for c in cells]


class BottleneckGaussianExact(_Reference, BottleneckGaussian):
    """:class:`BottleneckGaussian` with the exact I(X; Z) = ½ ln det(I + W Σ_x Wᵀ) as the term.

    The optimisation floor of the protocol: what the same steps, batches and optimiser reach
    when the term is the truth (no clipping). Its cells are regulariser ``none``; the
    monitor critic of :attr:`monitor` runs beside it (its readout is ``mi_estimate``) without
    reaching the model. Id ``bottleneck-gaussian-exact-b<β>``.

    Args:
        beta: the note's β >= 0 of the exact term.
        steps, batch, lr: as :class:`BottleneckGaussian` (keep them equal to the base's).

    Raises:
        ValueError: naming ``beta`` (negative) or the protocol argument at fault.
    """

    base_id: ClassVar[str] = BottleneckGaussian.id
    reference: ClassVar[str] = "exact"

    def __init__(self, beta: float, steps: int = 400, batch: int = 128, lr: float = 1e-2) -> None:
        BottleneckGaussian.__init__(self, steps, batch, lr)
        self._init_reference(beta, "Gaussian bottleneck, exact I(X; Z) term, β = {beta:g}")

    def _term(self, term: MITerm, x: Tensor, z: Tensor, w: Tensor) -> Tensor:
        return _exact_ix_torch(w, self._sigma_x64).to(torch.float32)

    def train(self, term: MITerm, beta: float, clip: bool, seed: int) -> TrainingRun:
        """Train with the exact term at this reference's β (the cell's β is 0)."""
        return BottleneckGaussian.train(self, term, self.beta, False, seed)


# --------------------------------------------------------------------------------------------
# Benchmark: the MINE paper's bottleneck on load_digits
# --------------------------------------------------------------------------------------------

#: Images in the fixed test split of ``load_digits`` (the other 1,197 train).
DIGITS_TEST = 600
#: Seed of the fixed, stratified train/test split (not a cell seed: every cell shares it).
DIGITS_SPLIT_SEED = 0


@functools.lru_cache(maxsize=1)
def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed split of ``sklearn.datasets.load_digits``: (x_train, y_train, x_test, y_test).

    x: pixels / 16 in [0, 1], float32, shape ``(n, 64)``; y: labels 0–9, int64. 1,197 train and
    600 test images, stratified by label, ``random_state`` :data:`DIGITS_SPLIT_SEED`.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(
        x, y, test_size=DIGITS_TEST, random_state=DIGITS_SPLIT_SEED, stratify=y
    )
    return xtr, ytr, xte, yte


def _gaussian_log_density(z: Tensor, mu: Tensor, sigma: Tensor) -> Tensor:
    """ln N(z_a; μ_b, diag σ_b²) for every pair (a, b): shape ``(len(z), len(mu))``, float64.

    Expanded as quadratic forms (three matrix products) so that no (a, b, K) array is built.
    """
    z, mu, sigma = z.double(), mu.double(), sigma.double()
    prec = sigma.pow(-2)
    quad = (z**2) @ prec.T - 2 * z @ (mu * prec).T + (mu**2 * prec).sum(dim=1)
    return -0.5 * quad - torch.log(sigma).sum(dim=1) - 0.5 * z.shape[1] * LOG_2PI


def mixture_information(
    mu: Tensor,
    sigma: Tensor,
    labels: Tensor | None,
    samples: int,
    g: torch.Generator,
) -> dict[str, float]:
    """I(X; Z) (and I(Z; Y)) of a Gaussian encoder under the empirical distribution of x.

    With X uniform on the N rows (images) and Z | X = x_j ~ N(μ_j, diag σ_j²), the marginal of
    Z is the mixture p(z) = (1/N) Σ_j q(z|x_j), so

        I(X; Z) = E[ln q(z|x) − ln (1/N) Σ_j q(z|x_j)]   (<= ln N)

    is exact up to the Monte-Carlo error of the expectation over z (``samples`` draws per row;
    no nested estimate). With labels, Y = label(X) and p(z|y) the mixture over the rows of
    class y, I(Z; Y) = E[ln p(z|y) − ln p(z)] likewise (<= H(Y)).

    Args:
        mu: μ, shape ``(N, K)``.
        sigma: σ > 0, shape ``(N, K)``.
        labels: class of each row, shape ``(N,)``, or None.
        samples: z draws per row.
        g: the generator of the draws.

    Returns:
        ``ix`` and its standard error ``ix_se`` (nats); with labels also ``iy``, ``iy_se``.
    """
    n = mu.shape[0]
    mu, sigma = mu.detach(), sigma.detach()
    own = torch.arange(n).repeat(samples)
    z = mu[own] + sigma[own] * torch.randn(n * samples, mu.shape[1], generator=g)
    logq = _gaussian_log_density(z, mu, sigma)  # (n·samples, n)
    log_pz = torch.logsumexp(logq, dim=1) - math.log(n)
    ratio_x = logq[torch.arange(n * samples), own] - log_pz
    out = {"ix": float(ratio_x.mean()), "ix_se": float(ratio_x.std() / math.sqrt(len(own)))}
    if labels is not None:
        lab = labels[own]
        same = labels[None, :] == lab[:, None]
        counts = same.sum(dim=1).double()
        log_pzy = torch.logsumexp(logq.masked_fill(~same, -math.inf), dim=1) - torch.log(counts)
        ratio_y = log_pzy - log_pz
        out.update(iy=float(ratio_y.mean()), iy_se=float(ratio_y.std() / math.sqrt(len(own))))
    return out


class _DigitsModel:
    """Encoder 64 → hidden (ReLU) → 2K (μ, σ = softplus(· − 5), Alemi et al. 2017) and a linear
    softmax classifier K → 10, initialised U(±1/√fan_in) from the cell's generator."""

    def __init__(self, hidden: int, dim_z: int, g: torch.Generator) -> None:
        self.w1 = _uniform((hidden, 64), 64, g)
        self.b1 = _uniform((hidden,), 64, g)
        self.w2 = _uniform((2 * dim_z, hidden), hidden, g)
        self.b2 = _uniform((2 * dim_z,), hidden, g)
        self.wc = _uniform((10, dim_z), dim_z, g)
        self.bc = _uniform((10,), dim_z, g)
        self.dim_z = dim_z

    @property
    def encoder(self) -> list[Tensor]:
        return [self.w1, self.b1, self.w2, self.b2]

    @property
    def classifier(self) -> list[Tensor]:
        return [self.wc, self.bc]

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor]:
        h = torch.relu(x @ self.w1.T + self.b1) @ self.w2.T + self.b2
        return h[:, : self.dim_z], F.softplus(h[:, self.dim_z :] - 5.0)

    def logits(self, z: Tensor) -> Tensor:
        return z @ self.wc.T + self.bc


def _kl_to_standard(mu: Tensor, sigma: Tensor) -> Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_k (σ_k² + μ_k² − 1 − ln σ_k²) per row, nats."""
    return 0.5 * (sigma**2 + mu**2 - 1.0 - 2.0 * torch.log(sigma)).sum(dim=1)


def _entropy_of_labels(y: np.ndarray) -> float:
    p = np.bincount(y) / len(y)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


class BottleneckDigits(TrainingBenchmark):
    """The MINE paper's information bottleneck on ``load_digits``: CE + β · Î(X; Z).

    **Data.** :func:`digits_split`: 1,197 training and 600 test 8×8 images (pixels / 16), a
    fixed stratified split shared by every cell.

    **Model** (the layout of Alemi et al. 2017 and Belghazi et al. 2018, shrunk for 8×8
    images): a stochastic encoder q(z|x) = N(μ(x), diag σ²(x)), an MLP 64 → :attr:`hidden`
    (ReLU) → 2K with σ = softplus(· − 5), K = :attr:`dim_z`; a linear softmax classifier on one
    reparameterised draw z. Loss = cross-entropy + β · term(x, z), the MI term *minimised*;
    ``shared`` = the encoder's parameters, ``others`` = the classifier's. Adam (:attr:`lr`), a
    batch of :attr:`batch` training images drawn with replacement per step, one critic step
    per outer step, everything from the cell's data seed.

    **Metrics.** ``test_error`` (%, the argmax of the softmax averaged over 12 draws of z per
    test image, as Alemi et al.); ``test_ce`` (nats, cross-entropy of single draws);
    ``iy_ce`` = H(Y_test) − ``test_ce``, a variational lower bound on I(Z; Y) under the test
    distribution (Barber & Agakov 2003; H(Y_test) ≈ ln 10). The information plane is read out
    after training by one fresh estimator that is not the critic the encoder was trained
    against, :attr:`readout` (InfoNCE, default; a new critic fitted by
    :meth:`~mibench.estimator.Estimator.estimate` with its own held-out split), on held-out
    pairs: 4 draws of z for each of the 600 test images → ``ix_readout`` = Î(X; Z) and
    ``iy_readout`` = Î(Z; one-hot Y). InfoNCE because it is the lowest-variance neural bound
    on 2,400 pairs in 64 + K dimensions (KSG is biased far down there); its ceiling ln(batch) =
    ln 256 ≈ 5.55 nats is below the ln 600 ≈ 6.40 of the test distribution, so a nearly
    deterministic encoder reads ≈ 5.5. As an estimator-free check, the Gaussian encoder's
    I(X; Z) and I(Z; Y) under the empirical test distribution are computed exactly up to
    Monte-Carlo error (:func:`mixture_information`): ``ix_mixture``, ``iy_mixture`` (<= ln 600
    and H(Y)); ``ix_train`` is the same I(X; Z) under the training images, the quantity the
    term estimates, and is ``mi_true`` (so ``mi_error`` in the summary is the term's error on
    it), with ``ix_train_se`` its Monte-Carlo standard error; ``kl_train`` = mean
    KL(q(z|x) ‖ N(0, I)) over the training images, VIB's upper bound on that I(X; Z) (for
    every encoder, whatever its term). The trace is (step, term
    readout, NaN), its last row (step, readout, ``ix_train``): the mixture over 1,197 images
    is too costly to compute at every trace row.

    Minimising an estimator's lower bound on I(X; Z) does not bound I(X; Z); ``ix_train`` says
    what the encoder carries.

    Args:
        steps: outer training steps.
        batch: images per step.
        lr: Adam learning rate.
        dim_z: K.
        hidden: hidden width of the encoder.
        readout: the spec of the readout estimator (a neural estimator; ``max_steps`` and
            ``seed`` are set per cell).
        readout_steps: ``max_steps`` of the readout fits.

    Raises:
        ValueError: naming the argument for a non-positive size or an unknown ``readout``.
    """

    id: ClassVar[str] = "bottleneck-digits"
    version: ClassVar[int] = 1
    name: ClassVar[str] = "Information bottleneck on load_digits (Belghazi et al. 2018)"
    tags: ClassVar[frozenset[str]] = frozenset({"regularizer", "bottleneck", "digits"})
    dim_x = 64
    #: Draws of z per test image for the test error (Alemi et al. 2017).
    test_draws: ClassVar[int] = 12
    #: Draws of z per image for the readouts and the mixture MI.
    readout_draws: ClassVar[int] = 4

    def __init__(
        self,
        steps: int = 300,
        batch: int = 128,
        lr: float = 3e-3,
        dim_z: int = 8,
        hidden: int = 128,
        readout: str = "infonce",
        readout_steps: int = 150,
    ) -> None:
        self.steps = check_int("steps", steps, 2)
        self.batch = check_int("batch", batch, 2)
        self.lr = check_real("lr", lr, 0, low_open=True)
        self.dim_z = check_int("dim_z", dim_z, 1)
        self.dim_y = self.dim_z
        self.hidden = check_int("hidden", hidden, 1)
        self.readout_steps = check_int("readout_steps", readout_steps, 1)
        get_estimator(readout)  # refuses an unknown spec now
        if "max_steps" not in get_estimator(readout).get_params():
            raise ValueError(f"readout must be a neural estimator spec, got {readout!r}")
        self.readout = readout
        self.trace_every = max(1, self.steps // 50)
        self.window = max(1, min(100, self.steps // 4))

    def _term(self, term: MITerm, x: Tensor, z: Tensor, mu: Tensor, sigma: Tensor) -> Tensor:
        """The I(X; Z) term (the estimator's; VIB's KL in :class:`BottleneckDigitsVIB`)."""
        return term(x, z)

    def train(self, term: MITerm, beta: float, clip: bool, seed: int) -> TrainingRun:
        """Train encoder and classifier for :attr:`steps` steps; see the class docstring.

        Raises:
            TrainingDiverged: when the critic, the loss or the encoder turns non-finite.
        """
        xtr, ytr, xte, yte = (torch.from_numpy(a) for a in digits_split())
        g = _seeded(seed)
        model = _DigitsModel(self.hidden, self.dim_z, g)
        opt = torch.optim.Adam([*model.encoder, *model.classifier], lr=self.lr)
        estimates: list[float] = []
        trace: list[tuple[int, float, float]] = []
        for step in range(1, self.steps + 1):
            idx = torch.randint(0, len(xtr), (self.batch,), generator=g)
            x, y = xtr[idx], ytr[idx]
            mu, sigma = model.encode(x)
            z = mu + sigma * torch.randn(mu.shape, generator=g)
            readout = term.critic_step(x, z)
            estimates.append(readout)
            if step % self.trace_every == 0 or step == self.steps:
                trace.append((step, readout, math.nan))
            main = F.cross_entropy(model.logits(z), y)
            if not _finite(main):
                raise TrainingDiverged("cross-entropy", step)
            opt.zero_grad()
            if beta > 0:
                mi = self._term(term, x, z, mu, sigma)
                if not _finite(mi):
                    raise TrainingDiverged("MI term", step)
                backward_with_mi(main, beta * mi, model.encoder, model.classifier, clip=clip)
            else:
                main.backward()
            opt.step()
            if not all(_finite(p) for p in model.encoder):
                raise TrainingDiverged("encoder weights", step)
        metrics = self._metrics(model, xtr, xte, yte, g)
        trace[-1] = (trace[-1][0], trace[-1][1], metrics["ix_train"])
        return TrainingRun(estimates, trace, metrics, mi_true=metrics["ix_train"])

    def _metrics(
        self, model: _DigitsModel, xtr: Tensor, xte: Tensor, yte: Tensor, g: torch.Generator
    ) -> dict[str, float]:
        with torch.no_grad():
            return self._measure(model, xtr, xte, yte, g)

    def _measure(
        self, model: _DigitsModel, xtr: Tensor, xte: Tensor, yte: Tensor, g: torch.Generator
    ) -> dict[str, float]:
        mu, sigma = model.encode(xte)
        n = len(xte)
        draws = mu[None] + sigma[None] * torch.randn((self.test_draws, *mu.shape), generator=g)
        logits = model.logits(draws)  # (draws, n, 10)
        probs = torch.softmax(logits, dim=-1).mean(dim=0)
        error = float((probs.argmax(dim=1) != yte).double().mean()) * 100
        ce = float(F.cross_entropy(logits.reshape(-1, 10), yte.repeat(self.test_draws)))
        h_y = _entropy_of_labels(yte.numpy())
        test = mixture_information(mu, sigma, yte, self.readout_draws, g)
        mu_tr, sigma_tr = model.encode(xtr)
        train = mixture_information(mu_tr, sigma_tr, None, self.readout_draws, g)
        kl = float(_kl_to_standard(mu_tr, sigma_tr).mean())
        # Held-out pairs for the readout estimator: readout_draws z per test image.
        own = torch.arange(n).repeat(self.readout_draws)
        z = mu[own] + sigma[own] * torch.randn(len(own), self.dim_z, generator=g)
        x_pairs = xte[own].numpy().astype(np.float64)
        z_pairs = z.numpy().astype(np.float64)
        y_pairs = F.one_hot(yte[own], 10).numpy().astype(np.float64)
        seeds = torch.randint(0, 2**31 - 1, (2,), generator=g).tolist()
        with torch.enable_grad():  # the readout estimators train critics
            ix_read = self._read(x_pairs, z_pairs, seeds[0])
            iy_read = self._read(z_pairs, y_pairs, seeds[1])
        return {
            "test_error": error,
            "test_ce": ce,
            "iy_ce": h_y - ce,
            "ix_readout": ix_read,
            "iy_readout": iy_read,
            "ix_mixture": test["ix"],
            "iy_mixture": test["iy"],
            "ix_train": train["ix"],
            "ix_train_se": train["ix_se"],
            "kl_train": kl,
        }

    def _read(self, a: np.ndarray, b: np.ndarray, seed: int) -> float:
        est = get_estimator(self.readout, max_steps=self.readout_steps, seed=int(seed))
        result = est.estimate(a, b)
        return float(result.value) if result.ok else math.nan


class BottleneckDigitsVIB(_Reference, BottleneckDigits):
    """:class:`BottleneckDigits` with VIB's term (Alemi et al. 2017) at a fixed β.

    The term is KL(q(z|x) ‖ N(0, I)) = ½ Σ_k (σ_k² + μ_k² − 1 − ln σ_k²), averaged over the
    batch: an upper bound on I(X; Z) (its gap is KL(q(z) ‖ N(0, I))), no critic, no clipping.
    Its cells are regulariser ``none`` (the monitor critic of :attr:`monitor` runs beside it
    without reaching the model, and gives ``mi_estimate``); id ``bottleneck-digits-vib-b<β>``.

    Args:
        beta: VIB's β >= 0.
        steps, batch, lr, dim_z, hidden, readout, readout_steps: as :class:`BottleneckDigits`
            (keep them equal to the base's).

    Raises:
        ValueError: naming ``beta`` (negative) or the protocol argument at fault.
    """

    base_id: ClassVar[str] = BottleneckDigits.id
    reference: ClassVar[str] = "vib"

    def __init__(self, beta: float, **protocol: Any) -> None:
        BottleneckDigits.__init__(self, **protocol)
        self._init_reference(beta, "Information bottleneck on load_digits, VIB term, β = {beta:g}")

    def _term(self, term: MITerm, x: Tensor, z: Tensor, mu: Tensor, sigma: Tensor) -> Tensor:
        return _kl_to_standard(mu, sigma).mean()

    def train(self, term: MITerm, beta: float, clip: bool, seed: int) -> TrainingRun:
        """Train with VIB's KL term at this reference's β (the cell's β is 0)."""
        return BottleneckDigits.train(self, term, self.beta, False, seed)


# --------------------------------------------------------------------------------------------
# Summary: references folded into their base benchmark
# --------------------------------------------------------------------------------------------

#: Reference benchmarks' classes, by the name used in the ``regularizer`` column.
REFERENCES = {"exact": BottleneckGaussianExact, "vib": BottleneckDigitsVIB}


def summary_table(results: pd.DataFrame, benchmarks: Sequence[TrainingBenchmark]) -> pd.DataFrame:
    """:func:`~mibench.regularizers.summary.summarize_training` with each reference row
    (a :class:`BottleneckDigitsVIB` or :class:`BottleneckGaussianExact` benchmark, regulariser
    ``none``) relabelled as its base benchmark, regulariser ``vib``/``exact`` and its β.

    Args:
        results: rows of the training cells.
        benchmarks: the benchmarks of those cells (references included).

    Returns:
        One row per (benchmark, regulariser, β, clip); ``none`` first in each benchmark.
    """
    summary = summarize_training(results)
    refs = {b.id: b for b in benchmarks if isinstance(b, _Reference)}
    for i, bench in zip(summary.index, summary["benchmark"], strict=True):
        ref = refs.get(bench)
        if ref is not None:
            relabel: list[str | float] = [ref.base_id, ref.reference, ref.beta]
            summary.loc[i, ["benchmark", "regularizer", "beta"]] = relabel
    order = {"none": 0, "exact": 1, "vib": 1}
    summary["_o"] = [order.get(r, 2) for r in summary["regularizer"]]
    summary = summary.sort_values(["benchmark", "_o", "regularizer", "beta", "clip"])
    return summary.drop(columns="_o").reset_index(drop=True)
