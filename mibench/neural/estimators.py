"""The registered neural estimators: one shared trainer, one objective each.

=========  ==================================  ==========================================
name       trained with (gradient of)          MI readout (the reported value)
=========  ==================================  ==========================================
dv         DV bound, plain minibatch gradient  DV bound
mine       DV, moving-average gradient (rate)  DV bound
mine-f     NWJ bound                           NWJ bound
nwj        (alias of mine-f)                   NWJ bound
jsd        JSD (Deep InfoMax)                  NWJ of critic + shift (default +1)
smile      JSD (Deep InfoMax)                  SMILE(τ): DV with e^T clipped to e^±τ
infonce    InfoNCE                             InfoNCE (at most ln(negatives + 1))
tuba       TUBA, critic + baseline MLP b(y)    TUBA bound
alpha-     α-InfoNCE (alpha), critic + b(y),   α-InfoNCE bound (at α = 1: at most
infonce    all negatives                       ln(batch size − 1))
flo        FLO, critic g + u-network u(x, y)   FLO bound
=========  ==================================  ==========================================

``jsd`` and ``smile`` also record the raw JSD objective of the selected evaluation in
``Estimate.extras["jsd"]`` (2·JSD − 2 ln 2 at the optimum, not MI). Hyperparameters and their
defaults are listed in :mod:`mibench.neural.defaults`; the training and estimate rules in
:mod:`mibench.neural.fit_fixed` and :mod:`mibench.neural.fit_streaming`.
"""

from __future__ import annotations

import inspect
import sys
import time
from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from mibench.estimate import Estimate
from mibench.estimator import Estimator
from mibench.neural.defaults import DEFAULTS, MIN_PART, OBJECTIVE_DEFAULTS, SCORE_LIMIT
from mibench.registry import register_estimator
from mibench.validation import check_real

if TYPE_CHECKING:
    from torch import Tensor

    from mibench.neural.critics import ScoreModel
    from mibench.tasks.streaming import StreamingTask

# torch (objectives, critics, trainer) is imported by the methods that train or read scores,
# not here: importing, listing and configuring the estimators stays free of it.

_D = OBJECTIVE_DEFAULTS

#: An extra value recorded at the selected evaluation: f(t_joint (E, m), t_marginal (E, m, k),
#: hp) -> (E,), ``hp`` as in :meth:`NeuralEstimator.readout` (data constants included).
ExtraValue = Callable[["Tensor", "Tensor", dict[str, "Tensor"]], "Tensor"]


def _keyword_names(init: Callable[..., None]) -> list[str]:
    """Named parameters of an ``__init__`` (no ``self``, no ``**kwargs``)."""
    return [
        p.name
        for p in inspect.signature(init).parameters.values()
        if p.name != "self" and p.kind is not p.VAR_KEYWORD
    ]


