"""The settings of a neural fit: hyperparameter checks, ensemble membership and resources.

:func:`check_members` decides which estimators may train together as one batched model (the
hyperparameters of :data:`PER_MEMBER` and the class's objective hyperparameters may differ
between members, nothing else); :func:`shared_settings` validates every hyperparameter and
returns the :class:`SharedSettings` common to all members, with one resolved seed each.
:func:`resolve_dtype` maps a ``dtype`` name to the parameter and autocast dtypes, and
:func:`torch_threads` runs a block with a given number of intra-op CPU threads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch

from mibench.devices import resolve_device
from mibench.neural.critics import check_negatives, negatives_per_sample
from mibench.neural.defaults import NEURAL_STANDARDIZATIONS
from mibench.preprocessing import standardize_method
from mibench.validation import check_real, is_int, is_real, require

if TYPE_CHECKING:
    from mibench.protocols import NeuralObjective

#: Hyperparameters that may differ between the members of one batched ensemble.
PER_MEMBER = frozenset({"seed", "lr", "weight_decay", "max_steps", "patience"})

_DTYPES = {
    "float32": (torch.float32, None),
    "float64": (torch.float64, None),
    "bfloat16": (torch.float32, torch.bfloat16),
    "float16": (torch.float32, torch.float16),
}


def resolve_dtype(dtype: str) -> tuple[torch.dtype, torch.dtype | None]:
    """``(parameter dtype, autocast dtype or None)`` for a ``dtype`` name.

    ``"float32"`` and ``"float64"`` train in that precision; ``"bfloat16"`` and ``"float16"``
    run the critic under ``torch.autocast`` with float32 weights (mixed precision). Objectives
    always reduce in float64.

    Raises:
        ValueError: naming ``dtype`` for any other value.
    """
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {dtype!r}")
    return _DTYPES[dtype]


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` intra-op CPU threads (None: unchanged), then restore."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _check_member(params: dict[str, Any]) -> None:
    """Validate the hyperparameters that may vary per member.

    Raises:
        ValueError: naming the first invalid one of ``lr``, ``weight_decay``, ``max_steps``,
            ``patience`` and ``seed``.
    """
    check_real("lr", params["lr"], 0, low_open=True)
    check_real("weight_decay", params["weight_decay"], 0)
    for name in ("max_steps", "patience"):
        require(is_int(params[name]) and params[name] >= 1, name, params[name], "an int >= 1")
    seed = params["seed"]
    require(seed is None or (is_int(seed) and seed >= 0), "seed", seed, "None or an int >= 0")


def check_members(members: Sequence[NeuralObjective]) -> None:
    """Check that ``members`` can train as one batched model.

    They must be instances of one estimator class whose hyperparameters agree except for
    :data:`PER_MEMBER` ones and the class's objective hyperparameters (e.g. MINE's ``rate``).

    Raises:
        ValueError: naming ``members`` when it is empty or mixes classes, or naming the first
            hyperparameter that differs where it must agree.
    """
    if len(members) == 0:
        raise ValueError("members must hold at least one estimator, got an empty sequence")
    cls = type(members[0])
    free = PER_MEMBER | set(cls.objective_params)
    first = members[0].get_params()
    for i, m in enumerate(members):
        if type(m) is not cls:
            raise ValueError(
                f"members must all be {cls.__name__}, got {type(m).__name__} at index {i}"
            )
        params = m.get_params()
        for name, value in params.items():
            if name not in free and value != first[name]:
                raise ValueError(
                    f"members must share {name!r} to train as one batched model; member 0 "
                    f"has {first[name]!r}, member {i} has {value!r}"
                )


@dataclass
class SharedSettings:
    """Validated settings common to all members (see :func:`shared_settings`)."""

    critic_kind: str
    hidden: tuple[int, ...]
    activation: str
    embed_dim: int
    negatives: int | str
    eval_negatives: int | str
    batch_size: int
    eval_every: int
    test_fraction: float
    validation_fraction: float
    #: Whether each member's columns are z-scored (``standardize`` is ``"zscore"``).
    standardize: bool
    normal_scores: bool
    #: Whether the model sees ``[x, x ∘ x]`` and ``[y, y ∘ y]``
    #: (:class:`~mibench.neural.critics.QuadraticFeatures`).
    quadratic_features: bool
    device: torch.device
    param_dtype: torch.dtype
    autocast_dtype: torch.dtype | None
    threads: int | None
    seeds: list[int] = field(default_factory=list)


def shared_settings(members: Sequence[NeuralObjective]) -> SharedSettings:
    """Validate ``members`` (as :func:`check_members`, then every hyperparameter) and return
    the settings they share, with one resolved seed per member (None: seed 0, as for every
    estimator).

    Raises:
        ValueError: naming the first invalid hyperparameter.
    """
    check_members(members)
    p = members[0].get_params()
    for m in members:
        _check_member(m.get_params())
        m.check_objective_params()
    hidden = p["hidden"]
    require(
        isinstance(hidden, (list, tuple))
        and len(hidden) > 0
        and all(is_int(w) and w >= 1 for w in hidden),
        "hidden",
        hidden,
        "a non-empty tuple of positive ints, e.g. (64, 64)",
    )
    negatives_per_sample(p["negatives"], p["batch_size"])  # validates both
    if p["negatives"] != "all" and p["negatives"] >= p["batch_size"]:
        raise ValueError(
            f"negatives={p['negatives']} needs batch_size >= {p['negatives'] + 1} (each sample "
            f"is paired with that many other samples), got batch_size={p['batch_size']}"
        )
    eval_negatives = p["negatives"] if p["eval_negatives"] is None else p["eval_negatives"]
    check_negatives(eval_negatives, "eval_negatives")
    require(
        is_int(p["eval_every"]) and p["eval_every"] >= 1,
        "eval_every",
        p["eval_every"],
        "an int >= 1",
    )
    tf = p["test_fraction"]
    require(is_real(tf) and 0 < tf < 1, "test_fraction", tf, "a number in (0, 1)")
    vf = p["validation_fraction"]
    require(
        is_real(vf) and 0 <= vf < 1 - tf,
        "validation_fraction",
        vf,
        f"a number in [0, 1 - test_fraction) = [0, {1 - tf:g})",
    )
    standardize = standardize_method(p["standardize"], NEURAL_STANDARDIZATIONS) == "zscore"
    require(isinstance(p["normal_scores"], bool), "normal_scores", p["normal_scores"], "a bool")
    quadratic = p["quadratic_features"]
    require(isinstance(quadratic, bool), "quadratic_features", quadratic, "a bool")
    cls = type(members[0])
    require(
        not quadratic or cls.liftable_inputs,
        "quadratic_features",
        quadratic,
        f"False for {cls.__name__} (its model is a density of y, which the lift would change)",
    )
    param_dtype, autocast_dtype = resolve_dtype(p["dtype"])
    threads = p["threads"]
    require(
        threads is None or (is_int(threads) and threads >= 1),
        "threads",
        threads,
        "None or an int >= 1",
    )
    seeds = [int(m.seed) if m.seed is not None else 0 for m in members]
    return SharedSettings(
        critic_kind=p["critic"],
        hidden=tuple(p["hidden"]) if isinstance(p["hidden"], (list, tuple)) else p["hidden"],
        activation=p["activation"],
        embed_dim=p["embed_dim"],
        negatives=p["negatives"],
        eval_negatives=eval_negatives,
        batch_size=int(p["batch_size"]),
        eval_every=int(p["eval_every"]),
        test_fraction=float(tf),
        validation_fraction=float(vf),
        standardize=standardize,
        normal_scores=p["normal_scores"],
        quadratic_features=quadratic,
        device=resolve_device(p["device"]),
        param_dtype=param_dtype,
        autocast_dtype=autocast_dtype,
        threads=threads,
        seeds=seeds,
    )
