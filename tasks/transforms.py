"""MI-preserving transforms, applied coordinate-wise to X or Y.

Mutual information is invariant under injective continuous maps of X and of Y separately
(Kraskov et al. 2004, eq. 45); these are the standard ones of Czyż et al. (2023).
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from mibench.tasks.base import Transform


class NormalCDF(Transform):
    """u = Φ(x), the standard normal CDF per coordinate: uniform margins for N(0, 1) inputs."""

    name = "normal_cdf"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return ndtr(a)


class HalfCube(Transform):
    """x ↦ x·sqrt(|x|) per coordinate (strictly increasing, heavier tails)."""

    name = "half_cube"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return a * np.sqrt(np.abs(a))
