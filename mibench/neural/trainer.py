"""The trainer shared by every neural estimator: fixed-sample and streaming modes.

One code path trains E >= 1 members of one estimator as a single batched model (weights of
shape ``(E, P)``, see :mod:`mibench.neural.critics`): a single run is E = 1, and a batched
ensemble (:mod:`mibench.neural.ensemble`) is E > 1. Each member's randomness comes from its
own ``seed`` through a CPU ``torch.Generator``, consumed in a fixed order — initial
parameters, then the train/test split, then one permutation of the training part per epoch —
so a member sees exactly the initial parameters and batches of the separate run with its
seed, on any device.

**Fixed-sample mode** (:func:`fit`). A share ``test_fraction`` of the samples (chosen by the
seed) is held out; both parts need at least :data:`MIN_PART` samples. With ``normal_scores``,
every column is first replaced by its normal scores fitted on the training part
(:func:`mibench.preprocessing.normal_scores`); with ``standardize``, every column is then
z-scored with the training part's mean and sd. Each step draws a batch of
``batch_size`` training samples (epochs of a random permutation; a last partial batch is
dropped), scores its joint pairs and ``negatives`` derangement pairs per sample, and takes an
Adam step on the estimator's training objective.

**The held-out evaluation**, every ``eval_every`` steps: the held-out part is cut, in its fixed
random order, into blocks of ``batch_size`` rows (the last block wrapped round to the start);
each held-out sample is scored against its joint pair and ``eval_negatives`` cyclic shifts
within its block (more marginal pairs than in training lower the variance of the partition
term without changing what is estimated; InfoNCE keeps its training negatives, which set its
bound), and the estimator's MI readout is applied to the scores of all blocks pooled.
Training stops after ``patience`` evaluations without a new best, or at ``max_steps``.

**The estimate** is the best held-out readout over the evaluations (the early-stopping
checkpoint), or, for an estimator whose ``selection`` names another held-out value (the
density models' log-likelihood), the readout at the evaluation where that value is largest
("a new best" above is then a new largest value of it); with ``held_out_error``,
``extras["held_out_stderr"]`` is its standard error with the critic held fixed (the
held-out bootstrap of :mod:`mibench.errorbars`, from the selected evaluation's scores);
``Estimate.trace`` lists ``(step, train value, test value)`` per evaluation, the
train value being the mean readout of the training batches since the previous evaluation.
With ``validation_fraction`` > 0 a further share of the samples (after the test part, in the
same permutation) is held out for selection: the selected evaluation and early stopping are
decided on the values of that validation part, and the estimate is the test readout at the
selected evaluation, so the value reported was not the one maximised
(``extras["validation_value"]`` is the validation readout there).
When the training part is smaller than ``batch_size``, batches are the whole training part
(full-batch training, said in ``Estimate.message``) and ``negatives`` is capped at the batch
size minus one.

**Streaming mode** (:func:`fit_streaming`). Each step draws a fresh batch from a
:class:`~mibench.tasks.streaming.StreamingTask` and records the readout of that batch before
the update; ``Estimate.trace`` lists ``(step, value, true MI)`` for every step and the value
is the mean readout of the last ``eval_every`` steps.

**Divergence.** One rule for every objective: a non-finite training objective or readout (or
held-out estimate), or a model score beyond ±``score_limit`` of the estimator class
(:data:`SCORE_LIMIT` for critics, none for density models), stops that member with
status ``diverged`` and the first step at which it happened; so does a critic whose held-out
scores are all equal (dead units: DV's value is then exactly 0). Other members of an
ensemble go on. A fit whose best held-out estimate (in streaming mode: whose final value) is
below :data:`DIVERGENCE_FLOOR` (−1 nat; MI is non-negative) is also reported as ``diverged``,
its trace kept and its value stored (flagged: reports leave it out of the mean over ok rows,
count it in the failure rate and show it in a mean that includes flagged rows). Nothing
raises for it, and no NaN is returned with status ``ok``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from mibench.devices import resolve_device
from mibench.errorbars import BOOTSTRAP_RESAMPLES, RNG_STREAM
from mibench.estimate import Estimate, Status
from mibench.neural.critics import check_negatives, negatives_per_sample, pair_index
from mibench.neural.defaults import MIN_PART, SCORE_LIMIT  # noqa: F401 - SCORE_LIMIT re-exported
from mibench.neural.optim import BatchedAdam
from mibench.preprocessing import normal_scores, unit_scaled

if TYPE_CHECKING:
    from mibench.neural.estimators import NeuralEstimator
    from mibench.tasks.streaming import StreamingTask

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


def _require(ok: bool, name: str, value: Any, accepted: str) -> None:
    if not ok:
        raise ValueError(f"{name} must be {accepted}, got {value!r}")


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def _check_member(params: dict[str, Any]) -> None:
    """Validate the hyperparameters that may vary per member."""
    _require(_is_real(params["lr"]) and params["lr"] > 0, "lr", params["lr"], "a number > 0")
    wd = params["weight_decay"]
    _require(_is_real(wd) and wd >= 0, "weight_decay", wd, "a number >= 0")
    for name in ("max_steps", "patience"):
        _require(_is_int(params[name]) and params[name] >= 1, name, params[name], "an int >= 1")
    seed = params["seed"]
    _require(seed is None or (_is_int(seed) and seed >= 0), "seed", seed, "None or an int >= 0")


def check_members(members: Sequence[NeuralEstimator]) -> None:
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
class _Shared:
    """Validated settings common to all members."""

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
    standardize: bool
    normal_scores: bool
    device: torch.device
    param_dtype: torch.dtype
    autocast_dtype: torch.dtype | None
    threads: int | None
    seeds: list[int] = field(default_factory=list)


def shared_settings(members: Sequence[NeuralEstimator]) -> _Shared:
    """Validate ``members`` (as :func:`check_members`, then every hyperparameter) and return
    the settings they share, with one resolved seed per member (None: fresh entropy).

    Raises:
        ValueError: naming the first invalid hyperparameter.
    """
    check_members(members)
    p = members[0].get_params()
    for m in members:
        _check_member(m.get_params())
        m._check_objective_params()
    hidden = p["hidden"]
    _require(
        isinstance(hidden, (list, tuple))
        and len(hidden) > 0
        and all(_is_int(w) and w >= 1 for w in hidden),
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
    _require(
        _is_int(p["eval_every"]) and p["eval_every"] >= 1,
        "eval_every",
        p["eval_every"],
        "an int >= 1",
    )
    tf = p["test_fraction"]
    _require(_is_real(tf) and 0 < tf < 1, "test_fraction", tf, "a number in (0, 1)")
    vf = p["validation_fraction"]
    _require(
        _is_real(vf) and 0 <= vf < 1 - tf,
        "validation_fraction",
        vf,
        f"a number in [0, 1 - test_fraction) = [0, {1 - tf:g})",
    )
    _require(isinstance(p["standardize"], bool), "standardize", p["standardize"], "a bool")
    _require(isinstance(p["normal_scores"], bool), "normal_scores", p["normal_scores"], "a bool")
    param_dtype, autocast_dtype = resolve_dtype(p["dtype"])
    threads = p["threads"]
    _require(
        threads is None or (_is_int(threads) and threads >= 1),
        "threads",
        threads,
        "None or an int >= 1",
    )
    seeds = [
        int(m.seed) if m.seed is not None else int(np.random.SeedSequence().entropy % (2**63))
        for m in members
    ]
    return _Shared(
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
        standardize=p["standardize"],
        normal_scores=p["normal_scores"],
        device=resolve_device(p["device"]),
        param_dtype=param_dtype,
        autocast_dtype=autocast_dtype,
        threads=threads,
        seeds=seeds,
    )


class _BatchedModel:
    """The critic weights, optimiser and objective state of E members, trained together.

    Every step also records each member's training objective and readout (``history``, on
    the device, so that no step waits for the device) for the divergence checks and traces.

    Row r of every per-member tensor (``theta``, the optimiser's moments, ``state``, ``hp``,
    ``history``) and of ``generators`` belongs to member ``members[r]`` (an index into the
    members the model was built with). :meth:`keep_rows` drops the rows of members that have
    stopped, so that a step costs what the members still training cost.
    """

    def __init__(
        self,
        members: Sequence[NeuralEstimator],
        shared: _Shared,
        dim_x: int,
        dim_y: int,
        total_steps: int,
    ) -> None:
        self.cls = type(members[0])
        self.shared = shared
        self.critic = self.cls.make_model(
            shared.critic_kind, dim_x, dim_y, shared.hidden, shared.activation, shared.embed_dim
        )
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
        objective state (see :func:`_take_rows`), ``hp``, ``history``, ``generators`` and
        ``members``; nothing else changes, so each kept member goes on exactly as before.

        Returns:
            The row indices as a long tensor on the device, shape ``(E',)``, to slice the
            caller's per-member tensors alike.

        Raises:
            TypeError: for an objective state that :func:`_take_rows` cannot slice.
        """
        index = torch.tensor(rows, dtype=torch.long, device=self.shared.device)
        self.theta = self.optimizer.keep_rows(index)
        self.state = _take_rows(self.state, index, self.cls.__name__)
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


