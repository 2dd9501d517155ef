"""InfoNCE's value with the optimal critic T* = log p(x, y)/(p(x)p(y)): about I when
ln(batch) ≫ I, about ln(batch) (below it) when I ≫ ln(batch). No training: the exact critic's
scores go through the library's readout, so these check InfoNCE's formula."""

from __future__ import annotations

import math

import numpy as np
import torch

from mibench.neural import InfoNCE
from mibench.neural.critics import pair_index


def rho_for(mi: float) -> float:
    """The correlation of a standard bivariate normal with I = ``mi`` nats."""
    return math.sqrt(-math.expm1(-2 * mi))


def optimal_critic(x: torch.Tensor, y: torch.Tensor, rho: float) -> torch.Tensor:
    """log p(x, y)/(p(x)p(y)) of the standard bivariate normal with correlation rho."""
    r2 = rho * rho
    return -0.5 * math.log1p(-r2) - (r2 * (x**2 + y**2) - 2 * rho * x * y) / (2 * (1 - r2))


def infonce_of_optimal_critic(mi: float, batch: int, n_batches: int, seed: int) -> torch.Tensor:
    """InfoNCE.readout on ``n_batches`` batches: T* of every (x_i, y_j) of each batch, laid out
    as in training (pair_index: the joint pair, then the b − 1 others). Shape (n_batches,)."""
    rho = rho_for(mi)
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.standard_normal((n_batches, batch)))
    y = rho * x + math.sqrt(1 - rho**2) * torch.from_numpy(rng.standard_normal((n_batches, batch)))
    index = pair_index(batch, batch - 1).expand(n_batches, batch, batch)
    # T*(x_i, y_j) of all pairs, (E, b, b), reordered to row i = [i, i + 1, ..., i + b - 1] mod b.
    scores = optimal_critic(x[:, :, None], y[:, None, :], rho).gather(2, index)
    return InfoNCE.readout(scores[..., 0], scores[..., 1:], {})


def test_infonce_with_the_optimal_critic_is_the_mi_when_log_batch_is_large():
    # I = 0.5 nats, one batch of 4096 (ln b = 8.3). The bias, about -(e^I - 1)/b = -1.6e-4, is
    # far below the noise of one batch. Measured value - I over seeds 0-9: sd 0.0105, at most
    # 0.0255 in size (seed 0: -0.0062); tolerance 0.04 (about 4 sd).
    value = infonce_of_optimal_critic(0.5, batch=4096, n_batches=1, seed=0)
    assert value.shape == (1,) and value.dtype == torch.float64
    assert abs(value.item() - 0.5) < 0.04


def test_infonce_with_the_optimal_critic_saturates_just_below_log_batch_when_mi_is_large():
    # I = 5 nats, batches of 16 (ln 16 = 2.77): the value is capped at ln b, whatever I.
    # ln 16 - mean over 1000 batches, measured over seeds 0-9: 0.0804-0.0872 (sd 0.0021);
    # 0.0846 (± 0.0001) over 10^6 batches. Tolerance 0.01 (about 5 sd).
    values = infonce_of_optimal_critic(5.0, batch=16, n_batches=1000, seed=0)
    assert (values <= math.log(16) + 1e-12).all()
    gap = math.log(16) - values.mean().item()
    assert abs(gap - 0.0846) < 0.01
