"""A differentiable MI term: a critic, its optimiser and a bound, inside an outer training loop.

MINE and Deep InfoMax were built to be one term of a bigger loss: an outer model (a
generator, an encoder) adds −β·Î or +β·Î to its own loss, while a critic is trained on the
side to keep Î tight. :class:`MITerm` holds that critic (the architecture of a registered
neural estimator, :mod:`mibench.neural.critics`) and its Adam optimiser
(:class:`~mibench.neural.optim.BatchedAdam`), and gives

* :meth:`MITerm.__call__` — the value to put into the outer loss, a 0-d tensor whose gradient
  flows into the samples ``x`` and ``y`` (and so into whatever model produced them); the critic's
  weights are held fixed in it;
* :meth:`MITerm.critic_step` — one update of the critic on detached samples, returning the MI
  estimate (nats) of that batch.

The bounds are those of :mod:`mibench.neural.objectives`, chosen per estimator by
:meth:`~mibench.neural.estimators.NeuralEstimator.regularizer_objective`:

=========  ==================================================================
estimator  value given to the outer loss (its gradient drives the outer model)
=========  ==================================================================
mine       DV bound with MINE's moving-average gradient (Belghazi et al. 2018, §3.2)
dv         DV bound, plain minibatch gradient
mine-f     NWJ bound (``nwj`` is the same)
jsd        JSD objective, as Deep InfoMax trains its encoder (Hjelm et al. 2019); not nats
smile      SMILE(τ) estimate (Song & Ermon 2020)
infonce    InfoNCE bound, at most ln(batch size)
=========  ==================================================================

The samples are used as given (no standardisation: the outer model's outputs move during
training, and a moving standardisation would change what the critic sees from step to step).
Pair the term with :func:`backward_with_mi` to apply MINE's adaptive gradient clipping
(:mod:`mibench.neural.clipping`) over the parameters that both losses reach.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import Tensor

from mibench.devices import resolve_device
from mibench.neural.batched import make_score_model
from mibench.neural.clipping import set_adaptive_clipped_grads
from mibench.neural.critics import negatives_per_sample, pair_index
from mibench.neural.defaults import SCORE_LIMIT
from mibench.neural.estimators import NeuralEstimator
from mibench.neural.optim import BatchedAdam
from mibench.neural.settings import shared_settings
from mibench.registry import estimator_factory, get_estimator, list_estimators, parse_spec


class TrainingDiverged(RuntimeError):
    """A critic or an outer model produced a non-finite value during training (or, with
    ``exploded``, a critic score beyond ±:data:`~mibench.neural.defaults.SCORE_LIMIT`).

    Attributes:
        step: the training step (counted from 1) at which it happened.
    """

    def __init__(self, what: str, step: int, *, exploded: bool = False) -> None:
        why = f"{what} beyond ±{SCORE_LIMIT:g}" if exploded else f"non-finite {what}"
        super().__init__(f"training diverged: {why} at step {step}")
        self.step = step


def differentiable_estimators() -> list[str]:
    """Registry names of the estimators an :class:`MITerm` accepts, sorted: the neural ones
    whose value has a gradient in x and y (``differentiable``; not BA, whose H(Y) is a kNN
    estimate)."""
    return sorted(
        name
        for name in list_estimators()
        if isinstance(factory := estimator_factory(name), type)
        and issubclass(factory, NeuralEstimator)
        and factory.differentiable
    )


def make_estimator(estimator: str | NeuralEstimator, **params: Any) -> NeuralEstimator:
    """The neural estimator behind an MI term, from a spec such as ``"mine[rate=0.05]"``.

    Raises:
        ValueError: naming ``estimator`` when it is unknown or not a neural estimator (KSG,
            binning or Gaussian estimators have no gradient to give), or for a rejected
            hyperparameter.
    """
    if isinstance(estimator, NeuralEstimator):
        return estimator.set_params(**params) if params else estimator
    if not isinstance(estimator, str):
        raise ValueError(
            f"estimator must be a spec string or a NeuralEstimator, got {type(estimator).__name__}"
        )
    name, _ = parse_spec(estimator)
    if name not in list_estimators():
        raise ValueError(
            f"unknown estimator {name!r}; an MI term needs a critic-based estimator, one of "
            f"{differentiable_estimators()}"
        )
    if name not in differentiable_estimators():
        raise ValueError(
            f"estimator {name!r} cannot be an MI term: it is not differentiable (an MI term "
            f"needs a neural estimator whose value has a gradient in x and y, one of "
            f"{differentiable_estimators()})"
        )
    est = get_estimator(estimator, **params)
    assert isinstance(est, NeuralEstimator)
    return est


def check_term(estimator: str | NeuralEstimator, **params: Any) -> NeuralEstimator:
    """:func:`make_estimator`, then every hyperparameter validated (e.g. MINE's ``rate``).

    Raises:
        ValueError: as :func:`make_estimator`, or naming the invalid hyperparameter.
    """
    est = make_estimator(estimator, **params)
    shared_settings([est])
    return est


class MITerm:
    """A critic-based MI estimate of I(X; Y) usable as a differentiable loss term.

    Args:
        estimator: a neural estimator spec (``"mine"``, ``"infonce[critic=joint]"``) or
            instance; its critic architecture (with ``quadratic_features``), ``negatives``,
            ``lr``, ``weight_decay``, ``seed`` (None: seed 0), ``device`` and objective
            hyperparameters (MINE's ``rate``, SMILE's ``tau``, JSD's ``shift``) are used.
            ``batch_size``, ``max_steps``, ``dtype`` and the held-out settings are not: the
            outer loop sets the batches, and the critic always runs in float32 (its scores
            reduce in float64 as everywhere; the returned term has the critic's float32
            dtype).
        dim_x: columns of x.
        dim_y: columns of y.
        **params: hyperparameters overriding those of ``estimator``.

    Raises:
        ValueError: naming ``estimator`` for a non-neural estimator, or the hyperparameter at
            fault.

    Example::

        term = MITerm("mine", dim_x=2, dim_y=2, seed=0)
        for step in range(1000):
            z = torch.randn(256, 2)
            y = generator(z)
            term.critic_step(z, y)                      # the critic's own update
            loss = main_loss(y) - beta * term(z, y)     # gradient flows into the generator
            loss.backward(); optimizer.step(); optimizer.zero_grad()
    """

    def __init__(
        self, estimator: str | NeuralEstimator, dim_x: int, dim_y: int, **params: Any
    ) -> None:
        self.estimator = check_term(estimator, **params)
        settings = shared_settings([self.estimator])
        self.cls = type(self.estimator)
        self.name = self.cls.name
        self.negatives = settings.negatives
        self.device = resolve_device(self.estimator.device)
        self.critic = make_score_model(self.cls, settings, dim_x, dim_y)
        self.dim_x, self.dim_y = dim_x, dim_y
        generator = torch.Generator().manual_seed(settings.seeds[0])
        theta = self.critic.init(generator)[None]
        self.theta = theta.to(self.device, torch.float32).requires_grad_()
        p = self.estimator.get_params()
        self.hp = {
            name: torch.tensor([float(p[name])], dtype=torch.float64, device=self.device)
            for name in self.cls.objective_params
        }
        lr = torch.tensor([float(p["lr"])], dtype=torch.float64)
        weight_decay = torch.tensor([float(p["weight_decay"])], dtype=torch.float64)
        self.optimizer = BatchedAdam(self.theta, lr, weight_decay)
        self.state: Any = None  # MINE's moving average of E_q[e^T], in log space
        self.steps = 0
        self._pairs: dict[int, Tensor] = {}

    def _check(self, x: Tensor, y: Tensor) -> None:
        for name, t, dim in (("x", x, self.dim_x), ("y", y, self.dim_y)):
            if not isinstance(t, Tensor) or t.ndim != 2 or t.shape[1] != dim:
                shape = tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__
                raise ValueError(f"{name} must be a tensor of shape (batch, {dim}), got {shape}")
            if not t.is_floating_point():
                raise ValueError(f"{name} must be a real floating-point tensor, got {t.dtype}")
            if not bool(torch.isfinite(t.detach()).all()):
                # The outer model produced them: its training diverged.
                raise TrainingDiverged(f"input {name} (NaN or inf)", self.steps + 1)
            if not bool(torch.isfinite(t.detach().to(torch.float32)).all()):
                high = float(t.detach().abs().max())
                raise ValueError(
                    f"{name} overflows float32, the critic's dtype (|{name}| up to {high:.3g}): "
                    "rescale it"
                )
        if x.shape[0] != y.shape[0] or x.shape[0] < 2:
            raise ValueError(
                f"x and y must hold the same number (>= 2) of rows, got {x.shape[0]} and "
                f"{y.shape[0]}"
            )

    def _scores(self, theta: Tensor, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
        b = x.shape[0]
        if b not in self._pairs:
            k = negatives_per_sample(self.negatives, b)
            self._pairs[b] = pair_index(b, k, self.device)
        x = x.to(self.device, torch.float32)[None]
        y = y.to(self.device, torch.float32)[None]
        s = self.critic.scores(theta, x, y, self._pairs[b])
        return s[..., 0], s[..., 1:]

    def __call__(self, x: Tensor, y: Tensor) -> Tensor:
        """The MI term for the outer loss, differentiable in ``x`` and ``y``.

        Args:
            x: shape ``(b, dim_x)``, b >= 2; may require gradient.
            y: shape ``(b, dim_y)``; may require gradient.

        Returns:
            A 0-d float32 tensor: the estimator's regulariser objective (table in the module
            docstring; nats for every estimator but ``jsd``). Maximise it to raise I(X; Y).
            The critic's weights get no gradient from it.

        Raises:
            ValueError: naming ``x`` or ``y`` for a wrong shape, a non-float dtype or values
                beyond float32's range (the critic's dtype).
            TrainingDiverged: when ``x`` or ``y`` holds NaN or inf (the outer model diverged),
                or the term is not finite (e.g. the squares of ``quadratic_features`` overflow
                float32 for inputs near 1e20).
        """
        self._check(x, y)
        t_joint, t_marginal = self._scores(self.theta.detach(), x, y)
        value = self.cls.regularizer_objective(t_joint, t_marginal, self.hp, self.state)
        if not math.isfinite(float(value.detach()[0])):
            raise TrainingDiverged(f"{self.name} regulariser term", self.steps + 1)
        return value[0].to(torch.float32)

    @torch.no_grad()
    def estimate(self, x: Tensor, y: Tensor) -> float:
        """The estimator's MI readout on a batch, in nats (no gradient, no update)."""
        self._check(x, y)
        t_joint, t_marginal = self._scores(self.theta, x, y)
        return float(self.cls.readout(t_joint, t_marginal, self.hp)[0])

    def critic_step(self, x: Tensor, y: Tensor) -> float:
        """One Adam step of the critic on the estimator's training objective.

        ``x`` and ``y`` are detached: this step never reaches the outer model.

        Args:
            x: shape ``(b, dim_x)``.
            y: shape ``(b, dim_y)``.

        Returns:
            The MI readout (nats) of this batch before the update.

        Raises:
            ValueError: naming ``x`` or ``y`` for a wrong shape or values beyond float32's
                range.
            TrainingDiverged: when ``x`` or ``y`` holds NaN or inf, the objective or the
                readout is not finite, or a critic
                score is beyond ±:data:`~mibench.neural.defaults.SCORE_LIMIT` (the trainer's
                divergence rule).
        """
        self._check(x, y)
        t_joint, t_marginal = self._scores(self.theta, x.detach(), y.detach())
        objective, state = self.cls.train_objective(t_joint, t_marginal, self.hp, self.state)
        with torch.no_grad():
            readout = float(self.cls.readout(t_joint, t_marginal, self.hp)[0])
        step = self.steps + 1
        peak = float(torch.maximum(t_joint.detach().abs().max(), t_marginal.detach().abs().max()))
        if not (math.isfinite(float(objective.detach()[0])) and math.isfinite(readout)):
            raise TrainingDiverged(f"{self.name} critic objective", step)
        if not peak <= SCORE_LIMIT:  # the trainer's divergence rule, for every objective
            raise TrainingDiverged(f"a {self.name} critic score", step, exploded=True)
        (-objective.sum()).backward()
        self.optimizer.step()
        self.state = state
        self.steps = step
        return readout