def _take_rows(state: Any, index: Tensor, owner: str) -> Any:
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
        items = [_take_rows(s, index, owner) for s in state]
        return items if isinstance(state, list) else tuple(items)
    if isinstance(state, dict):
        return {k: _take_rows(v, index, owner) for k, v in state.items()}
    raise TypeError(
        f"{owner}.train_objective must carry None, a tensor with one row per member, or a "
        f"tuple, list or dict of them as its state, got {type(state).__name__}"
    )


#: Pairs per critic call in the held-out evaluation on CPU (see :meth:`_BatchedModel.evaluate`).
_EVAL_PAIRS = 2**14

#: Scores per chunk of held-out resamples (bounds the memory of the held-out error bar).
_RESAMPLE_BUDGET = 2_000_000

#: A best held-out estimate (streaming: a final value) below this (nats) marks a fit as
#: diverged: MI is non-negative, and a bound falls this far below 0 only when the critic failed.
DIVERGENCE_FLOOR = -1.0


def _diverged(step: int, seconds: float, limit: float, **kwargs: Any) -> Estimate:
    scores = f", or a critic score beyond ±{limit:g}" if math.isfinite(limit) else ""
    return Estimate.failed(
        Status.DIVERGED,
        f"training diverged: non-finite objective or estimate{scores}, at step {step}",
        fit_seconds=seconds,
        steps=step,
        **kwargs,
    )


