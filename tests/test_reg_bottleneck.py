"""The information bottleneck benchmarks: the Gaussian IB curve, exact linear-encoder MI, the MI
term on a fixed encoder, the mixture MI of a Gaussian encoder, the figure, refused settings."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import scipy.integrate
import scipy.optimize
import torch

from mibench.harness.cells import Cell
from mibench.paper import Scale, get_figure, make_figure
from mibench.paper import bottleneck as fig
from mibench.regularizers import MITerm, Setting
from mibench.regularizers.bottleneck import (
    GAUSSIAN_IB,
    SIGMA_X,
    SIGMA_XY,
    SIGMA_Y,
    BottleneckDigits,
    BottleneckDigitsVIB,
    BottleneckGaussian,
    BottleneckGaussianExact,
    GaussianIB,
    mixture_information,
)


def _random_problem(seed: int, dx: int = 3, dy: int = 3) -> GaussianIB:
    """A jointly Gaussian (X, Y) with a random covariance (distinct eigenvalues < 1)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(dx + dy, dx + dy))
    joint = a @ a.T + 0.5 * np.eye(dx + dy)
    return GaussianIB(joint[:dx, :dx], joint[dx:, dx:], joint[:dx, dx:])


def _joint_information(w: np.ndarray, ib: GaussianIB) -> tuple[float, float]:
    """I(X; Z), I(Z; Y) of Z = WX + ξ from the joint covariance of (X, Y, Z): the Gaussian MI
    ½ ln(det Σ_a det Σ_b / det Σ_ab) of each pair (independent of GaussianIB.information)."""
    sx, sy, sxy = ib.sigma_x, ib.sigma_y, ib.sigma_xy
    k = w.shape[0]
    sz = w @ sx @ w.T + np.eye(k)
    cov = np.block(
        [[sx, sxy, sx @ w.T], [sxy.T, sy, sxy.T @ w.T], [w @ sx, w @ sxy, sz]]
    )  # order: X, Y, Z
    dx, dy = sx.shape[0], sy.shape[0]
    ix_, iy_, iz_ = np.arange(dx), np.arange(dx, dx + dy), np.arange(dx + dy, dx + dy + k)

    def mi(a, b):
        ab = np.concatenate([a, b])
        ld = [np.linalg.slogdet(cov[np.ix_(s, s)])[1] for s in (a, b, ab)]
        return 0.5 * (ld[0] + ld[1] - ld[2])

    return mi(ix_, iz_), mi(iz_, iy_)


# ------------------------------------------------------------------ Gaussian bottleneck


