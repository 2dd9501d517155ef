"""Variational MI bounds as pure, numerically stable functions of critic scores.

Every function takes the critic's scores in the layout produced by
:func:`mibench.neural.critics.pair_index`:

- ``t_joint``: shape ``(..., m)``, the scores T(x_i, y_i) of the m joint (positive) pairs;
- ``t_marginal``: shape ``(..., m, k)``, the scores T(x_i, y_j) of k product-of-marginals
  (negative) pairs per sample, j ≠ i (a derangement).

Leading dimensions ``...`` (ensemble members) are kept: each function returns shape ``(...)``,
in nats. Scalar hyperparameters (``shift``, ``tau``, ``rate``) are floats or tensors of the
leading shape ``(...)`` (one value per member). Scores of any floating dtype are evaluated in
float64 — the reductions cost little next to the critic, and this keeps half-precision scores
(float16 ``exp`` overflows above 11.1) and large scores (float32 ``exp`` overflows above 88.7)
finite. Expectations of ``e^T`` are taken as log-mean-exp; the only ``exp`` are the partition
terms of NWJ, TUBA, α-InfoNCE and FLO, applied to a log-mean-exp, finite up to scores of
about 700.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor


def _f64(t: Tensor) -> Tensor:
    return t.to(torch.float64)


def _per_member(value: float | Tensor, lead: tuple[int, ...], extra: int, like: Tensor) -> Tensor:
    """``value`` as a float64 tensor broadcastable against ``lead + (1,) * extra``."""
    v = torch.as_tensor(value, dtype=torch.float64, device=like.device)
    if v.ndim == 0:
        return v
    if tuple(v.shape) != lead:
        raise ValueError(
            f"a per-member hyperparameter must be a scalar or have the leading shape {lead} of "
            f"the scores, got shape {tuple(v.shape)}"
        )
    return v.reshape(lead + (1,) * extra)


def _check_scores(t_joint: Tensor, t_marginal: Tensor) -> tuple[int, ...]:
    if t_joint.ndim < 1 or t_marginal.ndim != t_joint.ndim + 1:
        raise ValueError(
            f"t_joint must have shape (..., m) and t_marginal (..., m, k), got shapes "
            f"{tuple(t_joint.shape)} and {tuple(t_marginal.shape)}"
        )
    if t_marginal.shape[:-1] != t_joint.shape or t_marginal.shape[-1] < 1:
        raise ValueError(
            f"t_marginal must have shape {tuple(t_joint.shape)} + (k,) with k >= 1, got "
            f"{tuple(t_marginal.shape)}"
        )
    return tuple(t_joint.shape[:-1])


def log_mean_exp(t: Tensor, dims: int | tuple[int, ...] = -1) -> Tensor:
    """log(mean(exp(t))) over ``dims``, computed with log-sum-exp (no overflow).

    Args:
        t: any tensor.
        dims: the dimension(s) averaged over.

    Returns:
        ``t`` reduced over ``dims``, same dtype.
    """
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    count = math.prod(t.shape[d] for d in dims)
    return torch.logsumexp(t, dim=dims) - math.log(count)


def dv_bound(t_joint: Tensor, t_marginal: Tensor) -> Tensor:
    """Donsker–Varadhan bound E_p[T] − log E_q[e^T] (Belghazi et al. 2018, MINE, eq. 10).

    Args:
        t_joint: scores of the joint pairs, shape ``(..., m)``.
        t_marginal: scores of the marginal pairs, shape ``(..., m, k)``.

    Returns:
        The bound in nats, shape ``(...)``, float64. With T = log r (r the density ratio)
        it equals I(X; Y) up to sampling error.

    Raises:
        ValueError: when the shapes do not match the layout above.
    """
    _check_scores(t_joint, t_marginal)
    return _f64(t_joint).mean(-1) - log_mean_exp(_f64(t_marginal), (-2, -1))


def nwj_bound(t_joint: Tensor, t_marginal: Tensor, shift: float | Tensor = 0.0) -> Tensor:
    """NWJ / MINE-f bound E_p[T'] − E_q[e^{T' − 1}] with T' = T + ``shift``.

    Nguyen, Wainwright & Jordan (2010); called MINE-f by Belghazi et al. (2018); Poole et al.
    (2019) eq. 9. Its optimal critic is T' = 1 + log r. ``shift = 1`` is the readout of a
    critic trained to T = log r (JSD, Hjelm et al. 2019); without it the value is I − 1/e.

    Args:
        t_joint: scores of the joint pairs, shape ``(..., m)``.
        t_marginal: scores of the marginal pairs, shape ``(..., m, k)``.
        shift: added to every score; a float or a tensor of shape ``(...)``.

    Returns:
        The bound in nats, shape ``(...)``, float64.

    Raises:
        ValueError: when the shapes do not match, or ``shift`` has the wrong shape.
    """
    lead = _check_scores(t_joint, t_marginal)
    s = _per_member(shift, lead, 0, t_joint)
    log_partition = log_mean_exp(_f64(t_marginal), (-2, -1)) + s
    return _f64(t_joint).mean(-1) + s - torch.exp(log_partition - 1.0)


#: MINE-f is the NWJ bound under another name (Belghazi et al. 2018, §3.1): the same function.
mine_f_bound = nwj_bound


def jsd_bound(t_joint: Tensor, t_marginal: Tensor) -> Tensor:
    """Jensen–Shannon (Deep InfoMax) objective E_p[−sp(−T)] − E_q[sp(T)], sp = softplus.

    Hjelm et al. (2019), eq. 4 (from the f-GAN bound of Nowozin et al. 2016). Its optimal
    critic is T = log r, where its value is 2·JSD(p‖q) − 2 ln 2 — not MI; read MI out of a
    JSD-trained critic with :func:`nwj_bound` (``shift=1``) or :func:`smile_bound`.

    Args:
        t_joint: scores of the joint pairs, shape ``(..., m)``.
        t_marginal: scores of the marginal pairs, shape ``(..., m, k)``.

    Returns:
        The objective in nats, shape ``(...)``, float64, in [−2 ln 2, 0] at the optimum.

    Raises:
        ValueError: when the shapes do not match.
    """
    _check_scores(t_joint, t_marginal)
    return (-F.softplus(-_f64(t_joint))).mean(-1) - F.softplus(_f64(t_marginal)).mean((-2, -1))


def infonce_bound(t_joint: Tensor, t_marginal: Tensor) -> Tensor:
    """InfoNCE bound mean_i[T_ii − log mean_j e^{T_ij}] (van den Oord et al. 2018, CPC).

    The mean over j runs over the positive pair and the k negatives of row i (Poole et al.
    2019, eq. 12), so the bound never exceeds ln(k + 1) — ln(batch size) when ``t_marginal``
    holds all the other samples of the batch.

    Args:
        t_joint: scores of the joint pairs, shape ``(..., m)``.
        t_marginal: scores of the marginal pairs, shape ``(..., m, k)``.

    Returns:
        The bound in nats, shape ``(...)``, float64, at most ln(k + 1).

    Raises:
        ValueError: when the shapes do not match.
    """
    _check_scores(t_joint, t_marginal)
    tj = _f64(t_joint)
    row = torch.cat([tj.unsqueeze(-1), _f64(t_marginal)], dim=-1)
    return (tj - log_mean_exp(row, -1)).mean(-1)


def smile_bound(t_joint: Tensor, t_marginal: Tensor, tau: float | Tensor = 5.0) -> Tensor:
    """SMILE estimate E_p[T] − log E_q[clip(e^T, e^−τ, e^τ)] (Song & Ermon 2020, eq. 17).

    The clip applies to the partition term only; τ = ∞ gives :func:`dv_bound`.

    Args:
        t_joint: scores of the joint pairs, shape ``(..., m)``.
        t_marginal: scores of the marginal pairs, shape ``(..., m, k)``.
        tau: the clip τ > 0; a float (``math.inf`` allowed) or a tensor of shape ``(...)``.

    Returns:
        The estimate in nats, shape ``(...)``, float64.

    Raises:
        ValueError: when the shapes do not match, or ``tau`` has the wrong shape.
    """
    lead = _check_scores(t_joint, t_marginal)
    t = _per_member(tau, lead, 2, t_joint)
    clipped = torch.clamp(_f64(t_marginal), min=-t, max=t)
    return _f64(t_joint).mean(-1) - log_mean_exp(clipped, (-2, -1))


def update_log_moving_average(
    log_average: Tensor | None, log_batch_mean: Tensor, rate: float | Tensor
) -> Tensor:
    """One step of MINE's moving average of E_q[e^T], kept in log space.

    m_t = (1 − α)·m_{t−1} + α·mean_batch(e^T) (Belghazi et al. 2018, §3.2), as
    log m_t = logaddexp(log(1 − α) + log m_{t−1}, log α + log mean_batch(e^T)). The first
    call (``log_average=None``) starts the average from the first batch, m_1 = mean_batch(e^T):
    starting from m_0 = 0 would make the first correction 1/α times too large.

    Args:
        log_average: log m_{t−1}, shape ``(...)``, or None at the first step.
        log_batch_mean: log mean_batch(e^T) of this step, shape ``(...)`` (no gradient is
            taken through it).
        rate: α in (0, 1]; a float or a tensor of shape ``(...)``.

    Returns:
        log m_t, shape ``(...)``, float64, detached.
    """
    current = _f64(log_batch_mean.detach())
    if log_average is None:
        return current
    a = _per_member(rate, tuple(current.shape), 0, current)
    return torch.logaddexp(torch.log1p(-a) + log_average, torch.log(a) + current)


def mine_objective(
    t_joint: Tensor,
    t_marginal: Tensor,
    log_average: Tensor | None,
    rate: float | Tensor = 0.01,
) -> tuple[Tensor, Tensor]:
    """MINE's bias-corrected objective: the DV value with the moving-average gradient.

    Belghazi et al. (2018), §3.2: the minibatch gradient of log E_q[e^T] is biased; MINE
    replaces its denominator mean_batch(e^T) by the moving average m_t of
    :func:`update_log_moving_average` (updated here with this batch). The returned objective
    equals :func:`dv_bound` of the batch, and its gradient is
    ∇E_p[T] − ∇mean_batch(e^T) / m_t, computed as w·∇log mean_batch(e^T) with the detached
    ratio w = mean_batch(e^T) / m_t = exp(log mean_batch(e^T) − log m_t), in log space.

    Args:
        t_joint: scores of the joint pairs, shape ``(..., m)``.
        t_marginal: scores of the marginal pairs, shape ``(..., m, k)``.
        log_average: log m_{t−1}, shape ``(...)``, or None at the first step.
        rate: the moving-average rate α in (0, 1]; a float or a tensor of shape ``(...)``.

    Returns:
        ``(objective, log_average)``: the surrogate to maximise, shape ``(...)``, float64
        (its value is the DV bound), and the updated log m_t to pass to the next step.

    Raises:
        ValueError: when the shapes do not match, or ``rate`` has the wrong shape.
    """
    _check_scores(t_joint, t_marginal)
    log_mean = log_mean_exp(_f64(t_marginal), (-2, -1))
    fixed = log_mean.detach()
    log_average = update_log_moving_average(log_average, fixed, rate)
    weight = torch.exp(fixed - log_average)
    return _f64(t_joint).mean(-1) - fixed - weight * (log_mean - fixed), log_average


def tuba_bound(t_joint: Tensor, t_marginal: Tensor) -> Tensor:
    """TUBA bound 1 + E_p[f − log a(y)] − E_{p(x)p(y)}[e^{f − log a(y)}] (Poole et al. 2019).

    The tractable unnormalized Barber–Agakov bound (Poole et al. 2019, §2.2, "I_TUBA"): for
    any critic f(x, y) and positive baseline a(y),
    I(X; Y) ≥ 1 + E_{p(x,y)}[f(x, y) − log a(y)] − E_{p(x)p(y)}[e^{f(x, y)} / a(y)]. The
    scores here are the baseline-corrected critic S = f − log a, so the bound is
    1 + mean(S_joint) − mean(e^{S_marginal}). With log a ≡ 1 it is :func:`nwj_bound` of f;
    its optimum is S = log r (r the density ratio), where it equals I(X; Y).

    Args:
        t_joint: S(x_i, y_i) of the joint pairs, shape ``(..., m)``.
        t_marginal: S(x_i, y_j) of the marginal pairs, shape ``(..., m, k)``.

    Returns:
        The bound in nats, shape ``(...)``, float64.

    Raises:
        ValueError: when the shapes do not match the layout above.
    """
    _check_scores(t_joint, t_marginal)
    log_partition = log_mean_exp(_f64(t_marginal), (-2, -1))
    return 1.0 + _f64(t_joint).mean(-1) - torch.exp(log_partition)


def _leave_one_out_sums(row: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Σ_{j ≠ l} e^{row_j} for every l of ``row: (..., n)``, in units of the row's maximum.

    Returns ``(scaled, others, top)``: e^{row − top}, Σ_{j ≠ l} e^{row_j − top} (both of
    shape ``(..., n)``) and the maximum ``top`` (shape ``(..., 1)``). One exponential pass,
    with no cumulative log-sum-exp: for l other than the argmax the sum still holds the
    maximum's term e^0 = 1, so taking e^{row_l − top} from the total loses at most a few ulps;
    for l = argmax the other terms are summed directly. Exact while the maximum exceeds the
    row's other entries by less than about 700 nats (beyond that they underflow to 0 and the
    sum is clamped to the smallest normal number).
    """
    top, where = row.max(-1, keepdim=True)
    scaled = torch.exp(row - top)
    without_top = scaled.scatter(-1, where, 0.0).sum(-1, keepdim=True)
    others = scaled.sum(-1, keepdim=True) - scaled
    others.scatter_(-1, where, without_top.clamp_min(torch.finfo(row.dtype).tiny))
    return scaled, others, top


