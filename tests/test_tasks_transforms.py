"""MI-preserving transforms: shapes, declared dimensions, invertibility, monotonicity."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtr
from scipy.stats import norm

from mibench.tasks.transforms import (
    BIMODAL_X,
    BIMODAL_Y,
    WIGGLY_X,
    WIGGLY_Y,
    Asinh,
    Bimodal,
    Cube,
    HalfCube,
    LinearMap,
    NormalCDF,
    Power,
    Spiral,
    SwissRoll,
    Wiggly,
    make_transform,
    random_linear,
    random_rotation,
)

RNG = np.random.default_rng(123)
GAUSS_1D = RNG.standard_normal((20_000, 1)) * 1.5
GAUSS_3D = RNG.standard_normal((20_000, 3)) * 1.5
UNIT_1D = ndtr(GAUSS_1D)

CASES = [
    ("normal_cdf", NormalCDF(), GAUSS_3D),
    ("half_cube", HalfCube(), GAUSS_3D),
    ("cube", Cube(), GAUSS_3D),
    ("power_0.5", Power(0.5), GAUSS_3D),
    ("power_5.0", Power(5.0), GAUSS_3D),
    ("asinh", Asinh(), GAUSS_3D),
    ("wiggly_x", Wiggly(WIGGLY_X), GAUSS_1D),
    ("wiggly_y", Wiggly(WIGGLY_Y), GAUSS_1D),
    ("bimodal_x", Bimodal(*BIMODAL_X), GAUSS_1D),
    ("bimodal_y", Bimodal(*BIMODAL_Y), GAUSS_1D),
    ("swissroll", SwissRoll(), UNIT_1D),
    ("spiral_01", Spiral(0, 1, 1 / 3), GAUSS_3D),
    ("spiral_12", Spiral(1, 2, 1 / 3), GAUSS_3D),
    ("rotation", random_rotation(3, 0), GAUSS_3D),
    ("linear", random_linear(3, 1), GAUSS_3D),
]


@pytest.mark.parametrize(("label", "t", "a"), CASES, ids=[c[0] for c in CASES])
def test_shapes_dims_and_round_trip(label, t, a):
    b = t(a)
    assert b.shape == (a.shape[0], t.out_dim(a.shape[1]))
    assert np.all(np.isfinite(b))
    back = t.inverse(b)
    assert back.shape == a.shape
    np.testing.assert_allclose(back, a, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    ("label", "t", "a"),
    [c for c in CASES if c[2] is GAUSS_1D or c[0] in ("normal_cdf", "half_cube", "cube", "asinh")],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_coordinatewise_ones_are_strictly_increasing(label, t, a):
    grid = np.linspace(-6, 6, 20_001)[:, None]
    out = t(grid)[:, 0]
    assert np.all(np.diff(out) > 0)


def test_bimodal_keeps_samples_distinct_and_has_mixture_margin():
    x = np.random.default_rng(0).standard_normal((200_000, 1))
    for weights_means in (BIMODAL_X, BIMODAL_Y):
        t = Bimodal(*weights_means)
        z = t(x)[:, 0]
        assert np.unique(z).size > 0.99 * z.size
        # F(z) = Φ(x) exactly: the output has the mixture's CDF
        w, mu = map(np.asarray, weights_means)
        cdf = (w * norm.cdf(z[:, None] - mu)).sum(axis=1)
        np.testing.assert_allclose(cdf, ndtr(x[:, 0]), atol=1e-12)
    # far tails do not saturate
    tails = Bimodal(*BIMODAL_X)(np.array([[-30.0], [-20.0], [20.0], [30.0]]))[:, 0]
    assert np.all(np.diff(tails) > 0) and np.all(np.isfinite(tails))


def test_published_wiggly_and_swissroll_formulas():
    x = np.array([[-1.3], [0.0], [2.2]])
    f = x + 0.4 * np.sin(x) + 0.2 * np.sin(1.7 * x + 1) + 0.03 * np.sin(3.3 * x - 2.5)
    g = x - 0.4 * np.sin(0.4 * x) + 0.17 * np.sin(1.3 * x + 3.5) + 0.02 * np.sin(4.3 * x - 2.5)
    np.testing.assert_allclose(Wiggly(WIGGLY_X)(x), f)
    np.testing.assert_allclose(Wiggly(WIGGLY_Y)(x), g)
    u = np.array([[0.0], [0.4], [1.0]])
    t = 1.5 * np.pi * (1 + 2 * u[:, 0])
    np.testing.assert_allclose(SwissRoll()(u), np.column_stack([t * np.cos(t), t * np.sin(t)]) / 21)
    np.testing.assert_array_equal(HalfCube()(x), x * np.sqrt(np.abs(x)))


def test_spiral_is_the_norm_dependent_rotation():
    a = GAUSS_3D[:20]
    s = Spiral(1, 2, 0.25)
    b = s(a)
    np.testing.assert_allclose(np.linalg.norm(b, axis=1), np.linalg.norm(a, axis=1))
    np.testing.assert_array_equal(b[:, 0], a[:, 0])
    theta = 0.25 * (a**2).sum(axis=1)
    gen = np.zeros((3, 3))
    gen[1, 2], gen[2, 1] = 1.0, -1.0
    from scipy.linalg import expm

    expected = np.stack([expm(th * gen) @ v for th, v in zip(theta, a, strict=True)])
    np.testing.assert_allclose(b, expected, atol=1e-12)


def test_rotation_is_orthogonal_and_deterministic():
    r = random_rotation(5, 7)
    np.testing.assert_allclose(r.matrix @ r.matrix.T, np.eye(5), atol=1e-12)
    assert np.linalg.det(r.matrix) == pytest.approx(1.0)
    np.testing.assert_array_equal(r.matrix, random_rotation(5, 7).matrix)
    assert not np.allclose(r.matrix, random_rotation(5, 8).matrix)
    assert np.linalg.cond(random_linear(6, 0).matrix) <= 4.0 + 1e-9


def test_declared_dimensions_and_errors():
    assert SwissRoll().out_dim(1) == 2
    with pytest.raises(ValueError, match="1-D"):
        SwissRoll().out_dim(2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        SwissRoll()(np.array([[1.5]]))
    with pytest.raises(ValueError, match="dimension >= 3"):
        Spiral(1, 2, 1.0).out_dim(2)
    with pytest.raises(ValueError, match="p must be"):
        Power(-1.0)
    with pytest.raises(ValueError, match="monotone"):
        Wiggly([(0.9, 2.0, 0.0)])
    with pytest.raises(ValueError, match="singular"):
        LinearMap(np.array([[1.0, 2.0], [2.0, 4.0]]))
    with pytest.raises(ValueError, match="3-D"):
        random_rotation(3, 0).out_dim(2)


def test_make_transform_side_conventions():
    sx = make_transform("spiral", "x", 4)
    sy = make_transform("spiral", "y", 3)
    assert (sx.i, sx.j, sx.speed) == (0, 1, 0.25)
    assert (sy.i, sy.j, sy.speed) == (1, 2, 1 / 3)
    assert np.array_equal(make_transform("wiggly", "y", 1).terms, np.asarray(WIGGLY_Y))
    assert make_transform("bimodal", "x", 1).means.tolist() == [0.0, 5.0]
    rx, ry = make_transform("rotation", "x", 3), make_transform("rotation", "y", 3)
    assert not np.allclose(rx.matrix, ry.matrix)
    with pytest.raises(ValueError, match="unknown transform"):
        make_transform("halfcube", "x", 1)
    with pytest.raises(ValueError, match="unknown parameter"):
        make_transform("asinh", "x", 1, p=2.0)
    with pytest.raises(ValueError, match="needs dimension"):
        make_transform("spiral", "y", 2)
