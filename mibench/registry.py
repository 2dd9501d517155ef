"""Estimator registry: stable names, ``name[param=value,...]`` specs, plug-ins.

Built-in estimators register themselves when :mod:`mibench.baselines`, :mod:`mibench.neural`
and :mod:`mibench.external` are imported; installed packages add theirs through the entry-point
group ``mibench.estimators`` (each entry point names a zero-argument function that calls
:func:`register_estimator`, or an :class:`~mibench.estimator.Estimator` subclass with a
``name``).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from mibench.estimator import Estimator

ENTRY_POINT_GROUP = "mibench.estimators"
#: Packages and modules whose import registers the built-in estimators.
BUILTIN_MODULES = ("mibench.baselines", "mibench.neural", "mibench.external")

_REGISTRY: dict[str, Callable[..., Estimator]] = {}
_loaded = False

_SPEC_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[(.*)\])?\s*$")


def register_estimator(
    name: str, factory: Callable[..., Estimator], *, replace: bool = False
) -> None:
    """Register an estimator factory under ``name``.

    Args:
        name: the registry name (letters, digits, ``-``, ``_``, ``.``).
        factory: a callable taking hyperparameters as keywords and returning an
            :class:`~mibench.estimator.Estimator` (usually the class itself).
        replace: allow replacing an existing registration.

    Raises:
        ValueError: when ``name`` is malformed or already registered and ``replace`` is false.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        raise ValueError(f"estimator name must use letters, digits, '-', '_' or '.', got {name!r}")
    if name in _REGISTRY and not replace and _REGISTRY[name] is not factory:
        raise ValueError(f"an estimator named {name!r} is already registered")
    _REGISTRY[name] = factory


def _load_builtins() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if isinstance(obj, type) and issubclass(obj, Estimator):
            register_estimator(obj.name or ep.name, obj, replace=True)
        else:
            obj()


def list_estimators() -> list[str]:
    """Names of all registered estimators, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


def estimator_factory(name: str) -> Callable[..., Estimator]:
    """The factory registered under ``name``.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    _load_builtins()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown estimator {name!r}; registered estimators are {list_estimators()}"
        ) from None


def _parse_value(text: str) -> Any:
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return text


def split_top_level(text: str) -> list[str]:
    """Split ``text`` on the commas outside brackets, braces and parentheses; strip the parts.

    ``"ksg,mine[hidden=(64, 64),lr=1e-3]"`` gives ``["ksg", "mine[hidden=(64, 64),lr=1e-3]"]``.
    Empty parts are dropped.
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Split an estimator spec ``name[param=value,...]`` into its name and hyperparameters.

    Values are read as Python literals where possible (``k=3``, ``lr=1e-3``,
    ``hidden=(64, 64)``, ``seed=None``), ``true``/``false`` as booleans, and anything else as
    a string (``device=cuda``, ``standardize=none``).

    Raises:
        ValueError: when ``spec`` is not of that form, or sets a parameter twice.
    """
    match = _SPEC_RE.match(spec)
    if not match:
        raise ValueError(f"estimator spec must look like 'name' or 'name[a=1,b=2]', got {spec!r}")
    name, body = match.group(1), match.group(2)
    params: dict[str, Any] = {}
    if body and body.strip():
        for part in split_top_level(body):
            if "=" not in part:
                raise ValueError(
                    f"estimator spec {spec!r}: each parameter must be 'param=value', got {part!r}"
                )
            key, value = (t.strip() for t in part.split("=", 1))
            if key in params:
                raise ValueError(f"estimator spec {spec!r} sets {key!r} twice")
            params[key] = _parse_value(value)
    return name, params


def get_estimator(spec: str, **params: Any) -> Estimator:
    """Build an estimator from a registry name or spec, e.g. ``get_estimator("ksg[k=5]")``.

    Keyword ``params`` override those in the spec.

    Raises:
        ValueError: for an unknown name, a malformed spec, or a hyperparameter the estimator
            does not take.
    """
    name, spec_params = parse_spec(spec)
    factory = estimator_factory(name)
    merged = {**spec_params, **params}
    try:
        return factory(**merged)
    except TypeError as exc:
        raise ValueError(f"estimator {name!r} rejected hyperparameters {merged}: {exc}") from exc