def _below_floor(value: float, what: str, step: int, seconds: float, **kwargs: Any) -> Estimate:
    # The value is kept (status diverged): reports leave it out of their means but count it,
    # and can show a mean that includes it, so that dropping it never flatters an estimator.
    return Estimate(
        value=value,
        status=Status.DIVERGED,
        message=f"training diverged: {what} is {value:.4g} nats, below {DIVERGENCE_FLOOR:g}; "
        "MI is non-negative, so the critic did not train (try a smaller lr); the value is "
        "stored but flagged",
        fit_seconds=seconds,
        steps=step,
        **kwargs,
    )


#: The held-out value that marks a constant critic, on the validation part.
_VAL_CONSTANT = "validation_constant"


@dataclass
class _MemberRun:
    """Book-keeping of one member during fixed-sample training.

    ``selection`` names the held-out value whose largest value picks the reported evaluation
    (``"value"``: the readout itself; ``"validation_value"``: the readout on the validation
    part); ``best`` is the (test) readout at that evaluation.
    """

    max_steps: int
    patience: int
    selection: str = "value"
    trace: list[tuple[int, float, float]] = field(default_factory=list)
    best: float = -math.inf
    best_score: float = -math.inf
    best_step: int = 0
    best_extras: dict[str, float] = field(default_factory=dict)
    bad_evals: int = 0
    last_eval: int = 0
    stop_step: int | None = None
    stop_reason: str = ""

    @property
    def active(self) -> bool:
        return self.stop_step is None

    def record(self, step: int, train_value: float, values: dict[str, float]) -> None:
        """Add an evaluation to the trace; update the selected evaluation and the stopping
        state."""
        self.trace.append((step, train_value, values["value"]))
        self.last_eval = step
        if values[self.selection] > self.best_score:
            self.best_score, self.best = values[self.selection], values["value"]
            self.best_step, self.bad_evals = step, 0
            self.best_extras = {
                k: v for k, v in values.items() if k not in ("value", "constant", _VAL_CONSTANT)
            }
        else:
            self.bad_evals += 1
        if self.bad_evals >= self.patience:
            self.stop_step, self.stop_reason = step, "early stopping"
        elif step >= self.max_steps:
            self.stop_step, self.stop_reason = step, "max_steps"


