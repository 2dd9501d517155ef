"""Density-model MI estimators: Barber–Agakov, CLUB and difference of entropies.

Each trains a Gaussian conditional q(y | x) = N(μ(x), diag σ(x)²) (and, for DoE, a marginal
q_Y(y)) by maximum likelihood in the shared trainer of :mod:`mibench.neural.fit_fixed` — same
split, standardisation, Adam, batched seeds and held-out evaluation as the critic estimators
— and reads MI out of its held-out log-densities (models and readouts:
:mod:`mibench.neural.densities`). All values are in nats of the standardised data (MI does not
change under the z-score).

=====  ======================================  ========================  ====================
name   MI readout (held-out part)              trained with              kind
=====  ======================================  ========================  ====================
ba     Ĥ_KL(Y) + mean log q(y_i | x_i)         log-likelihood of q       estimate (lower
                                                                         bound if H(Y) exact)
club   mean log q(y_i|x_i) − mean log q(y_j|x_i)  log-likelihood of q    approximate upper
                                                                         bound
doe    Ĥ_q(Y) − Ĥ_q(Y | X)                     log-likelihoods of both   estimate
=====  ======================================  ========================  ====================

The trainer keeps the evaluation of largest held-out log-likelihood of the fitted densities
(its early-stopping checkpoint; for ``ba`` also the evaluation of largest readout), not the
largest readout that critic estimators select.
``critic`` names the density family: ``"gaussian"`` (the default; diagonal covariance, as
specified) or ``"gaussian-full"`` (full covariance of y given x; slower, see
:mod:`mibench.neural.densities`). DoE's marginal always has a full covariance. Defaults are in
:mod:`mibench.neural.defaults` (``OBJECTIVE_DEFAULTS``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from mibench.neural.defaults import DEFAULTS, DENSITY_KINDS, OBJECTIVE_DEFAULTS
from mibench.neural.estimators import ExtraValue, NeuralEstimator
from mibench.registry import register_estimator

if TYPE_CHECKING:
    from torch import Tensor

    from mibench.neural.critics import ScoreModel

# torch (mibench.neural.densities) is imported by the methods that fit or read the densities,
# not here (see mibench.neural.estimators).

_D = OBJECTIVE_DEFAULTS
#: Neighbour count and norm of Barber–Agakov's Kozachenko–Leonenko estimate of H(Y).
KL_K = 3
KL_NORM = "max"


def _defaults(name: str) -> dict[str, Any]:
    """The constructor defaults of density estimator ``name`` (shared ones where unset)."""
    table = _D.get(name, {})
    keys = ("critic", "negatives", "eval_negatives", "lr", "batch_size", "max_steps")
    return {key: table.get(key, getattr(DEFAULTS, key)) for key in keys}


def _cross_entropy(t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
    from mibench.neural.densities import mean_log_likelihood

    return -mean_log_likelihood(t_joint)


def _log_likelihood(t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
    from mibench.neural.densities import mean_log_likelihood

    return mean_log_likelihood(t_joint)


def _marginal_cross_entropy(t_marginal: Tensor) -> Tensor:
    from mibench.neural.densities import marginal_cross_entropy

    return marginal_cross_entropy(t_marginal)


def _both_log_likelihoods(t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
    """DoE's fit: mean log q(y | x) + mean log q_Y(y), ``(E,)``."""
    return _log_likelihood(t_joint, t_marginal, hp) - _marginal_cross_entropy(t_marginal)


