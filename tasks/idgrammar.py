"""Task ids: build any task from its id, and the catalogue of base distributions.

Grammar (Czyż et al. 2023, "Beyond Normal", extended)::

    task-id   := (transform "-")* base-id          transforms outermost first
    transform := name ["_" param] ["_x" | "_y"]    no side suffix: both X and Y
    base-id   := kind "-" param ("-" param)*       see BASE_KINDS / id_patterns()

so ``spiral-normal_cdf-multinormal-sparse-5-5-2-2.0`` applies the normal CDF to X and Y, then
the spiral; ``swissroll_x-…`` transforms X only; ``power_3.0-…`` takes a parameter. Integers
are written as digits and real parameters as Python writes floats (``0.5``, ``2.0``,
``-0.25``; a negative one follows its ``-`` separator: ``multinormal-pairs-2--0.5``);
Student-t degrees of freedom are written as integers when they are one. :func:`build_task`
only accepts the canonical spelling and names it when the one given differs. Through
:func:`mibench.tasks.get_task`, transform prefixes also apply to any registered task, e.g.
``half_cube-my-task`` for a task ``my-task`` loaded from a task file. A variant of a paired
invariance study (:mod:`mibench.tasks.invariance`) is ``paired-<family>_<strength>-<base id>``
(strength as ``%g`` writes it, e.g. ``paired-power_4-multinormal-dense-3-3-0.5``) or
``paired-identity-<base id>``.

Task files (:mod:`mibench.tasks.toml_tasks`) use the same base kinds and parameter names, plus
kinds that have no id form (explicit matrices, mixtures of arbitrary components).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from mibench.tasks.additive import additive_noise
from mibench.tasks.base import Task, format_id
from mibench.tasks.discrete import categorical, discrete_continuous
from mibench.tasks.gaussian import (
    bivariate_normal,
    correlated_pairs,
    correlated_pairs_with_mi,
    dense_normal,
    gaussian_task,
    independent_normal,
    sparse_normal,
)
from mibench.tasks.mixtures import inliers, mixture_task, x_shape
from mibench.tasks.streaming import Staircase, StreamingTask
from mibench.tasks.student import student_dense, student_identity, student_sparse, student_task
from mibench.tasks.transforms import TRANSFORM_PARAMS, make_transform

_NUM = r"-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_INT = r"\d+"

_REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """One parameter of a base kind.

    ``kind`` is one of ``int``, ``float``, ``base`` (an untransformed task: a base id, or a
    table naming a ``distribution`` in task files), ``bases`` (a list of those), ``floats``
    (a list of numbers), ``vector`` and ``matrix`` (numeric arrays, task files only).
    """

    name: str
    kind: str
    default: object = _REQUIRED


@dataclass(frozen=True)
class BaseKind:
    """A family of base tasks: its factory and parameters, in id order.

    ``in_ids`` is false for kinds that only task files can build (no id form).
    """

    name: str
    factory: Callable[..., Task]
    params: tuple[Param, ...]
    in_ids: bool = True

    @property
    def pattern(self) -> str:
        """Human-readable id template, e.g. ``multinormal-dense-<dim_x>-<dim_y>-<rho>``."""
        return "-".join([self.name] + [f"<{p.name}>" for p in self.params])


def _bimodal_normal(rho: float) -> Task:
    """Bivariate normal with bimodal margins (Czyż et al. 2023): id ``1v1-bimodal-<rho>``."""
    task = apply_transform(bivariate_normal(rho), "bimodal")
    return replace(
        task, id=format_id("1v1-bimodal", float(rho)), name=f"bimodal margins, rho={rho}"
    )


_I, _F = "int", "float"

#: Every base family, by name.
BASE_KINDS: dict[str, BaseKind] = {
    k.name: k
    for k in (
        BaseKind("1v1-normal", bivariate_normal, (Param("rho", _F),)),
        BaseKind("1v1-bimodal", _bimodal_normal, (Param("rho", _F),)),
        BaseKind("1v1-additive", additive_noise, (Param("epsilon", _F),)),
        BaseKind("1v1-discrete", discrete_continuous, (Param("m", _I),)),
        BaseKind("categorical", categorical, (Param("k", _I), Param("epsilon", _F))),
        BaseKind("1v1-xshape", x_shape, (Param("rho", _F),)),
        BaseKind(
            "multinormal-dense",
            dense_normal,
            (Param("dim_x", _I), Param("dim_y", _I), Param("rho", _F)),
        ),
        BaseKind(
            "multinormal-sparse",
            sparse_normal,
            (
                Param("dim_x", _I),
                Param("dim_y", _I),
                Param("n_pairs", _I, 2),
                Param("strength", _F, 2.0),
            ),
        ),
        BaseKind(
            "multinormal-identity", independent_normal, (Param("dim_x", _I), Param("dim_y", _I))
        ),
        BaseKind("multinormal-pairs", correlated_pairs, (Param("dim", _I), Param("rho", _F))),
        BaseKind(
            "multinormal-pairs-mi", correlated_pairs_with_mi, (Param("dim", _I), Param("mi", _F))
        ),
        BaseKind(
            "student-identity",
            student_identity,
            (Param("dim_x", _I), Param("dim_y", _I), Param("nu", _F)),
        ),
        BaseKind(
            "student-dense",
            student_dense,
            (Param("dim_x", _I), Param("dim_y", _I), Param("rho", _F), Param("nu", _F)),
        ),
        BaseKind(
            "student-sparse",
            student_sparse,
            (
                Param("dim_x", _I),
                Param("dim_y", _I),
                Param("n_pairs", _I),
                Param("strength", _F),
                Param("nu", _F),
            ),
        ),
        BaseKind("inliers", inliers, (Param("fraction", _F), Param("base", "base"))),
        BaseKind(
            "multinormal",
            gaussian_task,
            (Param("cov", "matrix"), Param("dim_x", _I), Param("mean", "vector", None)),
            in_ids=False,
        ),
        BaseKind(
            "student",
            student_task,
            (Param("dispersion", "matrix"), Param("dim_x", _I), Param("nu", _F)),
            in_ids=False,
        ),
        BaseKind(
            "mixture",
            mixture_task,
            (Param("components", "bases"), Param("weights", "floats")),
            in_ids=False,
        ),
    )
}

_PARAM_RE = {_I: f"({_INT})", _F: f"({_NUM})", "base": "(.+)"}
_KIND_RES = [
    (kind, re.compile("-".join([re.escape(kind.name)] + [_PARAM_RE[p.kind] for p in kind.params])))
    for kind in BASE_KINDS.values()
    if kind.in_ids
]

# Parameters a transform token may carry after its name: (parameter name, type).
_TOKEN_PARAM = {"power": ("p", float), "rotation": ("seed", int), "linear": ("seed", int)}
_TOKEN_DEFAULTS = {"seed": 0}
_TRANSFORM_NAMES = "|".join(sorted(TRANSFORM_PARAMS, key=len, reverse=True))
_TOKEN_RE = re.compile(f"(?P<name>{_TRANSFORM_NAMES})(?:_(?P<param>{_NUM}))?(?:_(?P<side>[xy]))?")
_PREFIX_RE = re.compile(f"((?:{_TRANSFORM_NAMES})(?:_{_NUM})?(?:_[xy])?)-(.+)")


def id_patterns() -> list[str]:
    """Templates of the base ids, e.g. ``multinormal-dense-<dim_x>-<dim_y>-<rho>``."""
    return [kind.pattern for kind, _ in _KIND_RES]


def transform_token(name: str, side: str = "both", params: Mapping | None = None) -> str | None:
    """The id prefix of a transform, e.g. ``half_cube``, ``power_3.0_y``, ``rotation_2``.

    Returns ``None`` when the parameters cannot be written in an id (an explicit matrix).
    """
    params = dict(params or {})
    token = name
    if name in _TOKEN_PARAM:
        key, typ = _TOKEN_PARAM[name]
        value = params.pop(key, _TOKEN_DEFAULTS.get(key))
        if value != _TOKEN_DEFAULTS.get(key):
            token += "_" + format_id(typ(value))
    if params:
        return None
    return token if side == "both" else f"{token}_{side}"


def parse_transform_token(token: str) -> tuple[str, str, dict]:
    """Split a transform token into ``(name, side, params)``; ``side`` is x, y or both.

    Raises:
        ValueError: for an unknown transform or a parameter it does not take.
    """
    m = _TOKEN_RE.fullmatch(token)
    if not m:
        raise ValueError(
            f"unknown transform {token!r}; known: {', '.join(TRANSFORM_PARAMS)} "
            "(optionally with _<param> and a _x or _y suffix)"
        )
    name, param, side = m["name"], m["param"], m["side"] or "both"
    params = {}
    if param is not None:
        if name not in _TOKEN_PARAM:
            raise ValueError(f"transform {name!r} takes no parameter, got {token!r}")
        key, typ = _TOKEN_PARAM[name]
        try:
            params[key] = typ(param)
        except ValueError:
            raise ValueError(f"transform {name!r}: bad {key} {param!r} in {token!r}") from None
    elif name == "power":
        raise ValueError("transform 'power' needs its exponent, e.g. power_3.0")
    return name, side, params


def apply_transform(task: Task, name: str, side: str = "both", **params) -> Task:
    """``task`` with one more transform, on X, Y or both; the id gets its token as a prefix.

    On both sides, each side gets its own instance with the side conventions of
    :func:`~mibench.tasks.transforms.make_transform`.

    Raises:
        ValueError: for an unknown transform or side, a bad parameter, a dimension the
            transform does not accept, or values outside its domain (checked on a small
            sample, e.g. ``swissroll`` needs values in [0, 1]).
    """
    if side not in ("x", "y", "both"):
        raise ValueError(f"side must be 'x', 'y' or 'both', got {side!r}")
    tx = make_transform(name, "x", task.dim_x, **params) if side in ("x", "both") else None
    ty = make_transform(name, "y", task.dim_y, **params) if side in ("y", "both") else None
    out = task.transformed(tx, ty, prefix=transform_token(name, side, params) or name)
    out.sample(16, 0)  # domain errors surface now, not in the middle of a benchmark
    return out


def _convert(value: object, param: Param, where: str) -> object:
    """A parameter value from an id or a task file, checked against its kind."""
    kind = param.kind
    key = f"{where}{param.name}"
    if kind == _I:
        if isinstance(value, str) and re.fullmatch(_INT, value):
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{key} must be an integer, got {value!r}")
        return value
    if kind == _F:
        if isinstance(value, str) and re.fullmatch(_NUM, value):
            return float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key} must be a number, got {value!r}")
        return float(value)
    if kind == "base":
        return build_base(value, where=f"{key}.")
    if kind == "bases":
        if not isinstance(value, list) or not value:
            raise ValueError(f"{key} must be a non-empty list of base ids or tables")
        return [build_base(v, where=f"{key}[{i}].") for i, v in enumerate(value)]
    if value is None and param.default is None:
        return None
    array = np.asarray(value, dtype=object)
    want = {"floats": 1, "vector": 1, "matrix": 2}[kind]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in array.ravel())
    if array.ndim != want or array.size == 0 or not numeric:
        shape = "a list of numbers" if want == 1 else "a list of equal-length lists of numbers"
        raise ValueError(f"{key} must be {shape}, got {value!r}")
    return array.astype(np.float64)


def build_base(spec: object, where: str = "") -> Task:
    """An untransformed task from a base id, or from a mapping ``{distribution: kind, ...}``.

    The mapping holds the kind's parameters by name (:data:`BASE_KINDS`); parameters with a
    default may be left out; a task is returned as it is. ``where`` prefixes error messages
    (e.g. ``"tasks[2]."``). ``spec`` may come unchecked from a task file: anything else is
    refused.

    Raises:
        ValueError: for a ``spec`` that is not a string, mapping or task, an unknown kind, a
            missing, unknown or invalid parameter (the message names it), or an id that
            matches no base kind.
    """
    if isinstance(spec, Task):
        return spec
    if isinstance(spec, str):
        for kind, rx in _KIND_RES:
            m = rx.fullmatch(spec)
            if m:
                kwargs = {
                    p.name: _convert(v, p, where)
                    for v, p in zip(m.groups(), kind.params, strict=True)
                }
                return _call(kind, kwargs, spec)
        raise ValueError(
            f"{where.rstrip('.') or 'task id'}: {spec!r} is not a base task id; a task id is "
            f"transforms ({', '.join(TRANSFORM_PARAMS)}) then a base id: "
            + ", ".join(id_patterns())
        )
    if not isinstance(spec, Mapping):
        raise ValueError(f"{where}distribution must be a base id or a table, got {spec!r}")
    spec = dict(spec)
    kind_name = spec.pop("distribution", None)
    if kind_name not in BASE_KINDS:
        raise ValueError(
            f"{where}distribution must be one of {', '.join(BASE_KINDS)}; got {kind_name!r}"
        )
    kind = BASE_KINDS[kind_name]
    accepted = {p.name for p in kind.params}
    unknown = sorted(set(spec) - accepted)
    if unknown:
        raise ValueError(
            f"{where}{unknown[0]}: unknown key for distribution {kind_name!r}; accepted: "
            + ", ".join(p.name for p in kind.params)
        )
    kwargs = {}
    for p in kind.params:
        if p.name in spec:
            kwargs[p.name] = _convert(spec[p.name], p, where)
        elif p.default is _REQUIRED:
            raise ValueError(f"{where}{p.name}: missing, required by distribution {kind_name!r}")
    return _call(kind, kwargs, f"{where}distribution {kind_name!r}")


def _call(kind: BaseKind, kwargs: dict, context: str) -> Task:
    try:
        return kind.factory(**kwargs)
    except (ValueError, TypeError) as err:
        raise ValueError(f"{context}: {err}") from None


_STAIRCASE_RE = re.compile(
    rf"staircase-(gaussian|cubic)-({_INT})-((?:{_NUM}-)*{_NUM})(bits)?-x({_INT})"
)


def _build_staircase(task_id: str) -> StreamingTask:
    """A :class:`~mibench.tasks.streaming.Staircase` from its id,
    ``staircase-<gaussian|cubic>-<dim>-<level>-...-<level>[bits]-x<steps_per_level>``."""
    m = _STAIRCASE_RE.fullmatch(task_id)
    if not m:
        raise ValueError(
            f"{task_id!r} is not a staircase id: "
            "staircase-<gaussian|cubic>-<dim>-<level>-...-<level>[bits]-x<steps_per_level>"
        )
    kind, dim, levels, bits, steps = m.groups()
    task = Staircase(
        dim=int(dim),
        levels=tuple(float(v) for v in levels.split("-")),
        steps_per_level=int(steps),
        cubic=kind == "cubic",
        unit="bits" if bits else "nats",
    )
    if task.id != task_id:
        raise ValueError(f"{task_id!r} is not canonical; the canonical id is {task.id!r}")
    return task


_PAIRED_RE = re.compile(r"paired-(identity|([a-z_]+?)_([0-9.e+-]+))-(.+)")


def _build_paired(task_id: str, known: Callable[[str], object] | None) -> Task:
    """A variant of a paired invariance study: ``paired-<family>_<strength>-<base id>`` or
    ``paired-identity-<base id>`` (:mod:`mibench.tasks.invariance`)."""
    from mibench.tasks import invariance

    m = _PAIRED_RE.fullmatch(task_id)
    if m is None:
        raise ValueError(
            f"{task_id!r}: a paired variant id is paired-<family>_<strength>-<base id> or "
            "paired-identity-<base id>"
        )
    base = build_task(m[4], known)
    if not isinstance(base, Task):
        raise ValueError(f"{task_id!r}: the base of a paired variant must be a fixed-sample task")
    if m[1] == "identity":
        task = invariance.identity_variant(base)
    else:
        try:
            strength = float(m[3])
        except ValueError:
            raise ValueError(f"{task_id!r}: strength {m[3]!r} is not a number") from None
        task = invariance.variant(base, invariance.get_family(m[2]), strength)
    if task.id != task_id:
        raise ValueError(f"{task_id!r} is not canonical; the canonical id is {task.id!r}")
    return task


def build_task(task_id: str, known: Callable[[str], object] | None = None) -> Task | StreamingTask:
    """Build the task named by ``task_id`` (see the module docstring for the grammar).

    Examples: ``build_task("multinormal-dense-7-7-0.3")``,
    ``build_task("half_cube-1v1-normal-0.6")``, ``build_task("asinh_y-1v1-discrete-4")``,
    and streaming staircases such as ``build_task("staircase-cubic-20-2-4-6-8-10-x4000")``.

    Args:
        task_id: the id.
        known: optional lookup of already-built tasks by id (the registry's); the longest
            known inner id is reused, so tasks that differ only in their outer transforms
            share one distribution (and one cached Monte-Carlo ground truth).

    Raises:
        ValueError: when the id does not parse, a parameter is invalid (the message names
            it), or the spelling is not canonical (the message gives the canonical id).
    """
    if not isinstance(task_id, str):
        raise ValueError(f"task id must be a string, got {task_id!r}")
    if task_id.startswith("staircase-"):
        return _build_staircase(task_id)
    if task_id.startswith("paired-"):
        return _build_paired(task_id, known)
    tokens, inner = [], [task_id]
    while (m := _PREFIX_RE.fullmatch(inner[-1])) is not None:
        tokens.append(m[1])
        inner.append(m[2])
    found = [known(i) if known else None for i in inner]
    reused = next(((j, t) for j, t in enumerate(found) if isinstance(t, Task)), None)
    if reused is None:
        depth = len(tokens)
        task = build_base(inner[-1])
    else:
        depth, task = reused
    for token in reversed(tokens[:depth]):
        try:
            name, side, params = parse_transform_token(token)
            task = apply_transform(task, name, side, **params)
        except ValueError as err:
            raise ValueError(f"{task_id!r}: transform {token!r}: {err}") from None
    if task.id != task_id:
        raise ValueError(f"{task_id!r} is not canonical; the canonical id is {task.id!r}")
    return task