class NeuralEstimator(Estimator):
    """Base class of the variational (critic-based) MI estimators.

    Subclasses differ only in the objective: :meth:`train_objective` (whose gradient trains the
    critic), :meth:`readout` (the MI value reported) and :attr:`extra_values` (other values
    recorded at the selected evaluation). All hyperparameters are keyword-only; see
    :mod:`mibench.neural.defaults` for their meaning and defaults.

    Raises:
        ValueError: from :meth:`estimate`, naming the hyperparameter, for an invalid value.
    """

    deterministic: ClassVar[bool] = False
    min_samples: ClassVar[int] = 2 * MIN_PART
    error_bars: ClassVar[tuple[str, ...]] = ("held-out", "seeds", "subsampling")
    #: Whether the value has a gradient in x and y, so that it can be an outer model's MI term
    #: (:class:`~mibench.regularizers.MITerm`).
    differentiable: ClassVar[bool] = True
    #: Objective hyperparameters that may differ between members of a batched ensemble.
    objective_params: ClassVar[tuple[str, ...]] = ()
    #: Extra values recorded at the selected evaluation (``Estimate.extras``): name -> f.
    extra_values: ClassVar[dict[str, ExtraValue]] = {}
    #: The held-out quantity whose largest value selects the evaluation reported (and whose
    #: lack of progress stops training early): ``"value"``, the readout, or the name of one of
    #: :attr:`extra_values` (density models select on their held-out likelihood).
    selection: ClassVar[str] = "value"
    #: A model score beyond ±this marks a training step as diverged (see
    #: :data:`~mibench.neural.defaults.SCORE_LIMIT`).
    score_limit: ClassVar[float] = SCORE_LIMIT
    #: Whether the model's inputs may be lifted to ``[x, x ∘ x]``, ``[y, y ∘ y]``
    #: (``quadratic_features``): true for critics, false for a density of y.
    liftable_inputs: ClassVar[bool] = True
    #: The cells of the neural estimators were first stored while ``standardize`` was a bool,
    #: so their cell ids record the bool (:meth:`~mibench.estimator.Estimator.cell_params`).
    param_aliases: ClassVar[dict[str, dict[Any, Any]]] = {
        "standardize": {"zscore": True, "none": False}
    }

    def __init__(
        self,
        *,
        critic: str = DEFAULTS.critic,
        hidden: tuple[int, ...] = DEFAULTS.hidden,
        activation: str = DEFAULTS.activation,
        embed_dim: int = DEFAULTS.embed_dim,
        negatives: int | str = DEFAULTS.negatives,
        eval_negatives: int | str | None = DEFAULTS.eval_negatives,
        batch_size: int = DEFAULTS.batch_size,
        lr: float = DEFAULTS.lr,
        weight_decay: float = DEFAULTS.weight_decay,
        max_steps: int = DEFAULTS.max_steps,
        eval_every: int = DEFAULTS.eval_every,
        patience: int = DEFAULTS.patience,
        test_fraction: float = DEFAULTS.test_fraction,
        validation_fraction: float = DEFAULTS.validation_fraction,
        standardize: str | bool = DEFAULTS.standardize,
        normal_scores: bool = DEFAULTS.normal_scores,
        quadratic_features: bool = DEFAULTS.quadratic_features,
        seed: int | None = DEFAULTS.seed,
        device: str = DEFAULTS.device,
        dtype: str = DEFAULTS.dtype,
        threads: int | None = DEFAULTS.threads,
    ) -> None:
        self.critic = critic
        self.hidden = hidden
        self.activation = activation
        self.embed_dim = embed_dim
        self.negatives = negatives
        self.eval_negatives = eval_negatives
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.max_steps = max_steps
        self.eval_every = eval_every
        self.patience = patience
        self.test_fraction = test_fraction
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.normal_scores = normal_scores
        self.quadratic_features = quadratic_features
        self.seed = seed
        self.device = device
        self.dtype = dtype
        self.threads = threads

    @classmethod
    def _param_names(cls) -> list[str]:
        own = _keyword_names(cls.__init__)
        return own + [name for name in _keyword_names(NeuralEstimator.__init__) if name not in own]

    @classmethod
    @abstractmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        """The MI estimate in nats from scores ``(E, m)``, ``(E, m, k)``; shape ``(E,)``.

        ``hp`` maps each of :attr:`objective_params` to its per-member values, shape ``(E,)``.
        """

    @classmethod
    def train_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> tuple[Tensor, Any]:
        """The objective to maximise, ``(E,)``, and the carried state (default: the readout)."""
        return cls.readout(t_joint, t_marginal, hp), state

    @classmethod
    def regularizer_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> Tensor:
        """The value an outer model maximises when this estimator is its MI term, ``(E,)``.

        The training objective by default (its gradient is the one the estimator trusts; the
        carried ``state`` is read, not updated); see :mod:`mibench.regularizers.term`.
        """
        return cls.train_objective(t_joint, t_marginal, hp, state)[0]

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
        """The batched model whose scores ``(E, b, 1 + k)`` the objective reads: a critic of
        :func:`~mibench.neural.critics.make_critic` by default (``kind`` is the ``critic``
        hyperparameter). Estimators whose "scores" mean something else (log-densities of a
        learned q(y | x), a critic with a baseline) build their own model here; any object
        with ``n_params``, ``init(generator)`` and ``scores(theta, x, y, pairs)`` will do.

        Raises:
            ValueError: naming ``critic`` for a kind the estimator does not offer, or the
                architecture argument at fault.
        """
        from mibench.neural.critics import make_critic

        return make_critic(kind, dim_x, dim_y, hidden, activation, embed_dim)

    @classmethod
    def data_constants(cls, x: Tensor, y: Tensor) -> dict[str, Tensor]:
        """Per-member constants the readout needs from the data, ``{name: (E,)}``, passed to
        :meth:`readout` and :meth:`train_objective` in ``hp`` beside the objective
        hyperparameters (none by default).

        Computed once from the standardised training part ``x: (E, n, dim_x)``,
        ``y: (E, n, dim_y)`` in fixed-sample mode, and from each step's batch in streaming
        mode (e.g. Barber–Agakov's estimate of H(Y)).
        """
        return {}

    def check_objective_params(self) -> None:
        """Validate the objective's own hyperparameters (none by default).

        Those beyond the shared ones of this class: e.g. MINE's ``rate``, or a rule an
        objective sets on a shared one (α-InfoNCE needs ``negatives="all"``). The trainer
        calls it on every member before training, in
        :func:`~mibench.neural.settings.shared_settings`.

        Raises:
            ValueError: naming the first invalid hyperparameter.
        """

    def validate(self) -> None:
        """Check every hyperparameter, the ``device`` included (``cuda`` without CUDA is
        refused), as training would.

        Raises:
            ValueError: naming the first invalid hyperparameter.
        """
        from mibench.neural.settings import shared_settings

        shared_settings([self])

    def estimate(self, x: object, y: object, *, error_bar: str | None = None) -> Estimate:
        """Estimate I(X; Y) in nats (see :class:`~mibench.estimator.Estimator`).

        Besides array-likes, ``x`` and ``y`` may be torch tensors of any floating dtype and
        device (float16 and bfloat16 included); they are read as float64. ``error_bar`` is
        ``"held-out"`` (the default of ``"auto"``; no extra training), ``"subsampling"``
        (9 more batched fits) or None; see :mod:`mibench.errorbars`.

        Raises:
            ValueError: for bad samples (naming ``x`` or ``y``), an invalid hyperparameter
                (naming it) or an ``error_bar`` it cannot give (naming ``error_bar``).
        """
        return super().estimate(_as_array(x), _as_array(y), error_bar=error_bar)

    def required_samples(self, dim_x: int, dim_y: int) -> int:
        """The fewest samples whose ``test_fraction`` split leaves both parts at least
        ``MIN_PART`` samples (``min_samples`` when ``test_fraction`` is invalid)."""
        tf = self.test_fraction
        if isinstance(tf, bool) or not isinstance(tf, (int, float)) or not 0 < tf < 1:
            return self.min_samples
        n = self.min_samples
        while min(round(n * tf), n - round(n * tf)) < MIN_PART:
            n += 1
        return n

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> Estimate:
        from mibench.neural.fit_fixed import fit

        return fit([self], [x], [y])[0]

    def _estimate_point(self, x: np.ndarray, y: np.ndarray, error_bar: str | None) -> Estimate:
        from mibench.neural.fit_fixed import fit

        return fit([self], [x], [y], held_out_error=error_bar == "held-out")[0]

    def estimate_streaming(self, task: StreamingTask, n_steps: int | None = None) -> Estimate:
        """Train on a streaming task, one fresh batch per step (see :func:`fit_streaming`).

        Args:
            task: a :class:`~mibench.tasks.streaming.StreamingTask`, e.g. the staircase.
            n_steps: steps to run; all of the task's schedule when None.

        Returns:
            An :class:`~mibench.estimate.Estimate` whose trace is ``(step, value, true MI)``
            for every step, in nats.

        Raises:
            ValueError: for an invalid hyperparameter or ``n_steps``.
        """
        from mibench.neural.fit_streaming import fit_streaming

        start = time.perf_counter()
        result = fit_streaming([self], task, n_steps)[0]
        result.wall_seconds = time.perf_counter() - start
        return result

    @classmethod
    def estimate_group(
        cls,
        members: Sequence[NeuralEstimator],
        xs: Sequence[object],
        ys: Sequence[object],
        *,
        error_bar: str | None = None,
    ) -> list[Estimate]:
        """Fit ``members`` on their own samples as one batched model (the engine's batched
        seeds; see :func:`~mibench.neural.ensemble.fit_ensemble`).

        Args:
            members: estimators of this class that may train together (e.g. seeds of one
                configuration).
            xs: one ``(n, dim_x)`` array per member, all of one shape.
            ys: one ``(n, dim_y)`` array per member.
            error_bar: the error-bar method the group's estimates will get
                (:func:`mibench.errorbars.add_group_error_bars`); ``"held-out"`` makes the
                fit keep what that needs.

        Returns:
            One estimate (nats) per member: the value its separate run gives.

        Raises:
            ValueError: as :func:`~mibench.neural.ensemble.fit_ensemble`.
        """
        from mibench.neural.ensemble import fit_ensemble

        return fit_ensemble(members, list(xs), list(ys), held_out_error=error_bar == "held-out")

    @classmethod
    def estimate_streaming_group(
        cls, members: Sequence[NeuralEstimator], task: StreamingTask
    ) -> list[Estimate]:
        """Train ``members`` on a streaming task as one batched model, each drawing its batches
        with its own seed (see :func:`~mibench.neural.ensemble.fit_streaming_ensemble`).

        Returns:
            One estimate per member, trace ``(step, value, true MI)`` in nats.

        Raises:
            ValueError: as :func:`~mibench.neural.ensemble.fit_streaming_ensemble`.
        """
        from mibench.neural.ensemble import fit_streaming_ensemble

        return fit_streaming_ensemble(members, task)