def test_benchmark_covariance_and_its_eigenvalues() -> None:
    np.testing.assert_allclose(
        SIGMA_X,
        [[1, 0.5, 0, 0.5], [0.5, 1.25, 0.5, 0.25], [0, 0.5, 1.25, 0.5], [0.5, 0.25, 0.5, 1.5]],
        atol=1e-15,
    )
    np.testing.assert_allclose(SIGMA_XY, [[0.9, 0], [0.45, 0.6], [0, 0.3], [0.45, 0]], atol=1e-15)
    np.testing.assert_array_equal(SIGMA_Y, np.eye(2))
    np.testing.assert_allclose(GAUSSIAN_IB.lambdas, [0.19, 0.64, 1.0, 1.0], atol=1e-12)
    np.testing.assert_allclose(GAUSSIAN_IB.critical_betas()[:2], [1 / 0.81, 1 / 0.36], rtol=1e-12)
    assert np.isinf(GAUSSIAN_IB.critical_betas()[2:]).all()
    assert GAUSSIAN_IB.mi_xy == pytest.approx(-0.5 * math.log(0.19 * 0.64), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_critical_betas_against_the_eigendecomposition(seed) -> None:
    ib = _random_problem(seed)
    m = ib.sigma_x_given_y @ np.linalg.inv(ib.sigma_x)
    lam = np.sort(np.linalg.eigvals(m).real)  # the non-symmetric problem, solved directly
    np.testing.assert_allclose(ib.lambdas, lam, atol=1e-10)
    np.testing.assert_allclose(ib.critical_betas(), 1 / (1 - lam), rtol=1e-8)
    # v_i are left eigenvectors: v_iᵀ Σ_x|y Σ_x⁻¹ = λ_i v_iᵀ.
    for i in range(3):
        v = ib.vectors[:, i]
        np.testing.assert_allclose(v @ m, ib.lambdas[i] * v, atol=1e-10)
    # Component i enters at β_C,i: no rows just below the first, one just above, etc.
    for i, bc in enumerate(ib.critical_betas()):
        below = np.linalg.norm(ib.projection(bc * (1 - 1e-6)), axis=1) > 0
        above = np.linalg.norm(ib.projection(bc * (1 + 1e-6)), axis=1) > 0
        assert below.sum() == i and above.sum() == i + 1


@pytest.mark.parametrize("problem", ["benchmark", "random0", "random1"])
def test_optimal_projection_lies_on_the_analytic_curve(problem) -> None:
    ib = GAUSSIAN_IB if problem == "benchmark" else _random_problem(int(problem[-1]))
    finite = ib.critical_betas()[np.isfinite(ib.critical_betas())]
    betas = [1.05, 1.3, 2.0, 3.5, 8.0, 40.0, 1e3] + list(finite * 1.01)
    for beta_c in betas:
        if beta_c <= finite[0]:
            assert np.all(ib.projection(beta_c) == 0)
        ix, iy = _joint_information(ib.projection(beta_c), ib)
        assert (ix, iy) == pytest.approx(ib.point(beta_c), abs=1e-8)
        assert iy == pytest.approx(ib.curve(ix), abs=1e-8)
        assert (ix, iy) == pytest.approx(ib.information(ib.projection(beta_c)), abs=1e-10)
    assert ib.curve(1e3) == pytest.approx(ib.mi_xy, abs=1e-8)  # the curve tends to I(X; Y)


def test_no_linear_encoder_beats_the_curve() -> None:
    ib = GAUSSIAN_IB
    rng = np.random.default_rng(7)
    for _ in range(300):  # random encoders lie on or below the curve
        w = rng.normal(scale=rng.uniform(0.05, 3), size=(rng.integers(1, 4), 4))
        ix, iy = _joint_information(w, ib)
        assert iy <= ib.curve(ix) + 1e-10
    for beta in (0.2, 0.5, 0.9):  # a numerical optimisation over W does no better than L*(β)

        def lagrangian(flat, beta=beta):
            ix, iy = _joint_information(flat.reshape(2, 4), ib)
            return beta * ix - iy

        best = min(
            scipy.optimize.minimize(lagrangian, rng.normal(size=8), method="L-BFGS-B").fun
            for _ in range(4)
        )
        optimum = ib.optimum(beta)[2]
        assert best >= optimum - 1e-9
        assert best == pytest.approx(optimum, abs=1e-5)


def test_exact_information_against_sampled_covariances() -> None:
    bench = BottleneckGaussian()
    g = torch.Generator().manual_seed(11)
    x, y = bench.sample(200_000, g)
    np.testing.assert_allclose(np.cov(x.numpy().T), SIGMA_X, atol=0.03)
    w = np.array([[0.8, -0.3, 0.2, 0.1], [0.1, 0.9, -0.4, 0.3]])
    z = x.double() @ torch.tensor(w).T + torch.randn(len(x), 2, generator=g, dtype=torch.float64)
    cov = np.cov(np.concatenate([x.numpy(), y.numpy(), z.numpy()], axis=1).T)

    def mi(a, b):
        ab = a + b
        ld = [np.linalg.slogdet(cov[np.ix_(s, s)])[1] for s in (a, b, ab)]
        return 0.5 * (ld[0] + ld[1] - ld[2])

    ix, iy = GAUSSIAN_IB.information(w)
    assert mi([0, 1, 2, 3], [6, 7]) == pytest.approx(ix, abs=0.01)
    assert mi([6, 7], [4, 5]) == pytest.approx(iy, abs=0.01)


@pytest.mark.parametrize(("name", "seed"), [("mine", 0), ("smile", 1)])
def test_mi_term_estimate_of_a_fixed_linear_encoder(name, seed) -> None:
    """400 critic steps (batch 256) on Z = A(β_C = 4) X + ξ, exact I(X; Z) = 1.536 nats: the mean
    readout of the last 100 steps is within 0.3 nats below to 0.1 above the truth (seen: −0.12
    to −0.06 on seeds 0–3 for both)."""
    w = torch.tensor(GAUSSIAN_IB.projection(4.0)[:2], dtype=torch.float32)
    exact = GAUSSIAN_IB.information(w.double().numpy())[0]
    assert exact == pytest.approx(1.5359, abs=1e-4)
    bench = BottleneckGaussian()
    g = torch.Generator().manual_seed(100 + seed)
    term = MITerm(name, 4, 2, seed=seed)
    readouts = []
    for _ in range(400):
        x, _ = bench.sample(256, g)
        readouts.append(term.critic_step(x, x @ w.T + torch.randn(256, 2, generator=g)))
    error = float(np.mean(readouts[-100:])) - exact
    assert -0.3 < error < 0.1


def test_gaussian_training_is_paired_and_measured_exactly() -> None:
    bench = BottleneckGaussian(steps=30)
    runs = [bench.train(MITerm("mine", 4, 2, seed=3), 0.5, True, 42) for _ in range(2)]
    assert runs[0].metrics == runs[1].metrics  # same seeds, same run
    m = runs[0].metrics
    assert runs[0].mi_true == m["ix_exact"]
    assert m["curve_gap"] >= -1e-12 and m["lagrangian_gap"] >= -1e-12
    assert (m["ix_opt"], m["iy_opt"]) == pytest.approx(GAUSSIAN_IB.point(2.0))
    assert [t[0] for t in runs[0].trace][-1] == 30
    w0 = bench.train(MITerm("infonce", 4, 2, seed=3), 0.0, False, 42)  # plain model: no term
    assert math.isnan(w0.metrics["ix_opt"])
    assert w0.metrics["lagrangian_gap"] == pytest.approx(GAUSSIAN_IB.mi_xy - w0.metrics["iy_exact"])


# ------------------------------------------------------------------ digits


def test_mixture_information_against_quadrature() -> None:
    """Two 1-D components N(±1, 0.6²), X uniform on them: I(X; Z) = h(Z) − h(Z|X) by
    quadrature; I(Z; Y) with Y = X is the same number."""
    mu = torch.tensor([[-1.0], [1.0]], dtype=torch.float64)
    sigma = torch.full((2, 1), 0.6, dtype=torch.float64)

    def p(z):
        return 0.5 * sum(
            math.exp(-0.5 * ((z - m) / 0.6) ** 2) / (0.6 * math.sqrt(2 * math.pi)) for m in (-1, 1)
        )

    h_z = scipy.integrate.quad(lambda z: -p(z) * math.log(p(z)), -8, 8)[0]
    truth = h_z - 0.5 * math.log(2 * math.pi * math.e * 0.36)
    out = mixture_information(
        mu, sigma, torch.tensor([0, 1]), 20_000, torch.Generator().manual_seed(0)
    )
    assert out["ix"] == pytest.approx(truth, abs=4 * out["ix_se"] + 1e-3)
    assert out["iy"] == pytest.approx(out["ix"], abs=1e-9)
    same = mixture_information(mu * 0, sigma, None, 100, torch.Generator().manual_seed(0))
    assert same["ix"] == pytest.approx(0.0, abs=1e-12)  # identical components: no information
    far = mixture_information(mu * 100, sigma, None, 100, torch.Generator().manual_seed(0))
    assert far["ix"] == pytest.approx(math.log(2), abs=1e-9)  # separated: ln N


def test_reference_cells_are_paired_with_their_base() -> None:
    base, vib = BottleneckDigits(steps=20), BottleneckDigitsVIB(0.01, steps=20)
    (b,) = base.cells([Setting("none")], [3])
    (v,) = vib.cells([Setting("none")], [3])
    assert vib.id == "bottleneck-digits-vib-b0.01" and v.label == "vib[beta=0.01]"
    assert v.data_seed == b.data_seed and v.estimator_seed == b.estimator_seed
    assert v.cell_id != b.cell_id
    exact = BottleneckGaussianExact(0.5)
    assert exact.id == "bottleneck-gaussian-exact-b0.5"


def test_tiny_figure_writes_summary_with_every_setting(tmp_path) -> None:
    figure = get_figure("information-bottleneck")
    made = make_figure(
        figure, Scale(0.01), tmp_path, "test", estimators={"none", "mine"}, progress=False
    )
    folder = made.folder
    assert (folder / "information_bottleneck.png").is_file()
    assert (folder / "information_bottleneck.pdf").is_file()
    summary = pd.read_csv(folder / "summary.csv")
    assert set(summary["benchmark"]) == {"bottleneck-gaussian", "bottleneck-digits"}
    cols = ("benchmark", "regularizer", "beta", "clip")
    keys = set(zip(*(summary[c] for c in cols), strict=True))
    for name, betas, ref in (
        ("bottleneck-gaussian", fig.GAUSSIAN_BETAS, "exact"),
        ("bottleneck-digits", fig.DIGITS_BETAS, "vib"),
    ):
        assert (name, "none", 0.0, False) in keys
        for beta in betas:
            assert (name, ref, beta, False) in keys
            assert (name, "mine", beta, False) in keys and (name, "mine", beta, True) in keys
    assert len(keys) == len(summary)  # one row per benchmark × regulariser × β × clip
    assert (summary["ok"] == summary["seeds"]).all() and (summary["seeds"] == 2).all()
    gauss = summary[summary["benchmark"] == "bottleneck-gaussian"]
    np.testing.assert_allclose(gauss["mi_true_mean"], gauss["ix_exact_mean"], rtol=1e-9)
    digits = summary[summary["benchmark"] == "bottleneck-digits"]
    for col in ("test_error_mean", "ix_readout_mean", "iy_readout_mean", "ix_train_mean"):
        assert digits[col].notna().all(), col
    assert (digits["ix_train_mean"] <= math.log(1197) + 1e-6).all()


# ------------------------------------------------------------------ refused settings


def test_bad_settings_are_refused_before_training(monkeypatch) -> None:
    with pytest.raises(ValueError, match="beta"):
        Setting("mine", beta=-0.1)
    with pytest.raises(ValueError, match="ksg"):
        Setting("ksg", beta=0.1)
    with pytest.raises(ValueError, match="beta"):
        fig.settings((0.1, -1.0))
    with pytest.raises(ValueError, match="beta"):
        BottleneckDigitsVIB(-0.01)
    with pytest.raises(ValueError, match="beta"):
        BottleneckGaussianExact(-1)
    with pytest.raises(ValueError, match="steps"):
        BottleneckGaussian(steps=0)
    with pytest.raises(ValueError, match="readout"):
        BottleneckDigits(readout="ksg")
    with pytest.raises(ValueError, match="settings"):
        BottleneckDigitsVIB(0.1).cells([Setting("mine", 0.1)], [0])
    with pytest.raises(ValueError, match="beta_c"):
        GAUSSIAN_IB.projection(-2.0)
    bench = BottleneckGaussian(steps=5)

    def never(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(bench, "train", never)
    for estimator, beta in (("mine", -0.5), ("ksg", 0.5)):
        cell = Cell(
            task_id=bench.id,
            task_version=bench.version,
            estimator=estimator,
            label=estimator,
            params={"beta": beta, "clip": False, "mi": {}},
            n=bench.steps,
            seed=0,
            standardize=False,
        )
        with pytest.raises(ValueError, match="beta" if beta < 0 else "ksg"):
            bench.train_cell(cell)