class _DensityEstimator(NeuralEstimator):
    """Base of the estimators whose model is a learned density (``critic="gaussian"`` or
    ``"gaussian-full"``).

    ``extras["h_y_given_x"]`` records the held-out conditional cross-entropy
    Ĥ_q(Y | X) = −mean log q(y_i | x_i) (nats) of the selected evaluation, and
    ``extras["log_likelihood"]`` the held-out mean log-likelihood of what the estimator fits
    (q(y | x); for DoE, q(y | x) and q_Y(y)). That likelihood selects the evaluation reported
    and stops training early, as in any maximum-likelihood fit: selecting the largest readout
    instead would favour an over-fitted q for CLUB (σ(x) shrinking on the training pairs
    drives log q of held-out marginal pairs down, and CLUB up) and for DoE. Model scores
    have no divergence limit (see :data:`~mibench.neural.defaults.SCORE_LIMIT`).
    """

    #: Whether the model also holds a marginal density q_Y(y).
    _marginal: ClassVar[bool] = False
    extra_values: ClassVar[dict[str, ExtraValue]] = {
        "h_y_given_x": _cross_entropy,
        "log_likelihood": _log_likelihood,
    }
    selection: ClassVar[str] = "log_likelihood"
    score_limit: ClassVar[float] = math.inf
    liftable_inputs: ClassVar[bool] = False

    def check_objective_params(self) -> None:
        """``critic`` must be one of :data:`~mibench.neural.defaults.DENSITY_KINDS`."""
        if self.critic not in DENSITY_KINDS:
            raise ValueError(
                f"critic must be one of {list(DENSITY_KINDS)} for {self.name}, got {self.critic!r}"
            )

    @classmethod
    def make_model(
        cls,
        kind: str,
        dim_x: int,
        dim_y: int,
        hidden: Sequence[int],
        activation: str,
        embed_dim: int,
    ) -> ScoreModel:
        """A :class:`~mibench.neural.densities.ConditionalGaussian` (with a marginal for DoE).

        Raises:
            ValueError: naming ``critic`` for a kind not in :data:`DENSITY_KINDS`.
        """
        from mibench.neural.densities import make_density_model

        return make_density_model(kind, dim_x, dim_y, hidden, activation, cls._marginal)

    @classmethod
    def train_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> tuple[Tensor, Any]:
        """Maximum likelihood of q(y | x): the mean log q(y_i | x_i) of the batch, ``(E,)``."""
        return _log_likelihood(t_joint, t_marginal, hp), state


class BarberAgakov(_DensityEstimator):
    """Barber–Agakov: I(X; Y) ≥ H(Y) + E_p[log q(y | x)] (Barber & Agakov 2003).

    Implemented as Î = Ĥ(Y) + (1/m) Σ_i log q(y_i | x_i) over the m held-out pairs, in nats,
    with q = N(μ(x), diag σ(x)²) trained by maximum likelihood on the training part. H(Y) is
    not known for most tasks, so Ĥ(Y) is the Kozachenko–Leonenko estimate
    (:func:`mibench.baselines.kl.kl_entropy`, k = 3, max norm) of the standardised training y
    of each member, computed once per fit (:meth:`data_constants`; in streaming mode the
    trainer calls it on every step's batch, so each step's value uses that batch's Ĥ(Y)).

    With the exact H(Y) the value is a lower bound (the gap is E_p KL(p(y|x) ‖ q(y|x))); with
    the estimated Ĥ(Y) it is an *estimate*, biased by the KL estimator's error, which may push
    it above I. Scores: log q(y_i | x_i) of shape ``(E, b, 1 + k)``; only the joint column is
    read. ``extras["h_y"]`` is the Ĥ(Y) the selected evaluation used and
    ``extras["h_y_given_x"]`` the held-out cross-entropy, so value = h_y − h_y_given_x.

    Args:
        critic: ``"gaussian"`` (default: diagonal covariance) or ``"gaussian-full"``.
        **kwargs: the shared hyperparameters of :class:`NeuralEstimator`.

    Raises:
        ValueError: from :meth:`estimate`, naming ``critic`` for another value, or the
            hyperparameter at fault; naming ``y`` when a y row repeats more than 3 times (the
            KL estimate needs a positive distance to the 3rd neighbour). Repeated rows below
            that bias Ĥ(Y) down (measured: every row twice, 1-D Gaussian, I = 0.223: value −0.05).
    """

    name: ClassVar[str] = "ba"
    source: ClassVar[str] = "Barber & Agakov (2003)"
    bound: ClassVar[str] = "estimate"
    #: Its Ĥ(Y) is a kNN estimate without a gradient: no MI term (MITerm refuses it).
    differentiable: ClassVar[bool] = False
    extra_values: ClassVar[dict[str, ExtraValue]] = {
        **_DensityEstimator.extra_values,
        "h_y": lambda t_joint, t_marginal, hp: hp["h_y"],
    }

    def __init__(
        self,
        *,
        critic: str = _defaults("ba")["critic"],
        negatives: int | str = _defaults("ba")["negatives"],
        eval_negatives: int | str | None = _defaults("ba")["eval_negatives"],
        lr: float = _defaults("ba")["lr"],
        batch_size: int = _defaults("ba")["batch_size"],
        max_steps: int = _defaults("ba")["max_steps"],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            critic=critic,
            negatives=negatives,
            eval_negatives=eval_negatives,
            lr=lr,
            batch_size=batch_size,
            max_steps=max_steps,
            **kwargs,
        )

    @classmethod
    def data_constants(cls, x: Tensor, y: Tensor) -> dict[str, Tensor]:
        """``{"h_y": (E,)}``: the KL estimate (k = 3, max norm, nats) of each member's y."""
        import torch

        from mibench.baselines.kl import kl_entropy

        values = []
        for member in y:
            try:
                values.append(kl_entropy(member.detach().double().cpu().numpy(), KL_K, KL_NORM))
            except ValueError as exc:
                raise ValueError(
                    f"y: ba estimates H(Y) with Kozachenko–Leonenko (k={KL_K}), which needs "
                    f"y rows that are not repeated more than {KL_K} times ({exc})"
                ) from exc
        return {"h_y": torch.tensor(values, dtype=torch.float64, device=y.device)}

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.densities import ba_bound

        return ba_bound(t_joint, hp["h_y"])


