"""Grid specification: tasks × estimator configurations × sample sizes × seeds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from mibench.harness.cells import Cell, canonical_json
from mibench.registry import get_estimator, parse_spec
from mibench.tasks import Task


def spec_label(spec: str) -> str:
    """Canonical display label of an estimator spec: ``name`` or ``name[a=1,b=2]`` (sorted)."""
    name, params = parse_spec(spec)
    if not params:
        return name
    return f"{name}[{','.join(f'{k}={params[k]!r}' for k in sorted(params))}]".replace("'", "")


@dataclass
class Grid:
    """The cells of a benchmark run.

    Args:
        tasks: the tasks to run.
        estimators: estimator specs, ``name`` or ``name[param=value,...]``; several
            configurations of one estimator are allowed.
        ns: sample sizes.
        seeds: replicate seeds.
        standardize: standardise x and y per column after sampling (the protocol of
            Czyż et al. 2023).
        device: torch device for estimators with a ``device`` hyperparameter, unless their
            spec sets one (``cpu``, ``cuda``, ``auto``).

    Raises:
        ValueError: for an empty axis, an unknown estimator, a bad hyperparameter, a
            non-positive n, or a ``device`` that is unknown or absent (``cuda`` without CUDA).
    """

    tasks: list[Task]
    estimators: list[str]
    ns: list[int]
    seeds: list[int]
    standardize: bool = True
    device: str | None = None
    _configs: list[tuple[str, str, dict[str, Any]]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for axis in ("tasks", "estimators", "ns", "seeds"):
            if not getattr(self, axis):
                raise ValueError(f"grid axis {axis!r} must not be empty")
        streaming = [t.id for t in self.tasks if not isinstance(t, Task)]
        if streaming:
            raise ValueError(
                f"streaming tasks {streaming} have no fixed sample: train a neural estimator on "
                "them with its estimate_streaming method, or run `mibench figures staircase`"
            )
        for n in self.ns:
            if int(n) < 1:
                raise ValueError(f"sample sizes must be positive, got n={n}")
        if self.device is not None:
            from mibench.neural.trainer import resolve_device

            resolve_device(self.device)  # refuse an unknown or absent device before any cell
        self._configs = []
        for spec in self.estimators:
            name, spec_params = parse_spec(spec)
            est = get_estimator(spec)
            params = est.get_params()
            if self.device is not None and "device" in params and "device" not in spec_params:
                params["device"] = self.device
            self._configs.append((name, spec_label(spec), params))

    def cells(self) -> list[Cell]:
        """All cells, ordered task-major, then n, seed and estimator."""
        return [
            Cell(
                task_id=task.id,
                task_version=task.version,
                estimator=name,
                label=label,
                params=params,
                n=int(n),
                seed=int(seed),
                standardize=self.standardize,
            )
            for task in self.tasks
            for n in self.ns
            for seed in self.seeds
            for name, label, params in self._configs
        ]

    def fingerprint(self) -> str:
        """Short hash of the grid's definition, used to name its default run folder."""
        payload = canonical_json(
            (
                [(t.id, t.version) for t in self.tasks],
                [c[1:] for c in self._configs],
                self.ns,
                self.seeds,
                self.standardize,
            )
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:10]
