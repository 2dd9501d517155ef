"""Additive uniform noise: X ~ U(0, 1), Y = X + N with N ~ U(−ε, ε) independent of X.

I(X; Y) = ε − ln(2ε) for ε ≤ ½ and 1/(4ε) for ε > ½ (Czyż et al. 2023, "Beyond Normal",
Appendix; derived from h(Y) − h(N) with the trapezoidal density of Y).
"""

from __future__ import annotations

import numpy as np

from mibench.tasks.base import Distribution, Task, family_tags, format_id
from mibench.tasks.gaussian import CITE_BEYOND_NORMAL
from mibench.validation import check_real


class AdditiveUniformNoise(Distribution):
    """1-D X ~ U(0, 1) and Y = X + U(−ε, ε).

    Args:
        epsilon: half-width of the noise, ε > 0.

    Raises:
        ValueError: unless ε is a finite number > 0.
    """

    dim_x = 1
    dim_y = 1

    def __init__(self, epsilon: float) -> None:
        self.epsilon = check_real("epsilon", epsilon, 0, low_open=True)

    @property
    def mi(self) -> float:
        e = self.epsilon
        return e - float(np.log(2.0 * e)) if e <= 0.5 else 1.0 / (4.0 * e)

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.random((n, 1))
        return x, x + rng.uniform(-self.epsilon, self.epsilon, size=(n, 1))

    def log_densities(
        self, x: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        e = self.epsilon
        x, y = x[:, 0], y[:, 0]
        inside_x = (x >= 0) & (x <= 1)
        lx = np.where(inside_x, 0.0, -np.inf)
        lxy = np.where(inside_x & (np.abs(y - x) <= e), -np.log(2.0 * e), -np.inf)
        overlap = np.minimum(1.0, y + e) - np.maximum(0.0, y - e)
        with np.errstate(divide="ignore"):
            ly = np.log(np.clip(overlap, 0.0, None) / (2.0 * e))
        return lxy, lx, ly


def additive_noise(epsilon: float) -> Task:
    """The additive uniform noise task, id ``1v1-additive-<epsilon>`` (Czyż et al. 2023).

    Raises:
        ValueError: unless ε > 0.
    """
    return Task(
        id=format_id("1v1-additive", float(epsilon)),
        distribution=AdditiveUniformNoise(epsilon),
        name=f"uniform plus uniform noise, epsilon={epsilon}",
        tags=family_tags(dim_x=1, dim_y=1),
        citation=CITE_BEYOND_NORMAL,
    )