class CLUB(_DensityEstimator):
    """CLUB, the contrastive log-ratio upper bound (Cheng, Hao, Dai, Liu, Gan & Carin 2020).

    I_CLUB = E_{p(x,y)}[log q(y | x)] − E_{p(x)}E_{p(y)}[log q(y | x)], implemented on the m
    held-out pairs as (1/m) Σ_i log q(y_i | x_i) − (1/(m k)) Σ_i Σ_s log q(y_{(i+s)} | x_i),
    the k = b − 1 other samples of each evaluation block (``eval_negatives="all"``), in nats;
    q = N(μ(x), diag σ(x)²) is trained by maximum likelihood on the joint pairs of the training
    part (the negatives do not enter the gradient, so one per training sample is enough and
    keeps the step cheap).

    It is an upper bound on I(X; Y) when q(y | x) = p(y | x), and stays one while q is close to
    p(y | x) (the paper's condition: KL(p(x,y) ‖ q(x,y)) ≤ KL(p(x)p(y) ‖ q(x,y)), q(x,y) =
    q(y|x)p(x)); a poorly fitted q can give a value below I. Hence ``bound`` =
    "approximate upper bound". With the exact Gaussian conditional of a bivariate normal of
    correlation ρ the value is ρ²/(1 − ρ²) (derivation in tests/test_neural_densities.py),
    above −½ ln(1 − ρ²). As an outer-model MI term (minimised), :meth:`regularizer_objective`
    is the CLUB value, not the likelihood.

    Args:
        critic: ``"gaussian"`` (default: diagonal covariance) or ``"gaussian-full"``.
        **kwargs: the shared hyperparameters of :class:`NeuralEstimator`.

    Raises:
        ValueError: from :meth:`estimate`, naming ``critic`` for another value, or the
            hyperparameter at fault.
    """

    name: ClassVar[str] = "club"
    source: ClassVar[str] = "Cheng, Hao, Dai, Liu, Gan & Carin (2020), CLUB, ICML"
    bound: ClassVar[str] = "approximate upper bound"

    def __init__(
        self,
        *,
        critic: str = _defaults("club")["critic"],
        negatives: int | str = _defaults("club")["negatives"],
        eval_negatives: int | str | None = _defaults("club")["eval_negatives"],
        lr: float = _defaults("club")["lr"],
        batch_size: int = _defaults("club")["batch_size"],
        max_steps: int = _defaults("club")["max_steps"],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            critic=critic,
            negatives=negatives,
            eval_negatives=eval_negatives,
            lr=lr,
            batch_size=batch_size,
            max_steps=max_steps,
            **kwargs,
        )

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.densities import club_bound

        return club_bound(t_joint, t_marginal)

    @classmethod
    def regularizer_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> Tensor:
        """The CLUB value itself (what an outer model minimises), ``(E,)``."""
        return cls.readout(t_joint, t_marginal, hp)


