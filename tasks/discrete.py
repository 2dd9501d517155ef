"""Discrete–continuous task: X uniform on {0, …, m−1}, Y | X ~ U(X, X + 2).

I(X; Y) = ln m − ((m − 1)/m) ln 2: each Y in an overlap of two neighbouring intervals
(probability (m − 1)/m) leaves one bit about X (Gao, Kannan, Oh & Viswanath 2017,
"Estimating mutual information for discrete-continuous mixtures", NeurIPS, §5).
"""

from __future__ import annotations

import numpy as np

from mibench.tasks.base import Distribution, Task, family_tags, format_id

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
        if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 2:
            raise ValueError(f"m must be an integer >= 2, got {m!r}")
        self.m = int(m)

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
