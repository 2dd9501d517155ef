"""Learned densities q(y | x) and q(y) as batched score models, and the readouts built on them.

The density estimators of :mod:`mibench.neural.density_estimators` (Barber–Agakov, CLUB,
difference of entropies) train a conditional density by maximum likelihood in the shared
trainer. Their models follow the :class:`~mibench.neural.critics.ScoreModel` protocol: flat
parameters ``theta: (E, P)`` per ensemble member, and "scores" ``(E, b, 1 + k)`` over the pair
layout of :func:`~mibench.neural.critics.pair_index` (row i of ``pairs`` is
``[i, (i + 1) mod b, ..., (i + k) mod b]``). Here the scores are log-densities in nats of the
(standardised, when the estimator standardises) y:

- :class:`ConditionalGaussian`: column 0 is log q(y_i | x_i), column s = 1..k is
  log q(y_{(i+s) mod b} | x_i) — the conditional evaluated on the marginal pairs (CLUB's
  negatives).
- :class:`GaussianWithMarginal`: column 0 is log q(y_i | x_i) of the conditional, column
  s = 1..k is log q_Y(y_{(i+s) mod b}) of a separate marginal density q_Y. Each cyclic shift
  is a permutation of the batch, so the mean of any marginal column is the mean of
  log q_Y over the batch's y.

The conditional is q(y | x) = N(μ(x), diag σ(x)²) (``covariance="diag"``, the estimators'
``critic="gaussian"``): one MLP from x to 2·dim_y outputs, μ and an unconstrained ``raw``
from which log σ = :func:`bounded_log_scale` (raw), a smooth map onto
[:data:`LOG_SCALE_MIN`, :data:`LOG_SCALE_MAX`] with raw = 0 ↦ log σ = 0. The bound keeps
σ from collapsing to 0 (log q of a joint pair → +∞, of a marginal pair → −∞, beyond the
trainer's score limit of 10⁴) and from blowing up; in standardised units σ ≥ e⁻⁴ ≈ 0.018
caps the information the model can resolve at about 4 nats per y coordinate.
``covariance="full"`` (``critic="gaussian-full"``) is N(μ(x), L(x)L(x)ᵀ), L lower-triangular
with diagonal σ(x) (bounded as above) and dim_y(dim_y − 1)/2 more MLP outputs below it: a
diagonal q misses the correlation of Y's coordinates given X, which costs BA and DoE the
conditional total correlation TC(Y | X) (0.032 nats on ``multinormal-dense-2-2-0.5``, 0.082
on ``-5-5-0.5``).

The marginal q_Y = N(m, L Lᵀ) of :class:`GaussianWithMarginal` has a full covariance by
default (a diagonal one overstates H(Y) by Y's total correlation, 0.14 nats on
``multinormal-dense-2-2-0.5`` and 0.84 on ``-5-5-0.5``, which DoE would add to its value);
it is initialised to N(0, I), which suits standardised data, and its parameters move
:data:`MARGINAL_GAIN` times faster. A Gaussian marginal is exact only for Gaussian Y;
otherwise DoE's Ĥ_q(Y) is a cross-entropy above H(Y).

The readouts below are pure functions of such scores (``t_joint = scores[..., 0]`` of shape
``(..., m)``, ``t_marginal = scores[..., 1:]`` of shape ``(..., m, k)``), reduced in float64
like :mod:`mibench.neural.objectives`, returning shape ``(...)`` in nats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from mibench.neural.critics import _MLP, _check_arch
from mibench.neural.defaults import DEFAULTS, DENSITY_KINDS
from mibench.neural.objectives import _check_scores, _f64, _per_member

#: Smallest log σ of a learned Gaussian (σ ≥ e⁻⁴ ≈ 0.018 in standardised units).
LOG_SCALE_MIN = -4.0
#: Largest log σ of a learned Gaussian (σ ≤ e³ ≈ 20).
LOG_SCALE_MAX = 3.0
#: q_Y's parameters are MARGINAL_GAIN × their entries of theta: Adam's steps (about lr per
#: entry) then move q_Y this many times faster than the MLP, so that the marginal (a small
#: convex fit) converges within the first evaluation instead of trailing the conditional.
MARGINAL_GAIN = 20.0
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
# raw = 0 maps to log σ = 0: sigmoid(offset) = −min / (max − min).
_OFFSET = math.log(-LOG_SCALE_MIN / LOG_SCALE_MAX)


def bounded_log_scale(raw: Tensor) -> Tensor:
    """log σ = min + (max − min)·sigmoid(raw + c), smooth and onto (min, max); raw = 0 ↦ 0.

    ``min``/``max`` are :data:`LOG_SCALE_MIN`/:data:`LOG_SCALE_MAX`, c = ln(−min / max).
    """
    span = LOG_SCALE_MAX - LOG_SCALE_MIN
    return LOG_SCALE_MIN + span * torch.sigmoid(raw + _OFFSET)


def diag_gaussian_log_density(y: Tensor, mu: Tensor, log_sigma: Tensor) -> Tensor:
    """log N(y; μ, diag σ²) in nats, summed over the last dimension (broadcasting).

    Σ_d [−½((y_d − μ_d)/σ_d)² − log σ_d − ½ ln 2π], in the dtype of the inputs.
    """
    z = (y - mu) * torch.exp(-log_sigma)
    return (-0.5 * z.square() - log_sigma).sum(-1) - y.shape[-1] * _HALF_LOG_2PI


def scale_tril(log_diag: Tensor, offdiag: Tensor) -> Tensor:
    """The lower-triangular L ``(..., d, d)`` with diagonal e^{log_diag} ``(..., d)`` and the
    strictly lower entries ``offdiag`` ``(..., d(d−1)/2)`` in row-major order."""
    d = log_diag.shape[-1]
    rows, cols = torch.tril_indices(d, d, -1, device=log_diag.device)
    off = log_diag.new_zeros(*log_diag.shape, d)
    off[..., rows, cols] = offdiag
    return off + torch.diag_embed(torch.exp(log_diag))


def tril_gaussian_log_density(y: Tensor, mu: Tensor, log_diag: Tensor, tril: Tensor) -> Tensor:
    """log N(y; μ, L Lᵀ) in nats for L = ``tril`` ``(..., d, d)`` with log-diagonal ``log_diag``
    ``(..., d)``: −½‖L⁻¹(y − μ)‖² − Σ_d log L_dd − (d/2) ln 2π (batch dimensions broadcast)."""
    r = (y - mu).unsqueeze(-1)
    # No half-precision triangular solve: at least float32 (and one dtype for both).
    dtype = torch.promote_types(torch.promote_types(r.dtype, tril.dtype), torch.float32)
    r, tril = r.to(dtype), tril.to(dtype)
    z = torch.linalg.solve_triangular(tril, r, upper=False)
    return -0.5 * z.squeeze(-1).square().sum(-1) - log_diag.sum(-1) - y.shape[-1] * _HALF_LOG_2PI


#: Covariance structures of the learned Gaussians.
COVARIANCES = ("diag", "full")


def _n_off(dim: int, covariance: str) -> int:
    return dim * (dim - 1) // 2 if covariance == "full" else 0


class ConditionalGaussian:
    """q(y | x) = N(μ(x), Σ(x)), one MLP x ↦ (μ, raw log σ[, L offdiag]).

    ``covariance="diag"``: Σ(x) = diag σ(x)², MLP width 2·dim_y. ``"full"``: Σ(x) = L(x)L(x)ᵀ
    with L lower-triangular, diagonal σ(x) and dim_y(dim_y − 1)/2 further outputs below it.
    Scores ``(E, b, 1 + k)``: log q(y_{pairs[i, s]} | x_i) in nats (column 0 the joint pair).

    Args:
        dim_x: columns of x.
        dim_y: columns of y.
        hidden: hidden widths of the MLP (at least one layer).
        activation: a key of :data:`mibench.neural.critics.ACTIVATIONS`.
        covariance: ``"diag"`` or ``"full"``.

    Raises:
        ValueError: for non-positive dimensions or widths, an unknown activation or
            covariance.
    """

    def __init__(
        self,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int] = DEFAULTS.hidden,
        activation: str = DEFAULTS.activation,
        covariance: str = "diag",
    ) -> None:
        _check_arch(dim_x, dim_y, hidden, activation)
        if covariance not in COVARIANCES:
            raise ValueError(f"covariance must be one of {COVARIANCES}, got {covariance!r}")
        self.dim_y = dim_y
        self.covariance = covariance
        width = 2 * dim_y + _n_off(dim_y, covariance)
        self.mlp = _MLP(0, (dim_x, *hidden, width), activation)
        self.n_params = self.mlp.end

    def init(self, generator: torch.Generator) -> Tensor:
        """Initial parameters drawn from ``generator``: shape ``(P,)``, float64."""
        return self.mlp.init(generator)

    def conditional(self, theta: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        """μ(x), log σ(x) (each ``(E, b, dim_y)``) and L(x) ``(E, b, dim_y, dim_y)`` (None for
        ``"diag"``) of ``theta: (E, P)`` at ``x: (E, b, dim_x)``."""
        d = self.dim_y
        out = self.mlp.forward(theta, x)
        mu, log_sigma = out[..., :d], bounded_log_scale(out[..., d : 2 * d])
        tril = scale_tril(log_sigma, out[..., 2 * d :]) if self.covariance == "full" else None
        return mu, log_sigma, tril

    def scores(self, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
        """log q(y_{pairs[i, s]} | x_i), shape ``(E, b, 1 + k)`` (``pairs: (b, 1 + k)``)."""
        mu, log_sigma, tril = self.conditional(theta, x)
        y_pairs = y[:, pairs]  # (E, b, 1 + k, dim_y)
        mu, log_sigma = mu[:, :, None], log_sigma[:, :, None]
        if tril is None:
            return diag_gaussian_log_density(y_pairs, mu, log_sigma)
        return tril_gaussian_log_density(y_pairs, mu, log_sigma, tril[:, :, None])


class GaussianWithMarginal(ConditionalGaussian):
    """A :class:`ConditionalGaussian` and a marginal q_Y(y) = N(m, S), trained together.

    Parameters: the conditional's MLP, then m (dim_y), raw log-diagonal (dim_y) and, for
    ``marginal_covariance="full"`` (S = L Lᵀ), the dim_y(dim_y − 1)/2 entries of L below its
    diagonal, all initialised to 0 (q_Y = N(0, I)) and scaled by :data:`MARGINAL_GAIN`.
    ``"diag"`` is S = diag s². Scores
    ``(E, b, 1 + k)``: column 0 log q(y_i | x_i), column s = 1..k log q_Y(y_{pairs[i, s]})
    (nats).
    """

    def __init__(
        self,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int] = DEFAULTS.hidden,
        activation: str = DEFAULTS.activation,
        covariance: str = "diag",
        marginal_covariance: str = "full",
    ) -> None:
        super().__init__(dim_x, dim_y, hidden, activation, covariance)
        if marginal_covariance not in COVARIANCES:
            raise ValueError(
                f"marginal_covariance must be one of {COVARIANCES}, got {marginal_covariance!r}"
            )
        self.marginal_covariance = marginal_covariance
        self.n_params = self.mlp.end + 2 * dim_y + _n_off(dim_y, marginal_covariance)

    def init(self, generator: torch.Generator) -> Tensor:
        """Initial parameters drawn from ``generator`` (the MLP's), then zeros for q_Y."""
        zeros = torch.zeros(self.n_params - self.mlp.end, dtype=torch.float64)
        return torch.cat([self.mlp.init(generator), zeros])

    def marginal(self, theta: Tensor) -> tuple[Tensor, Tensor, Tensor | None]:
        """m, log-diagonal (each ``(E, 1, dim_y)``) and L ``(E, 1, dim_y, dim_y)`` (None for a
        diagonal q_Y)."""
        d, start = self.dim_y, self.mlp.end
        params = MARGINAL_GAIN * theta[:, start:].unsqueeze(1)
        mean, log_diag = params[..., :d], bounded_log_scale(params[..., d : 2 * d])
        if self.marginal_covariance == "diag":
            return mean, log_diag, None
        return mean, log_diag, scale_tril(log_diag, params[..., 2 * d :])

    def scores(self, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
        """Column 0 log q(y_i | x_i), columns 1..k log q_Y(y_{pairs[i, s]}): ``(E, b, 1 + k)``."""
        mu, log_sigma, tril = self.conditional(theta, x)
        if tril is None:
            joint = diag_gaussian_log_density(y, mu, log_sigma)
        else:
            joint = tril_gaussian_log_density(y, mu, log_sigma, tril)
        mean, log_diag, m_tril = self.marginal(theta)
        if m_tril is None:
            log_qy = diag_gaussian_log_density(y, mean, log_diag)  # (E, b)
        else:
            log_qy = tril_gaussian_log_density(y, mean, log_diag, m_tril)
        return torch.cat([joint.unsqueeze(-1), log_qy[:, pairs[:, 1:]]], dim=-1)


def make_density_model(
    kind: str, dim_x: int, dim_y: int, hidden: Sequence[int], activation: str, marginal: bool
) -> ConditionalGaussian:
    """The density model of a density estimator's ``critic`` ``kind``: ``"gaussian"`` (diagonal
    conditional) or ``"gaussian-full"`` (full-covariance conditional); with a full-covariance
    marginal q_Y when ``marginal``.

    Raises:
        ValueError: naming ``critic`` (the hyperparameter that holds the kind) for any other
            kind, or the architecture argument at fault.
    """
    if kind not in DENSITY_KINDS:
        raise ValueError(
            f"critic must be one of {list(DENSITY_KINDS)} for a density estimator, got {kind!r}"
        )
    covariance = "full" if kind == "gaussian-full" else "diag"
    if marginal:
        return GaussianWithMarginal(dim_x, dim_y, tuple(hidden), activation, covariance)
    return ConditionalGaussian(dim_x, dim_y, tuple(hidden), activation, covariance)


def mean_log_likelihood(t_joint: Tensor) -> Tensor:
    """E_p[log q(y | x)] estimated by the mean of the joint column, ``(..., m)`` → ``(...)``;
    minus the conditional cross-entropy Ĥ_q(Y | X) (nats, float64)."""
    return _f64(t_joint).mean(-1)


def ba_bound(t_joint: Tensor, h_y: float | Tensor) -> Tensor:
    """Barber–Agakov: H(Y) + E_p[log q(y | x)] (Barber & Agakov 2003), nats, float64.

    Args:
        t_joint: log q(y_i | x_i), shape ``(..., m)``.
        h_y: the entropy H(Y) (or an estimate), a float or a tensor of shape ``(...)``.

    Returns:
        Shape ``(...)``. A lower bound on I(X; Y) when ``h_y`` is the exact H(Y).
    """
    lead = tuple(t_joint.shape[:-1])
    return _per_member(h_y, lead, 0, t_joint) + mean_log_likelihood(t_joint)


def club_bound(t_joint: Tensor, t_marginal: Tensor) -> Tensor:
    """CLUB: E_p[log q(y | x)] − E_{p(x)p(y)}[log q(y | x)] (Cheng et al. 2020), nats, float64.

    Args:
        t_joint: log q(y_i | x_i), shape ``(..., m)``.
        t_marginal: log q(y_j | x_i) of marginal pairs j ≠ i, shape ``(..., m, k)``.

    Returns:
        Shape ``(...)``: an upper bound on I(X; Y) when q(y | x) is close to p(y | x).
    """
    _check_scores(t_joint, t_marginal)
    return mean_log_likelihood(t_joint) - _f64(t_marginal).mean((-2, -1))


def doe_estimate(t_joint: Tensor, t_marginal: Tensor) -> Tensor:
    """Difference of entropies Ĥ_q(Y) − Ĥ_q(Y | X) (McAllester & Stratos 2020), nats, float64.

    Args:
        t_joint: log q(y_i | x_i) of the conditional, shape ``(..., m)``.
        t_marginal: log q_Y(y_j) of the marginal model, shape ``(..., m, k)`` (each column a
            permutation of the y's).

    Returns:
        Shape ``(...)``: −mean(t_marginal) − (−mean(t_joint)); not a bound.
    """
    _check_scores(t_joint, t_marginal)
    return marginal_cross_entropy(t_marginal) - (-mean_log_likelihood(t_joint))


def marginal_cross_entropy(t_marginal: Tensor) -> Tensor:
    """Ĥ_q(Y) = −mean log q_Y(y) over the marginal columns, ``(..., m, k)`` → ``(...)``."""
    return -_f64(t_marginal).mean((-2, -1))
