"""Discrete tasks. Discrete–continuous: X uniform on {0, …, m−1}, Y | X ~ U(X, X + 2).

I(X; Y) = ln m − ((m − 1)/m) ln 2: each Y in an overlap of two neighbouring intervals
(probability (m − 1)/m) leaves one bit about X (Gao, Kannan, Oh & Viswanath 2017,
"Estimating mutual information for discrete-continuous mixtures", NeurIPS, §5).

Categorical–categorical (id ``categorical-<k>-<epsilon>``): X uniform on {0, …, K−1}, Y = X with
probability 1 − ε, else uniform on the other K − 1 values; I(X; Y) = ln K − h(ε) − ε ln(K − 1)
(h the binary entropy, nats), 0 at ε = (K − 1)/K.
"""

from __future__ import annotations

import numpy as np

from mibench.tasks.base import Distribution, Task, family_tags, format_id
from mibench.validation import check_int, check_real

CITE_GAO = (
    "Gao, Kannan, Oh & Viswanath (2017), Estimating Mutual Information for "
    "Discrete-Continuous Mixtures, NeurIPS"
)


class DiscreteUniformShift(Distribution):
    """X uniform on {0, …, m−1} (returned as floats), Y | X ~ U(X, X + 2).

    Args:
        m: number of values of X, an integer ≥ 2.

    Raises:
        ValueError: unless ``m`` is an integer ≥ 2.
    """

    dim_x = 1
    dim_y = 1

    def __init__(self, m: int) -> None:
        self.m = check_int("m", m, 2)

    @property
    def mi(self) -> float:
        m = self.m
        return float(np.log(m) - (m - 1) / m * np.log(2.0))

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.integers(0, self.m, size=(n, 1)).astype(np.float64)
        return x, x + 2.0 * rng.random((n, 1))

    def log_densities(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log-probability of X (counting measure) and log-densities of Y and of (X, Y)."""
        m = self.m
        x, y = x[:, 0], y[:, 0]
        valid_x = (x == np.round(x)) & (x >= 0) & (x <= m - 1)
        lx = np.where(valid_x, -np.log(m), -np.inf)
        lxy = np.where(valid_x & (y >= x) & (y <= x + 2), -np.log(2.0 * m), -np.inf)
        # number of k in {0..m-1} with k <= y <= k + 2
        count = np.clip(np.floor(y), -1, m - 1) - np.clip(np.ceil(y - 2), 0, m) + 1
        with np.errstate(divide="ignore"):
            ly = np.log(np.clip(count, 0, None) / (2.0 * m))
        return lxy, lx, ly


def discrete_continuous(m: int) -> Task:
    """The discrete–continuous task with ``m`` values of X, id ``1v1-discrete-<m>``.

    Raises:
        ValueError: unless ``m`` is an integer ≥ 2.
    """
    return Task(
        id=format_id("1v1-discrete", m),
        distribution=DiscreteUniformShift(m),
        name=f"X uniform on {{0..{m}-1}}, Y | X ~ U(X, X+2)",
        tags=family_tags("discrete-continuous", dim_x=1, dim_y=1),
        citation=CITE_GAO,
    )


def _binary_entropy(p: float) -> float:
    """h(p) = −p ln p − (1 − p) ln(1 − p) in nats (0 at p = 0 and p = 1)."""
    return float(-sum(q * np.log(q) for q in (p, 1.0 - p) if q > 0.0))


class SymmetricChannel(Distribution):
    """Categorical–categorical: X uniform on {0, …, K−1}, Y = X with probability 1 − ε and
    otherwise uniform on the K − 1 other values (a K-ary symmetric channel; both returned as
    floats of the integer codes).

    I(X; Y) = ln K − h(ε) − ε ln(K − 1) nats, h the binary entropy: Y is uniform too, so
    I = H(Y) − H(Y | X) with H(Y | X) = h(ε) + ε ln(K − 1) (Cover & Thomas 2006, §7.1.5
    for the binary case K = 2).

    Args:
        k: number of categories K, an integer ≥ 2.
        epsilon: the probability ε that Y differs from X, in [0, 1].

    Raises:
        ValueError: unless ``k`` is an integer ≥ 2 and ``epsilon`` a number in [0, 1].
    """

    dim_x = 1
    dim_y = 1

    def __init__(self, k: int, epsilon: float) -> None:
        self.k = check_int("k", k, 2)
        self.epsilon = check_real("epsilon", epsilon, 0, 1)

    @property
    def mi(self) -> float:
        k, eps = self.k, self.epsilon
        # clipped at 0: at ε = (K − 1)/K the terms cancel up to rounding
        return max(0.0, float(np.log(k) - _binary_entropy(eps) - eps * np.log(k - 1)))

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.integers(0, self.k, size=(n, 1))
        flip = rng.random((n, 1)) < self.epsilon
        # an offset in {1, …, K−1} modulo K: uniform on the other values
        other = (x + rng.integers(1, self.k, size=(n, 1))) % self.k
        return x.astype(np.float64), np.where(flip, other, x).astype(np.float64)

    def log_densities(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Log-probabilities (counting measure) of (X, Y), of X and of Y."""
        k, eps = self.k, self.epsilon
        x, y = x[:, 0], y[:, 0]

        def valid(a: np.ndarray) -> np.ndarray:
            return (a == np.round(a)) & (a >= 0) & (a <= k - 1)

        lx = np.where(valid(x), -np.log(k), -np.inf)
        ly = np.where(valid(y), -np.log(k), -np.inf)
        with np.errstate(divide="ignore"):
            same, other = np.log(1.0 - eps), np.log(eps / (k - 1))
        lxy = np.where(valid(x) & valid(y), -np.log(k) + np.where(x == y, same, other), -np.inf)
        return lxy, lx, ly


def categorical(k: int, epsilon: float) -> Task:
    """The categorical task (K-ary symmetric channel), id ``categorical-<k>-<epsilon>``.

    Raises:
        ValueError: unless ``k`` is an integer ≥ 2 and ``epsilon`` a number in [0, 1].
    """
    return Task(
        id=format_id("categorical", k, float(epsilon)),
        distribution=SymmetricChannel(k, epsilon),
        name=f"X uniform on {{0..{k}-1}}, Y = X with probability {1 - float(epsilon):g}",
        tags=family_tags("categorical", dim_x=1, dim_y=1),
        citation="Cover & Thomas (2006), Elements of Information Theory, §7.1 (symmetric channel)",
    )
