"""Estimators from outside mibench: plain functions and objects with the estimator contract.

:func:`register` accepts what users bring — an :class:`~mibench.estimator.Estimator` subclass,
a function ``f(x, y) -> float`` returning nats, or an instance of any class with
``estimate(x, y)`` and ``get_params()`` — and registers it so that it works in
``mibench run``, ``mibench estimate`` and the reports like a built-in estimator. Installed
packages can do the same through the ``mibench.estimators`` entry-point group (see
:mod:`mibench.registry`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mibench.estimate import Estimate
from mibench.estimator import Estimator
from mibench.registry import register_estimator


def _set_identity(est: Estimator, name: str, deterministic: bool) -> None:
    """Give a wrapper instance the name and determinism of what it wraps.

    :class:`~mibench.estimator.Estimator` declares both as class variables (a built-in's are
    fixed by its class); a wrapper's differ from one instance to the next, so they are set on
    the instance, where they shadow the class's.
    """
    est.name = name  # type: ignore[misc]  # shadows the ClassVar on purpose (see above)
    est.deterministic = deterministic  # type: ignore[misc]  # likewise


class FunctionEstimator(Estimator):
    """An estimator without hyperparameters whose value is ``func(x, y)`` in nats.

    ``func`` receives validated float64 arrays ``x: (n, dim_x)`` and ``y: (n, dim_y)`` and
    returns a float (or an :class:`~mibench.estimate.Estimate`).

    The function is not a hyperparameter (its repr would change every cell id from one
    process to the next), so ``FunctionEstimator(**e.get_params())`` gives an estimator
    without it; :meth:`clone` is the way to copy one, and the ``clone`` rule of
    :func:`mibench.testing.check_estimator` accepts it for that reason.
    """

    def __init__(self) -> None:
        self._func: Callable[[np.ndarray, np.ndarray], Any] | None = None

    def clone(self) -> FunctionEstimator:
        """A new estimator of the same function, name and determinism."""
        est = FunctionEstimator()
        est._func = self._func
        _set_identity(est, self.name, self.deterministic)
        return est

    def __repr__(self) -> str:
        return (
            f"FunctionEstimator({self.name!r}: {getattr(self._func, '__qualname__', self._func)})"
        )

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> Estimate | float:
        if self._func is None:
            raise TypeError(
                f"FunctionEstimator {self.name!r} wraps no function: copy one with clone(), "
                "not with FunctionEstimator(**get_params())"
            )
        return self._func(x, y)


class ContractAdapter(Estimator):
    """Presents an object with ``estimate(x, y)`` and ``get_params()`` as an Estimator."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def get_params(self) -> dict[str, Any]:
        return dict(self._inner.get_params())

    def clone(self) -> ContractAdapter:
        """A new adapter around a new instance of the wrapped class, built from its params."""
        est = ContractAdapter(type(self._inner)(**self.get_params()))
        _set_identity(est, self.name, self.deterministic)
        return est

    def __repr__(self) -> str:
        return f"{self.name or type(self._inner).__name__}: {self._inner!r}"

    def set_params(self, **params: Any) -> ContractAdapter:
        """Set hyperparameters of the wrapped object by name (its ``set_params`` when it has
        one, else its attributes) and return self.

        Raises:
            ValueError: for a name that is not among the wrapped object's ``get_params()``.
        """
        valid = set(self.get_params())
        unknown = sorted(set(params) - valid)
        if unknown:
            raise ValueError(
                f"{self.name or type(self._inner).__name__} has no hyperparameter "
                f"{unknown[0]!r}; valid ones are {sorted(valid)}"
            )
        if hasattr(self._inner, "set_params"):
            self._inner.set_params(**params)
        else:
            for key, value in params.items():
                setattr(self._inner, key, value)
        return self

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> Estimate | float:
        result = self._inner.estimate(x, y)
        return result if isinstance(result, Estimate) else float(result)


@dataclass(frozen=True)
class FunctionFactory:
    """Picklable factory of :class:`FunctionEstimator` for one function."""

    name: str
    func: Callable[[np.ndarray, np.ndarray], Any]
    deterministic: bool = True

    def __call__(self, **params: Any) -> FunctionEstimator:
        if params:
            raise ValueError(
                f"estimator {self.name!r} wraps a function and takes no hyperparameters, "
                f"got {params}"
            )
        est = FunctionEstimator()
        est._func = self.func
        _set_identity(est, self.name, self.deterministic)
        return est


@dataclass(frozen=True)
class ObjectFactory:
    """Picklable factory that builds a new instance of a user class per cell."""

    name: str
    cls: type
    defaults: dict[str, Any]
    deterministic: bool = True

    def __call__(self, **params: Any) -> ContractAdapter:
        est = ContractAdapter(self.cls(**{**self.defaults, **params}))
        _set_identity(est, self.name, self.deterministic)
        return est


def register(
    name: str, obj: Any, *, deterministic: bool = True, replace: bool = False
) -> Callable[..., Estimator]:
    """Register a user estimator under ``name`` and return its factory.

    Args:
        name: registry name.
        obj: an :class:`~mibench.estimator.Estimator` subclass; an instance with
            ``estimate(x, y)`` and ``get_params()`` (each cell builds a new instance of its
            class from its parameters, overridden by the grid's); or a function ``f(x, y)``
            returning MI in nats. Functions and classes must be importable (defined at module
            level) for process-pool and Dask runs, which pickle them by reference.
        deterministic: whether the value depends on the data alone (``mibench compare``
            then requires exact per-cell agreement). Ignored for Estimator subclasses, which
            declare it themselves.
        replace: replace an existing registration.

    Returns:
        The factory stored in the registry.

    Raises:
        TypeError: when ``obj`` is none of the three.
        ValueError: when ``name`` is taken (and ``replace`` is false) or malformed.
    """
    if isinstance(obj, type) and issubclass(obj, Estimator):
        factory: Callable[..., Estimator] = obj
    elif hasattr(obj, "estimate") and hasattr(obj, "get_params"):
        factory = ObjectFactory(name, type(obj), dict(obj.get_params()), deterministic)
    elif callable(obj):
        factory = FunctionFactory(name, obj, deterministic)
    else:
        raise TypeError(
            "obj must be an Estimator subclass, an object with estimate() and get_params(), "
            f"or a function f(x, y) -> float; got {type(obj).__name__}"
        )
    register_estimator(name, factory, replace=replace)
    return factory
