"""Adam over a batch of flat parameter vectors, with a learning rate per member."""

from __future__ import annotations

import math

import torch
from torch import Tensor


class BatchedAdam:
    """Adam (Kingma & Ba 2015) on ``theta: (E, P)``, one learning rate and decay per row.

    The update of each row is exactly ``torch.optim.Adam``'s with that row's ``lr`` and
    ``weight_decay`` (L2 decay added to the gradient, bias-corrected moments), so a member of
    a batched ensemble follows the same trajectory as a run on its own; rows never interact.

    Args:
        theta: leaf tensor of parameters, shape ``(E, P)``, updated in place.
        lr: learning rates, shape ``(E,)``.
        weight_decay: L2 coefficients, shape ``(E,)``.
        betas: the moment decay rates.
        eps: added to the root of the second moment.
    """

    def __init__(
        self,
        theta: Tensor,
        lr: Tensor,
        weight_decay: Tensor,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.theta = theta
        self.lr = lr.to(theta).unsqueeze(1)
        self.weight_decay = weight_decay.to(theta).unsqueeze(1)
        self.decay = bool((weight_decay != 0).any())
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.exp_avg = torch.zeros_like(theta)
        self.exp_avg_sq = torch.zeros_like(theta)
        self.steps = 0

    @torch.no_grad()
    def step(self) -> None:
        """Apply one update from ``theta.grad`` and clear the gradient.

        Raises:
            RuntimeError: when ``theta`` has no gradient (no backward pass since the last step).
        """
        grad = self.theta.grad
        if grad is None:
            raise RuntimeError("BatchedAdam.step() needs theta.grad: call backward() first")
        if self.decay:
            grad = grad + self.weight_decay * self.theta
        self.steps += 1
        self.exp_avg.lerp_(grad, 1.0 - self.beta1)
        self.exp_avg_sq.mul_(self.beta2).addcmul_(grad, grad, value=1.0 - self.beta2)
        bias1 = 1.0 - self.beta1**self.steps
        bias2 = 1.0 - self.beta2**self.steps
        denom = (self.exp_avg_sq.sqrt() / math.sqrt(bias2)).add_(self.eps)
        self.theta.addcdiv_(self.exp_avg * (self.lr / bias1), denom, value=-1.0)
        self.theta.grad = None

    @torch.no_grad()
    def keep_rows(self, rows: Tensor) -> Tensor:
        """Go on with the members ``rows`` only: drop the other rows of the parameters, the
        moments, ``lr`` and ``weight_decay``.

        The step count (and so the bias correction) is kept, so each kept row's next updates
        are those it would have had with all rows.

        Args:
            rows: indices of the rows to keep, in their new order, shape ``(E',)``, long, on
                the parameters' device.

        Returns:
            The new leaf parameter tensor ``(E', P)`` (a copy of those rows, with
            ``requires_grad``), which this optimiser updates from now on.
        """
        self.theta = self.theta.detach()[rows].requires_grad_()
        self.exp_avg = self.exp_avg[rows]
        self.exp_avg_sq = self.exp_avg_sq[rows]
        self.lr = self.lr[rows]
        self.weight_decay = self.weight_decay[rows]
        self.decay = bool((self.weight_decay != 0).any())
        return self.theta