def backward_with_mi(
    main_loss: Tensor,
    mi_loss: Tensor,
    shared: Sequence[Tensor],
    others: Iterable[Tensor] = (),
    *,
    clip: bool,
) -> None:
    """Set ``p.grad`` to the gradient of ``main_loss + mi_loss``, optionally clipped.

    The gradients *replace* ``p.grad`` (they are not added to it, unlike ``backward()``):
    accumulate over batches by summing the losses first.

    With ``clip``, MINE's adaptive clipping (Belghazi et al. 2018, §3.3;
    :func:`~mibench.neural.clipping.set_adaptive_clipped_grads`) rescales the MI gradient to at
    most the main gradient's global norm, both norms taken over ``shared`` only: the parameters
    that both losses reach (a generator's, an encoder's). Parameters that only the main loss
    reaches (``others``: a classifier head, a decoder) get the main gradient, unclipped, and are
    left out of both norms. Without ``clip`` this is ``(main_loss + mi_loss).backward()``
    restricted to the same parameters.

    Args:
        main_loss: the outer model's own loss, a 0-d tensor.
        mi_loss: the MI part of its loss (e.g. ``-beta * term(x, y)``), a 0-d tensor.
        shared: parameters reached by both losses.
        others: parameters reached by the main loss only.
        clip: apply adaptive clipping.

    Raises:
        ValueError: naming ``shared`` when it is empty.
    """
    shared = list(shared)
    others = list(others)
    if not shared:
        raise ValueError("shared must list the parameters that both losses reach, got none")
    if not isinstance(clip, bool):
        raise ValueError(f"clip must be a bool, got {clip!r}")
    for name, loss in (("main_loss", main_loss), ("mi_loss", mi_loss)):
        if not isinstance(loss, Tensor) or loss.ndim != 0:
            raise ValueError(f"{name} must be a 0-d tensor, got {loss!r}")
    if not mi_loss.requires_grad:  # a constant MI term (e.g. beta = 0) adds no gradient
        grads = torch.autograd.grad(main_loss, shared + others, allow_unused=True)
        for p, g in zip(shared + others, grads, strict=True):
            p.grad = g
        return
    if not clip:
        params = shared + others
        grads = torch.autograd.grad(main_loss + mi_loss, params, allow_unused=True)
        for p, g in zip(params, grads, strict=True):
            p.grad = g
        return
    if others:
        grads = torch.autograd.grad(main_loss, others, retain_graph=True, allow_unused=True)
        for p, g in zip(others, grads, strict=True):
            p.grad = g
    set_adaptive_clipped_grads(shared, main_loss, mi_loss)
