"""Fixed-sample training of E >= 1 members as one batched model (:func:`fit`).

A share ``test_fraction`` of the samples (chosen by the seed) is held out; both parts need at
least :data:`~mibench.neural.defaults.MIN_PART` samples. With ``normal_scores``, every column
is first replaced by its normal scores fitted on the training part
(:func:`mibench.preprocessing.normal_scores`); with ``standardize``, every column is then
z-scored with the training part's mean and sd. Each step draws a batch of ``batch_size``
training samples (epochs of a random permutation; a last partial batch is dropped), scores its
joint pairs and ``negatives`` derangement pairs per sample, and takes an Adam step on the
estimator's training objective. Each member's generator gives, in this order, its initial
parameters, the split and one permutation per epoch (see :mod:`mibench.neural.batched`).

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

Divergence (non-finite values, scores beyond the class's ``score_limit``, a constant critic,
a best held-out estimate below the floor) follows the rules of :mod:`mibench.neural.outcome`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import Tensor

from mibench.estimate import Estimate, Status
from mibench.neural.batched import BatchedModel
from mibench.neural.critics import negatives_per_sample, pair_index
from mibench.neural.data import epoch_batches, held_out_blocks, member_data, member_rows
from mibench.neural.defaults import MIN_PART
from mibench.neural.outcome import (
    DIVERGENCE_FLOOR,
    MemberRun,
    below_floor_estimate,
    constant_estimate,
    diverged_estimate,
)
from mibench.neural.settings import SharedSettings, shared_settings, torch_threads

if TYPE_CHECKING:
    from mibench.protocols import NeuralObjective

#: One member's objective hyperparameters (0-d tensors, :meth:`BatchedModel.member_hp`) and
#: the held-out joint ``(m,)`` and marginal ``(m, k)`` scores of its selected evaluation.
_HeldOutScores = tuple[dict[str, Tensor], Tensor, Tensor]


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


def fit(
    members: Sequence[NeuralObjective],
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
    training cost; the others go on exactly as before, until the last member stops. A member
    whose data cannot train in the parameters' dtype (a finite value overflows, or a varying
    column becomes constant: see :func:`~mibench.neural.data.member_data`) does not train: its
    estimate has status ``error`` and a message that names ``x`` or ``y`` and what to change.

    Args:
        members: estimators of one class that
            :func:`~mibench.neural.settings.check_members` accepts.
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
    members: Sequence[NeuralObjective],
    shared: SharedSettings,
    xs: Sequence[np.ndarray],
    ys: Sequence[np.ndarray],
    on_step: Callable[[StepInfo], None] | None,
    start: float,
    held_out_error: bool,
) -> list[Estimate]:
    """:func:`fit` with validated ``shared`` settings, timed from ``start``."""
    n, dim_x = xs[0].shape
    split = _split_sizes(n, shared)
    batching = _batching(split, shared)
    runs = _member_runs(members, split)
    total_steps = max(r.max_steps for r in runs)
    model = BatchedModel(members, shared, dim_x, ys[0].shape[1], total_steps)
    # Generator order per member: initial parameters (drawn above), split, epoch permutations.
    data, unfit = _member_data(model, xs, ys, split, batching.eval_batch)
    for run, why in zip(runs, unfit, strict=True):
        if why is not None:
            run.stop_step, run.stop_reason, run.failure = 0, "data", why
    keep = [e for e, run in enumerate(runs) if run.active]
    best_scores: dict[int, _HeldOutScores] = {}
    if keep:
        if len(keep) < len(runs):
            data.keep(model.keep_rows(keep))
        model.hp.update(model.cls.data_constants(*data.training_part()))
        best_scores = _train(model, runs, data, batching, total_steps, on_step, held_out_error)
    seconds = (time.perf_counter() - start) / len(members)
    return _estimates(model, runs, split, batching, best_scores, seconds)


@dataclass(frozen=True)
class _Split:
    """How each member's n samples divide: held-out (test), validation and training parts."""

    n: int
    n_test: int
    n_val: int
    n_train: int


def _split_sizes(n: int, shared: SharedSettings) -> _Split:
    """The part sizes for ``n`` samples under ``shared``'s test and validation fractions.

    Raises:
        ValueError: naming ``test_fraction``, ``validation_fraction`` and n when a part (the
            validation part when there is one) gets fewer than ``MIN_PART`` samples.
    """
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
    return _Split(n=n, n_test=n_test, n_val=n_val, n_train=n_train)


