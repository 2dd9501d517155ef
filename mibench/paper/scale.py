"""The ``--scale`` of a paper figure: steps, seeds and sample sizes shrunk for a CPU preview.

A figure at scale s < 1 runs ``round(s · steps)`` training steps, ``round(s · seeds)`` seeds
and ``round(s · n)`` samples per cell (each with a floor, so that the smallest scales still
give a runnable grid); scale 1 is the published protocol. The caption of every figure states
its scale in words (:meth:`Scale.caption`); the README of its folder also names the option.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    """A proportional shrink factor in (0, 1].

    Attributes:
        factor: 1 for the published protocol; e.g. 0.01 for a CI preview.

    Raises:
        ValueError: naming ``scale`` when ``factor`` is not a number in (0, 1].
    """

    factor: float = 1.0

    def __post_init__(self) -> None:
        f = self.factor
        if isinstance(f, bool) or not isinstance(f, (int, float)) or not 0 < f <= 1:
            raise ValueError(f"scale must be a number in (0, 1], got {f!r}")

    @property
    def full(self) -> bool:
        """True at the published protocol (factor 1)."""
        return self.factor == 1

    def _shrink(self, value: int, floor: int) -> int:
        return max(floor, int(round(value * self.factor)))

    def steps(self, value: int, floor: int = 1) -> int:
        """Training steps (or steps per staircase stage) at this scale, at least ``floor``."""
        return self._shrink(value, floor)

    def seeds(self, value: int, floor: int = 1) -> int:
        """Number of replicate seeds at this scale, at least ``floor``."""
        return self._shrink(value, floor)

    def n(self, value: int, floor: int = 50) -> int:
        """Sample size at this scale, at least ``floor``."""
        return self._shrink(value, floor)

    def suffix(self) -> str:
        """Folder-name suffix: empty at full scale, else ``-scale<factor>``."""
        return "" if self.full else f"-scale{self.factor:g}"

    def caption(self) -> str:
        """One sentence for the figure caption stating the scale in words (no command option)."""
        if self.full:
            return "Full protocol: all the training steps, seeds and sample sizes of the figure."
        return (
            f"Preview at {self.factor:g}× the protocol: training steps, seeds and sample sizes "
            "shrunk to about that share (with floors); not the published numbers."
        )

    def option(self) -> str:
        """The command-line option that makes this scale, e.g. ``--scale 0.01``."""
        return f"--scale {self.factor:g}"


def scaled_span(span: float, scale: Scale) -> float:
    """An EMA span (in steps) shrunk with the steps, at least 1."""
    return max(1.0, span * scale.factor)
