"""Grid cells: one (task, estimator configuration, n, seed), its stable id and its seeds.

The cell id is a SHA-256 hash of the task id and version, the estimator name and its
``cell_params()`` (less parameters added later while at their old default,
:data:`LATER_DEFAULTS`), n, the seed and :data:`CELL_VERSION`. The *data* seed depends only
on (task id, task version, n, seed), so every estimator of a grid sees the same samples for the
same seed (paired comparisons); the estimator's own seed is derived from the cell's seed and
the estimator configuration unless the user fixed it.

A failed cell retried with a new seed (``mibench run --retry-failed --reseed``,
:func:`mibench.harness.runner.execute` with ``reseed=True``) is the same cell, with the same id
and data: only its derived estimator seed changes, to :func:`reseeded_seed` of the first
attempt's seed and the attempt number (:attr:`Cell.reseed_attempt`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Version of what a cell *means* (how its data and estimator are derived from its identity).
#: Bump it only when that changes: every stored cell then stops matching. The layout of the
#: stored rows has its own version (:data:`mibench.harness.schema.STORE_VERSION`), so adding
#: a column does not change any cell id.
CELL_VERSION = 1

#: Hyperparameters added to estimators after their cells were first stored, with the default
#: that reproduces the earlier behaviour. While a cell's parameter is at that default it is
#: left out of the cell id and of the derived estimator seed (:func:`identity_params`), so the
#: stored cells of the estimator keep their ids and values; any other value enters both.
LATER_DEFAULTS: dict[str, Any] = {
    "normal_scores": False,
    "validation_fraction": 0.0,
    "quadratic_features": False,
}


def identity_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` without the entries of :data:`LATER_DEFAULTS` that hold their default (of
    the same type: ``0`` is not ``False``)."""
    return {k: v for k, v in params.items() if not _at_later_default(k, v)}


def _at_later_default(name: str, value: Any) -> bool:
    if name not in LATER_DEFAULTS:
        return False
    default = LATER_DEFAULTS[name]
    return type(value) is type(default) and value == default


def canonical_json(obj: Any) -> str:
    """A deterministic JSON text of ``obj`` (sorted keys, tuples as lists, numpy scalars)."""

    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        return repr(o)

    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=default)


def _hash_int(*parts: Any) -> int:
    digest = hashlib.sha256(canonical_json(parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") & (2**63 - 1)


def data_seed(task_id: str, task_version: int, n: int, seed: int) -> int:
    """The sampling seed of a cell: a function of (task id, version, n, seed) only."""
    return _hash_int("data", task_id, task_version, n, seed)


#: Estimator seeds are below this bound (they fit a 32-bit signed int).
SEED_BOUND = 2**31 - 1


def reseeded_seed(first_seed: int, attempt: int) -> int:
    """The estimator seed of attempt ``attempt`` (>= 2) of a cell reseeded on retry: a
    function of the first attempt's seed ``first_seed`` and ``attempt`` only, in
    ``[0, 2**31 − 1)``."""
    return _hash_int("reseed", first_seed, attempt) % SEED_BOUND


@dataclass(frozen=True)
class Cell:
    """One unit of work in a grid.

    Attributes:
        task_id: registered task id.
        task_version: the task's version when the grid was built.
        estimator: registry name of the estimator (e.g. ``"ksg"``).
        label: display label of the configuration (e.g. ``"ksg[k=5]"``); distinguishes
            several configurations of one estimator in tables and figures.
        params: the estimator's full ``cell_params()`` (``get_params()`` with aliases such as
            ``standardize=True`` in their canonical spelling; seed left as configured).
        n: number of samples.
        seed: replicate index of the cell.
        standardize: whether x and y are standardised per column after sampling.
        paired_base: for a cell of a paired invariance study, the id of the base task whose
            draws its task transforms: the data seed and the estimator's derived seed then
            come from the base (the same draws and the same critic initialisation for every
            variant of the base), and the cell id records the pairing. None for every other
            cell (whose id and seeds are as they always were).
        error_bar: the error-bar method of the cell (:mod:`mibench.errorbars`, ``"auto"``
            resolved per estimator when the cell runs), or None. The cell id records it only
            when set, so cells without one keep the ids they always had.
        reseed_attempt: None for the cell as configured; k >= 2 for its k-th attempt when a
            failed cell is retried with a new seed: :attr:`estimator_seed` is then
            :func:`reseeded_seed` of the first attempt's seed and k. Not part of the cell id
            or of :attr:`params_key` (it is the same cell, in the same batched groups).

    Raises:
        ValueError: for a ``reseed_attempt`` that is neither None nor an int >= 2.
    """

    task_id: str
    task_version: int
    estimator: str
    label: str
    params: dict[str, Any] = field(hash=False)
    n: int
    seed: int
    standardize: bool = True
    paired_base: str | None = None
    error_bar: str | None = None
    reseed_attempt: int | None = None

    def __post_init__(self) -> None:
        k = self.reseed_attempt
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 2):
            raise ValueError(f"reseed_attempt must be None or an int >= 2, got {k!r}")

    @property
    def cell_id(self) -> str:
        """Stable hex id of the cell (identical across processes, machines and runs)."""
        payload: tuple = (
            CELL_VERSION,
            self.task_id,
            self.task_version,
            self.estimator,
            identity_params(self.params),
            self.n,
            self.seed,
            self.standardize,
        )
        if self.paired_base is not None:
            payload += ("paired", self.paired_base)
        if self.error_bar is not None:
            payload += ("error_bar", self.error_bar)
        return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:24]

    @property
    def params_key(self) -> str:
        """The cell's configuration (estimator, parameters, standardisation, error bar) as one
        string: cells that agree on it and on task and n differ only in their seed."""
        return canonical_json(
            (self.estimator, identity_params(self.params), self.standardize, self.error_bar)
        )

    @property
    def _seed_task(self) -> str:
        return self.task_id if self.paired_base is None else self.paired_base

    @property
    def data_seed(self) -> int:
        """Seed for ``Task.sample``; shared by every estimator of the grid (and, for paired
        cells, by every variant of the base)."""
        return data_seed(self._seed_task, self.task_version, self.n, self.seed)

    @property
    def first_estimator_seed(self) -> int:
        """The estimator seed of the cell's first attempt (a function of its identity)."""
        return (
            _hash_int(
                "estimator",
                self.estimator,
                identity_params(self.params),
                self._seed_task,
                self.n,
                self.seed,
            )
            % SEED_BOUND
        )

    @property
    def estimator_seed(self) -> int:
        """Seed handed to an estimator whose ``seed`` hyperparameter is None: the first
        attempt's, or for a reseeded attempt :func:`reseeded_seed` of it."""
        if self.reseed_attempt is None:
            return self.first_estimator_seed
        return reseeded_seed(self.first_estimator_seed, self.reseed_attempt)
