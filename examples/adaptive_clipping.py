"""MI as a regulariser, with MINE's adaptive gradient clipping (Belghazi et al. 2018, §3.3).

An encoder maps x ∈ R^10 to a noisy code z = f(x) + σε ∈ R^2. Its main loss asks z to
predict t = x_1 + x_2; a regulariser asks z to keep as much information about x as it can,
−β·I(x; z), with I estimated by a MINE critic trained alongside (mibench's critic and
objective functions). The MI gradient is often far larger than the main one; adaptive
clipping rescales it to at most the main gradient's norm, both norms taken over all of the
encoder's parameters:

    g = g_u + min(‖g_u‖, ‖g_m‖) · g_m / ‖g_m‖.

Run ``python examples/adaptive_clipping.py --steps 500``; it prints the main loss, the MI
estimate (nats) and the two gradient norms every 100 steps.
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from mibench.neural.clipping import adaptive_clip, clip_mi_gradient, global_norm
from mibench.neural.critics import JointCritic, pair_index
from mibench.neural.objectives import dv_bound, mine_objective


def main(steps: int = 500, beta: float = 1.0, seed: int = 0, report_every: int = 100) -> dict:
    """Train the encoder; return the last main loss, MI estimate and gradient norms.

    Args:
        steps: training steps.
        beta: weight of the MI regulariser.
        seed: random seed (all randomness comes from it).
        report_every: print a line every this many steps (0: never).

    Returns:
        ``{"main_loss", "mi", "main_grad_norm", "mi_grad_norm", "clipped_mi_grad_norm"}`` of
        the last step.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):  # nn.Linear draws its initial weights globally
        torch.manual_seed(seed)
        encoder = nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 2))
        head = nn.Linear(2, 1)
    model_opt = torch.optim.Adam([*encoder.parameters(), *head.parameters()], lr=1e-3)

    batch = 128
    critic = JointCritic(10, 2, hidden=(64, 64))
    theta = critic.init(gen).float()[None].requires_grad_()
    critic_opt = torch.optim.Adam([theta], lr=1e-3)
    pairs = pair_index(batch, 1)
    log_average = None
    figures: dict = {}

    for step in range(1, steps + 1):
        x = torch.randn(batch, 10, generator=gen)
        target = x[:, :2].sum(1, keepdim=True)
        z = encoder(x) + 0.1 * torch.randn(batch, 2, generator=gen)

        # 1. The critic ascends MINE's bound on (x, z), z held fixed.
        scores = critic.scores(theta, x[None], z.detach()[None], pairs)
        objective, log_average = mine_objective(scores[..., 0], scores[..., 1:], log_average)
        critic_opt.zero_grad()
        (-objective.sum()).backward()
        critic_opt.step()

        # 2. The encoder descends main loss − β·I(x; z), with the MI gradient clipped.
        scores = critic.scores(theta.detach(), x[None], z[None], pairs)
        mi = dv_bound(scores[..., 0], scores[..., 1:]).sum()
        main_loss = nn.functional.mse_loss(head(z), target)
        params = [*encoder.parameters(), *head.parameters()]
        grads_u = torch.autograd.grad(main_loss, params, retain_graph=True, allow_unused=True)
        grads_m = torch.autograd.grad(-beta * mi, params, allow_unused=True)
        for p, g in zip(params, adaptive_clip(grads_u, grads_m), strict=True):
            p.grad = g
        model_opt.step()

        figures = {
            "main_loss": main_loss.item(),
            "mi": mi.item(),
            "main_grad_norm": global_norm(grads_u).item(),
            "mi_grad_norm": global_norm(grads_m).item(),
            "clipped_mi_grad_norm": global_norm(clip_mi_gradient(grads_u, grads_m)).item(),
        }
        if report_every and step % report_every == 0:
            print(
                f"step {step:5d}  main loss {figures['main_loss']:.4f}  "
                f"I(x; z) {figures['mi']:.3f} nats  |g_u| {figures['main_grad_norm']:.3g}  "
                f"|g_m| {figures['mi_grad_norm']:.3g} -> {figures['clipped_mi_grad_norm']:.3g}"
            )
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--beta", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.steps, args.beta, args.seed)