@dataclass(frozen=True)
class _Batching:
    """The batches of training and of the held-out evaluation.

    Attributes:
        batch: training batch size (``batch_size``, or the whole training part when smaller).
        negatives: marginal pairs per sample in training (k).
        eval_batch: rows per held-out block.
        eval_negatives: marginal pairs per sample in the held-out evaluation.
        pairs: the training pair index ``(batch, 1 + negatives)`` on the device.
        eval_pairs: the held-out pair index ``(eval_batch, 1 + eval_negatives)``.
        notes: what the estimate's message says (full-batch training).
    """

    batch: int
    negatives: int
    eval_batch: int
    eval_negatives: int
    pairs: Tensor
    eval_pairs: Tensor
    notes: tuple[str, ...]


def _batching(split: _Split, shared: SharedSettings) -> _Batching:
    """The batch sizes and pair indices of ``split`` under ``shared``."""
    notes = []
    batch = min(shared.batch_size, split.n_train)
    if batch < shared.batch_size:
        notes.append(
            f"batch_size={shared.batch_size} exceeds the {split.n_train} training samples: "
            f"full-batch training with {batch}"
        )
    k = negatives_per_sample(shared.negatives, batch)
    eval_batch = min(batch, split.n_test, split.n_val or split.n_test)
    k_eval = negatives_per_sample(shared.eval_negatives, eval_batch)
    return _Batching(
        batch=batch,
        negatives=k,
        eval_batch=eval_batch,
        eval_negatives=k_eval,
        pairs=pair_index(batch, k, shared.device),
        eval_pairs=pair_index(eval_batch, k_eval, shared.device),
        notes=tuple(notes),
    )


def _member_runs(members: Sequence[NeuralObjective], split: _Split) -> list[MemberRun]:
    """One :class:`~mibench.neural.outcome.MemberRun` per member, selecting on the class's
    ``selection`` value (with a validation part: that value on the validation part)."""
    # With a validation part, the evaluation is selected (and training stopped) on its values,
    # recorded as "validation_<name>" beside the test values.
    selection = type(members[0]).selection
    if split.n_val:
        selection = f"validation_{selection}"
    return [MemberRun(int(m.max_steps), int(m.patience), selection=selection) for m in members]


@dataclass
class _MemberData:
    """The per-member tensors of a fit on the device; row r belongs to the model's row r.

    Attributes:
        x_all, y_all: every sample, standardised, ``(E, n, dim)``.
        x_test, y_test: the held-out blocks, ``(E, n_blocks, eval_batch, dim)``.
        val: the validation blocks of X and Y alike, or None without a validation part.
        train_rows: the training rows of each member, ``(E, n_train)`` (long).
    """

    x_all: Tensor
    y_all: Tensor
    x_test: Tensor
    y_test: Tensor
    val: tuple[Tensor, Tensor] | None
    train_rows: Tensor

    def training_part(self) -> tuple[Tensor, Tensor]:
        """The standardised training samples of X and Y, ``(E, n_train, dim)``."""
        return member_rows(self.x_all, self.train_rows), member_rows(self.y_all, self.train_rows)

    def keep(self, index: Tensor) -> None:
        """Keep the rows ``index`` (of :meth:`BatchedModel.keep_rows`) only."""
        self.x_all, self.y_all = self.x_all[index], self.y_all[index]
        self.x_test, self.y_test = self.x_test[index], self.y_test[index]
        if self.val is not None:
            self.val = (self.val[0][index], self.val[1][index])
        self.train_rows = self.train_rows[index]


def _member_data(
    model: BatchedModel,
    xs: Sequence[np.ndarray],
    ys: Sequence[np.ndarray],
    split: _Split,
    eval_batch: int,
) -> tuple[_MemberData, list[str | None]]:
    """Split each member's samples with a permutation from its generator (test part first,
    then validation, then training), standardise them and cut the held-out blocks; also, per
    member, why its data cannot train (:func:`~mibench.neural.data.member_data`; None when
    they can)."""
    shared = model.shared
    perms = torch.stack([torch.randperm(split.n, generator=g) for g in model.generators])
    test_rows = perms[:, : split.n_test]
    val_rows = perms[:, split.n_test : split.n_test + split.n_val]
    train_rows = perms[:, split.n_test + split.n_val :]
    x_all, x_unfit = member_data(xs, train_rows, shared, "x")
    y_all, y_unfit = member_data(ys, train_rows, shared, "y")
    test = held_out_blocks(x_all, y_all, test_rows, eval_batch)
    assert test is not None  # the held-out part has at least MIN_PART rows
    val = held_out_blocks(x_all, y_all, val_rows, eval_batch)
    data = _MemberData(x_all, y_all, *test, val=val, train_rows=train_rows.to(shared.device))
    return data, [a if a is not None else b for a, b in zip(x_unfit, y_unfit, strict=True)]


