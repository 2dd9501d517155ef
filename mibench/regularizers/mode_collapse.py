"""Mode collapse: GANs whose generator maximises an estimated I(Z; G(Z) + σε) (MINE, §5.1).

Belghazi et al. (2018, "MINE", §5.1) add a mutual-information term to a GAN generator's loss
so that its samples keep the entropy of the data instead of collapsing onto a few modes. This
module is that experiment as four :class:`~mibench.regularizers.benchmark.TrainingBenchmark`
tasks, one per data set:

===============================  ==========================================================
benchmark id                     data (target of the GAN)
===============================  ==========================================================
``mode-collapse-grid25``         25 Gaussians, centres {−4, −2, 0, 2, 4}², sd 0.05
``mode-collapse-ring8``          8 Gaussians on a circle of radius 2, sd 0.02
``mode-collapse-stacked-digits`` three 8×8 ``load_digits`` images stacked as channels
                                 (1,000 modes: digit triples)
``mode-collapse-linear-gaussian`` a 2-d Gaussian N(0, Σ), Σ = [[1, 0.5], [0.5, 1]] (the
                                 known-answer case: a linear generator)
===============================  ==========================================================

**Which MI is maximised, and why it is finite.** For a deterministic generator G and a
continuous latent Z, I(G(Z); Z) is infinite (G(Z) is a function of Z: h(G(Z) | Z) = −∞).
Every benchmark here uses a *noisy generator*: its output is Y = G(Z) + σε with ε ~ N(0, I)
independent of Z, and the term is an estimate of

    I(Z; Y) = h(Y) − h(Y | Z) = h(Y) − h(σε),    h(σε) = (d/2) ln(2πe σ²),

which is finite: h(Y) is at most the entropy of a Gaussian with Y's covariance, so
I(Z; Y) <= ½ ln det(Cov Y / σ²) (equality for a linear G and Gaussian Z). Up to the constant
h(σε), maximising it maximises the entropy of the generated distribution, which is what
discourages dropping modes. The discriminator sees Y, and Y is what the metrics count.
σ per data set: grid25 0.025, ring8 0.01 (half the mode sd: a noisy generator can match each
mode exactly), stacked digits 0.05 on pixel values, linear Gaussian 0.3.

**Generator loss.** The non-saturating GAN loss −E log D(Y) minus β times the term's value,
differentiated with :func:`~mibench.regularizers.term.backward_with_mi` over the generator's
parameters (``shared``; with ``clip``, MINE's adaptive clipping, Belghazi et al. §3.3). The
discriminator has its own loss (logistic, real against Y) and its own Adam optimiser (both
at learning rate 3e-3, β₁ = 0.5, decayed linearly to 0 over the run); the critic of the term
takes one step per outer step (its estimator's defaults: 2×32 critic, Adam 1e-3). Order per
step: the critic's step on the batch (z, y), the discriminator's step, then the generator's
step. At β = 0 (the ``none`` setting) the generator's gradient is the GAN loss's alone;
the term only reads out.

**High quality and modes (the protocol).** 2-D data: a generated sample is *high quality*
when its Euclidean distance to its nearest centre is at most 3 sd; it then counts for that
centre's mode. Stacked digits: each 64-pixel channel is labelled by :func:`digits_classifier`
(logistic regression trained once, seed 0, on 75% of ``load_digits``); a sample counts for
mode 100·d₁ + 10·d₂ + d₃ only when the classifier's top-class probability is at least 0.9 on
*each* of its three channels (such a sample is "high quality"). A mode is *captured* when at
least ``min_count`` high-quality samples of the evaluation sample fall in it: 20 of 2,500 for
the 2-D data, 1 of 10,000 for stacked digits. Metrics per cell (the cell's extras and the
columns of ``summary.csv``): ``modes`` (captured), ``high_quality`` (share of the evaluation
sample), ``kl_uniform`` (KL of the mode histogram of the high-quality samples against the
uniform distribution over all modes, nats; ln K when no sample is of high quality, the value
of a single-mode histogram), and ``mi_final_trace`` (the term's readout at the last step).
The trace is the term's readout every :attr:`trace_every` steps.

**InfoNCE's ceiling.** InfoNCE with b − 1 negatives is at most ln b: ln 128 ≈ 4.85 nats at
the stacked-digits batch of 128 (ln 256 ≈ 5.55 for the other benchmarks), below
ln 1,000 ≈ 6.91 nats, the entropy of a uniform digit triple. Once InfoNCE's critic is near
ln b its gradient towards more distinct samples fades: it rewards samples that can be told
apart within a batch of 128, not the spread over 1,000 modes. The cap is not the only limit:
for a generator whose latent decides the triple and covers all 1,000 modes, I(Z; Y) >=
I(Z; mode) = ln 1,000 by data processing, plus what the variation within a mode carries,
so every bound is far from tight there and the term is a training signal rather than a
measurement.

**Step counts.** 2,000 steps for grid25, 1,000 for ring8, 1,500 for stacked digits and 400
for the linear Gaussian. That is still short for a GAN (the published experiments train for
tens of thousands of steps): the benchmark measures how far each term spreads the generator
over the modes within that budget. A first full run with 500 steps for grid25 and 300 for
stacked digits captured no grid mode with any setting and separated no estimator on digits,
so those two were lengthened (single-seed checks had reached 5 grid modes at 3,000 steps and
16 digit modes at 2,000).

**Known answer.** ``mode-collapse-linear-gaussian`` trains a linear generator
G(z) = Az + c, Y = G(Z) + σε, against N(0, Σ) with an MLP discriminator; there
I(Z; Y) = ½ ln det(I + AAᵀ/σ²) exactly (:func:`linear_gaussian_mi`), so the trace holds the
truth beside the estimate at every row, ``mi_true`` is the exact MI of the trained generator,
and the metrics include the mean absolute error of the estimate over training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mibench.neural.settings import torch_threads
from mibench.regularizers.benchmark import TrainingBenchmark, TrainingRun
from mibench.regularizers.gaussian import gaussian_kl
from mibench.regularizers.term import MITerm, TrainingDiverged, backward_with_mi
from mibench.validation import check_int

#: Grid25: centres {−4, −2, 0, 2, 4}² and the sd of each mode.
GRID_SPACING, GRID_SD = 2.0, 0.05
#: Ring8: radius of the circle of centres and the sd of each mode.
RING_RADIUS, RING_SD = 2.0, 0.02
#: A sample is of high quality within this many sd of its nearest centre (2-D data).
QUALITY_SDS = 3.0
#: Stacked digits: the classifier's least top-class probability on each channel.
DIGIT_CONFIDENCE = 0.9
#: The linear-Gaussian target covariance.
LINEAR_TARGET_COV = ((1.0, 0.5), (0.5, 1.0))


# --------------------------------------------------------------------------- data


def grid_centres() -> np.ndarray:
    """The 25 centres of grid25, shape ``(25, 2)``: {−4, −2, 0, 2, 4}², row-major."""
    axis = GRID_SPACING * (np.arange(5) - 2.0)
    return np.array([(a, b) for a in axis for b in axis], dtype=np.float64)


def ring_centres() -> np.ndarray:
    """The 8 centres of ring8, shape ``(8, 2)``: radius 2, angles 2πk/8."""
    angles = 2 * np.pi * np.arange(8) / 8
    return RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def sample_mixture(centres: np.ndarray, sd: float, n: int, generator: torch.Generator) -> Tensor:
    """n samples of the equal-weight mixture of N(centre, sd² I), shape ``(n, d)``, float32."""
    c = torch.as_tensor(centres, dtype=torch.float32)
    which = torch.randint(len(c), (n,), generator=generator)
    return c[which] + sd * torch.randn(n, c.shape[1], generator=generator)


@lru_cache(maxsize=1)
def _digit_images() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    return (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int64)


class StackedDigits:
    """Stacked digits: three ``load_digits`` images as the channels of one sample.

    Each channel's digit is drawn independently and uniformly from 0–9, then an image of that
    digit uniformly from the 1,797 images of ``sklearn.datasets.load_digits``; pixels are
    scaled from 0–16 to [0, 1]. A sample is a row of 192 values (channel-major: pixels 0–63
    are the first digit). Its mode is 100·d₁ + 10·d₂ + d₃ (1,000 modes, uniform).
    """

    channels, pixels = 3, 64

    def __init__(self) -> None:
        images, labels = _digit_images()
        order = np.argsort(labels, kind="stable")
        self.images = torch.as_tensor(images[order])
        counts = np.bincount(labels, minlength=10)
        self.counts = torch.as_tensor(counts)
        self.offsets = torch.as_tensor(np.concatenate([[0], np.cumsum(counts)[:-1]]))

    def sample(self, n: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
        """``n`` samples, shape ``(n, 192)`` float32 in [0, 1], and their modes ``(n,)``."""
        digit = torch.randint(10, (n, self.channels), generator=generator)
        u = torch.rand(n, self.channels, generator=generator)
        count = self.counts[digit]
        index = self.offsets[digit] + torch.minimum((u * count).long(), count - 1)
        x = self.images[index].reshape(n, self.channels * self.pixels)
        mode = digit[:, 0] * 100 + digit[:, 1] * 10 + digit[:, 2]
        return x, mode


@lru_cache(maxsize=1)
def stacked_digits() -> StackedDigits:
    """The stacked-digits sampler (built once per process)."""
    return StackedDigits()


@dataclass(frozen=True)
class DigitsClassifier:
    """The multinomial logistic regression that labels the channels of stacked digits.

    Attributes:
        weights: shape ``(64, 10)``.
        bias: shape ``(10,)``.
        accuracy: accuracy on the held-out 25% of ``load_digits`` (450 images).
    """

    weights: np.ndarray
    bias: np.ndarray
    accuracy: float

    def proba(self, images: np.ndarray) -> np.ndarray:
        """Class probabilities of 8×8 images ``(n, 64)`` with pixels in [0, 1]; ``(n, 10)``."""
        logits = np.asarray(images, dtype=np.float64) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)


@lru_cache(maxsize=1)
def digits_classifier() -> DigitsClassifier:
    """The digits classifier, trained once per process (cached).

    scikit-learn's ``LogisticRegression`` (L-BFGS, C = 10, at most 5,000 iterations) on a
    stratified 75/25 split of ``load_digits`` (``random_state=0``), pixels scaled to [0, 1];
    deterministic.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    images, labels = _digit_images()
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.25, random_state=0, stratify=labels
    )
    model = LogisticRegression(C=10.0, max_iter=5000)
    model.fit(x_train.astype(np.float64), y_train)
    accuracy = float(np.mean(model.predict(x_test.astype(np.float64)) == y_test))
    return DigitsClassifier(model.coef_.T.copy(), model.intercept_.copy(), accuracy)


