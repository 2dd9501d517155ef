"""MI-preserving transforms, applied to X or to Y separately.

Mutual information is invariant under injective continuous maps of X and of Y separately
(Kraskov et al. 2004, eq. 45). The transforms and their conventions are those of Czyż et al.
(2023), "Beyond Normal: On the Evaluation of Mutual Information Estimators": normal CDF,
half-cube, asinh, wiggly, bimodal, Swiss roll and spiral; cube, general power and linear maps
complete them. Every transform declares its output dimension (:meth:`Transform.out_dim`) and
has an inverse on its range (:meth:`Transform.inverse`).

:func:`make_transform` builds the transform named in a task id for one side (X or Y) of a
task, applying the side-specific conventions (wiggly and bimodal use different functions for
X and Y, the spiral rotates coordinates (0, 1) of X and (1, 2) of Y).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri, ndtri_exp

from mibench.tasks.base import Transform
from mibench.validation import check_int, check_real

_LOG_SQRT_2PI = 0.5 * float(np.log(2.0 * np.pi))


def _as_2d(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a[:, None] if a.ndim == 1 else a


def _solve_increasing(
    g_and_slope: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
    lo: np.ndarray,
    hi: np.ndarray,
    z0: np.ndarray | None = None,
    max_iter: int = 200,
) -> np.ndarray:
    """Solve g(z) = 0 elementwise for an increasing g with a root in [lo, hi].

    ``g_and_slope(z, idx)`` returns g and g' at ``z`` for the elements ``idx`` of the flat
    problem; ``z0`` is an optional first guess (default: the midpoint). Safeguarded Newton:
    a step that leaves the current bracket is replaced by bisection, so it converges like
    Newton and never diverges; each element stops once its update is below 1e-12 relative,
    and only unfinished elements are evaluated.
    """
    shape = lo.shape
    lo, hi = lo.ravel().copy(), hi.ravel().copy()
    z = 0.5 * (lo + hi) if z0 is None else np.clip(z0.ravel(), lo, hi)
    active = np.arange(z.size)
    for _ in range(max_iter):
        if active.size == 0:
            break
        za, la, ha = z[active], lo[active], hi[active]
        v, slope = g_and_slope(za, active)
        la = np.where(v <= 0, za, la)
        ha = np.where(v >= 0, za, ha)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = za - v / slope
        z_new = np.where((step >= la) & (step <= ha), step, 0.5 * (la + ha))
        z_new = np.where(v == 0, za, z_new)
        z[active], lo[active], hi[active] = z_new, la, ha
        moving = np.abs(z_new - za) > 1e-12 * (np.abs(za) + 1.0)
        active = active[moving]
    return z.reshape(shape)


class NormalCDF(Transform):
    """u = Φ(x), the standard normal CDF per coordinate: uniform margins for N(0, 1) inputs.

    Strictly increasing; float64 saturates at 1 for x > 8.3, so inputs should be roughly
    standard (Czyż et al. 2023).
    """

    name = "normal_cdf"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return ndtr(a)

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return ndtri(b)


class Power(Transform):
    """Signed power x ↦ sign(x)·|x|^p per coordinate, p > 0 (strictly increasing).

    p > 1 makes tails heavier, p < 1 lighter.

    Args:
        p: the exponent, a finite number > 0.

    Raises:
        ValueError: unless p is a finite number > 0.
    """

    def __init__(self, p: float) -> None:
        self.p = check_real("p", p, 0, low_open=True)
        self.name = f"power_{self.p!r}"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return np.sign(a) * np.abs(a) ** self.p

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return np.sign(b) * np.abs(b) ** (1.0 / self.p)


class HalfCube(Power):
    """x ↦ x·sqrt(|x|) per coordinate, the power 3/2 (Czyż et al. 2023)."""

    def __init__(self) -> None:
        super().__init__(1.5)
        self.name = "half_cube"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        # The published form, kept bit-for-bit for the tasks that already use it.
        return a * np.sqrt(np.abs(a))


class Cube(Power):
    """x ↦ x³ per coordinate."""

    def __init__(self) -> None:
        super().__init__(3.0)
        self.name = "cube"

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return np.cbrt(b)


class Asinh(Transform):
    """x ↦ arsinh(x) per coordinate: logarithmic tails, tames heavy-tailed inputs
    (Czyż et al. 2023)."""

    name = "asinh"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return np.arcsinh(a)

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return np.sinh(b)


class Wiggly(Transform):
    """x ↦ x + Σ_k a_k sin(b_k x + c_k) per coordinate, strictly increasing.

    Monotone because Σ|a_k b_k| < 1 keeps the derivative positive. :data:`WIGGLY_X` and
    :data:`WIGGLY_Y` are the two published functions (Czyż et al. 2023).

    Args:
        terms: ``(a_k, b_k, c_k)`` triples.

    Raises:
        ValueError: when Σ|a_k b_k| ≥ 1 (the map might not be injective).
    """

    name = "wiggly"

    def __init__(self, terms: Sequence[tuple[float, float, float]]) -> None:
        self.terms = np.asarray(terms, dtype=np.float64).reshape(-1, 3)
        if np.abs(self.terms[:, 0] * self.terms[:, 1]).sum() >= 1.0:
            raise ValueError("wiggly terms must satisfy sum |a_k b_k| < 1 to stay monotone")
        self._reach = float(np.abs(self.terms[:, 0]).sum())

    def __call__(self, a: np.ndarray) -> np.ndarray:
        out = np.array(a, dtype=np.float64)
        for amp, freq, phase in self.terms:
            out += amp * np.sin(freq * a + phase)
        return out

    def _derivative(self, a: np.ndarray) -> np.ndarray:
        out = np.ones_like(a)
        for amp, freq, phase in self.terms:
            out += amp * freq * np.cos(freq * a + phase)
        return out

    def inverse(self, b: np.ndarray) -> np.ndarray:
        b = np.asarray(b, dtype=np.float64)
        flat = b.ravel()

        def g_and_slope(z, idx):
            return self(z) - flat[idx], self._derivative(z)

        # |f(x) − x| <= Σ|a_k|, so the preimage lies within that distance of b.
        return _solve_increasing(g_and_slope, b - self._reach, b + self._reach)


#: f(x) = x + 0.4 sin x + 0.2 sin(1.7x + 1) + 0.03 sin(3.3x − 2.5), applied to X.
WIGGLY_X = ((0.4, 1.0, 0.0), (0.2, 1.7, 1.0), (0.03, 3.3, -2.5))
#: g(y) = y − 0.4 sin(0.4y) + 0.17 sin(1.3y + 3.5) + 0.02 sin(4.3y − 2.5), applied to Y.
WIGGLY_Y = ((-0.4, 0.4, 0.0), (0.17, 1.3, 3.5), (0.02, 4.3, -2.5))


class Bimodal(Transform):
    """x ↦ F⁻¹(Φ(x)) per coordinate, F the CDF of a mixture Σ w_k N(μ_k, 1).

    Turns a standard normal margin into a bimodal one. The inverse CDF is found numerically
    (safeguarded Newton on logit F, with log-CDFs so the tails stay distinct: no saturation
    at 0 or 1). :data:`BIMODAL_X` and :data:`BIMODAL_Y` are the published mixtures
    (Czyż et al. 2023).

    Args:
        weights: positive mixture weights (normalised here).
        means: component means, same length.

    Raises:
        ValueError: when the weights are not positive or lengths differ.
    """

    name = "bimodal"

    def __init__(self, weights: Sequence[float], means: Sequence[float]) -> None:
        w = np.asarray(weights, dtype=np.float64)
        mu = np.asarray(means, dtype=np.float64)
        if w.ndim != 1 or w.shape != mu.shape or w.size == 0 or np.any(w <= 0):
            raise ValueError("bimodal needs positive weights and means of the same length")
        self.log_w = np.log(w / w.sum())
        self.means = mu

    def _log_cdfs(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """log F(z), log(1 − F(z)) and log f(z)."""
        d = z[..., None] - self.means
        lw = self.log_w
        lse = np.logaddexp.reduce
        return (
            lse(lw + log_ndtr(d), axis=-1),
            lse(lw + log_ndtr(-d), axis=-1),
            lse(lw - 0.5 * d**2, axis=-1) - _LOG_SQRT_2PI,
        )

    def __call__(self, a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        target = (log_ndtr(a) - log_ndtr(-a)).ravel()  # logit Φ(a)

        def g_and_slope(z, idx):
            lf, lsf, lpdf = self._log_cdfs(z)
            return lf - lsf - target[idx], np.exp(lpdf - lf) + np.exp(lpdf - lsf)

        # Φ(z − max μ) <= F(z) <= Φ(z − min μ) brackets the root; the first guess
        # interpolates logit F on a grid over that range.
        lo, hi = a + self.means.min(), a + self.means.max()
        grid = np.linspace(lo.min(), hi.max(), 2049) if a.size else np.zeros(1)
        lf, lsf, _ = self._log_cdfs(grid)
        z0 = np.interp(target, lf - lsf, grid)
        return _solve_increasing(g_and_slope, lo, hi, z0)

    def inverse(self, b: np.ndarray) -> np.ndarray:
        lf, lsf, _ = self._log_cdfs(np.asarray(b, dtype=np.float64))
        return np.where(lf < lsf, ndtri_exp(lf), -ndtri_exp(lsf))


#: X: F = 0.3 Φ(x) + 0.7 Φ(x − 5).
BIMODAL_X = ((0.3, 0.7), (0.0, 5.0))
#: Y: F = 0.5 Φ(y + 1) + 0.5 Φ(y − 3).
BIMODAL_Y = ((0.5, 0.5), (-1.0, 3.0))


class SwissRoll(Transform):
    """Embeds 1-D u ∈ [0, 1] into 2-D: t = 1.5π·w·(1 + 2u), u ↦ (t cos t, t sin t)/21.

    Injective because ‖output‖ = t/21 grows with u (Czyż et al. 2023, whose roll is w = 1).
    Apply it after :class:`NormalCDF`.

    Args:
        turns: the factor w > 0 on the angle (more turns of the roll for larger w).

    Raises:
        ValueError: for ``turns`` that is not a finite number > 0; for an input that is not
            1-D, or values outside [0, 1].
    """

    name = "swissroll"

    def __init__(self, turns: float = 1.0) -> None:
        self.turns = check_real("turns", turns, 0, low_open=True)

    def out_dim(self, dim: int) -> int:
        if dim != 1:
            raise ValueError(f"swissroll embeds a 1-D variable, got dimension {dim}")
        return 2

    def __call__(self, a: np.ndarray) -> np.ndarray:
        a = _as_2d(a)
        self.out_dim(a.shape[1])
        if np.any((a < 0) | (a > 1)):
            raise ValueError("swissroll expects values in [0, 1]; apply normal_cdf first")
        t = 1.5 * np.pi * self.turns * (1.0 + 2.0 * a[:, 0])
        return np.column_stack([t * np.cos(t), t * np.sin(t)]) / 21.0

    def inverse(self, b: np.ndarray) -> np.ndarray:
        t = 21.0 * np.hypot(b[:, 0], b[:, 1])
        return ((t / (1.5 * np.pi * self.turns) - 1.0) / 2.0)[:, None]


class Spiral(Transform):
    """x ↦ exp(s‖x‖² A) x with A the generator of rotations in the plane of coordinates i, j.

    A rotation whose angle s‖x‖² grows with the norm; the norm is unchanged, so the inverse
    rotates back by the same angle (Czyż et al. 2023).

    Args:
        i, j: the coordinates of the rotation plane (distinct).
        speed: s, the angle per unit squared norm.

    Raises:
        ValueError: when i = j, or the input dimension does not contain both coordinates.
    """

    name = "spiral"

    def __init__(self, i: int, j: int, speed: float) -> None:
        if i == j or min(i, j) < 0:
            raise ValueError(f"spiral needs two distinct coordinates, got {i} and {j}")
        self.i, self.j, self.speed = int(i), int(j), float(speed)

    def out_dim(self, dim: int) -> int:
        if dim <= max(self.i, self.j):
            raise ValueError(
                f"spiral rotating coordinates ({self.i}, {self.j}) needs dimension >= "
                f"{max(self.i, self.j) + 1}, got {dim}"
            )
        return dim

    def _rotate(self, a: np.ndarray, sign: float) -> np.ndarray:
        a = _as_2d(a)
        self.out_dim(a.shape[1])
        theta = sign * self.speed * np.square(a).sum(axis=1)
        c, s = np.cos(theta), np.sin(theta)
        out = a.copy()
        ai, aj = a[:, self.i], a[:, self.j]
        out[:, self.i] = c * ai + s * aj
        out[:, self.j] = c * aj - s * ai
        return out

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return self._rotate(a, 1.0)

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return self._rotate(b, -1.0)


class LinearMap(Transform):
    """x ↦ M x for an invertible square matrix M (a fixed rotation, or any linear map).

    Args:
        matrix: finite, invertible ``(d, d)`` matrix.
        name: the id prefix (``linear`` or ``rotation``).

    Raises:
        ValueError: when ``matrix`` is not square, not finite, or numerically singular
            (condition number above 1e10); or when applied to a dimension other than d.
    """

    def __init__(self, matrix: np.ndarray, name: str = "linear") -> None:
        m = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
        if m.ndim != 2 or m.shape[0] != m.shape[1] or not np.all(np.isfinite(m)):
            raise ValueError(f"matrix must be a finite square matrix, got shape {m.shape}")
        if np.linalg.cond(m) > 1e10:
            raise ValueError("matrix must be invertible, got a (numerically) singular one")
        self.matrix = m
        self.name = name

    def out_dim(self, dim: int) -> int:
        if dim != self.matrix.shape[1]:
            raise ValueError(f"{self.name} map is {self.matrix.shape[1]}-D, got dimension {dim}")
        return dim

    def __call__(self, a: np.ndarray) -> np.ndarray:
        a = _as_2d(a)
        self.out_dim(a.shape[1])
        return a @ self.matrix.T

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return np.linalg.solve(self.matrix, _as_2d(b).T).T


class PreScaled(Transform):
    """x ↦ f(s·x) per coordinate for a coordinate-wise transform f and a factor s > 0 (e.g.
    Φ(s·x), arsinh(s·x)); strictly increasing when f is.

    Args:
        inner: the coordinate-wise transform f.
        scale: the factor s, a finite number > 0.

    Raises:
        ValueError: for a ``scale`` that is not a finite number > 0.
    """

    def __init__(self, inner: Transform, scale: float) -> None:
        self.inner, self.scale = inner, check_real("scale", scale, 0, low_open=True)
        self.name = f"{inner.name}_{self.scale:g}"

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return self.inner(self.scale * np.asarray(a, dtype=np.float64))

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return self.inner.inverse(b) / self.scale


class MonotoneSpline(Transform):
    """A strictly increasing piecewise-linear map per coordinate (a linear spline through
    increasing knots), extended linearly beyond the end knots with the end slopes.

    Args:
        knots: ``(k, 2)`` points ``(x_i, f(x_i))``, both columns strictly increasing, k >= 2.

    Raises:
        ValueError: unless both columns of ``knots`` are finite and strictly increasing.
    """

    name = "spline"

    def __init__(self, knots: np.ndarray) -> None:
        k = np.asarray(knots, dtype=np.float64)
        if k.ndim != 2 or k.shape[1] != 2 or k.shape[0] < 2 or not np.all(np.isfinite(k)):
            raise ValueError(f"knots must be a finite (k >= 2, 2) array, got shape {k.shape}")
        if np.any(np.diff(k[:, 0]) <= 0) or np.any(np.diff(k[:, 1]) <= 0):
            raise ValueError("knots must be strictly increasing in both columns")
        self.knots = k

    @staticmethod
    def _map(a: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        lo = ys[0] + (a - xs[0]) * (ys[1] - ys[0]) / (xs[1] - xs[0])
        hi = ys[-1] + (a - xs[-1]) * (ys[-1] - ys[-2]) / (xs[-1] - xs[-2])
        return np.where(a < xs[0], lo, np.where(a > xs[-1], hi, np.interp(a, xs, ys)))

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return self._map(a, self.knots[:, 0], self.knots[:, 1])

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return self._map(b, self.knots[:, 1], self.knots[:, 0])


def random_spline(
    roughness: float, seed: int, span: float = 3.0, pieces: int = 8
) -> MonotoneSpline:
    """A fixed random :class:`MonotoneSpline`: ``pieces`` equal pieces over [−span, span]
    whose slopes are exp(roughness · z), z standard normal drawn from ``seed`` (roughness 0 is
    the identity)."""
    rng = np.random.default_rng([pieces, seed])
    xs = np.linspace(-span, span, pieces + 1)
    slopes = np.exp(roughness * rng.standard_normal(pieces))
    ys = np.concatenate([[-span], -span + np.cumsum(slopes * np.diff(xs))])
    return MonotoneSpline(np.column_stack([xs, ys]))


class Affine(Transform):
    """x ↦ s ⊙ x + c: a scale factor per coordinate and one shift (injective in exact
    arithmetic; in float64 a shift far above the spread merges values).

    Args:
        scales: ``(d,)`` finite non-zero factors.
        shift: a finite number added to every coordinate.

    Raises:
        ValueError: for a zero or non-finite factor or shift, or another input dimension.
    """

    def __init__(
        self, scales: Sequence[float] | np.ndarray, shift: float = 0.0, name: str = "affine"
    ) -> None:
        self.scales = np.asarray(scales, dtype=np.float64).ravel()
        if not np.all(np.isfinite(self.scales)) or np.any(self.scales == 0):
            raise ValueError(f"scales must be finite and non-zero, got {self.scales}")
        if not np.isfinite(shift):
            raise ValueError(f"shift must be finite, got {shift!r}")
        self.shift, self.name = float(shift), name

    def out_dim(self, dim: int) -> int:
        if dim != self.scales.size:
            raise ValueError(f"{self.name} has {self.scales.size} factors, got dimension {dim}")
        return dim

    def __call__(self, a: np.ndarray) -> np.ndarray:
        return _as_2d(a) * self.scales + self.shift

    def inverse(self, b: np.ndarray) -> np.ndarray:
        return (_as_2d(b) - self.shift) / self.scales


def conditioned_linear(dim: int, kappa: float, seed: int) -> LinearMap:
    """A fixed invertible linear map U·diag(σ)·Vᵀ with condition number ``kappa``: U, V drawn
    from ``seed``, σ geometric from κ^½ to κ^−½ (so det = 1); κ = 1 is a rotation.

    Raises:
        ValueError: unless ``kappa`` is a finite number >= 1.
    """
    check_real("kappa", kappa, 1)
    rng = np.random.default_rng([dim, seed, 7])
    u, v = _orthogonal(dim, rng), _orthogonal(dim, rng)
    sigma = kappa ** np.linspace(0.5, -0.5, dim) if dim > 1 else np.ones(1)
    return LinearMap((u * sigma) @ v.T, name=f"linear_k{kappa:g}")


def _orthogonal(dim: int, rng: np.random.Generator) -> np.ndarray:
    """A Haar-random rotation (det = +1): QR of a Gaussian matrix with the sign fix."""
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    q *= np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def random_rotation(dim: int, seed: int) -> LinearMap:
    """A fixed rotation of ``dim`` coordinates, drawn from ``seed`` (deterministic)."""
    return LinearMap(_orthogonal(dim, np.random.default_rng([dim, seed])), name="rotation")


def random_linear(dim: int, seed: int) -> LinearMap:
    """A fixed invertible linear map U·diag(s)·Vᵀ with singular values s in [½, 2]
    (condition number ≤ 4), drawn from ``seed`` (deterministic)."""
    rng = np.random.default_rng([dim, seed])
    u, v = _orthogonal(dim, rng), _orthogonal(dim, rng)
    s = np.exp(rng.uniform(-np.log(2.0), np.log(2.0), size=dim))
    return LinearMap((u * s) @ v.T, name="linear")


#: Transform names usable in task ids and task files, with their accepted parameters.
TRANSFORM_PARAMS: dict[str, tuple[str, ...]] = {
    "normal_cdf": (),
    "half_cube": (),
    "cube": (),
    "asinh": (),
    "power": ("p",),
    "wiggly": (),
    "bimodal": (),
    "swissroll": (),
    "spiral": (),
    "rotation": ("seed",),
    "linear": ("seed", "matrix"),
}


def make_transform(name: str, side: str, dim: int, **params) -> Transform:
    """The transform called ``name`` for one side of a task whose current dimension is ``dim``.

    Side conventions (Czyż et al. 2023): ``wiggly`` and ``bimodal`` use :data:`WIGGLY_X` /
    :data:`BIMODAL_X` on X and :data:`WIGGLY_Y` / :data:`BIMODAL_Y` on Y; ``spiral`` rotates
    coordinates (0, 1) of X and (1, 2) of Y with speed 1/dim; ``rotation`` and ``linear``
    draw a fixed matrix from ``seed`` (default 0) and the side, unless ``matrix`` is given.

    Args:
        name: a key of :data:`TRANSFORM_PARAMS`.
        side: ``"x"`` or ``"y"``.
        dim: input dimension on that side.
        **params: the transform's parameters (``p`` for power; ``seed`` or ``matrix``).

    Raises:
        ValueError: for an unknown name or side, a missing, unknown or invalid parameter,
            or a dimension the transform does not accept.
    """
    if name not in TRANSFORM_PARAMS:
        raise ValueError(f"unknown transform {name!r}; known: {', '.join(TRANSFORM_PARAMS)}")
    if side not in ("x", "y"):
        raise ValueError(f"side must be 'x' or 'y', got {side!r}")
    unknown = set(params) - set(TRANSFORM_PARAMS[name])
    if unknown:
        accepted = ", ".join(TRANSFORM_PARAMS[name]) or "none"
        raise ValueError(
            f"unknown parameter(s) {sorted(unknown)} for transform {name!r}; accepted: {accepted}"
        )
    on_x = side == "x"
    if name == "power":
        if "p" not in params:
            raise ValueError("transform 'power' needs the parameter p")
        t: Transform = Power(params["p"])
    elif name in ("rotation", "linear"):
        if "matrix" in params:
            if "seed" in params:
                raise ValueError(f"give {name!r} either seed or matrix, not both")
            t = LinearMap(params["matrix"])
        else:
            seed = params.get("seed", 0)
            check_int("seed", seed, 0)
            make = random_rotation if name == "rotation" else random_linear
            t = make(dim, 2 * int(seed) + (0 if on_x else 1))
    elif name == "spiral":
        t = Spiral(0, 1, 1.0 / dim) if on_x else Spiral(1, 2, 1.0 / dim)
    elif name == "wiggly":
        t = Wiggly(WIGGLY_X if on_x else WIGGLY_Y)
    elif name == "bimodal":
        t = Bimodal(*(BIMODAL_X if on_x else BIMODAL_Y))
    else:
        plain: dict[str, Callable[[], Transform]] = {
            "normal_cdf": NormalCDF,
            "half_cube": HalfCube,
            "cube": Cube,
            "asinh": Asinh,
            "swissroll": SwissRoll,
        }
        t = plain[name]()
    t.out_dim(dim)
    return t