@dataclass
class _Epoch:
    """One epoch's training batches of the members still training.

    Attributes:
        order: the epoch's training rows of each member in order, ``(E, n_train)``.
        x, y: its batches, gathered at once, ``(per_epoch, E, batch, dim)``.
    """

    order: Tensor
    x: Tensor
    y: Tensor

    @classmethod
    def draw(cls, model: BatchedModel, data: _MemberData, per_epoch: int, batch: int) -> _Epoch:
        """A new epoch: one permutation of the training rows from each member's generator."""
        n_train = data.train_rows.shape[1]
        perm = torch.stack([torch.randperm(n_train, generator=g) for g in model.generators])
        order = data.train_rows.gather(1, perm.to(model.shared.device))
        x, y = (epoch_batches(t, order, per_epoch, batch) for t in (data.x_all, data.y_all))
        return cls(order=order, x=x, y=y)

    def keep(self, index: Tensor) -> None:
        """Keep the rows ``index`` (of :meth:`BatchedModel.keep_rows`) only."""
        self.order = self.order[index]
        self.x, self.y = self.x.index_select(1, index), self.y.index_select(1, index)


def _train(
    model: BatchedModel,
    runs: list[MemberRun],
    data: _MemberData,
    batching: _Batching,
    total_steps: int,
    on_step: Callable[[StepInfo], None] | None,
    keep_scores: bool,
) -> dict[int, _HeldOutScores]:
    """Train until every member has stopped, recording each evaluation in ``runs``.

    A member that stops is dropped from ``model``, ``data`` and the epoch's batches.

    Returns:
        With ``keep_scores``, the held-out scores of each member's selected evaluation,
        by member index (only members that recorded an evaluation); else empty.
    """
    batch = batching.batch
    per_epoch = data.train_rows.shape[1] // batch
    best_scores: dict[int, _HeldOutScores] = {}
    if on_step is not None:
        on_step(StepInfo(0, model.theta.detach(), None, tuple(model.members)))
    epoch: _Epoch | None = None
    for step in range(1, total_steps + 1):
        slot = (step - 1) % per_epoch
        if slot == 0:
            epoch = _Epoch.draw(model, data, per_epoch, batch)
        assert epoch is not None  # drawn at step 1
        model.train_step(epoch.x[slot], epoch.y[slot], batching.pairs)
        if on_step is not None:
            rows = epoch.order[:, slot * batch : (slot + 1) * batch]
            on_step(StepInfo(step, model.theta.detach(), rows, tuple(model.members)))
        active = [runs[e] for e in model.members]  # row r of the model trains active[r]
        due = [step % model.shared.eval_every == 0 or step == r.max_steps for r in active]
        if not any(due):
            continue
        kept = best_scores if keep_scores else None
        _evaluate(model, active, due, data, batching.eval_pairs, step, kept)
        if not _drop_stopped(model, active, data, epoch):
            break
    return best_scores


def _drop_stopped(
    model: BatchedModel, active: list[MemberRun], data: _MemberData, epoch: _Epoch
) -> bool:
    """Drop the rows of the members of ``active`` (row r: the model's row r) that have
    stopped from ``model``, ``data`` and ``epoch``, so that the next steps cost what the
    others do. Returns whether any member is still training."""
    keep = [row for row, run in enumerate(active) if run.active]
    if keep and len(keep) < len(active):
        index = model.keep_rows(keep)
        data.keep(index)
        epoch.keep(index)
    return bool(keep)