# --------------------------------------------------------------------------- metrics


def kl_to_uniform(counts: np.ndarray) -> float:
    """KL(p ‖ u) in nats of the histogram ``counts`` (K bins) against the uniform u on K bins.

    KL = Σ_{p_k > 0} p_k ln(K p_k), with p = counts / Σ counts: empty bins contribute 0, so
    the value is finite, between 0 (uniform) and ln K (one bin). An all-zero histogram has
    no distribution to compare; it gets ln K by convention (as bad as a single mode).

    Raises:
        ValueError: naming ``counts`` when it is empty or has a negative entry.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or np.any(counts < 0):
        raise ValueError("counts must be a non-empty 1-d array of non-negative counts")
    k, total = counts.size, counts.sum()
    if total == 0:
        return math.log(k)
    p = counts[counts > 0] / total
    return float(max(0.0, np.sum(p * np.log(k * p))))


def histogram_metrics(labels: np.ndarray, n_modes: int, min_count: int) -> dict[str, float]:
    """Modes captured, high-quality share and KL to uniform from per-sample mode labels.

    Args:
        labels: shape ``(n,)``, the mode (0..n_modes − 1) of each high-quality sample and −1
            for every other sample.
        n_modes: K, the number of modes of the data.
        min_count: a mode is captured when it holds at least this many high-quality samples.

    Returns:
        ``modes`` (captured, 0..K), ``high_quality`` (share of the n samples in [0, 1]) and
        ``kl_uniform`` (:func:`kl_to_uniform` of the high-quality histogram, nats).

    Raises:
        ValueError: naming ``labels`` (empty, or a value outside −1..K − 1) or ``min_count``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise ValueError("labels must be a non-empty 1-d array")
    if labels.min() < -1 or labels.max() >= n_modes:
        raise ValueError(f"labels must lie in -1..{n_modes - 1}")
    check_int("min_count", min_count, 1)
    good = labels[labels >= 0]
    counts = np.bincount(good, minlength=n_modes)
    return {
        "modes": float(np.sum(counts >= min_count)),
        "high_quality": float(good.size / labels.size),
        "kl_uniform": kl_to_uniform(counts),
    }


