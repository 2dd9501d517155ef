"""Estimator registry: stable names, ``name[param=value,...]`` specs and sweeps of them
(``name[k=3|5|10]``, :func:`expand_sweep`), plug-ins.

Built-in estimators register themselves when :mod:`mibench.baselines`, :mod:`mibench.neural`
and :mod:`mibench.external` are imported; installed packages add theirs through the entry-point
group ``mibench.estimators`` (each entry point names a zero-argument function that calls
:func:`register_estimator`, or an :class:`~mibench.estimator.Estimator` subclass with a
``name``).
"""

from __future__ import annotations

import ast
import itertools
import math
import re
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from mibench.estimator import Estimator
from mibench.named_registry import Registry

ENTRY_POINT_GROUP = "mibench.estimators"
#: Packages and modules whose import registers the built-in estimators.
BUILTIN_MODULES = ("mibench.baselines", "mibench.neural", "mibench.external")

_SPEC_RE = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(?:\[(.*)\])?\s*$")

#: Separates the values of a hyperparameter in a sweep spec, ``ksg[k=3|5|10]``.
SWEEP_SEPARATOR = "|"
#: The most configurations one sweep spec may expand into (a larger product is almost surely
#: a typo; list several sweeps to go beyond it).
MAX_SWEEP_CONFIGURATIONS = 256


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
        ValueError: when ``name`` is malformed or already registered (to another factory)
            and ``replace`` is false (the built-in estimators are loaded first, so a
            built-in's name is refused however early it is registered).
    """
    _REGISTRY.load()
    _REGISTRY.register(name, factory, replace=replace)


def _load_builtins() -> None:
    """Import the built-in estimator modules and load the ``mibench.estimators`` entry
    points (the registry's loader: it runs once, on first use)."""
    for module in BUILTIN_MODULES:
        import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if isinstance(obj, type) and issubclass(obj, Estimator):
            register_estimator(obj.name or ep.name, obj, replace=True)
        else:
            obj()


_REGISTRY: Registry[Callable[..., Estimator]] = Registry(
    "estimator",
    valid_name=lambda name: re.fullmatch(r"[A-Za-z0-9_.\-]+", name) is not None,
    name_rule="use letters, digits, '-', '_' or '.'",
    loader=_load_builtins,
)


def list_estimators() -> list[str]:
    """Names of all registered estimators, sorted."""
    return sorted(_REGISTRY)


def estimator_factory(name: str) -> Callable[..., Estimator]:
    """The factory registered under ``name``.

    Raises:
        ValueError: for an unknown name, listing the known ones.
    """
    return _REGISTRY.lookup(name)


def _parse_value(text: str) -> Any:
    text = text.strip()
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        lowered = text.lower()
        if lowered in ("true", "false"):
            return lowered == "true"
        return text


def _split_outside(text: str, separator: str) -> list[str]:
    """Split ``text`` on the ``separator`` characters that lie outside brackets, braces,
    parentheses and quoted strings (``'...'``, ``"..."``, with backslash escapes); the parts
    are returned as written, unstripped."""
    parts, depth, start, quote, escaped = [], 0, 0, "", False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def split_top_level(text: str) -> list[str]:
    """Split ``text`` on the commas outside brackets, braces, parentheses and quoted strings;
    strip the parts.

    ``"ksg,mine[hidden=(64, 64),lr=1e-3]"`` gives ``["ksg", "mine[hidden=(64, 64),lr=1e-3]"]``
    and ``"ksg[k=3|5|10],mine"`` gives ``["ksg[k=3|5|10]", "mine"]`` (a sweep stays one part).
    Empty parts are dropped.
    """
    return [p.strip() for p in _split_outside(text, ",") if p.strip()]


def _match_spec(spec: str) -> tuple[str, str]:
    """The name and the bracketed text (``""`` without brackets) of ``spec``.

    Raises:
        ValueError: when ``spec`` is not ``name`` or ``name[...]``.
    """
    match = _SPEC_RE.match(spec)
    if not match:
        raise ValueError(f"estimator spec must look like 'name' or 'name[a=1,b=2]', got {spec!r}")
    return match.group(1), match.group(2) or ""


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """Split an estimator spec ``name[param=value,...]`` into its name and hyperparameters.

    Values are read as Python literals where possible (``k=3``, ``lr=1e-3``,
    ``hidden=(64, 64)``, ``seed=None``), ``true``/``false`` as booleans, and anything else as
    a string (``device=cuda``, ``standardize=none``).

    Raises:
        ValueError: when ``spec`` is not of that form, sets a parameter twice, or is a sweep
            (a ``|`` outside brackets and quotes in a value; see :func:`expand_sweep`).
    """
    name, body = _match_spec(spec)
    params: dict[str, Any] = {}
    for part in split_top_level(body):
        if "=" not in part:
            raise ValueError(
                f"estimator spec {spec!r}: each parameter must be 'param=value', got {part!r}"
            )
        key, value = (t.strip() for t in part.split("=", 1))
        if len(_split_outside(value, SWEEP_SEPARATOR)) > 1:
            raise ValueError(
                f"estimator spec {spec!r}: {key}={value} holds '|', which separates the "
                "values of a sweep; a sweep expands into one configuration per value in a "
                "grid (mibench run --estimators, a run file, mibench.run), not in one "
                "estimator: give a single value here"
            )
        if key in params:
            raise ValueError(f"estimator spec {spec!r} sets {key!r} twice")
        params[key] = _parse_value(value)
    return name, params


def expand_sweep(spec: str) -> list[str]:
    """Expand a sweep spec into one plain estimator spec per combination of its values.

    In a sweep, a hyperparameter lists several values separated by ``|`` outside brackets and
    quotes: ``"ksg[k=3|5|10]"`` gives ``["ksg[k=3]", "ksg[k=5]", "ksg[k=10]"]``, and
    ``"mine[hidden=(64,64)|(128,128),lr=1e-4|5e-4]"`` four specs, the combinations of
    :func:`itertools.product` over the parameters in the order written (the last one varying
    fastest), values in the order written. Each value keeps its text as written; a spec
    without a sweep is returned unchanged, ``[spec]``.

    Raises:
        ValueError: naming ``spec``, for a malformed spec (:func:`parse_spec`), a ``|`` in the
            estimator name, an empty value (``k=3||5``, ``k=|3``), a value given twice in one
            parameter (``k=3|3``, or ``lr=1e-4|0.0001``: the same value read as a literal), or
            more than :data:`MAX_SWEEP_CONFIGURATIONS` combinations.
    """
    if SWEEP_SEPARATOR in spec.split("[", 1)[0]:
        raise ValueError(
            f"estimator spec {spec!r}: '|' sweeps the values of a hyperparameter, not the "
            "estimator name; list several estimators separated by commas"
        )
    name, body = _match_spec(spec)
    parts = split_top_level(body)
    choices: list[list[str]] = []
    for part in parts:
        key, sep, value = part.partition("=")
        values = _split_outside(value, SWEEP_SEPARATOR) if sep else [value]
        if len(values) == 1:
            choices.append([part])
            continue
        key, values = key.strip(), [v.strip() for v in values]
        if not all(values):
            raise ValueError(f"estimator spec {spec!r}: an empty value in the sweep {part!r}")
        seen: dict[str, str] = {}
        for v in values:
            read = repr(_parse_value(v))
            if read in seen:
                same = "" if seen[read] == v else f" ({seen[read]} and {v})"
                raise ValueError(
                    f"estimator spec {spec!r}: the sweep {part!r} gives the value {v} twice{same}"
                )
            seen[read] = v
        choices.append([f"{key}={v}" for v in values])
    count = math.prod(len(c) for c in choices)
    if count == 1:
        return [spec]
    if count > MAX_SWEEP_CONFIGURATIONS:
        raise ValueError(
            f"estimator spec {spec!r} sweeps {count} configurations, more than "
            f"{MAX_SWEEP_CONFIGURATIONS}: split it into several sweeps"
        )
    specs = [f"{name}[{','.join(combo)}]" for combo in itertools.product(*choices)]
    for one in specs:
        try:
            parse_spec(one)
        except ValueError as exc:  # a key given twice, a part without '='
            raise ValueError(f"sweep {spec!r}: {exc}") from None
    return specs


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
