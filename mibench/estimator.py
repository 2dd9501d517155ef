"""The estimator contract: constructor hyperparameters, ``get_params()``, ``estimate(x, y)``."""

from __future__ import annotations

import inspect
import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar, TypeVar

import numpy as np

from mibench.estimate import Estimate

_E = TypeVar("_E", bound="Estimator")


class Estimator(ABC):
    """Base class of every MI estimator (scikit-learn style hyperparameters).

    Subclasses take their hyperparameters as keyword arguments of ``__init__`` and store each
    one unchanged on an attribute of the same name; :meth:`get_params` reads them back. An
    estimator never reads global random state: its randomness comes from its own ``seed``
    hyperparameter when it has one.

    Subclasses implement :meth:`_estimate`, which receives validated float64 arrays and returns
    an :class:`~mibench.estimate.Estimate` (or a float in nats). :meth:`estimate` adds the
    validation and the wall-clock timing.
    """

    #: Registry name, e.g. ``"ksg"``.
    name: ClassVar[str] = ""
    #: The fewest samples the estimator accepts.
    min_samples: ClassVar[int] = 2
    #: True for estimators whose value depends only on the data (no training randomness).
    deterministic: ClassVar[bool] = True
    #: The error-bar methods of :mod:`mibench.errorbars` the estimator supports, preferred
    #: first (``error_bar="auto"`` picks the first).
    error_bars: ClassVar[tuple[str, ...]] = ("subsampling", "bootstrap")
    #: The paper (or project) the estimator's formula comes from, shown by
    #: ``mibench list estimators``; empty for a plug-in that gives none.
    source: ClassVar[str] = ""
    #: What the value is: ``"estimate"`` (default), ``"lower bound"`` (a variational lower
    #: bound on I(X; Y) at every critic) or ``"approximate upper bound"`` (an upper bound only
    #: under a condition, CLUB's; every report with one says so).
    bound: ClassVar[str] = "estimate"
    #: The kinds of X and Y the estimator takes, each ``"continuous"`` (float64 samples) or
    #: ``"categorical"`` (each distinct row one category, handed to ``_estimate`` as its
    #: codes 0..K-1, float64 of shape ``(n, 1)``: :func:`mibench.validation.as_categorical`).
    #: :meth:`variable_kinds` may make them depend on hyperparameters.
    variables: ClassVar[tuple[str, str]] = ("continuous", "continuous")
    #: Values of a hyperparameter that name the same configuration as another value:
    #: ``{hyperparameter: {alias: canonical value}}``. A grid cell records the canonical value
    #: (:meth:`cell_params`), so two spellings of one configuration are one cell. By default
    #: ``standardize=True`` and ``False`` record ``"zscore"`` and ``"none"``
    #: (:mod:`mibench.preprocessing`).
    param_aliases: ClassVar[dict[str, dict[Any, Any]]] = {
        "standardize": {True: "zscore", False: "none"}
    }

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """Return the constructor hyperparameters as a dict, unchanged."""
        return {name: getattr(self, name) for name in self._param_names()}

    def cell_params(self) -> dict[str, Any]:
        """:meth:`get_params` with each alias of :attr:`param_aliases` replaced by its
        canonical value: the hyperparameters a grid cell records and its id hashes."""
        params = self.get_params()
        for name, aliases in self.param_aliases.items():
            value = params.get(name)
            # Matched by type and value, so that 1 is not taken for True.
            for alias, canonical in aliases.items():
                if type(value) is type(alias) and value == alias:
                    params[name] = canonical
                    break
        return params

    def set_params(self: _E, **params: Any) -> _E:
        """Set hyperparameters by name and return self.

        Raises:
            ValueError: for a name that is not a constructor hyperparameter.
        """
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(
                    f"{type(self).__name__} has no hyperparameter {key!r}; "
                    f"valid ones are {sorted(valid)}"
                )
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def validate(self) -> None:  # noqa: B027 - a hook whose default checks nothing
        """Check every hyperparameter now, without estimating anything.

        The grid calls it for every configuration before any cell runs, so that a bad value
        is refused at once rather than as one error row per cell. The default checks nothing;
        estimator families override it.

        Raises:
            ValueError: naming the first invalid hyperparameter.
        """

    def required_samples(self, dim_x: int, dim_y: int) -> int:
        """The fewest samples the estimator accepts with its current hyperparameters on data of
        dimensions ``dim_x`` and ``dim_y`` (``min_samples`` unless a family says more)."""
        return self.min_samples

    def variable_kinds(self) -> tuple[str, str]:
        """The kinds of X and Y this estimator takes with its current hyperparameters
        (:attr:`variables` unless a family says otherwise: ``ross`` follows ``discrete``);
        :meth:`estimate` reads each variable by its kind."""
        return self.variables

    def configured_error_bar(self) -> str | None:
        """The error bar the estimator's own hyperparameters ask for, used when
        :meth:`estimate` is given none (None by default; the baselines' ``error_bar``)."""
        return None

    def clone(self) -> Estimator:
        """A new, unfitted estimator with the same hyperparameters (``get_params()``), its
        name and its declared determinism; changing the copy leaves this one as it is.

        Estimators that wrap a function or an object (:mod:`mibench.plugins`) override it.
        """
        return type(self)(**self.get_params())

    def estimate(self, x: object, y: object, *, error_bar: str | None = None) -> Estimate:
        """Estimate I(X; Y) in nats, with an error bar when asked.

        Args:
            x: samples of X, array-like of shape ``(n, dim_x)`` (or ``(n,)`` for one column);
                numbers for a continuous X, categories (text, bools, numbers) for a
                categorical one (:meth:`variable_kinds`).
            y: samples of Y, array-like of shape ``(n, dim_y)`` (or ``(n,)``), likewise.
            error_bar: None (the estimator's own setting, :meth:`configured_error_bar`),
                ``"auto"`` (its preferred method) or a method of :mod:`mibench.errorbars`
                that the estimator supports (:attr:`error_bars`); fills ``stderr``,
                ``ci_low``, ``ci_high`` and ``error_bar`` of the result.

        Returns:
            An :class:`~mibench.estimate.Estimate`; ``wall_seconds`` covers the whole call,
            error bar included, ``fit_seconds`` the point estimate alone.

        Raises:
            ValueError: for mismatched n, NaN/inf, missing categories, values of the wrong
                kind (text or bools for a continuous variable), fewer than ``min_samples``
                rows or arrays that are not 1-D/2-D (the message names the argument and the
                value), or an ``error_bar`` the estimator cannot give (naming ``error_bar``).
        """
        from mibench import errorbars
        from mibench.validation import check_xy

        method = self.configured_error_bar() if error_bar is None else error_bar
        errorbars.check_error_bar(method, self)
        method = errorbars.resolve(method, self)
        xa, ya = check_xy(x, y, min_samples=self.min_samples, kinds=self.variable_kinds())
        start = time.perf_counter()
        result = self._estimate_point(xa, ya, method)
        point = time.perf_counter() - start
        if not isinstance(result, Estimate):
            result = Estimate(value=float(result), fit_seconds=point)
        if result.fit_seconds == 0.0:
            result.fit_seconds = point
        if method is not None:
            errorbars.add_error_bar(self, xa, ya, result, method)
        result.wall_seconds = time.perf_counter() - start
        result.n_samples = xa.shape[0]
        return result

    def _estimate_point(
        self, x: np.ndarray, y: np.ndarray, error_bar: str | None
    ) -> Estimate | float:
        """The point estimate when an error bar ``error_bar`` (resolved, or None) will follow:
        :meth:`_estimate`, unless the family computes part of its error bar while fitting
        (the neural estimators keep their held-out scores for ``"held-out"``)."""
        return self._estimate(x, y)

    @abstractmethod
    def _estimate(self, x: np.ndarray, y: np.ndarray) -> Estimate | float:
        """Compute the estimate from validated float64 arrays ``x: (n, dx)``, ``y: (n, dy)``
        (a categorical variable as its codes, ``(n, 1)``)."""


def clone(estimator: Estimator) -> Estimator:
    """``estimator.clone()``: a new estimator with the same hyperparameters (scikit-learn's
    ``clone`` for mibench estimators).

    Raises:
        TypeError: when ``estimator`` is not an :class:`Estimator`.
    """
    if not isinstance(estimator, Estimator):
        raise TypeError(f"estimator must be an Estimator, got {type(estimator).__name__}")
    return estimator.clone()