class _AlphaInfoNCE(torch.autograd.Function):
    """Rows' terms of α-InfoNCE with a hand-written gradient (autograd's graph of the
    leave-one-out normaliser costs several passes over the b × b scores).

    Input ``row: (..., m, 1 + k)`` (the joint pair's S, then the k others'), ``log_alpha`` and
    ``log_rest`` = log α, log(1 − α) of shape ``(..., 1, 1)``; output ``(..., m)``, the joint
    term minus the marginal term of each row. With E = e^{S − top}, O_l = Σ_{j ≠ l} E_j,
    D_l = (α/k)·e^{top}·O_l + 1 − α, u_l = (α/k)·e^{top} / D_l, M = e^{top}·O_0 / k,
    mg = M / (αM + 1 − α) and β = αM / (αM + 1 − α):

        ∂/∂S_j = [j = 0] − (E_j / k)·(Σ_{l ≥ 1} u_l − [j ≥ 1]·u_j) − [j ≥ 1]·mg·(1 − β)·E_j / O_0.

    D_l is formed as e^c·(a·O_l + r) with c = max(log((α/k)·e^{top}), log(1 − α)) per row,
    so that a, r ≤ 1 (one of them 1) and nothing overflows.
    """

    @staticmethod
    def forward(ctx: Any, row: Tensor, log_alpha: Tensor, log_rest: Tensor) -> Tensor:
        k = row.shape[-1] - 1
        scaled, others, top = _leave_one_out_sums(row)
        # Marginal term per row: M / (αM + 1 − α), M the mean of e^S over the k others.
        log_m = torch.log(others[..., :1]) + top - math.log(k)
        log_mix = torch.logaddexp(log_alpha + log_m, log_rest)
        marginal = torch.exp(log_m - log_mix)
        # ∂(marginal)/∂S_j = E_j · (e^{top}/k)·(1 − β)/(αM + 1 − α) for j ≥ 1.
        beta = torch.exp(log_alpha + log_m - log_mix)
        marginal_slope = torch.exp(top - math.log(k) - log_mix) * (1.0 - beta)
        # Joint term: S_0 − mean over l ≥ 1 of log D_l, D_l = e^c·(a·O_l + r).
        log_scale = log_alpha - math.log(k) + top  # log((α/k)·e^{top}), shape (..., m, 1)
        c = torch.maximum(log_scale, log_rest)
        a, r = torch.exp(log_scale - c), torch.exp(log_rest - c)
        den = torch.addcmul(r, a, others[..., 1:])  # D_l / e^c, shape (..., m, k)
        joint = row[..., :1] - c - torch.log(den).mean(-1, keepdim=True)
        ctx.save_for_backward(scaled, den, a, marginal_slope)
        return (joint - marginal).squeeze(-1)

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None, None]:
        scaled, den, a, marginal_slope = ctx.saved_tensors
        k = scaled.shape[-1] - 1
        u = a / den  # u_l, shape (..., m, k)
        out = scaled * (-u.sum(-1, keepdim=True) / k)
        out[..., 1:] += scaled[..., 1:] * (u / k - marginal_slope)
        out[..., 0] += 1.0
        return out * grad.unsqueeze(-1), None, None


