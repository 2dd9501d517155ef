"""The batched model: the parameters, optimiser and objective state of E members at once.

One code path trains E >= 1 members of one estimator as a single batched model (weights of
shape ``(E, P)``, see :mod:`mibench.neural.critics`): a single run is E = 1, and a batched
ensemble (:mod:`mibench.neural.ensemble`) is E > 1. Each member's randomness comes from its
own ``seed`` through a CPU ``torch.Generator`` (:attr:`BatchedModel.generators`), consumed in
a fixed order — initial parameters (drawn here), then the train/test split, then one
permutation of the training part per epoch (:mod:`mibench.neural.fit_fixed`) — so a member
sees exactly the initial parameters and batches of the separate run with its seed, on any
device.

:class:`BatchedModel` takes the training steps, records each step's objective, readout and
largest score, scores the held-out blocks and gives a member's held-out standard error;
:func:`take_rows` slices an objective's carried state to the members still training.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from mibench.errorbars import BOOTSTRAP_RESAMPLES, RNG_STREAM
from mibench.neural.optim import BatchedAdam

if TYPE_CHECKING:
    from mibench.neural.settings import SharedSettings
    from mibench.protocols import BatchedScoreModel, NeuralObjective

#: Pairs per critic call in the held-out evaluation on CPU (see :meth:`BatchedModel.evaluate`).
_EVAL_PAIRS = 2**14

#: Scores per chunk of held-out resamples (bounds the memory of the held-out error bar).
_RESAMPLE_BUDGET = 2_000_000


class BatchedModel:
    """The critic weights, optimiser and objective state of E members, trained together.

    Every step also records each member's training objective and readout (``history``, on
    the device, so that no step waits for the device) for the divergence checks and traces.

    Row r of every per-member tensor (``theta``, the optimiser's moments, ``state``, ``hp``,
    ``history``) and of ``generators`` belongs to member ``members[r]`` (an index into the
    members the model was built with). :meth:`keep_rows` drops the rows of members that have
    stopped, so that a step costs what the members still training cost.

    Args:
        members: the estimators trained, that :func:`~mibench.neural.settings.check_members`
            accepts; their per-member hyperparameters fill ``hp`` and the optimiser's rates.
        shared: their :func:`~mibench.neural.settings.shared_settings`.
        dim_x, dim_y: dimensions of X and Y.
        total_steps: the most steps any member may take (the length of ``history``).
    """

    def __init__(
        self,
        members: Sequence[NeuralObjective],
        shared: SharedSettings,
        dim_x: int,
        dim_y: int,
        total_steps: int,
    ) -> None:
        self.cls: type[NeuralObjective] = type(members[0])
        self.shared = shared
        self.critic = make_score_model(self.cls, shared, dim_x, dim_y)
        dev = shared.device
        self.members = list(range(len(members)))
        self.generators = [torch.Generator().manual_seed(s) for s in shared.seeds]
        theta = torch.stack([self.critic.init(g) for g in self.generators])
        self.theta = theta.to(dev, shared.param_dtype).requires_grad_()
        per_member = [m.get_params() for m in members]

        def column(name: str) -> Tensor:
            values = [float(p[name]) for p in per_member]
            return torch.tensor(values, dtype=torch.float64, device=dev)

        self.hp = {name: column(name) for name in self.cls.objective_params}
        self.optimizer = BatchedAdam(self.theta, column("lr"), column("weight_decay"))
        self.state: Any = None
        # Row 0: training objective, row 1: readout of the training batch, row 2: the largest
        # |score| of the batch; (3, E, steps).
        self.history = torch.empty(3, len(members), total_steps, dtype=torch.float64, device=dev)
        self.steps = 0

    def scores(
        self, x: Tensor, y: Tensor, pairs: Tensor, rows: slice | None = None
    ) -> tuple[Tensor, Tensor]:
        """Joint ``(E', b)`` and marginal ``(E', b, k)`` scores of one batch per member, for
        the members of ``rows`` (all when None; ``x: (E', b, dim_x)`` holds their batches)."""
        theta = self.theta if rows is None else self.theta[rows]
        autocast = self.shared.autocast_dtype
        # autocast needs a dtype even when disabled; bfloat16 is then a placeholder.
        with torch.autocast(
            self.shared.device.type, dtype=autocast or torch.bfloat16, enabled=autocast is not None
        ):
            s = self.critic.scores(theta, x, y, pairs)
        return s[..., 0], s[..., 1:]

    def train_step(self, x: Tensor, y: Tensor, pairs: Tensor) -> None:
        """One Adam step of every member on its batch ``x: (E, b, dim_x)``, ``y``."""
        t_joint, t_marginal = self.scores(x, y, pairs)
        objective, self.state = self.cls.train_objective(t_joint, t_marginal, self.hp, self.state)
        (-objective.sum()).backward()
        self.optimizer.step()
        with torch.no_grad():
            self.history[0, :, self.steps] = objective
            self.history[1, :, self.steps] = self.cls.readout(t_joint, t_marginal, self.hp)
            self.history[2, :, self.steps] = torch.maximum(
                t_joint.detach().abs().amax(-1), t_marginal.detach().abs().amax((-2, -1))
            )
        self.steps += 1

    def keep_rows(self, rows: Sequence[int]) -> Tensor:
        """Go on with the rows ``rows`` only (indices of current rows, in their new order).

        Slices the parameters and the optimiser's moments (:meth:`BatchedAdam.keep_rows`), the
        objective state (see :func:`take_rows`), ``hp``, ``history``, ``generators`` and
        ``members``; nothing else changes, so each kept member goes on exactly as before.

        Returns:
            The row indices as a long tensor on the device, shape ``(E',)``, to slice the
            caller's per-member tensors alike.

        Raises:
            TypeError: for an objective state that :func:`take_rows` cannot slice.
        """
        index = torch.tensor(rows, dtype=torch.long, device=self.shared.device)
        self.theta = self.optimizer.keep_rows(index)
        self.state = take_rows(self.state, index, self.cls.__name__)
        self.hp = {name: v[index] for name, v in self.hp.items()}
        self.history = self.history[:, index]
        self.generators = [self.generators[r] for r in rows]
        self.members = [self.members[r] for r in rows]
        return index

    def member_hp(self, row: int) -> dict[str, Tensor]:
        """The objective hyperparameters and data constants of row ``row``, 0-d tensors."""
        return {name: v[row] for name, v in self.hp.items()}

    def first_nonfinite(self, start: int) -> list[int | None]:
        """Per member, the first step index >= ``start`` that diverged: its objective or
        readout is not finite, or a critic score is beyond ±``score_limit`` of the estimator
        class (:data:`SCORE_LIMIT` for critics; None when no step did)."""
        window = self.history[:, :, start : self.steps]
        worst = window[:2].min(0).values.cpu().numpy()
        scores = window[2].cpu().numpy()
        out: list[int | None] = []
        for row, peak in zip(worst, scores, strict=True):
            with np.errstate(invalid="ignore"):
                bad = np.flatnonzero(~np.isfinite(row) | ~(peak <= self.cls.score_limit))
            out.append(start + int(bad[0]) if bad.size else None)
        return out

    @torch.no_grad()
    def evaluate(
        self, x_blocks: Tensor, y_blocks: Tensor, pairs: Tensor
    ) -> tuple[dict[str, np.ndarray], Tensor, Tensor]:
        """Readout and extra values on blocks ``(E, n_blocks, b, d)`` (``{name: (E,)}``), and
        the pooled joint ``(E, m)`` and marginal ``(E, m, k)`` scores they came from.

        On CPU the members are scored a few at a time (at most :data:`_EVAL_PAIRS` pairs per
        critic call, at least one member): the activations of all members at once outgrow
        the cache (8 members of the default MINE score 1.5 to 3 times slower per member than 3
        at a time). Each member's scores are the same either way.
        """
        n_rows, n_blocks = x_blocks.shape[:2]
        chunk = n_rows
        if self.shared.device.type == "cpu":
            chunk = max(1, _EVAL_PAIRS // pairs.numel())
        parts = [slice(lo, lo + chunk) for lo in range(0, n_rows, chunk)]
        scored = [
            [self.scores(x_blocks[rows, j], y_blocks[rows, j], pairs, rows) for rows in parts]
            for j in range(n_blocks)
        ]
        t_joint = torch.cat([torch.cat([j for j, _ in block]) for block in scored], 1)
        t_marginal = torch.cat([torch.cat([m for _, m in block]) for block in scored], 1)
        values = {"value": self.cls.readout(t_joint, t_marginal, self.hp)}
        # A critic whose held-out scores are all equal (dead units) says nothing about the
        # dependence: its value (0 for DV) is marked as a divergence, not reported.
        flat = torch.cat([t_joint, t_marginal.flatten(1)], 1)
        values["constant"] = (flat.amax(1) == flat.amin(1)).to(torch.float64)
        for name, fn in self.cls.extra_values.items():
            values[name] = fn(t_joint, t_marginal, self.hp)
        return {name: v.cpu().numpy() for name, v in values.items()}, t_joint, t_marginal

    @torch.no_grad()
    def held_out_stderr(
        self, hp: dict[str, Tensor], t_joint: Tensor, t_marginal: Tensor, seed: int
    ) -> float:
        """Standard error (nats) of one member's held-out readout with its critic fixed: the sd
        (ddof = 1) of the readout over :data:`~mibench.errorbars.BOOTSTRAP_RESAMPLES` resamples
        with replacement of its held-out rows (joint ``(m,)`` and marginal ``(m, k)`` scores,
        each row with its own marginal pairs); NaN when fewer than two are finite. ``hp`` is
        the member's :meth:`member_hp` (0-d tensors). The resamples come from the stream
        :data:`~mibench.errorbars.RNG_STREAM` of ``seed``."""
        rng = np.random.default_rng((seed, RNG_STREAM))
        m, width = t_marginal.shape[0], t_marginal.shape[1] + 1
        chunk = max(1, min(BOOTSTRAP_RESAMPLES, _RESAMPLE_BUDGET // (m * width)))
        values = []
        for done in range(0, BOOTSTRAP_RESAMPLES, chunk):
            b = min(chunk, BOOTSTRAP_RESAMPLES - done)
            rows = torch.from_numpy(rng.integers(0, m, size=(b, m))).to(t_joint.device)
            hp_b = {name: v.expand(b) for name, v in hp.items()}
            values.append(self.cls.readout(t_joint[rows], t_marginal[rows], hp_b))
        readouts = torch.cat(values).double().cpu().numpy()
        readouts = readouts[np.isfinite(readouts)]
        return float(np.std(readouts, ddof=1)) if len(readouts) >= 2 else math.nan


def make_score_model(
    cls: type[NeuralObjective], shared: SharedSettings, dim_x: int, dim_y: int
) -> BatchedScoreModel:
    """The model of estimator class ``cls`` with the ``shared`` settings, for X of ``dim_x``
    and Y of ``dim_y`` columns: ``cls.make_model`` of the critic settings, inside
    :class:`~mibench.neural.critics.QuadraticFeatures` (built for twice the dimensions) when
    ``shared.quadratic_features``.

    Raises:
        ValueError: from ``cls.make_model``, naming the architecture argument at fault.
    """
    from mibench.neural.critics import QuadraticFeatures

    lift = 2 if shared.quadratic_features else 1
    model = cls.make_model(
        shared.critic_kind,
        lift * dim_x,
        lift * dim_y,
        shared.hidden,
        shared.activation,
        shared.embed_dim,
    )
    return QuadraticFeatures(model) if shared.quadratic_features else model


def take_rows(state: Any, index: Tensor, owner: str) -> Any:
    """The rows ``index`` of an objective state (what ``train_objective`` carries between
    steps): None as is, a tensor's first dimension (the member), and each item of a tuple,
    list or dict likewise (e.g. MINE's log moving average, shape ``(E,)``).

    Raises:
        TypeError: naming ``owner`` (the estimator class) for a state of any other type.
    """
    if state is None:
        return None
    if isinstance(state, Tensor):
        return state[index]
    if isinstance(state, (tuple, list)):
        items = [take_rows(s, index, owner) for s in state]
        return items if isinstance(state, list) else tuple(items)
    if isinstance(state, dict):
        return {k: take_rows(v, index, owner) for k, v in state.items()}
    raise TypeError(
        f"{owner}.train_objective must carry None, a tensor with one row per member, or a "
        f"tuple, list or dict of them as its state, got {type(state).__name__}"
    )