@dataclass(frozen=True)
class StepInfo:
    """What a fixed-sample training step did, for an ``on_step`` callback.

    Only the members still training take a step: one that has stopped (early stopping,
    ``max_steps``, divergence) is left out from the next step on, so E' <= E rows remain.

    Attributes:
        step: steps taken so far (0: before the first step).
        theta: the parameters of the members that took the step, after it, shape ``(E', P)``
            (detached; do not modify).
        batch: rows of the samples in this step's batch, shape ``(E', b)`` (None at step 0).
        members: which member each row of ``theta`` and ``batch`` is (indices into the
            members passed to :func:`fit`, increasing), length E'.
    """

    step: int
    theta: Tensor
    batch: Tensor | None
    members: tuple[int, ...]


def _standardized(
    arrays: Sequence[np.ndarray], train_rows: Tensor, standardize: bool, shared: _Shared
) -> Tensor:
    """Per-member data ``(E, n, d)`` on the device, z-scored with its training rows' moments.

    With ``shared.normal_scores``, each column is first mapped to its normal scores fitted on
    the member's training rows (:func:`mibench.preprocessing.normal_scores`). Before the
    z-score, each column is rescaled exactly by a power of two
    (:func:`mibench.preprocessing.unit_scaled`), as every z-score of mibench is: the values of
    ordinary data do not change, and data at 1e−310 or 1e308 do not underflow or overflow.
    """
    if shared.normal_scores:
        arrays = [
            normal_scores(a, rows.numpy()) for a, rows in zip(arrays, train_rows, strict=True)
        ]
    if standardize:
        arrays = [unit_scaled(np.asarray(a, np.float64)) for a in arrays]
    data = torch.stack([torch.from_numpy(np.ascontiguousarray(a, np.float64)) for a in arrays])
    if standardize:
        train = torch.stack([d[rows] for d, rows in zip(data, train_rows, strict=True)])
        sd = train.std(1, correction=0, keepdim=True)
        data = (data - train.mean(1, keepdim=True)) / torch.where(sd > 0, sd, 1.0)
    return data.to(shared.device, shared.param_dtype)


def _member_rows(data: Tensor, rows: Tensor) -> Tensor:
    """``data[e, rows[e]]`` for every member e: ``data: (E, n, d)`` and ``rows: (E, m)`` (long,
    on its device) give ``(E, m, d)``, contiguous; one ``index_select`` (on CPU several times
    faster than the advanced indexing ``data[arange(E)[:, None], rows]``, same values)."""
    offsets = torch.arange(data.shape[0], device=data.device)[:, None] * data.shape[1]
    flat = data.flatten(0, 1).index_select(0, (rows + offsets).flatten())
    return flat.view(*rows.shape, data.shape[2])