def alpha_infonce_bound(
    t_joint: Tensor, t_marginal: Tensor, alpha: float | Tensor = 0.01
) -> Tensor:
    """α-InfoNCE, the interpolation of InfoNCE (α = 1) and TUBA (α = 0) (Poole et al. 2019).

    Poole et al. (2019), §2.4 ("I_α", the nonlinearly interpolated bound): for an anchor y
    with its partner x_1 and independent x_2..x_K, m(y; x_{1:K}) = (1/K) Σ_k e^{f(x_k, y)}
    and a learned baseline a(y),

        I ≥ 1 + E_{p(x_{1:K}) p(y|x_1)}[log e^{f(x_1, y)} / (α m(y; x_{1:K}) + (1 − α) a(y))]
              − E_{p(x_{1:K}) p(y)}[e^{f(x_1, y)} / (α m(y; x_{1:K}) + (1 − α) a(y))].

    Here each row is one anchor: ``t_joint`` holds S = f − log a of the anchor's joint pair
    and ``t_marginal`` S of its k other pairs (the baseline is constant along a row, so the
    denominator is a(y)·(α·mean e^S + 1 − α)). A batch gives every anchor k independent
    partners, so K = k in both terms: the marginal term is, per row, M / (α M + 1 − α) with
    M the mean of e^S over the k other pairs (averaged over which of them plays x_1); the
    joint term averages log e^{S_joint} / (α m + 1 − α) over the k ways of leaving one of the
    other pairs out of m (the joint pair and k − 1 others). α = 0 gives :func:`tuba_bound`
    exactly; α = 1 gives the mean over the left-out pair of :func:`infonce_bound` with k − 1
    negatives (at most ln k; the marginal term is then exactly 1). A valid lower bound for
    every α in [0, 1]; the value depends on k, as InfoNCE's does.

    Args:
        t_joint: S of the joint pairs, shape ``(..., m)``.
        t_marginal: S of the marginal pairs, shape ``(..., m, k)``, k >= 1.
        alpha: α in [0, 1]; a float or a tensor of shape ``(...)``.

    Returns:
        The bound in nats, shape ``(...)``, float64.

    Raises:
        ValueError: when the shapes do not match, or ``alpha`` has the wrong shape. (Values
            of ``alpha`` are not checked here, to keep the training step free of a device
            synchronisation: outside [0, 1] the result is NaN; the estimator refuses them.)
    """
    lead = _check_scores(t_joint, t_marginal)
    a = _per_member(alpha, lead, 0, t_joint)
    tj, tm = _f64(t_joint), _f64(t_marginal)
    row = torch.cat([tj.unsqueeze(-1), tm], dim=-1)
    log_alpha, log_rest = torch.log(a)[..., None, None], torch.log1p(-a)[..., None, None]
    return 1.0 + _AlphaInfoNCE.apply(row, log_alpha, log_rest).mean(-1)


