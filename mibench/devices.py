"""Torch device names: one rule for every estimator family and for the grid.

``"auto"`` is CUDA when available, else the CPU; any other value must be a device string
torch accepts (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) whose device exists on this
machine. The grid checks ``--device`` with :func:`resolve_device` before running any cell,
without importing an estimator family. torch is imported when a device is resolved, not with
this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def resolve_device(device: str | torch.device) -> torch.device:
    """The torch device for ``device``.

    Args:
        device: ``"auto"`` or a torch device string (or a :class:`torch.device`).

    Returns:
        The :class:`torch.device`.

    Raises:
        ValueError: naming ``device`` when torch does not accept it, or when it names CUDA or
            MPS on a machine that has none.
    """
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device must be 'auto' or a torch device such as 'cpu', 'cuda' or 'cuda:1', "
            f"got {device!r}"
        ) from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} was asked for but CUDA is not available here")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device={device!r} was asked for but MPS is not available here")
    return dev


def check_device(device: str | torch.device) -> None:
    """Check ``device`` as :func:`resolve_device` does, without importing torch for
    ``"auto"`` and ``"cpu"`` (always valid), so that building an estimator stays cheap.

    Raises:
        ValueError: as :func:`resolve_device`.
    """
    if isinstance(device, str) and device in ("auto", "cpu"):
        return
    resolve_device(device)