def nearest_centre_labels(
    samples: np.ndarray, centres: np.ndarray, sd: float, within: float = QUALITY_SDS
) -> np.ndarray:
    """The nearest centre of each sample when it is within ``within``·sd of it, else −1.

    Args:
        samples: shape ``(n, d)``.
        centres: shape ``(K, d)``.
        sd: the sd of each mode.
        within: the high-quality radius in sd (Euclidean distance <= within·sd).

    Returns:
        Integer labels, shape ``(n,)``.
    """
    samples = np.asarray(samples, dtype=np.float64)
    d2 = ((samples[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    nearest = d2.argmin(axis=1)
    close = d2[np.arange(len(samples)), nearest] <= (within * sd) ** 2
    return np.where(close, nearest, -1)


def mixture_metrics(
    samples: np.ndarray, centres: np.ndarray, sd: float, min_count: int
) -> dict[str, float]:
    """:func:`histogram_metrics` of 2-D samples against a mixture's centres (3-sd rule)."""
    labels = nearest_centre_labels(samples, centres, sd)
    return histogram_metrics(labels, len(centres), min_count)


def stacked_digit_labels(images: np.ndarray, confidence: float = DIGIT_CONFIDENCE) -> np.ndarray:
    """The mode 100·d₁ + 10·d₂ + d₃ of each stacked-digits sample, or −1 when not confident.

    Args:
        images: shape ``(n, 192)``, three 64-pixel channels per row.
        confidence: the least top-class probability of :func:`digits_classifier` on every
            channel for a sample to count.

    Returns:
        Integer labels in −1..999, shape ``(n,)``.
    """
    images = np.asarray(images, dtype=np.float64)
    n = len(images)
    proba = digits_classifier().proba(images.reshape(n * 3, 64)).reshape(n, 3, 10)
    digit, top = proba.argmax(axis=2), proba.max(axis=2)
    mode = digit[:, 0] * 100 + digit[:, 1] * 10 + digit[:, 2]
    return np.where((top >= confidence).all(axis=1), mode, -1)


# --------------------------------------------------------------------------- linear Gaussian


def linear_gaussian_mi(a: np.ndarray | Tensor, sigma: float) -> float:
    """Exact I(Z; AZ + c + σε) = ½ ln det(I + AAᵀ/σ²) in nats, Z ~ N(0, I), ε ~ N(0, I).

    Y given Z is N(AZ + c, σ²I) and Y is N(c, AAᵀ + σ²I), so
    I = h(Y) − h(Y|Z) = ½ ln det(AAᵀ + σ²I) − ½ ln det(σ²I). Computed in float64 as
    ½ ln det(I + AᵀA/σ²) (the same determinant, of the smaller side).

    Args:
        a: the matrix A, shape ``(d_y, d_z)``.
        sigma: the noise sd σ > 0.

    Raises:
        ValueError: naming ``sigma`` when it is not > 0.
    """
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma!r}")
    a = np.asarray(a.detach().cpu() if isinstance(a, Tensor) else a, dtype=np.float64)
    gram = a.T @ a / sigma**2
    _, logdet = np.linalg.slogdet(np.eye(gram.shape[0]) + gram)
    return 0.5 * float(logdet)


# --------------------------------------------------------------------------- training


def mlp(
    sizes: tuple[int, ...], generator: torch.Generator, activation: type[nn.Module] = nn.ReLU
) -> nn.Sequential:
    """An MLP with layer widths ``sizes`` and ``activation`` between layers, initialised from
    ``generator`` (PyTorch's default uniform(±1/√fan_in) rule, but seeded)."""
    layers: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layer = nn.Linear(fan_in, fan_out)
        bound = 1 / math.sqrt(fan_in)
        with torch.no_grad():
            layer.weight.uniform_(-bound, bound, generator=generator)
            layer.bias.uniform_(-bound, bound, generator=generator)
        layers.append(layer)
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def _finite(value: Tensor, what: str, step: int) -> None:
    if not bool(torch.isfinite(value.detach()).all()):
        raise TrainingDiverged(what, step)


class NoisyGanBenchmark(TrainingBenchmark):
    """A GAN with a noisy generator Y = G(Z) + σε whose loss has −β·Î(Z; Y) (module docstring).

    Subclasses set the data, the networks and the evaluation. Instance attributes (the
    protocol; ``steps`` is the cells' n and shrinks with ``--scale``):

    Attributes:
        steps: outer steps (one critic, one discriminator and one generator step each).
        batch_size: samples per step (real and generated alike).
        lr: initial Adam learning rate of generator and discriminator (β₁ = 0.5, β₂ = 0.999),
            decayed linearly to 0 over the run.
        eval_size: generated samples drawn at the end for the metrics.
        min_count: high-quality samples a mode needs to count as captured.
        trace_every: steps between trace rows.
    """

    tags: ClassVar[frozenset[str]] = frozenset({"regularizer", "mode-collapse"})
    #: The generator's noise sd σ (``dim_x`` is the latent dimension, the term's x).
    sigma: ClassVar[float]
    #: Default protocol sizes.
    default_steps: ClassVar[int]
    default_batch: ClassVar[int] = 256
    default_lr: ClassVar[float] = 3e-3
    default_eval: ClassVar[int] = 2500
    default_min_count: ClassVar[int] = 20

    def __init__(
        self,
        steps: int | None = None,
        *,
        batch_size: int | None = None,
        eval_size: int | None = None,
        min_count: int | None = None,
        trace_every: int | None = None,
    ) -> None:
        self.steps = check_int("steps", self.default_steps if steps is None else steps, 1)
        self.batch_size = check_int(
            "batch_size", self.default_batch if batch_size is None else batch_size, 2
        )
        self.eval_size = check_int(
            "eval_size", self.default_eval if eval_size is None else eval_size, 1
        )
        self.min_count = check_int(
            "min_count", self.default_min_count if min_count is None else min_count, 1
        )
        every = max(1, self.steps // 100) if trace_every is None else trace_every
        self.trace_every = check_int("trace_every", every, 1)
        self.lr = self.default_lr
        self.window = min(100, self.steps)

    # -- what subclasses define
    def real(self, n: int, generator: torch.Generator) -> Tensor:
        """n real samples, shape ``(n, dim_y)`` (as the discriminator sees them)."""
        raise NotImplementedError

    def make_generator(self, generator: torch.Generator) -> nn.Module:
        """The deterministic part G: ``(n, latent)`` → ``(n, dim_y)``."""
        raise NotImplementedError

    def make_discriminator(self, generator: torch.Generator) -> nn.Module:
        """The discriminator: ``(n, dim_y)`` → logits ``(n, 1)``."""
        raise NotImplementedError

    def evaluate(self, samples: np.ndarray) -> dict[str, float]:
        """Metrics of ``eval_size`` generated samples ``(eval_size, dim_y)``."""
        raise NotImplementedError

    def exact_mi(self, g: nn.Module) -> float:
        """I(Z; Y) of the generator where a closed form exists, else NaN."""
        return math.nan

    def final_metrics(self, g: nn.Module) -> dict[str, float]:
        """Metrics of the trained generator besides those of its samples (none by default)."""
        return {}

    # -- the loop
    def noisy(self, g: nn.Module, z: Tensor, generator: torch.Generator) -> Tensor:
        """Y = G(z) + σε, shape ``(n, dim_y)``."""
        y = g(z)
        return y + self.sigma * torch.randn(y.shape, generator=generator)

    def train(self, term: MITerm, beta: float, clip: bool, seed: int) -> TrainingRun:
        """Train the GAN for :attr:`steps` steps with generator loss −E log D(Y) − β·term(Z, Y).

        Raises:
            TrainingDiverged: when the critic's, the discriminator's or the generator's loss
                turns non-finite.
        """
        with torch_threads(1):  # small matrices gain nothing from more threads
            return self._train(term, beta, clip, seed)

    def _train(self, term: MITerm, beta: float, clip: bool, seed: int) -> TrainingRun:
        gen = torch.Generator().manual_seed(int(seed))
        g, d = self.make_generator(gen), self.make_discriminator(gen)
        g_params = list(g.parameters())
        opt_g = torch.optim.Adam(g_params, lr=self.lr, betas=(0.5, 0.999), foreach=True)
        opt_d = torch.optim.Adam(d.parameters(), lr=self.lr, betas=(0.5, 0.999), foreach=True)
        # linear decay of both learning rates to 0 over the run
        decay = [
            torch.optim.lr_scheduler.LambdaLR(opt, lambda k: 1 - k / self.steps)
            for opt in (opt_g, opt_d)
        ]
        b = self.batch_size
        estimates: list[float] = []
        trace: list[tuple[int, float, float]] = []
        for step in range(1, self.steps + 1):
            z = torch.randn(b, self.dim_x, generator=gen)
            y = self.noisy(g, z, gen)
            readout = term.critic_step(z, y)
            estimates.append(readout)
            if step % self.trace_every == 0 or step == self.steps:
                trace.append((step, readout, self.exact_mi(g)))
            # discriminator: real -> 1, generated -> 0
            logits = d(torch.cat([self.real(b, gen), y.detach()]))
            loss_d = F.softplus(-logits[:b]).mean() + F.softplus(logits[b:]).mean()
            _finite(loss_d, "discriminator loss", step)
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            # generator: non-saturating loss, minus beta times the MI term
            main = F.softplus(-d(y)).mean()
            _finite(main, "generator loss", step)
            if beta > 0:
                backward_with_mi(main, -beta * term(z, y), g_params, clip=clip)
            else:
                for p, grad in zip(g_params, torch.autograd.grad(main, g_params), strict=True):
                    p.grad = grad
            opt_g.step()
            for schedule in decay:
                schedule.step()
        with torch.no_grad():
            z = torch.randn(self.eval_size, self.dim_x, generator=gen)
            samples = self.noisy(g, z, gen).numpy()
        metrics = self.evaluate(samples)
        metrics.update(self.final_metrics(g))
        metrics["mi_final_trace"] = float(estimates[-1])
        return TrainingRun(estimates, trace, metrics, self.exact_mi(g))


class _Mixture2D(NoisyGanBenchmark):
    """A GAN on an equal-weight 2-D Gaussian mixture; generator and discriminator 2×128 MLPs."""

    dim_x: int = 2
    dim_y: int = 2
    hidden: ClassVar[int] = 128
    mode_sd: ClassVar[float]

    @staticmethod
    def centres() -> np.ndarray:
        raise NotImplementedError

    def real(self, n: int, generator: torch.Generator) -> Tensor:
        return sample_mixture(self.centres(), self.mode_sd, n, generator)

    def make_generator(self, generator: torch.Generator) -> nn.Module:
        return mlp((self.dim_x, self.hidden, self.hidden, 2), generator)

    def make_discriminator(self, generator: torch.Generator) -> nn.Module:
        return mlp((2, self.hidden, self.hidden, 1), generator)

    def evaluate(self, samples: np.ndarray) -> dict[str, float]:
        return mixture_metrics(samples, self.centres(), self.mode_sd, self.min_count)


class Grid25(_Mixture2D):
    """25 Gaussians on the grid {−4, −2, 0, 2, 4}², sd 0.05; σ = 0.025, latent 2.

    Protocol: generator and discriminator 2×128 ReLU MLPs, Adam 3e-3 (β₁ 0.5) decayed
    linearly to 0, batch 256, 500 steps; 2,500 evaluation samples, a mode captured with >= 20
    high-quality samples. 2,500 samples of the data itself score 25 modes, 0.986 high quality
    and KL 0.004 nats.
    """

    id: ClassVar[str] = "mode-collapse-grid25"
    name: ClassVar[str] = "GAN on 25 Gaussians (5x5 grid), noisy generator"
    mode_sd: ClassVar[float] = GRID_SD
    sigma: ClassVar[float] = 0.025
    default_steps: ClassVar[int] = 2000

    @staticmethod
    def centres() -> np.ndarray:
        return grid_centres()


class Ring8(_Mixture2D):
    """8 Gaussians on a circle of radius 2, sd 0.02; σ = 0.01, latent 2.

    Protocol as :class:`Grid25` (1,000 steps; 2,500 evaluation samples, >= 20 per captured
    mode). 2,500 samples of the data score 8 modes, 0.990 high quality and KL 0.004 nats.
    """

    id: ClassVar[str] = "mode-collapse-ring8"
    name: ClassVar[str] = "GAN on 8 Gaussians (ring), noisy generator"
    mode_sd: ClassVar[float] = RING_SD
    sigma: ClassVar[float] = 0.01
    default_steps: ClassVar[int] = 1000

    @staticmethod
    def centres() -> np.ndarray:
        return ring_centres()


class ChannelGenerator(nn.Module):
    """A stacked-digits generator: a trunk maps z to three channel codes, one shared decoder
    turns each code into an 8×8 image.

    ``z: (n, dim_z)`` → trunk ``dim_z → hidden → 3·code`` → decoder ``code → hidden → 64``
    (sigmoid) per channel → ``(n, 192)``, channel-major; leaky ReLU (0.01) between layers.
    """

    def __init__(self, dim_z: int, code: int, hidden: int, generator: torch.Generator) -> None:
        super().__init__()
        self.code = code
        self.trunk = mlp((dim_z, hidden, 3 * code), generator, nn.LeakyReLU)
        self.decoder = mlp((code, hidden, 64), generator, nn.LeakyReLU)

    def forward(self, z: Tensor) -> Tensor:
        codes = self.trunk(z).reshape(-1, self.code)
        return torch.sigmoid(self.decoder(codes)).reshape(-1, 192)


class ChannelDiscriminator(nn.Module):
    """A stacked-digits discriminator: one shared encoder per channel, then a joint head.

    ``x: (n, 192)`` → encoder ``64 → hidden → features`` per channel (leaky ReLU) → the three
    feature vectors concatenated → head ``3·features → hidden → 1`` (logits ``(n, 1)``).
    """

    def __init__(self, features: int, hidden: int, generator: torch.Generator) -> None:
        super().__init__()
        self.features = features
        self.encoder = mlp((64, hidden, features), generator, nn.LeakyReLU)
        self.head = mlp((3 * features, hidden, 1), generator, nn.LeakyReLU)

    def forward(self, x: Tensor) -> Tensor:
        f = F.leaky_relu(self.encoder(x.reshape(-1, 64))).reshape(-1, 3 * self.features)
        return self.head(f)


class StackedDigitsGan(NoisyGanBenchmark):
    """Stacked digits (1,000 modes); latent 16, σ = 0.05 on pixels in [0, 1].

    Networks that share weights across the three channels (:class:`ChannelGenerator`: codes of
    8, hidden 128; :class:`ChannelDiscriminator`: features 32, hidden 128), so that one decoder
    learns the digits from all three channels while the trunk alone decides the triple (the
    joint structure, where mode collapse happens). Batch 128 (InfoNCE's ceiling ln 128 ≈ 4.85
    nats), Adam 3e-3 decayed linearly. The real images reach the discriminator with the same
    N(0, σ²) pixel noise as the generated ones (instance noise): the data's pixels have atoms
    at exactly 0 that no noisy generator could match. Evaluation: 10,000 samples, labelled by
    :func:`stacked_digit_labels` (confidence >= 0.9 on all three channels); a mode is captured
    with >= 1 confident sample. Real triples with the same noise pass the confidence rule 71–72%
    of the time, and 10,000 of them cover 997–999 of the 1,000 modes (three draws).
    """

    id: ClassVar[str] = "mode-collapse-stacked-digits"
    name: ClassVar[str] = "GAN on stacked load_digits (1,000 modes), noisy generator"
    dim_x: int = 16
    dim_y: int = 192
    sigma: ClassVar[float] = 0.05
    hidden: ClassVar[int] = 128
    code: ClassVar[int] = 8
    features: ClassVar[int] = 32
    default_steps: ClassVar[int] = 1500
    default_batch: ClassVar[int] = 128
    default_eval: ClassVar[int] = 10_000
    default_min_count: ClassVar[int] = 1
    modes: ClassVar[int] = 1000

    def real(self, n: int, generator: torch.Generator) -> Tensor:
        x, _ = stacked_digits().sample(n, generator)
        return x + self.sigma * torch.randn(x.shape, generator=generator)

    def make_generator(self, generator: torch.Generator) -> nn.Module:
        return ChannelGenerator(self.dim_x, self.code, self.hidden, generator)

    def make_discriminator(self, generator: torch.Generator) -> nn.Module:
        return ChannelDiscriminator(self.features, self.hidden, generator)

    def evaluate(self, samples: np.ndarray) -> dict[str, float]:
        labels = stacked_digit_labels(samples)
        return histogram_metrics(labels, self.modes, self.min_count)


class LinearGaussianGan(NoisyGanBenchmark):
    """The known-answer case: Y = Az + c + σε (A 2×2, σ = 0.3) against N(0, Σ).

    Σ = [[1, 0.5], [0.5, 1]]; a generator that matches it has AAᵀ = Σ − σ²I and
    I(Z; Y) = ½ ln det(Σ/σ²) ≈ 2.264 nats (``mi_target``). The discriminator is a 2×64 ReLU
    MLP; batch 256, Adam 3e-3 decayed linearly, 400 steps. The trace's third column is
    :func:`linear_gaussian_mi` of the current A at every row. Metrics besides the common
    ones: ``mi_abs_error`` (mean over the trace rows of |estimate − exact|, nats),
    ``mi_target``, ``mi_gap`` (exact MI of the trained generator − ``mi_target``: how far the
    term pushed the generator's entropy beyond the data's) and ``kl_target``
    (KL(N(c, AAᵀ + σ²I) ‖ N(0, Σ)), nats). It has no modes; its sample metrics are
    ``mean_error`` (norm of the evaluation samples' mean) and ``cov_error`` (Frobenius norm of
    their covariance − Σ), from 2,500 samples.
    """

    id: ClassVar[str] = "mode-collapse-linear-gaussian"
    name: ClassVar[str] = "GAN with a linear-Gaussian generator (exact I(Z; Y))"
    dim_x: int = 2
    dim_y: int = 2
    sigma: ClassVar[float] = 0.3
    hidden: ClassVar[int] = 64
    default_steps: ClassVar[int] = 400

    @property
    def target_cov(self) -> np.ndarray:
        return np.array(LINEAR_TARGET_COV)

    @property
    def mi_target(self) -> float:
        """I(Z; Y) of a generator that matches the target: ½ ln det(Σ / σ²), nats."""
        _, logdet = np.linalg.slogdet(self.target_cov / self.sigma**2)
        return 0.5 * float(logdet)

    def real(self, n: int, generator: torch.Generator) -> Tensor:
        chol = torch.as_tensor(np.linalg.cholesky(self.target_cov), dtype=torch.float32)
        return torch.randn(n, 2, generator=generator) @ chol.T

    def make_generator(self, generator: torch.Generator) -> nn.Module:
        return mlp((self.dim_x, 2), generator)

    def make_discriminator(self, generator: torch.Generator) -> nn.Module:
        return mlp((2, self.hidden, self.hidden, 1), generator)

    def _linear(self, g: nn.Module) -> nn.Linear:
        layer = g[0] if isinstance(g, nn.Sequential) else g
        assert isinstance(layer, nn.Linear)
        return layer

    def exact_mi(self, g: nn.Module) -> float:
        return linear_gaussian_mi(self._linear(g).weight, self.sigma)

    def evaluate(self, samples: np.ndarray) -> dict[str, float]:
        mean_error = float(np.linalg.norm(samples.mean(axis=0)))
        cov_error = float(np.linalg.norm(np.cov(samples.T) - self.target_cov))
        return {"mean_error": mean_error, "cov_error": cov_error}

    def final_metrics(self, g: nn.Module) -> dict[str, float]:
        layer = self._linear(g)
        a = layer.weight.detach().double().numpy()
        c = layer.bias.detach().double().numpy()
        cov = a @ a.T + self.sigma**2 * np.eye(2)
        return {
            "mi_target": self.mi_target,
            "mi_gap": linear_gaussian_mi(a, self.sigma) - self.mi_target,
            "kl_target": gaussian_kl(c, cov, np.zeros(2), self.target_cov),
        }

    def train(self, term: MITerm, beta: float, clip: bool, seed: int) -> TrainingRun:
        run = super().train(term, beta, clip, seed)
        errors = [abs(est - exact) for _, est, exact in run.trace]
        run.metrics["mi_abs_error"] = float(np.mean(errors))
        return run


#: The benchmark classes, in figure order.
BENCHMARKS: tuple[type[NoisyGanBenchmark], ...] = (
    Grid25,
    Ring8,
    StackedDigitsGan,
    LinearGaussianGan,
)