def _evaluate(
    model: BatchedModel,
    active: list[MemberRun],
    due: list[bool],
    data: _MemberData,
    eval_pairs: Tensor,
    step: int,
    best_scores: dict[int, _HeldOutScores] | None,
) -> None:
    """Score the held-out (and validation) blocks after ``step`` and judge each member of
    ``active`` (row r: the model's row r) that is ``due`` an evaluation (:func:`_judge`).

    With ``best_scores`` (not None), the held-out scores of a member whose evaluation at
    ``step`` is its new selected one are stored there, under its member index.
    """
    values, t_joint, t_marginal = model.evaluate(data.x_test, data.y_test, eval_pairs)
    if data.val is not None:
        validated, _, _ = model.evaluate(*data.val, eval_pairs)
        values.update({f"validation_{name}": v for name, v in validated.items()})
    since = min(r.last_eval for r, d in zip(active, due, strict=True) if d)
    bad_steps = model.first_nonfinite(since)
    train_values = model.history[1, :, since:step].cpu().numpy()
    for row, run in enumerate(active):
        if not due[row]:
            continue
        train_since = train_values[row, run.last_eval - since :]
        recorded = _judge(run, step, bad_steps[row], values, row, train_since)
        if recorded and best_scores is not None and run.best_step == step:
            scores = (t_joint[row].clone(), t_marginal[row].clone())
            best_scores[model.members[row]] = (model.member_hp(row), *scores)


def _judge(
    run: MemberRun,
    step: int,
    bad: int | None,
    values: dict[str, np.ndarray],
    row: int,
    train_values: np.ndarray,
) -> bool:
    """Stop ``run`` as diverged (``bad``: its first bad step since its last evaluation — an
    earlier one would have stopped it already — or a non-finite held-out value) or as a
    constant critic, or else record its evaluation at ``step`` (row ``row`` of ``values``;
    its train value is the mean of ``train_values``, the readouts since its last
    evaluation). Returns whether the evaluation was recorded."""
    if bad is not None or not math.isfinite(values["value"][row]):
        run.stop_step = bad + 1 if bad is not None else step
        run.stop_reason = "diverged"
        return False
    if values["constant"][row]:
        run.stop_step, run.stop_reason = step, "constant"
        return False
    train_value = float(train_values.mean())
    run.record(step, train_value, {name: float(v[row]) for name, v in values.items()})
    return True


def _estimates(
    model: BatchedModel,
    runs: list[MemberRun],
    split: _Split,
    batching: _Batching,
    best_scores: dict[int, _HeldOutScores],
    seconds: float,
) -> list[Estimate]:
    """One estimate per member from its finished ``run`` (``seconds``: each member's share
    of the fit time; ``best_scores``: of :func:`_train`, for the held-out error bars)."""
    common = {
        "n_train": split.n_train,
        "n_test": split.n_test,
        "batch_size": batching.batch,
        "negatives": batching.negatives,
        "eval_negatives": batching.eval_negatives,
        "ensemble_size": len(runs),
    }
    if split.n_val:
        common["n_validation"] = split.n_val
    message = "; ".join(batching.notes)
    return [
        _member_estimate(model, run, seed, common, seconds, message, best_scores.get(e))
        for e, (run, seed) in enumerate(zip(runs, model.shared.seeds, strict=True))
    ]


def _member_estimate(
    model: BatchedModel,
    run: MemberRun,
    seed: int,
    common: dict[str, int],
    seconds: float,
    message: str,
    scores: _HeldOutScores | None,
) -> Estimate:
    """The estimate of one finished member: failed or flagged when it diverged (see
    :mod:`mibench.neural.outcome`), else its selected evaluation's readout, with the held-out
    standard error of its selected evaluation's ``scores`` when given."""
    step = run.stop_step
    assert step is not None  # every member has stopped when training ends
    extras: dict[str, Any] = {**common, "seed": seed, "stop_reason": run.stop_reason}
    kwargs: dict[str, Any] = dict(device=str(model.shared.device), trace=run.trace, extras=extras)
    if run.stop_reason == "data":
        return Estimate.failed(Status.ERROR, run.failure, fit_seconds=seconds, steps=0, **kwargs)
    if run.stop_reason == "diverged":
        return diverged_estimate(step, seconds, model.cls.score_limit, **kwargs)
    if run.stop_reason == "constant":
        return constant_estimate(step, seconds, **kwargs)
    if run.best < DIVERGENCE_FLOOR:
        return below_floor_estimate(run.best, "the best held-out estimate", step, seconds, **kwargs)
    extras.update(run.best_extras, best_step=run.best_step)
    if scores is not None:
        extras["held_out_stderr"] = model.held_out_stderr(*scores, seed)
    return Estimate(value=run.best, message=message, fit_seconds=seconds, steps=step, **kwargs)
