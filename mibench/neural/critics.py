"""Critics T(x, y) with batched weights, and the derangement that pairs samples.

A critic here is a description of an MLP architecture plus a flat parameter vector per
ensemble member: ``theta`` of shape ``(E, P)``. Each layer's weights are views into ``theta``
of shape ``(E, fan_in, fan_out)`` and are applied with batched matrix products
(``torch.baddbmm``), so E members (seeds or configurations of one shape) train as one batched
model, and a single run is E = 1. :class:`QuadraticFeatures` wraps any of these models so that
it sees ``[x, x ∘ x]`` and ``[y, y ∘ y]`` (the ``quadratic_features`` hyperparameter).

Scores come in the layout of :mod:`mibench.neural.objectives`: for a batch of b pairs and a
pair index from :func:`pair_index`, ``scores: (E, b, 1 + k)`` with column 0 the joint pair
T(x_i, y_i) and column s the marginal pair T(x_i, y_{(i+s) mod b}).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from mibench.neural.defaults import DEFAULTS
from mibench.validation import check_choice, check_int, is_int, require

if TYPE_CHECKING:
    from mibench.protocols import BatchedScoreModel

#: Hidden activations by name.
ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "gelu": F.gelu,
    "silu": F.silu,
    "softplus": F.softplus,
    "tanh": torch.tanh,
}


def check_negatives(negatives: object, name: str = "negatives") -> None:
    """Check a number-of-negatives setting: a positive int or ``"all"``.

    Raises:
        ValueError: naming ``name`` for any other value.
    """
    ok = negatives == "all" or (is_int(negatives) and negatives >= 1)
    require(ok, name, negatives, "an int >= 1 or 'all'")


def negatives_per_sample(negatives: int | str, batch_size: int) -> int:
    """The number k of marginal pairs per sample in a batch of ``batch_size``.

    Args:
        negatives: a positive int k, or ``"all"`` for every other sample.
        batch_size: samples in the batch, b >= 2.

    Returns:
        ``b − 1`` for ``"all"``, else ``min(k, b − 1)``.

    Raises:
        ValueError: naming ``batch_size`` when it is not an int >= 2 (no derangement exists),
            or ``negatives`` when it is not a positive int or ``"all"``.
    """
    require(
        is_int(batch_size) and batch_size >= 2,
        "batch_size",
        batch_size,
        "an int >= 2 (a marginal pair needs another sample)",
    )
    check_negatives(negatives)
    return batch_size - 1 if negatives == "all" else min(int(negatives), batch_size - 1)


def pair_index(batch_size: int, k: int, device: torch.device | str = "cpu") -> Tensor:
    """Which y each x of a batch is scored against: the joint pair and k cyclic shifts.

    Row i is ``[i, (i + 1) mod b, ..., (i + k) mod b]``. Each shift s in 1..k is a derangement
    (no sample is paired with itself), so columns 1..k are genuine product-of-marginals pairs;
    with k = b − 1 they are all off-diagonal pairs. (A random permutation is not a derangement:
    it leaves about one joint pair among the "marginal" ones.)

    Args:
        batch_size: b >= 2.
        k: shifts per sample, 1 <= k <= b − 1.
        device: where the index lives.

    Returns:
        A long tensor of shape ``(b, 1 + k)``.

    Raises:
        ValueError: when k is out of range.
    """
    if not 1 <= k <= batch_size - 1:
        raise ValueError(f"k must be in [1, batch_size - 1 = {batch_size - 1}], got {k}")
    rows = torch.arange(batch_size, device=device)
    shifts = torch.arange(k + 1, device=device)
    return (rows[:, None] + shifts[None, :]) % batch_size


class _MLP:
    """Layout and batched forward pass of one MLP whose weights live in a flat vector."""

    def __init__(self, offset: int, sizes: Sequence[int], activation: str) -> None:
        self.sizes = tuple(sizes)
        self.activation = ACTIVATIONS[activation]
        self.slices: list[tuple[int, int, int, int]] = []  # (w start, b start, fan_in, fan_out)
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            self.slices.append((offset, offset + fan_in * fan_out, fan_in, fan_out))
            offset += fan_in * fan_out + fan_out
        self.end = offset

    def init(self, generator: torch.Generator) -> Tensor:
        """Weights and biases ~ U(−1/√fan_in, 1/√fan_in) (PyTorch's Linear default), flat."""
        parts = []
        for _, _, fan_in, fan_out in self.slices:
            bound = 1.0 / math.sqrt(fan_in)
            for size in (fan_in * fan_out, fan_out):
                u = torch.rand(size, generator=generator, dtype=torch.float64)
                parts.append((2.0 * u - 1.0) * bound)
        return torch.cat(parts)

    def layer(self, theta: Tensor, i: int) -> tuple[Tensor, Tensor]:
        """Views of layer i: weight ``(E, fan_in, fan_out)``, bias ``(E, 1, fan_out)``."""
        w0, b0, fan_in, fan_out = self.slices[i]
        weight = theta[:, w0 : w0 + fan_in * fan_out].unflatten(1, (fan_in, fan_out))
        bias = theta[:, b0 : b0 + fan_out].unsqueeze(1)
        return weight, bias

    def forward(self, theta: Tensor, h: Tensor) -> Tensor:
        """Apply the MLP to ``h: (E, N, fan_in)``; no activation after the last layer."""
        last = len(self.slices) - 1
        for i in range(last + 1):
            weight, bias = self.layer(theta, i)
            if weight.shape[-1] == 1:
                # A scalar output as multiply-and-sum: the batched matrix-vector product
                # rounds differently for E = 1 and E > 1, this does not, so ensemble members
                # reproduce their separate runs.
                h = (h * weight.transpose(1, 2)).sum(-1, keepdim=True) + bias
            else:
                h = torch.baddbmm(bias, h, weight)
            if i < last:
                h = self.activation(h)
        return h


def _check_arch(dim_x: int, dim_y: int, hidden: Sequence[int], activation: str) -> None:
    check_int("dim_x", dim_x, 1)
    check_int("dim_y", dim_y, 1)
    ok = (
        not isinstance(hidden, (str, bytes))
        and isinstance(hidden, Sequence)
        and len(hidden) > 0
        and all(is_int(w) and w >= 1 for w in hidden)
    )
    require(ok, "hidden", hidden, "a non-empty sequence of ints >= 1")
    check_choice("activation", activation, sorted(ACTIVATIONS))


class JointCritic:
    """T(x, y) = MLP([x, y]): one MLP on the concatenated pair (Belghazi et al. 2018).

    Args:
        dim_x: columns of x.
        dim_y: columns of y.
        hidden: hidden widths, e.g. ``(64, 64)`` (at least one layer).
        activation: a key of :data:`ACTIVATIONS`.

    Raises:
        ValueError: for non-positive dimensions or widths or an unknown activation.
    """

    def __init__(
        self,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int] = DEFAULTS.hidden,
        activation: str = DEFAULTS.activation,
    ) -> None:
        _check_arch(dim_x, dim_y, hidden, activation)
        self.mlp = _MLP(0, (dim_x + dim_y, *hidden, 1), activation)
        self.n_params = self.mlp.end

    def init(self, generator: torch.Generator) -> Tensor:
        """Initial parameters drawn from ``generator``: shape ``(P,)``, float64."""
        return self.mlp.init(generator)

    def scores(self, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
        """Critic scores of the joint and marginal pairs.

        Args:
            theta: parameters, shape ``(E, P)``.
            x: shape ``(E, b, dim_x)``.
            y: shape ``(E, b, dim_y)``.
            pairs: from :func:`pair_index`, shape ``(b, 1 + k)``.

        Returns:
            Scores, shape ``(E, b, 1 + k)`` (column 0: joint pairs).
        """
        # The pairs are gathered from the inputs, which need no gradient (cheap backward).
        x_rep = x.unsqueeze(2).expand(-1, -1, pairs.shape[1], -1)
        inputs = torch.cat([x_rep, y[:, pairs]], dim=-1).flatten(1, 2)
        return self.mlp.forward(theta, inputs).view(x.shape[0], *pairs.shape)


class SeparableCritic:
    """T(x, y) = g(x)ᵀh(y) with two MLPs g and h (Poole et al. 2019, §5; CPC).

    All b² scores of a batch cost one batched matrix product, so ``negatives="all"`` is cheap.

    Args:
        dim_x: columns of x.
        dim_y: columns of y.
        hidden: hidden widths of g and of h (at least one layer).
        activation: a key of :data:`ACTIVATIONS`.
        embed_dim: output width of g and h.

    Raises:
        ValueError: for non-positive dimensions or widths or an unknown activation.
    """

    def __init__(
        self,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int] = DEFAULTS.hidden,
        activation: str = DEFAULTS.activation,
        embed_dim: int = DEFAULTS.embed_dim,
    ) -> None:
        _check_arch(dim_x, dim_y, hidden, activation)
        check_int("embed_dim", embed_dim, 1)
        self.g = _MLP(0, (dim_x, *hidden, embed_dim), activation)
        self.h = _MLP(self.g.end, (dim_y, *hidden, embed_dim), activation)
        self.n_params = self.h.end

    def init(self, generator: torch.Generator) -> Tensor:
        """Initial parameters drawn from ``generator``: shape ``(P,)``, float64."""
        return torch.cat([self.g.init(generator), self.h.init(generator)])

    def scores(self, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
        """Critic scores of the joint and marginal pairs.

        Args:
            theta: parameters, shape ``(E, P)``.
            x: shape ``(E, b, dim_x)``.
            y: shape ``(E, b, dim_y)``.
            pairs: from :func:`pair_index`, shape ``(b, 1 + k)``.

        Returns:
            Scores, shape ``(E, b, 1 + k)`` (column 0: joint pairs).
        """
        all_pairs = torch.bmm(self.g.forward(theta, x), self.h.forward(theta, y).transpose(1, 2))
        return all_pairs.gather(2, pairs.expand(x.shape[0], -1, -1))


Critic = JointCritic | SeparableCritic


class ScoreModel(Protocol):
    """What the trainer needs of a batched model: flat parameters and pair scores.

    A critic is one; so is any model whose "scores" feed an estimator's objective (e.g. the
    log-densities of a learned q(y | x), see :meth:`NeuralEstimator.make_model
    <mibench.neural.estimators.NeuralEstimator.make_model>`).
    """

    #: Length P of the flat parameter vector of one member.
    n_params: int

    def init(self, generator: torch.Generator) -> Tensor:
        """Initial parameters of one member drawn from ``generator``, shape ``(P,)``."""
        ...

    def scores(self, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
        """Scores ``(E, b, 1 + k)`` of ``theta: (E, P)`` on ``x: (E, b, dim_x)``,
        ``y: (E, b, dim_y)`` and ``pairs: (b, 1 + k)`` (column 0: joint pairs)."""
        ...


def _scores_by_y(critic: Critic, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
    """Critic scores with the roles of the pairs exchanged: row i is anchored on y_i.

    Returns ``(E, b, 1 + k)`` with column s the score f(x_{pairs[i, s]}, y_i) (column 0: the
    joint pair f(x_i, y_i)); the same pairs as :meth:`JointCritic.scores` when k = b − 1,
    grouped by y instead of by x.
    """
    if isinstance(critic, SeparableCritic):
        gx, hy = critic.g.forward(theta, x), critic.h.forward(theta, y)
        all_pairs = torch.bmm(hy, gx.transpose(1, 2))  # (E, b_y, b_x)
        return all_pairs.gather(2, pairs.expand(x.shape[0], -1, -1))
    y_rep = y.unsqueeze(2).expand(-1, -1, pairs.shape[1], -1)
    inputs = torch.cat([x[:, pairs], y_rep], dim=-1).flatten(1, 2)
    return critic.mlp.forward(theta, inputs).view(x.shape[0], *pairs.shape)


class BaselineCritic:
    """A critic f(x, y) with a learned log-baseline b(y) = log a(y): scores f − b (TUBA).

    The model of TUBA and α-InfoNCE (Poole et al. 2019, §2.2 and §2.4): a joint or separable
    critic f (parameters first in ``theta``) and a scalar MLP b of y (parameters after f's).

    Args:
        kind: ``"joint"`` or ``"separable"``, the critic f.
        dim_x: columns of x.
        dim_y: columns of y.
        hidden: hidden widths of f and of the baseline b (at least one layer).
        activation: a key of :data:`ACTIVATIONS`.
        embed_dim: output width of a separable critic's g and h.
        rows: ``"x"``: row i of the scores is x_i with the pairs indexing y (the layout of the
            critics), column s = f(x_i, y_{pairs[i, s]}) − b(y_{pairs[i, s]}); ``"y"``: row i
            is anchored on y_i and the pairs index x, column s =
            f(x_{pairs[i, s]}, y_i) − b(y_i) (the baseline is constant along a row, as the
            normaliser of α-InfoNCE needs).

    Raises:
        ValueError: naming ``critic`` for an unknown kind, ``rows`` for a value other than
            ``"x"`` or ``"y"``, or the architecture argument at fault.
    """

    def __init__(
        self,
        kind: str,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int] = DEFAULTS.hidden,
        activation: str = DEFAULTS.activation,
        embed_dim: int = DEFAULTS.embed_dim,
        rows: str = "x",
    ) -> None:
        if rows not in ("x", "y"):
            raise ValueError(f"rows must be 'x' or 'y', got {rows!r}")
        self.critic = make_critic(kind, dim_x, dim_y, hidden, activation, embed_dim)
        self.baseline = _MLP(self.critic.n_params, (dim_y, *hidden, 1), activation)
        self.rows = rows
        self.n_params = self.baseline.end

    def init(self, generator: torch.Generator) -> Tensor:
        """Initial parameters drawn from ``generator`` (critic, then baseline): ``(P,)``."""
        return torch.cat([self.critic.init(generator), self.baseline.init(generator)])

    def log_baseline(self, theta: Tensor, y: Tensor) -> Tensor:
        """b(y) = log a(y) of ``y: (E, b, dim_y)``, shape ``(E, b)``."""
        return self.baseline.forward(theta, y).squeeze(-1)

    def scores(self, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
        """Baseline-corrected scores f − b, shape ``(E, b, 1 + k)`` (layout: ``rows``).

        Args:
            theta: parameters, shape ``(E, P)``.
            x: shape ``(E, b, dim_x)``.
            y: shape ``(E, b, dim_y)``.
            pairs: from :func:`pair_index`, shape ``(b, 1 + k)``.
        """
        b = self.log_baseline(theta, y)
        if self.rows == "y":
            return _scores_by_y(self.critic, theta, x, y, pairs) - b.unsqueeze(-1)
        return self.critic.scores(theta, x, y, pairs) - b[:, pairs]


class FLOModel:
    """FLO's two networks (Guo et al. 2022): a critic g(x, y) and a u-network u(x, y).

    g is a joint or separable critic (parameters first in ``theta``), u an MLP of the
    concatenated pair [x, y] with a scalar output, evaluated on the joint pairs only.

    The scores ``(E, b, 1 + k)`` are what FLO's bound reads
    (:func:`~mibench.neural.objectives.flo_bound`): column 0 holds u(x_i, y_i); column s >= 1
    holds the critic's gap g(x_i, y_{pairs[i, s]}) − g(x_i, y_i) to the joint pair.

    Args:
        kind: ``"joint"`` or ``"separable"``, the critic g.
        dim_x: columns of x.
        dim_y: columns of y.
        hidden: hidden widths of g and of u (at least one layer).
        activation: a key of :data:`ACTIVATIONS`.
        embed_dim: output width of a separable critic's two MLPs.

    Raises:
        ValueError: naming ``critic`` for an unknown kind, or the architecture argument at
            fault.
    """

    def __init__(
        self,
        kind: str,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int] = DEFAULTS.hidden,
        activation: str = DEFAULTS.activation,
        embed_dim: int = DEFAULTS.embed_dim,
    ) -> None:
        self.critic = make_critic(kind, dim_x, dim_y, hidden, activation, embed_dim)
        self.u = _MLP(self.critic.n_params, (dim_x + dim_y, *hidden, 1), activation)
        self.n_params = self.u.end

    def init(self, generator: torch.Generator) -> Tensor:
        """Initial parameters drawn from ``generator`` (critic, then u): ``(P,)``."""
        return torch.cat([self.critic.init(generator), self.u.init(generator)])

    def u_joint(self, theta: Tensor, x: Tensor, y: Tensor) -> Tensor:
        """u(x_i, y_i) of the joint pairs, shape ``(E, b)``."""
        return self.u.forward(theta, torch.cat([x, y], dim=-1)).squeeze(-1)

    def scores(self, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
        """``[u(x_i, y_i), g(x_i, y_{pairs[i, 1]}) − g(x_i, y_i), ...]``, ``(E, b, 1 + k)``.

        Args:
            theta: parameters, shape ``(E, P)``.
            x: shape ``(E, b, dim_x)``.
            y: shape ``(E, b, dim_y)``.
            pairs: from :func:`pair_index`, shape ``(b, 1 + k)``.
        """
        g = self.critic.scores(theta, x, y, pairs)
        gap = g[..., 1:] - g[..., :1]
        return torch.cat([self.u_joint(theta, x, y).unsqueeze(-1), gap], dim=-1)


def quadratic_lift(t: Tensor) -> Tensor:
    """``[t, t ∘ t]`` along the last axis: ``(..., d)`` gives ``(..., 2d)``.

    The map t ↦ (t, t ∘ t) of each variable is injective, so I(X; Y) is unchanged when a
    critic sees the lifted x and y; it gives the critic the squares of its inputs, which a
    small ReLU MLP approximates poorly (see :class:`QuadraticFeatures`).
    """
    return torch.cat([t, t * t], dim=-1)


class QuadraticFeatures:
    """A score model that sees the quadratic lifts ``[x, x ∘ x]`` and ``[y, y ∘ y]``.

    The ``quadratic_features`` hyperparameter of the critic-based estimators. The log density
    ratio that a critic approximates is a quadratic form for Gaussian data and, for the
    multivariate Student t with identity dispersion, a function of ‖x‖² and ‖y‖² (which carry
    the shared radius), while a ReLU MLP of the coordinates builds squares only piecewise. With
    the squares among its inputs and ``normal_scores``, the means of MINE, MINE-f, NWJ, DV, JSD,
    SMILE and InfoNCE on the seven ``student-identity-*`` tasks of the standard suite
    (n = 10,000, 5 seeds) came within 0.06 nats of the truth, against up to 0.22 nats low
    with normal scores alone (DV on 5 × 5; MINE on ``student-identity-5-5-2``, true 0.448
    nats: 0.255 → 0.403); on large Gaussians it is worse, so it is off by default (see
    :mod:`mibench.neural.defaults` and ``results/heavy-tails/README.md``).

    Args:
        model: the score model built for inputs of twice the dimensions (its ``scores`` get
            the lifted x and y).
    """

    def __init__(self, model: BatchedScoreModel) -> None:
        self.model = model
        self.n_params = model.n_params

    def init(self, generator: torch.Generator) -> Tensor:
        """The wrapped model's initial parameters, shape ``(P,)``."""
        return self.model.init(generator)

    def scores(self, theta: Tensor, x: Tensor, y: Tensor, pairs: Tensor) -> Tensor:
        """The wrapped model's scores ``(E, b, 1 + k)`` of the lifted ``x: (E, b, dim_x)`` and
        ``y: (E, b, dim_y)``."""
        return self.model.scores(theta, quadratic_lift(x), quadratic_lift(y), pairs)


def make_critic(
    kind: str,
    dim_x: int,
    dim_y: int,
    hidden: Sequence[int],
    activation: str,
    embed_dim: int,
) -> Critic:
    """Build a ``"joint"`` or ``"separable"`` critic.

    Raises:
        ValueError: naming ``critic`` for an unknown kind, or the architecture argument at
            fault.
    """
    if kind == "joint":
        return JointCritic(dim_x, dim_y, tuple(hidden), activation)
    if kind == "separable":
        return SeparableCritic(dim_x, dim_y, tuple(hidden), activation, embed_dim)
    raise ValueError(f"critic must be 'joint' or 'separable', got {kind!r}")
