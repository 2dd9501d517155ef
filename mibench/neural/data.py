"""The per-member data of fixed-sample training, as tensors on the device.

:func:`member_data` stacks the members' samples into one ``(E, n, d)`` tensor, optionally
replaced by normal scores and z-scored with each member's training rows;
:func:`member_rows` gathers rows per member, :func:`held_out_blocks` cuts the held-out rows
into the evaluation's blocks and :func:`epoch_batches` gathers an epoch's training batches.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import Tensor

from mibench.preprocessing import normal_scores, unit_scaled

if TYPE_CHECKING:
    from mibench.neural.settings import SharedSettings


def member_data(
    arrays: Sequence[np.ndarray], train_rows: Tensor, shared: SharedSettings, name: str
) -> tuple[Tensor, list[str | None]]:
    """Per-member data ``(E, n, d)`` on the device, z-scored with its training rows' moments
    when ``shared.standardize``, and per member why its data cannot train (None when they can).

    With ``shared.normal_scores``, each column is first mapped to its normal scores fitted on
    the member's training rows (:func:`mibench.preprocessing.normal_scores`). Before the
    z-score, each column is rescaled exactly by a power of two
    (:func:`mibench.preprocessing.unit_scaled`), as every z-score of mibench is: the values of
    ordinary data do not change, and data at 1e−310 or 1e308 do not underflow or overflow.

    A member's data cannot train when, cast to the parameters' dtype, they lose what the
    estimate needs: a finite value becomes ±inf, or a column that varies becomes constant
    (e.g. data at 1e−200 with ``standardize="none"`` in float32, which become zeros; z-scored
    data are of order 1). The message names ``name`` (``"x"`` or ``"y"``) and what to change.
    """
    if shared.normal_scores:
        arrays = [
            normal_scores(a, rows.numpy()) for a, rows in zip(arrays, train_rows, strict=True)
        ]
    if shared.standardize:
        arrays = [unit_scaled(np.asarray(a, np.float64)) for a in arrays]
    data = torch.stack([torch.from_numpy(np.ascontiguousarray(a, np.float64)) for a in arrays])
    if shared.standardize:
        train = torch.stack([d[rows] for d, rows in zip(data, train_rows, strict=True)])
        sd = train.std(1, correction=0, keepdim=True)
        data = (data - train.mean(1, keepdim=True)) / torch.where(sd > 0, sd, 1.0)
    cast = data.to(shared.device, shared.param_dtype)
    back = cast.to("cpu", torch.float64)
    return cast, [_cast_loss(d, b, name, shared) for d, b in zip(data, back, strict=True)]


def _cast_loss(data: Tensor, cast: Tensor, name: str, shared: SharedSettings) -> str | None:
    """Why one member's ``data: (n, d)`` cannot train once cast to the parameters' dtype
    (``cast``: the cast values back in float64), or None (see :func:`member_data`)."""
    overflow = bool((torch.isfinite(data) & ~torch.isfinite(cast)).any())
    collapsed = (data.amax(0) > data.amin(0)) & (cast.amax(0) == cast.amin(0))
    if not (overflow or bool(collapsed.any())):
        return None
    high = float(data.abs().max())
    what = "overflow to inf" if overflow else "lose their variation (a column becomes constant)"
    fixes = "centre and rescale " + name
    if not shared.standardize:
        fixes = "standardize='zscore' (the default), or " + fixes
    return (
        f"{name} (|values| up to {high:.3g}) {what} in {shared.param_dtype}, the "
        f"critic's dtype: use {fixes}"
    )


def member_rows(data: Tensor, rows: Tensor) -> Tensor:
    """``data[e, rows[e]]`` for every member e: ``data: (E, n, d)`` and ``rows: (E, m)`` (long,
    on its device) give ``(E, m, d)``, contiguous; one ``index_select`` (on CPU several times
    faster than the advanced indexing ``data[arange(E)[:, None], rows]``, same values)."""
    offsets = torch.arange(data.shape[0], device=data.device)[:, None] * data.shape[1]
    flat = data.flatten(0, 1).index_select(0, (rows + offsets).flatten())
    return flat.view(*rows.shape, data.shape[2])


def held_out_blocks(
    x_all: Tensor, y_all: Tensor, rows: Tensor, eval_batch: int
) -> tuple[Tensor, Tensor] | None:
    """The held-out rows ``rows: (E, m)`` (CPU) of each member cut, in their order, into blocks
    of ``eval_batch`` rows, the last one wrapped round to the start: ``(E, n_blocks,
    eval_batch, d)`` for X and for Y; None for a part with no rows."""
    m = rows.shape[1]
    if m == 0:
        return None
    n_blocks = -(-m // eval_batch)
    wrapped = rows[:, torch.arange(n_blocks * eval_batch) % m].to(x_all.device)
    shape = (n_blocks, eval_batch)
    return member_rows(x_all, wrapped).unflatten(1, shape), member_rows(y_all, wrapped).unflatten(
        1, shape
    )


def epoch_batches(data: Tensor, order: Tensor, per_epoch: int, batch: int) -> Tensor:
    """The ``per_epoch`` batches of one epoch, ``(per_epoch, E, batch, d)``, contiguous: batch
    s of member e is ``data[e, order[e, s * batch : (s + 1) * batch]]`` (``data: (E, n, d)``,
    ``order: (E, n_train)``, the epoch's training rows in order)."""
    rows = member_rows(data, order[:, : per_epoch * batch])
    return rows.unflatten(1, (per_epoch, batch)).transpose(0, 1).contiguous()