def flo_bound(u: Tensor, g_gap: Tensor) -> Tensor:
    """FLO bound 1 − E[u(x, y) + e^{−u(x, y)} · mean_k e^{g(x, y'_k) − g(x, y)}].

    Guo, Chen, Wang, Yang, Deng, Carin, Li & Tao (2022), "Tight mutual information estimation
    with contrastive Fenchel–Legendre optimization" (NeurIPS), §3, "I_FLO": the Fenchel–Legendre
    dual of the log in InfoNCE's infinite-sample limit, with critic g and a second network
    u(x, y) on the joint pair. For any g and u the value is a lower bound on I(X; Y) (the
    mean over the k negatives y'_k ~ p(y) is unbiased for the expectation inside); it is tight
    at g = log r + c(x), u = −log r (r the density ratio).

    Args:
        u: u(x_i, y_i) of the joint pairs, shape ``(..., m)``.
        g_gap: g(x_i, y'_ik) − g(x_i, y_i) for k negatives per pair, shape ``(..., m, k)``.

    Returns:
        The bound in nats, shape ``(...)``, float64.

    Raises:
        ValueError: when the shapes do not match the layout above.
    """
    _check_scores(u, g_gap)
    u64 = _f64(u)
    log_mean = log_mean_exp(_f64(g_gap), -1)
    return 1.0 - (u64 + torch.exp(log_mean - u64)).mean(-1)
