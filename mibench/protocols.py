"""The contracts between mibench's parts, as typing protocols.

This module imports nothing from mibench, so that any part (and any plug-in) can depend on it
without import cycles: a task, an objective or an estimator written elsewhere satisfies a
protocol by having its attributes, not by inheriting from a mibench class.
"""

from __future__ import annotations

import functools
from collections.abc import Container
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np


@runtime_checkable
class TaskInfo(Protocol):
    """What every task has, fixed-sample or streaming: its identity and shape.

    The attributes may be plain attributes, class attributes or properties.

    Attributes:
        id: stable kebab-case slug, the ``task_id`` of its cells.
        version: bumped whenever sampling or the true MI changes.
        name: human-readable name.
        tags: family tags (:data:`mibench.tasks.base.TAGS`).
        dim_x, dim_y: dimensions of the sampled X and Y.
        citation: where the construction comes from (may be empty).
        streaming: False for a :class:`FixedSampleTask`, True for a
            :class:`StreamingTaskLike`.
    """

    @property
    def id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def tags(self) -> AbstractSet[str]: ...
    @property
    def dim_x(self) -> int: ...
    @property
    def dim_y(self) -> int: ...
    @property
    def citation(self) -> str: ...
    @property
    def streaming(self) -> bool: ...


@runtime_checkable
class FixedSampleTask(TaskInfo, Protocol):
    """A task with one true MI that draws fixed samples (``streaming`` false), e.g.
    :class:`mibench.tasks.Task`.

    ``isinstance(obj, FixedSampleTask)`` reads every attribute, :attr:`mi` included (which
    may compute a Monte-Carlo truth); :func:`missing_members` does not.
    """

    @property
    def mi(self) -> float:
        """True I(X; Y) in nats."""
        ...

    @property
    def mi_stderr(self) -> float:
        """Standard error of :attr:`mi` in nats (0 when exact)."""
        ...

    def sample(self, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` samples, deterministic for ``seed``: ``x: (n, dim_x)``, ``y: (n, dim_y)``,
        float64."""
        ...


@runtime_checkable
class StreamingTaskLike(TaskInfo, Protocol):
    """A task whose true MI follows a schedule over training steps (``streaming`` true),
    e.g. :class:`mibench.tasks.streaming.Staircase`."""

    @property
    def n_steps(self) -> int:
        """Length of the schedule."""
        ...

    def true_mi(self, step: int) -> float:
        """True I(X; Y) in nats of the batches of ``step`` (0 <= step < n_steps)."""
        ...

    def sample_batch(self, step: int, batch_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """The batch of ``step``, deterministic for (step, batch_size, seed):
        ``x: (batch_size, dim_x)``, ``y: (batch_size, dim_y)``, float64."""
        ...


#: A task of either kind: what the task registry holds.
TaskLike = FixedSampleTask | StreamingTaskLike


@functools.lru_cache(maxsize=64)
def protocol_members(protocol: type) -> tuple[str, ...]:
    """The public members a protocol class declares, its bases' first, in declaration
    order (e.g. ``protocol_members(TaskInfo)`` gives ``("id", "version", ..., "streaming")``)."""
    names: list[str] = []
    for base in reversed(protocol.__mro__):
        if base is object or base.__module__ == "typing":
            continue
        for name in (*getattr(base, "__annotations__", {}), *vars(base)):
            if not name.startswith("_") and name not in names:
                names.append(name)
    return tuple(names)


def missing_members(obj: object, protocol: type) -> list[str]:
    """The members of ``protocol`` (:func:`protocol_members`) that ``obj`` lacks, in the
    protocol's order; empty when ``obj`` has them all.

    Unlike ``isinstance`` on a runtime-checkable protocol, this evaluates no property: it
    looks a name up in the instance's ``__dict__`` and in the class dictionaries along
    ``type(obj).__mro__`` (as :func:`inspect.getattr_static` does for an instance, faster;
    an attribute served only by a ``__getattr__`` counts as missing, and so does one of a
    class when ``obj`` is a class).
    """
    own: Container[str] = {}
    if not isinstance(obj, type):  # a class's own attributes are not an instance's
        try:
            own = object.__getattribute__(obj, "__dict__")
        except (AttributeError, TypeError):  # no __dict__ (slots), or a foreign descriptor
            pass
    classes = [vars(cls) for cls in type(obj).__mro__]
    return [
        name
        for name in protocol_members(protocol)
        if name not in own and not any(name in d for d in classes)
    ]


# The objective protocol's annotation-only names (torch is never imported at run time here).
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, ClassVar

    import torch
    from torch import Tensor


class BatchedScoreModel(Protocol):
    """A model of E members at once whose scores an objective reads: what
    :meth:`NeuralObjective.make_model` builds (a critic, or a learned density;
    :class:`mibench.neural.critics.ScoreModel` is this contract).

    Attributes:
        n_params: length P of the flat parameter vector of one member.
    """

    @property
    def n_params(self) -> int: ...

    def init(self, generator: torch.Generator) -> Tensor:
        """Initial parameters of one member drawn from ``generator``, shape ``(P,)``."""
        ...

    def scores(self, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
        """Scores ``(E, b, 1 + k)`` of ``theta: (E, P)`` on ``x: (E, b, dim_x)``,
        ``y: (E, b, dim_y)`` and ``pairs: (b, 1 + k)`` (column 0: the joint pairs)."""
        ...


class NeuralObjective(Protocol):
    """What the neural trainer needs of an estimator (e.g. any
    :class:`mibench.neural.estimators.NeuralEstimator`): its hyperparameters, its model and
    its objective.

    The trainer (:mod:`mibench.neural.settings`, :mod:`mibench.neural.batched`,
    :mod:`mibench.neural.fit_fixed`, :mod:`mibench.neural.fit_streaming`) reads the
    instances' hyperparameters and calls the class's methods through ``type(member)``;
    ``hp`` below maps each of :attr:`objective_params` and of the :meth:`data_constants` to
    per-member values, shape ``(E,)``. Scores are joint ``t_joint: (E, m)`` and marginal
    ``t_marginal: (E, m, k)``.

    Attributes:
        objective_params: the objective's own hyperparameters (e.g. MINE's ``rate``), which
            may differ between the members of one batched model; each is read with
            :meth:`get_params` and passed in ``hp``.
        extra_values: further held-out values recorded at the selected evaluation, name ->
            ``f(t_joint, t_marginal, hp) -> (E,)``.
        selection: the held-out value whose largest value selects the evaluation reported
            (``"value"``: the readout; else one of :attr:`extra_values`).
        score_limit: a model score beyond ±this marks a step as diverged (inf: no limit).
        liftable_inputs: whether the model may see the lifted inputs ``[x, x ∘ x]``,
            ``[y, y ∘ y]`` (``quadratic_features``; not a density of y).
        seed: the member's seed (None: seed 0).
        max_steps: the member's most training steps.
        patience: evaluations without a new best before the member stops.
    """

    objective_params: ClassVar[tuple[str, ...]]
    extra_values: ClassVar[dict[str, Callable[[Tensor, Tensor, dict[str, Tensor]], Tensor]]]
    selection: ClassVar[str]
    score_limit: ClassVar[float]
    liftable_inputs: ClassVar[bool]

    @property
    def seed(self) -> int | None: ...

    @property
    def max_steps(self) -> int: ...

    @property
    def patience(self) -> int: ...

    def get_params(self) -> dict[str, Any]:
        """Every hyperparameter by name (the shared ones of the trainer and the objective's)."""
        ...

    def check_objective_params(self) -> None:
        """Validate the objective's own hyperparameters.

        Raises:
            ValueError: naming the first invalid one.
        """
        ...

    @classmethod
    def make_model(
        cls,
        kind: str,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int],
        activation: str,
        embed_dim: int,
    ) -> BatchedScoreModel:
        """The batched model whose scores the objective reads (``kind``: the ``critic``
        hyperparameter).

        Raises:
            ValueError: naming the architecture hyperparameter at fault.
        """
        ...

    @classmethod
    def data_constants(cls, x: Tensor, y: Tensor) -> dict[str, Tensor]:
        """Per-member constants of the data ``x: (E, n, dim_x)``, ``y: (E, n, dim_y)`` that
        go into ``hp``, ``{name: (E,)}`` (the training part in fixed-sample mode, each
        step's batch in streaming mode)."""
        ...

    @classmethod
    def train_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> tuple[Tensor, Any]:
        """The objective that training maximises, ``(E,)``, and the state carried to the
        next step (None, or tensors with one row per member)."""
        ...

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        """The MI estimate in nats from the scores, ``(E,)``."""
        ...