def _held_out_blocks(
    x_all: Tensor, y_all: Tensor, rows: Tensor, eval_batch: int
) -> tuple[Tensor, Tensor] | tuple[None, None]:
    """The held-out rows ``rows: (E, m)`` (CPU) of each member cut, in their order, into blocks
    of ``eval_batch`` rows, the last one wrapped round to the start: ``(E, n_blocks,
    eval_batch, d)`` for X and for Y; (None, None) for a part with no rows."""
    m = rows.shape[1]
    if m == 0:
        return None, None
    n_blocks = -(-m // eval_batch)
    wrapped = rows[:, torch.arange(n_blocks * eval_batch) % m].to(x_all.device)
    shape = (n_blocks, eval_batch)
    return _member_rows(x_all, wrapped).unflatten(1, shape), _member_rows(y_all, wrapped).unflatten(
        1, shape
    )


def _epoch_batches(data: Tensor, order: Tensor, per_epoch: int, batch: int) -> Tensor:
    """The ``per_epoch`` batches of one epoch, ``(per_epoch, E, batch, d)``, contiguous: batch
    s of member e is ``data[e, order[e, s * batch : (s + 1) * batch]]`` (``data: (E, n, d)``,
    ``order: (E, n_train)``, the epoch's training rows in order)."""
    rows = _member_rows(data, order[:, : per_epoch * batch])
    return rows.unflatten(1, (per_epoch, batch)).transpose(0, 1).contiguous()


def fit(
    members: Sequence[NeuralEstimator],
    xs: Sequence[np.ndarray],
    ys: Sequence[np.ndarray],
    on_step: Callable[[StepInfo], None] | None = None,
    *,
    held_out_error: bool = False,
) -> list[Estimate]:
    """Train E members on fixed samples as one batched model (see the module docstring).

    A member that stops (early stopping, ``max_steps`` or divergence) keeps its result from
    then on and is dropped from the batched model (its parameters, optimiser and objective
    state, batches and held-out blocks), so that each step costs what the members still
    training cost; the others go on exactly as before, until the last member stops.

    Args:
        members: estimators of one class that :func:`check_members` accepts.
        xs: per-member validated float64 samples of X, each ``(n, dim_x)`` (same shape).
        ys: per-member validated float64 samples of Y, each ``(n, dim_y)``.
        on_step: called with a :class:`StepInfo` before the first step and after every step
            (for diagnostics and tests), with the rows of the members that took the step.
        held_out_error: also compute each ok member's held-out standard error
            (``extras["held_out_stderr"]``, nats; 200 readouts of its selected evaluation).

    Returns:
        One :class:`~mibench.estimate.Estimate` per member, in order.

    Raises:
        ValueError: for invalid hyperparameters (naming them), or too few samples for the
            split (naming ``test_fraction``, ``validation_fraction`` and n).
    """
    start = time.perf_counter()
    shared = shared_settings(members)
    with torch_threads(shared.threads):
        return _fit_fixed(members, shared, xs, ys, on_step, start, held_out_error)


def _fit_fixed(
    members: Sequence[NeuralEstimator],
    shared: _Shared,
    xs: Sequence[np.ndarray],
    ys: Sequence[np.ndarray],
    on_step: Callable[[StepInfo], None] | None,
    start: float,
    held_out_error: bool,
) -> list[Estimate]:
    n, dim_x = xs[0].shape
    n_test = int(round(n * shared.test_fraction))
    n_val = int(round(n * shared.validation_fraction))
    n_train = n - n_test - n_val
    if min(n_test, n_train) < MIN_PART or 0 < n_val < MIN_PART:
        split = f"{n_train} for training and {n_test} held out"
        if shared.validation_fraction:
            split += f" and {n_val} for validation"
        raise ValueError(
            f"test_fraction={shared.test_fraction} and validation_fraction="
            f"{shared.validation_fraction} split n={n} samples into {split}; each part needs "
            f"at least {MIN_PART} samples"
        )
    notes = []
    batch = min(shared.batch_size, n_train)
    if batch < shared.batch_size:
        notes.append(
            f"batch_size={shared.batch_size} exceeds the {n_train} training samples: "
            f"full-batch training with {batch}"
        )
    k = negatives_per_sample(shared.negatives, batch)
    eval_batch = min(batch, n_test, n_val or n_test)
    k_eval = negatives_per_sample(shared.eval_negatives, eval_batch)
    pairs = pair_index(batch, k, shared.device)
    eval_pairs = pair_index(eval_batch, k_eval, shared.device)

    # With a validation part, the evaluation is selected (and training stopped) on its values,
    # recorded as "validation_<name>" beside the test values.
    selection = type(members[0]).selection
    if n_val:
        selection = f"validation_{selection}"
    runs = [_MemberRun(int(m.max_steps), int(m.patience), selection=selection) for m in members]
    total_steps = max(r.max_steps for r in runs)
    model = _BatchedModel(members, shared, dim_x, ys[0].shape[1], total_steps)
    # Generator order per member: initial parameters (drawn above), split, epoch permutations.
    perms = torch.stack([torch.randperm(n, generator=g) for g in model.generators])
    test_rows, val_rows = perms[:, :n_test], perms[:, n_test : n_test + n_val]
    train_rows = perms[:, n_test + n_val :]
    x_all = _standardized(xs, train_rows, shared.standardize, shared)
    y_all = _standardized(ys, train_rows, shared.standardize, shared)
    x_test, y_test = _held_out_blocks(x_all, y_all, test_rows, eval_batch)
    x_val, y_val = _held_out_blocks(x_all, y_all, val_rows, eval_batch)
    train_rows = train_rows.to(shared.device)
    model.hp.update(
        model.cls.data_constants(_member_rows(x_all, train_rows), _member_rows(y_all, train_rows))
    )

    per_epoch = n_train // batch
    # Per member, its hp and the held-out scores of its selected evaluation (for its held-out
    # error bar).
    best_scores: dict[int, tuple[dict[str, Tensor], Tensor, Tensor]] = {}
    if on_step is not None:
        on_step(StepInfo(0, model.theta.detach(), None, tuple(model.members)))
    for step in range(1, total_steps + 1):
        slot = (step - 1) % per_epoch
        if slot == 0:
            epoch = torch.stack([torch.randperm(n_train, generator=g) for g in model.generators])
            order = train_rows.gather(1, epoch.to(shared.device))
            # The epoch's batches, gathered at once: (per_epoch, E, batch, dim).
            x_epoch, y_epoch = (_epoch_batches(t, order, per_epoch, batch) for t in (x_all, y_all))
        idx = order[:, slot * batch : (slot + 1) * batch]
        model.train_step(x_epoch[slot], y_epoch[slot], pairs)
        if on_step is not None:
            on_step(StepInfo(step, model.theta.detach(), idx, tuple(model.members)))
        active = [runs[e] for e in model.members]  # row r of the model trains active[r]
        due = [step % shared.eval_every == 0 or step == r.max_steps for r in active]
        if not any(due):
            continue
        values, t_joint, t_marginal = model.evaluate(x_test, y_test, eval_pairs)
        if x_val is not None:
            validated, _, _ = model.evaluate(x_val, y_val, eval_pairs)
            values.update({f"validation_{name}": v for name, v in validated.items()})
        since = min(r.last_eval for r, d in zip(active, due, strict=True) if d)
        bad_steps = model.first_nonfinite(since)
        train_values = model.history[1, :, since:step].cpu().numpy()
        for row, run in enumerate(active):
            if not due[row]:
                continue
            bad = bad_steps[row]  # an earlier one would have stopped the member already
            if bad is not None or not math.isfinite(values["value"][row]):
                run.stop_step = bad + 1 if bad is not None else step
                run.stop_reason = "diverged"
                continue
            if values["constant"][row]:
                run.stop_step, run.stop_reason = step, "constant"
                continue
            train_value = float(train_values[row, run.last_eval - since :].mean())
            run.record(step, train_value, {name: float(v[row]) for name, v in values.items()})
            if held_out_error and run.best_step == step:
                scores = (t_joint[row].clone(), t_marginal[row].clone())
                best_scores[model.members[row]] = (model.member_hp(row), *scores)
        keep = [row for row, run in enumerate(active) if run.active]
        if not keep:
            break
        if len(keep) < len(active):
            # Drop the members that stopped, so that the next steps cost what the others do.
            index = model.keep_rows(keep)
            x_all, y_all, x_test, y_test = (t[index] for t in (x_all, y_all, x_test, y_test))
            if x_val is not None:
                x_val, y_val = x_val[index], y_val[index]
            train_rows, order = train_rows[index], order[index]
            x_epoch, y_epoch = x_epoch.index_select(1, index), y_epoch.index_select(1, index)

    seconds = (time.perf_counter() - start) / len(members)
    common = {
        "n_train": n_train,
        "n_test": n_test,
        "batch_size": batch,
        "negatives": k,
        "eval_negatives": k_eval,
        "ensemble_size": len(members),
    }
    if n_val:
        common["n_validation"] = n_val
    results = []
    for e, (run, seed) in enumerate(zip(runs, shared.seeds, strict=True)):
        extras = {**common, "seed": seed, "stop_reason": run.stop_reason}
        kwargs = dict(device=str(shared.device), trace=run.trace, extras=extras)
        if run.stop_reason == "diverged":
            results.append(_diverged(run.stop_step, seconds, model.cls.score_limit, **kwargs))
            continue
        if run.stop_reason == "constant":
            results.append(
                Estimate.failed(
                    Status.DIVERGED,
                    f"training diverged: the critic's held-out scores became constant at step "
                    f"{run.stop_step} (dead units), so its value says nothing about I(X; Y) "
                    "(try a smaller lr)",
                    fit_seconds=seconds,
                    steps=run.stop_step,
                    **kwargs,
                )
            )
            continue
        if run.best < DIVERGENCE_FLOOR:
            what = "the best held-out estimate"
            results.append(_below_floor(run.best, what, run.stop_step, seconds, **kwargs))
            continue
        extras.update(run.best_extras, best_step=run.best_step)
        if held_out_error:
            extras["held_out_stderr"] = model.held_out_stderr(*best_scores[e], seed)
        results.append(
            Estimate(
                value=run.best,
                message="; ".join(notes),
                fit_seconds=seconds,
                steps=run.stop_step,
                **kwargs,
            )
        )
    return results


def fit_streaming(
    members: Sequence[NeuralEstimator], task: StreamingTask, n_steps: int | None = None
) -> list[Estimate]:
    """Train E members on a streaming task, one fresh batch per step (module docstring).

    Member e's batch at step t is ``task.sample_batch(t, batch_size, seed_e)``; its readout on
    that batch, before the update, is the step's value. A member whose objective or readout
    turns non-finite at step t stops there (status ``diverged``, ``steps`` = t, trace up to
    step t − 1); one whose final value is below :data:`DIVERGENCE_FLOOR` is ``diverged`` too
    (complete trace).

    Args:
        members: estimators of one class that :func:`check_members` accepts.
        task: a streaming task (``id``, ``dim_x``, ``dim_y``, ``n_steps``, ``true_mi(step)``,
            ``sample_batch(step, batch_size, seed)``).
        n_steps: steps to run; the task's ``n_steps`` when None.

    Returns:
        One :class:`~mibench.estimate.Estimate` per member: trace ``(step, value, true MI)``
        for every step run (steps counted from 0), value = mean of the last ``eval_every``
        values.

    Raises:
        ValueError: for invalid hyperparameters or ``n_steps`` (naming them; ``normal_scores``
            must be False here), or a batch of the wrong shape from the task.
    """
    start = time.perf_counter()
    shared = shared_settings(members)
    n_steps = task.n_steps if n_steps is None else n_steps
    _require(_is_int(n_steps) and n_steps >= 1, "n_steps", n_steps, "an int >= 1")
    _require(
        not shared.normal_scores,
        "normal_scores",
        True,
        "False in streaming mode (normal scores are fitted on a fixed training part)",
    )
    with torch_threads(shared.threads):
        return _fit_streaming(members, shared, task, n_steps, start)


def _fit_streaming(
    members: Sequence[NeuralEstimator],
    shared: _Shared,
    task: StreamingTask,
    n_steps: int,
    start: float,
) -> list[Estimate]:
    batch = shared.batch_size
    pairs = pair_index(batch, negatives_per_sample(shared.negatives, batch), shared.device)
    model = _BatchedModel(members, shared, task.dim_x, task.dim_y, n_steps)
    expected = ((len(members), batch, task.dim_x), (len(members), batch, task.dim_y))
    diverged_at: list[int | None] = [None] * len(members)
    checked = 0
    for step in range(n_steps):
        drawn = [task.sample_batch(step, batch, seed) for seed in shared.seeds]
        x = torch.from_numpy(np.stack([xy[0] for xy in drawn]))
        y = torch.from_numpy(np.stack([xy[1] for xy in drawn]))
        if (tuple(x.shape), tuple(y.shape)) != expected:
            raise ValueError(
                f"task {task.id!r} returned batches of shapes {tuple(x.shape[1:])} and "
                f"{tuple(y.shape[1:])}, expected {expected[0][1:]} and {expected[1][1:]}"
            )
        to_device = dict(device=shared.device, dtype=shared.param_dtype)
        x, y = x.to(**to_device), y.to(**to_device)
        model.hp.update(model.cls.data_constants(x, y))
        model.train_step(x, y, pairs)
        if model.steps % shared.eval_every == 0 or model.steps == n_steps:
            for e, bad in enumerate(model.first_nonfinite(checked)):
                if diverged_at[e] is None:
                    diverged_at[e] = bad
            checked = model.steps
            if all(d is not None for d in diverged_at):
                break

    seconds = (time.perf_counter() - start) / len(members)
    done = model.steps
    values = model.history[1, :, :done].cpu().numpy()
    truth = [float(task.true_mi(s)) for s in range(done)]
    window = min(shared.eval_every, done)
    results = []
    for e, seed in enumerate(shared.seeds):
        last = done if diverged_at[e] is None else diverged_at[e]
        extras = {
            "seed": seed,
            "task": task.id,
            "batch_size": batch,
            "window": window,
            "true_mi": truth[last - 1] if last else math.nan,
            "ensemble_size": len(members),
        }
        kwargs = dict(
            device=str(shared.device),
            trace=[(s, float(values[e, s]), truth[s]) for s in range(last)],
            n_samples=last * batch,
            extras=extras,
        )
        value = float(values[e, done - window : done].mean())
        if diverged_at[e] is not None:
            results.append(_diverged(last, seconds, model.cls.score_limit, **kwargs))
        elif value < DIVERGENCE_FLOOR:
            what = f"the final value (mean of the last {window} steps)"
            results.append(_below_floor(value, what, done, seconds, **kwargs))
        else:
            results.append(Estimate(value=value, fit_seconds=seconds, steps=done, **kwargs))
    return results
