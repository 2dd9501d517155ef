"""The defaults of every neural estimator, in one place.

Every neural estimator's constructor reads its defaults from :data:`DEFAULTS` (shared trainer
and critic settings) and :data:`OBJECTIVE_DEFAULTS` (what differs per estimator), so this
module is the single table to read or change. It imports no torch (nor do the estimator
classes, until they fit), so listing the estimators stays fast; the trainer's constants that
the classes read (:data:`MIN_PART`, :data:`SCORE_LIMIT`) live here too.

Shared defaults (all estimators):

===================  ===========  ==============================================================
hyperparameter       default      meaning
===================  ===========  ==============================================================
critic               ``"joint"``  ``"joint"``: MLP on [x, y]; ``"separable"``: g(x)ᵀh(y)
hidden               (32, 32)     hidden-layer widths of the MLP(s)
activation           ``"relu"``   hidden activation (see :data:`mibench.neural.critics.ACTIVATIONS`)
embed_dim            32           output width of g and h (separable critic only)
negatives            1            marginal pairs per training sample: k shifts, or ``"all"``
eval_negatives       16           marginal pairs per held-out sample (None: as ``negatives``)
batch_size           256          samples per training batch
lr                   1e-3         Adam learning rate
weight_decay         0.0          Adam L2 weight decay
max_steps            2000         most optimisation steps
eval_every           100          steps between evaluations on the held-out part
patience             3            evaluations without improvement before stopping
test_fraction        0.5          share of the samples held out for evaluation
validation_fraction  0.0          share held out for selection (0: select on the test part)
standardize          ``"zscore"`` z-score each column with the training part's mean and sd;
                                  ``"none"`` leaves the columns as given (``True``/``False``
                                  are the same, as for every estimator); data that the
                                  critic's dtype cannot hold (1e−200 or 1e200 in float32)
                                  give status ``error``, not a value
normal_scores        False        first map each column to normal scores fitted on the
                                  training part (MI-preserving; for heavy tails, see below)
quadratic_features   False        the critic sees [x, x∘x] and [y, y∘y] (an injective lift,
                                  so MI-preserving; critics only, not density models)
seed                 None         random seed; None is seed 0, as for every estimator (a grid
                                  derives one per cell instead)
device               ``"cpu"``    ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"``
dtype                float32      ``"float32"``/``"float64"``; ``"bfloat16"``/``"float16"`` =
                                  mixed precision (float32 weights, half-precision critic)
threads              1            CPU threads torch uses during a fit (None: leave as set)
===================  ===========  ==============================================================

Per-estimator defaults (:data:`OBJECTIVE_DEFAULTS`): ``mine`` rate 0.01 (moving-average
rate α); ``jsd`` shift 1.0 (added to the critic before the NWJ readout); ``smile`` tau 5.0
(clip of the partition term); ``infonce`` critic ``"separable"`` with ``negatives="all"``
(every other sample of the batch, so that the bound is ln(batch size)) and
``eval_negatives=None`` (evaluated with the training negatives: InfoNCE's value depends on
them). ``alpha-infonce``: alpha 0.01 with InfoNCE's critic and negatives (it needs all of
them); ``tuba`` and ``flo`` take the shared defaults (FLO trains with one negative). Why
α = 0.01: with the exact log-ratio critic on 5-D Gaussians, batch 256, 200 batches, α = 0.01
had the smallest per-batch RMSE at I = 6 and 8 nats (bias −0.05 / −0.17, sd 0.19 / 0.25,
against TUBA's (α = 0) sd 0.32 / 0.55 and α = 0.1's bias −0.19 / −0.67) and was within 0.01
of the best at 2 and 4 nats; at I = 0.51 nats trained fits did not depend on α in
0.01–0.5.

Why ``normal_scores`` is off: on the seven raw Student-t tasks of the standard suite at
n = 10,000 (5 seeds; ``results/heavy-tails``) it cut every estimator's mean absolute error by
1.8–2.8× (MINE 0.245 → 0.098 nats, NWJ 0.193 → 0.079) and brought the tasks up to 3 × 3 within
0.11 nats, but on the 5 × 5 tasks it did not help and for some estimators was slightly worse;
it has not been measured on the other tasks, so it is an option, not the default.

Why ``quadratic_features`` is off: with ``normal_scores`` it brings all seven estimators within
0.06 nats of the truth on those seven tasks (mean absolute errors 0.026–0.030 nats), but on
the other 33 tasks of the standard suite (n = 10,000, 5 seeds;
``results/heavy-tails-quadratic``) the pair makes 57 of 231 (task, estimator) pairs worse by
more than the seed-to-seed sd (the 25 × 25 and 50 × 50 Gaussians most), while 72 get better;
it is the setting for heavy tails, not the default.

Why ``validation_fraction`` is 0: selecting on the part that is reported inflates the value
by +0.019 nats on average on the quick suite (n = 2,000, 3 seeds; MINE +0.049, NWJ +0.011,
InfoNCE −0.002; ``results/model-selection``), less than the estimators' biases there, and a
separate validation part (0.25 with ``test_fraction`` 0.25) gave larger errors for all three,
its test part being half as large. Adding the parameter left every stored cell id as it was
(:data:`mibench.harness.cells.LATER_DEFAULTS`).

Why these values: the field's reference protocol (batch 256, Adam, 50/50 split, evaluation
every 250 steps, stop after two evaluations without improvement) is kept for the batch, the
optimiser and the split. Evaluation is more frequent (every 100 steps) and the learning rate
larger than the MINE paper's 1e-4 so that one fit on 2,000 samples takes a few seconds on one
CPU core (the default ``mibench run`` grid fits MINE 24 times); three evaluations of patience
make the stop robust to the noise of a 1,000-sample held-out estimate. The critic is 2x32:
on the default grid's tasks (up to 5x5) it is as accurate as 2x64 (both track the estimate of
the exact log-ratio critic on the same held-out part) at a quarter of the cost, and its steps
are small enough for batched ensembles to pay on a CPU. One CPU thread per fit: such small
operations gain nothing from intra-op threads (on a busy 2-core machine two threads made a
fit 8 times slower), results then do not depend on the core count, and parallel cells
(``--workers``) use the other cores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: The ``standardize`` methods of the neural estimators (:mod:`mibench.preprocessing`): ranks
#: are left to the kNN estimators.
NEURAL_STANDARDIZATIONS = ("zscore", "none")


@dataclass(frozen=True)
class NeuralDefaults:
    """Shared default hyperparameters of the neural estimators (see the module table)."""

    critic: str = "joint"
    hidden: tuple[int, ...] = (32, 32)
    activation: str = "relu"
    embed_dim: int = 32
    negatives: int | str = 1
    eval_negatives: int | str | None = 16
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 0.0
    max_steps: int = 2000
    eval_every: int = 100
    patience: int = 3
    test_fraction: float = 0.5
    validation_fraction: float = 0.0
    standardize: str | bool = "zscore"
    normal_scores: bool = False
    quadratic_features: bool = False
    seed: int | None = None
    device: str = "cpu"
    dtype: str = "float32"
    threads: int | None = 1


#: The shared defaults.
DEFAULTS = NeuralDefaults()

#: The fewest samples in the training part and in the held-out part (see
#: :mod:`mibench.neural.fit_fixed`).
MIN_PART = 8

#: A critic score T(x, y) beyond ±this marks the step as diverged, for every critic
#: objective: a trained critic approximates a log density ratio (plus a constant), tens of
#: nats at most, while an exploding one can still give finite bounds (DV of a huge constant
#: critic is 0, SMILE's clipped partition term keeps it finite) that would otherwise pass as
#: estimates. Density models (scores log q(y | x), which enter their readouts linearly and
#: are bounded by the model's scale floor) have no limit: a marginal pair far from μ(x) has
#: a log-density of −10⁴ and below without anything having diverged.
SCORE_LIMIT = 1e4

#: The density families (``critic`` values) of the density estimators.
DENSITY_KINDS: tuple[str, ...] = ("gaussian", "gaussian-full")

#: Per-estimator defaults: objective hyperparameters and overrides of :data:`DEFAULTS`.
OBJECTIVE_DEFAULTS: dict[str, dict[str, Any]] = {
    "dv": {},
    "mine": {"rate": 0.01},
    "mine-f": {},
    "nwj": {},
    "jsd": {"shift": 1.0},
    "smile": {"tau": 5.0},
    "infonce": {"critic": "separable", "negatives": "all", "eval_negatives": None},
    "tuba": {},
    "alpha-infonce": {
        "alpha": 0.01,
        "critic": "separable",
        "negatives": "all",
        "eval_negatives": None,
    },
    "flo": {},
    "ba": {"critic": "gaussian", "negatives": 1, "eval_negatives": 1},
    "club": {"critic": "gaussian", "negatives": 1, "eval_negatives": "all"},
    "doe": {"critic": "gaussian", "negatives": 1, "eval_negatives": 1},
}