class DoE(_DensityEstimator):
    """Difference of entropies (McAllester & Stratos 2020, AISTATS).

    Î = Ĥ_q(Y) − Ĥ_q(Y | X) with the held-out cross-entropies
    Ĥ_q(Y) = −(1/m) Σ_j log q_Y(y_j) of a marginal model q_Y = N(m, S) (full S) and
    Ĥ_q(Y | X) = −(1/m) Σ_i log q(y_i | x_i) of the conditional q = N(μ(x), diag σ(x)²), both
    trained by maximum likelihood on the training part (objective: the sum of the two mean
    log-likelihoods; they share no parameters). Nats. Each cross-entropy upper-bounds its
    entropy up to sampling error, so their difference is *not* a bound on I(X; Y) in either
    direction: an estimate. A Gaussian q_Y is exact only for Gaussian Y (then Ĥ_q(Y) → H(Y)).

    Scores ``(E, b, 1 + k)``: column 0 log q(y_i | x_i), columns 1..k log q_Y(y_{(i+s)}) (see
    :class:`~mibench.neural.densities.GaussianWithMarginal`); every marginal column holds each
    y of the block once, so k = 1 (the default, training and evaluation) already reads all of
    them. ``extras["h_y"]`` is Ĥ_q(Y), ``extras["h_y_given_x"]`` Ĥ_q(Y | X).

    Args:
        critic: ``"gaussian"`` (default: diagonal covariance) or ``"gaussian-full"``.
        **kwargs: the shared hyperparameters of :class:`NeuralEstimator`.

    Raises:
        ValueError: from :meth:`estimate`, naming ``critic`` for another value, or the
            hyperparameter at fault.
    """

    name: ClassVar[str] = "doe"
    source: ClassVar[str] = "McAllester & Stratos (2020), AISTATS"
    bound: ClassVar[str] = "estimate"
    _marginal: ClassVar[bool] = True
    extra_values: ClassVar[dict[str, ExtraValue]] = {
        "h_y_given_x": _cross_entropy,
        "log_likelihood": _both_log_likelihoods,
        "h_y": lambda t_joint, t_marginal, hp: _marginal_cross_entropy(t_marginal),
    }

    def __init__(
        self,
        *,
        critic: str = _defaults("doe")["critic"],
        negatives: int | str = _defaults("doe")["negatives"],
        eval_negatives: int | str | None = _defaults("doe")["eval_negatives"],
        lr: float = _defaults("doe")["lr"],
        batch_size: int = _defaults("doe")["batch_size"],
        max_steps: int = _defaults("doe")["max_steps"],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            critic=critic,
            negatives=negatives,
            eval_negatives=eval_negatives,
            lr=lr,
            batch_size=batch_size,
            max_steps=max_steps,
            **kwargs,
        )

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.densities import doe_estimate

        return doe_estimate(t_joint, t_marginal)

    @classmethod
    def train_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> tuple[Tensor, Any]:
        """Maximum likelihood of both models: mean log q(y|x) + mean log q_Y(y), ``(E,)``."""
        return _both_log_likelihoods(t_joint, t_marginal, hp), state

    @classmethod
    def regularizer_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> Tensor:
        """The DoE value itself, ``(E,)`` (the likelihood is not an MI term)."""
        return cls.readout(t_joint, t_marginal, hp)


#: The density-model estimators by registry name.
DENSITY_ESTIMATORS: dict[str, type[NeuralEstimator]] = {
    cls.name: cls for cls in (BarberAgakov, CLUB, DoE)
}

for _name, _cls in DENSITY_ESTIMATORS.items():
    register_estimator(_name, _cls)
