"""Adaptive gradient clipping for MI used as a regulariser (Belghazi et al. 2018, §3.3).

When a model minimises a main loss plus an MI term estimated by a critic, the MI gradient can
dwarf the main one. MINE's adaptive clipping rescales the MI gradient g_m to the norm of the
main gradient g_u when it is larger:

    g = g_u + min(‖g_u‖, ‖g_m‖) · g_m / ‖g_m‖,

with both norms taken over all parameters together (one global norm each, not per tensor).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor


def global_norm(grads: Sequence[Tensor | None]) -> Tensor:
    """The Euclidean norm of all gradients together, sqrt(Σ‖g_i‖²); None counts as zero.

    Args:
        grads: gradients of any shapes.

    Returns:
        A 0-d tensor (0 when every gradient is None or there are none).
    """
    parts = [g.detach().pow(2).sum() for g in grads if g is not None]
    return torch.stack(parts).sum().sqrt() if parts else torch.zeros(())


def clip_mi_gradient(
    main_grads: Sequence[Tensor | None], mi_grads: Sequence[Tensor | None]
) -> list[Tensor | None]:
    """The MI gradient rescaled to norm min(‖g_u‖, ‖g_m‖), direction unchanged.

    Args:
        main_grads: g_u, one gradient (or None) per parameter.
        mi_grads: g_m, one gradient (or None) per parameter, same order and shapes.

    Returns:
        min(‖g_u‖, ‖g_m‖)·g_m/‖g_m‖ per parameter (None where g_m is None); zeros when g_m is 0.

    Raises:
        ValueError: naming ``mi_grads`` when the lists differ in length.
    """
    if len(main_grads) != len(mi_grads):
        raise ValueError(
            f"mi_grads must have one entry per parameter like main_grads ({len(main_grads)}), "
            f"got {len(mi_grads)}"
        )
    norm_u, norm_m = global_norm(main_grads), global_norm(mi_grads)
    # g_m = 0 gives norm_m = 0: the clamp makes the scale 0 instead of 0/0.
    scale = torch.minimum(norm_u, norm_m) / norm_m.clamp_min(torch.finfo(norm_m.dtype).tiny)
    return [None if g is None else g * scale.to(g) for g in mi_grads]


def adaptive_clip(
    main_grads: Sequence[Tensor | None], mi_grads: Sequence[Tensor | None]
) -> list[Tensor | None]:
    """Combined gradient g_u + min(‖g_u‖, ‖g_m‖)·g_m/‖g_m‖ (norms over all parameters).

    Args:
        main_grads: g_u, one gradient (or None) per parameter.
        mi_grads: g_m, one gradient (or None) per parameter, same order and shapes.

    Returns:
        One combined gradient per parameter (None where both are None).

    Raises:
        ValueError: naming ``mi_grads`` when the lists differ in length.
    """
    clipped = clip_mi_gradient(main_grads, mi_grads)
    out: list[Tensor | None] = []
    for gu, gm in zip(main_grads, clipped, strict=True):
        if gu is None or gm is None:
            out.append(gm if gu is None else gu)
        else:
            out.append(gu + gm)
    return out


def set_adaptive_clipped_grads(
    params: Sequence[Tensor], main_loss: Tensor, mi_loss: Tensor
) -> None:
    """Differentiate both losses and store the adaptively clipped sum in ``p.grad``.

    Use in place of ``(main_loss + mi_loss).backward()`` before ``optimizer.step()``.

    Args:
        params: the parameters shared by both losses (e.g. an encoder's).
        main_loss: the main (task) loss, a scalar.
        mi_loss: the MI regularisation term of the loss, a scalar.
    """
    params = list(params)
    main_grads = torch.autograd.grad(main_loss, params, retain_graph=True, allow_unused=True)
    mi_grads = torch.autograd.grad(mi_loss, params, allow_unused=True)
    for p, g in zip(params, adaptive_clip(main_grads, mi_grads), strict=True):
        p.grad = g