def _as_array(a: object) -> object:
    """A torch tensor as a float64 numpy array (any dtype, any device); anything else as is."""
    torch = sys.modules.get("torch")  # without torch imported, ``a`` is no tensor
    if torch is not None and isinstance(a, torch.Tensor):
        return a.detach().to("cpu", torch.float64).numpy()
    return a


def _jsd_value(t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
    """The JSD objective of the scores, ``(E,)`` (:func:`~mibench.neural.objectives.jsd_bound`)."""
    from mibench.neural.objectives import jsd_bound

    return jsd_bound(t_joint, t_marginal)


class DV(NeuralEstimator):
    """Donsker–Varadhan bound trained with its plain minibatch gradient (biased).

    The MINE bound without the moving-average correction (Belghazi et al. 2018, eq. 10;
    Poole et al. 2019, eq. 8). Value in nats.
    """

    name: ClassVar[str] = "dv"
    source: ClassVar[str] = "Donsker & Varadhan (1983); Belghazi et al. (2018), eq. 10"

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.objectives import dv_bound

        return dv_bound(t_joint, t_marginal)


class MINE(NeuralEstimator):
    """MINE: the DV bound with the moving-average-corrected gradient (Belghazi et al. 2018).

    The average of E_q[e^T] starts from the first batch, is carried across steps and is kept
    in log space (:func:`~mibench.neural.objectives.mine_objective`).

    Args:
        rate: the moving-average rate α in (0, 1].
        **kwargs: the shared hyperparameters of :class:`NeuralEstimator`.
    """

    name: ClassVar[str] = "mine"
    source: ClassVar[str] = "Belghazi et al. (2018), MINE"
    objective_params: ClassVar[tuple[str, ...]] = ("rate",)

    def __init__(self, *, rate: float = _D["mine"]["rate"], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = rate

    def check_objective_params(self) -> None:
        """``rate`` must be a number in (0, 1]."""
        check_real("rate", self.rate, 0, 1, low_open=True)

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.objectives import dv_bound

        return dv_bound(t_joint, t_marginal)

    @classmethod
    def train_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> tuple[Tensor, Any]:
        from mibench.neural.objectives import mine_objective

        return mine_objective(t_joint, t_marginal, state, hp["rate"])


class MINEf(NeuralEstimator):
    """MINE-f, the NWJ bound E_p[T] − E_q[e^{T−1}] (Nguyen, Wainwright & Jordan 2010).

    Trained and read out with :func:`~mibench.neural.objectives.nwj_bound` (Belghazi et al.
    2018, §3.1). Value in nats.
    """

    name: ClassVar[str] = "mine-f"
    source: ClassVar[str] = "Belghazi et al. (2018), MINE-f; Nguyen, Wainwright & Jordan (2010)"

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.objectives import nwj_bound

        return nwj_bound(t_joint, t_marginal)


class NWJ(MINEf):
    """NWJ: registry alias of :class:`MINEf` (the same objective under its original name)."""

    name: ClassVar[str] = "nwj"
    source: ClassVar[str] = "Nguyen, Wainwright & Jordan (2010)"


class _JSDTrained(NeuralEstimator):
    """Base of the estimators whose critic trains on the Jensen–Shannon objective (Hjelm et
    al. 2019) and whose MI readout is another bound; the raw JSD value goes to
    ``extras["jsd"]``."""

    extra_values: ClassVar[dict[str, ExtraValue]] = {"jsd": _jsd_value}

    @classmethod
    def train_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> tuple[Tensor, Any]:
        return _jsd_value(t_joint, t_marginal, hp), state


class JSD(_JSDTrained):
    """Critic trained with the Jensen–Shannon objective, MI read out through NWJ.

    Deep InfoMax training (Hjelm et al. 2019) makes T ≈ log r; the reported MI is the NWJ
    bound of T + ``shift`` (Poole et al. 2019, §3): ``shift=1`` is consistent (NWJ's optimum
    is 1 + log r), ``shift=0`` reproduces the I − 1/e bias of some published code. The raw
    JSD objective (2·JSD − 2 ln 2 at the optimum) is kept in ``extras["jsd"]``.

    Args:
        shift: added to the critic before the NWJ readout (finite).
        **kwargs: the shared hyperparameters of :class:`NeuralEstimator`.
    """

    name: ClassVar[str] = "jsd"
    source: ClassVar[str] = "Hjelm et al. (2019), Deep InfoMax; Poole et al. (2019)"
    objective_params: ClassVar[tuple[str, ...]] = ("shift",)

    def __init__(self, *, shift: float = _D["jsd"]["shift"], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shift = shift

    def check_objective_params(self) -> None:
        """``shift`` must be a finite number."""
        check_real("shift", self.shift)

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.objectives import nwj_bound

        return nwj_bound(t_joint, t_marginal, shift=hp["shift"])


class SMILE(_JSDTrained):
    """SMILE(τ): JSD-trained critic read out with a clipped DV bound (Song & Ermon 2020).

    ``tau=math.inf`` is DV on a JSD-trained critic. The raw JSD objective is kept in
    ``extras["jsd"]``.

    Args:
        tau: the clip τ > 0 of e^T in the partition term.
        **kwargs: the shared hyperparameters of :class:`NeuralEstimator`.
    """

    name: ClassVar[str] = "smile"
    source: ClassVar[str] = "Song & Ermon (2020)"
    objective_params: ClassVar[tuple[str, ...]] = ("tau",)

    def __init__(self, *, tau: float = _D["smile"]["tau"], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tau = tau

    def check_objective_params(self) -> None:
        """``tau`` must be a number > 0 (``math.inf`` allowed)."""
        check_real("tau", self.tau, 0, low_open=True, finite=False)

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.objectives import smile_bound

        return smile_bound(t_joint, t_marginal, tau=hp["tau"])

    @classmethod
    def regularizer_objective(
        cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor], state: Any
    ) -> Tensor:
        """The SMILE(τ) estimate itself: as an outer loss term, SMILE is its clipped DV value
        (the JSD objective that trains its critic is :class:`JSD`'s term)."""
        return cls.readout(t_joint, t_marginal, hp)


class InfoNCE(NeuralEstimator):
    """InfoNCE / CPC (van den Oord et al. 2018), at most ln(negatives + 1) nats.

    Defaults to a separable critic with ``negatives="all"``, so the bound is ln(batch size)
    and all b² scores cost one matrix product; the held-out evaluation uses the same
    negatives (``eval_negatives=None``), since InfoNCE's value depends on their number.

    Args:
        critic: ``"separable"`` (default) or ``"joint"``.
        negatives: ``"all"`` (default) or an int k (bound ln(k + 1)).
        eval_negatives: None (default: as ``negatives``), an int or ``"all"``.
        **kwargs: the other shared hyperparameters of :class:`NeuralEstimator`.
    """

    name: ClassVar[str] = "infonce"
    source: ClassVar[str] = "van den Oord et al. (2018); Poole et al. (2019)"

    def __init__(
        self,
        *,
        critic: str = _D["infonce"]["critic"],
        negatives: int | str = _D["infonce"]["negatives"],
        eval_negatives: int | str | None = _D["infonce"]["eval_negatives"],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            critic=critic, negatives=negatives, eval_negatives=eval_negatives, **kwargs
        )

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.objectives import infonce_bound

        return infonce_bound(t_joint, t_marginal)


class TUBA(NeuralEstimator):
    """TUBA: the tractable unnormalized Barber–Agakov bound with a learned baseline a(y).

    I ≥ 1 + E_p[f(x, y) − log a(y)] − E_{p(x)p(y)}[e^{f(x, y) − log a(y)}] (Poole et al.
    2019, §2.2), in nats. The model (:class:`~mibench.neural.critics.BaselineCritic`) is the
    critic f (``critic``: joint or separable) plus an MLP b(y) = log a(y) of y (widths
    ``hidden``); both train on the bound, which is also the readout
    (:func:`~mibench.neural.objectives.tuba_bound`). With a(y) ≡ e it is NWJ.

    Args:
        **kwargs: the shared hyperparameters of :class:`NeuralEstimator`.
    """

    name: ClassVar[str] = "tuba"
    source: ClassVar[str] = "Poole, Ozair, van den Oord, Alemi & Tucker (2019), TUBA"

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
        """The critic with its baseline: scores f(x_i, y_j) − b(y_j), rows by x."""
        from mibench.neural.critics import BaselineCritic

        return BaselineCritic(kind, dim_x, dim_y, tuple(hidden), activation, embed_dim)

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.objectives import tuba_bound

        return tuba_bound(t_joint, t_marginal)


class AlphaInfoNCE(NeuralEstimator):
    """α-InfoNCE: Poole et al.'s interpolation of InfoNCE (α = 1) and TUBA (α = 0).

    The bound of :func:`~mibench.neural.objectives.alpha_infonce_bound` (Poole et al. 2019,
    §2.4), trained and read out, in nats: each y of a batch is an anchor whose normaliser
    α·m(y; x_{1:K}) + (1 − α)·a(y) mixes the batch average m of e^{f(x_k, y)} over the x's
    with a learned baseline a(y) (an MLP of y beside the critic,
    :class:`~mibench.neural.critics.BaselineCritic` with rows anchored on y). It needs the
    full b × b score matrix of a batch: ``negatives="all"``, evaluated with the same
    (``eval_negatives`` None or ``"all"``); its value depends on the batch size as
    InfoNCE's does (at α = 1 it is at most ln(b − 1)).

    Args:
        alpha: α in [0, 1]; small values keep most of TUBA's reach beyond ln(batch size)
            with part of InfoNCE's variance reduction.
        critic: ``"separable"`` (default) or ``"joint"``.
        negatives: must be ``"all"``.
        eval_negatives: None (default: as ``negatives``) or ``"all"``.
        **kwargs: the other shared hyperparameters of :class:`NeuralEstimator`.
    """

    name: ClassVar[str] = "alpha-infonce"
    source: ClassVar[str] = "Poole, Ozair, van den Oord, Alemi & Tucker (2019), α-InfoNCE"
    objective_params: ClassVar[tuple[str, ...]] = ("alpha",)

    def __init__(
        self,
        *,
        alpha: float = _D["alpha-infonce"]["alpha"],
        critic: str = _D["alpha-infonce"]["critic"],
        negatives: int | str = _D["alpha-infonce"]["negatives"],
        eval_negatives: int | str | None = _D["alpha-infonce"]["eval_negatives"],
        **kwargs: Any,
    ) -> None:
        super().__init__(
            critic=critic, negatives=negatives, eval_negatives=eval_negatives, **kwargs
        )
        self.alpha = alpha

    def check_objective_params(self) -> None:
        """``alpha`` must be in [0, 1]; ``negatives`` must be ``"all"`` and ``eval_negatives``
        None or ``"all"``."""
        check_real("alpha", self.alpha, 0, 1)
        if not (isinstance(self.negatives, str) and self.negatives == "all"):
            raise ValueError(
                f"negatives must be 'all' for alpha-infonce (its bound reads the full score "
                f"matrix of a batch), got {self.negatives!r}"
            )
        ev = self.eval_negatives
        if not (ev is None or (isinstance(ev, str) and ev == "all")):
            raise ValueError(
                f"eval_negatives must be None or 'all' for alpha-infonce (its value depends on "
                f"the number of negatives, as in training), got {ev!r}"
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
        """The critic with its baseline, rows anchored on y: scores f(x_j, y_i) − b(y_i)."""
        from mibench.neural.critics import BaselineCritic

        return BaselineCritic(kind, dim_x, dim_y, tuple(hidden), activation, embed_dim, "y")

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.objectives import alpha_infonce_bound

        return alpha_infonce_bound(t_joint, t_marginal, alpha=hp["alpha"])


class FLO(NeuralEstimator):
    """FLO: the contrastive Fenchel–Legendre bound (Guo et al. 2022), in nats.

    I ≥ 1 − E[u(x, y) + e^{−u(x, y)} · mean_k e^{g(x, y'_k) − g(x, y)}], y'_k the
    ``negatives`` marginal pairs of each sample (:func:`~mibench.neural.objectives.flo_bound`;
    tight at u = −log r, g = log r). The model (:class:`~mibench.neural.critics.FLOModel`) is
    the critic g (``critic``: joint or separable) plus a u-network, an MLP of [x, y] (widths
    ``hidden``); both train on the bound, which is also the readout. It works with a single
    negative per sample (the default).

    Args:
        **kwargs: the shared hyperparameters of :class:`NeuralEstimator`.
    """

    name: ClassVar[str] = "flo"
    source: ClassVar[str] = "Guo, Chen, Wang, Yang, Deng, Carin, Li & Tao (2022), FLO"

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
        """The critic g and the u-network: scores [u(x_i, y_i), g(x_i, y_j) − g(x_i, y_i)]."""
        from mibench.neural.critics import FLOModel

        return FLOModel(kind, dim_x, dim_y, tuple(hidden), activation, embed_dim)

    @classmethod
    def readout(cls, t_joint: Tensor, t_marginal: Tensor, hp: dict[str, Tensor]) -> Tensor:
        from mibench.neural.objectives import flo_bound

        return flo_bound(t_joint, t_marginal)


#: The built-in neural estimators by registry name.
NEURAL_ESTIMATORS: dict[str, type[NeuralEstimator]] = {
    cls.name: cls for cls in (DV, MINE, MINEf, NWJ, JSD, SMILE, InfoNCE, TUBA, AlphaInfoNCE, FLO)
}

for _name, _cls in NEURAL_ESTIMATORS.items():
    register_estimator(_name, _cls)
