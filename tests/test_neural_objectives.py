"""The variational bounds against analytic critics (no training), and their numerics."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mibench.neural import objectives as obj
from mibench.neural.critics import pair_index

RHO = 0.9
MI = -0.5 * math.log(1 - RHO**2)  # 0.8304


def log_density_joint(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log p(x, y) of the standard bivariate normal with correlation RHO."""
    q = (x**2 - 2 * RHO * x * y + y**2) / (1 - RHO**2)
    return -math.log(2 * math.pi) - 0.5 * math.log(1 - RHO**2) - 0.5 * q


def log_density_product(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log p(x) p(y), both standard normal."""
    return -math.log(2 * math.pi) - 0.5 * (x**2 + y**2)


def log_ratio(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return log_density_joint(x, y) - log_density_product(x, y)


def sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x, RHO * x + math.sqrt(1 - RHO**2) * rng.standard_normal(n)


@pytest.fixture(scope="module")
def analytic_scores() -> tuple[torch.Tensor, torch.Tensor]:
    """T = log r on 200,000 joint pairs and 4 derangement pairs per sample."""
    x, y = sample(200_000, seed=0)
    pairs = pair_index(x.size, 4).numpy()
    t_joint = torch.from_numpy(log_ratio(x, y))
    t_marginal = torch.from_numpy(log_ratio(x[:, None], y[pairs[:, 1:]]))
    return t_joint, t_marginal


def test_dv_with_log_ratio_critic_gives_mi(analytic_scores):
    assert obj.dv_bound(*analytic_scores).item() == pytest.approx(MI, abs=0.01)


def test_nwj_with_shifted_log_ratio_gives_mi(analytic_scores):
    # NWJ's optimal critic is 1 + log r.
    assert obj.nwj_bound(*analytic_scores, shift=1.0).item() == pytest.approx(MI, abs=0.01)


def test_nwj_without_shift_gives_mi_minus_one_over_e(analytic_scores):
    value = obj.nwj_bound(*analytic_scores).item()
    assert value == pytest.approx(MI - 1 / math.e, abs=0.01)


def test_mine_f_is_the_nwj_objective():
    assert obj.mine_f_bound is obj.nwj_bound


def test_jsd_value_matches_monte_carlo_jsd_of_the_densities(analytic_scores):
    # 2·JSD(p‖q) = KL(p‖m) + KL(q‖m), m = (p + q)/2, from fresh samples of p and of q.
    n = 400_000
    xp, yp = sample(n, seed=1)
    rng = np.random.default_rng(2)
    xq, yq = rng.standard_normal(n), rng.standard_normal(n)

    def log_m(x, y):
        return np.logaddexp(log_density_joint(x, y), log_density_product(x, y)) - math.log(2)

    kl_pm = np.mean(log_density_joint(xp, yp) - log_m(xp, yp))
    kl_qm = np.mean(log_density_product(xq, yq) - log_m(xq, yq))
    expected = kl_pm + kl_qm - 2 * math.log(2)
    assert obj.jsd_bound(*analytic_scores).item() == pytest.approx(expected, abs=0.01)
    assert -2 * math.log(2) < expected < 0


@pytest.mark.parametrize("batch", [2, 8, 64, 256])
def test_infonce_never_exceeds_log_batch_size(batch):
    # High MI (rho = 0.999, I = 3.1 nats), optimal critic, all pairs of each batch.
    rng = np.random.default_rng(batch)
    rho = 0.999
    x = rng.standard_normal((50, batch))
    y = rho * x + math.sqrt(1 - rho**2) * rng.standard_normal((50, batch))
    pairs = pair_index(batch, batch - 1).numpy()
    scores = -((y[:, pairs] - rho * x[:, :, None]) ** 2) / (2 * (1 - rho**2))
    scores = torch.from_numpy(scores)
    values = obj.infonce_bound(scores[..., 0], scores[..., 1:])
    assert values.shape == (50,)
    assert (values <= math.log(batch) + 1e-12).all()
    # Any scores at all, including huge ones, stay below ln b; dominant positives reach it.
    wild = torch.from_numpy(rng.normal(0, 300, size=(50, batch, batch)))
    assert (obj.infonce_bound(wild[..., 0], wild[..., 1:]) <= math.log(batch) + 1e-12).all()
    saturated = obj.infonce_bound(torch.full((batch,), 1e4), torch.zeros(batch, batch - 1))
    assert saturated.item() == pytest.approx(math.log(batch), abs=1e-12)


def test_infonce_bound_counts_positive_and_negatives():
    # With k negatives the bound is ln(k + 1), whatever the batch size.
    value = obj.infonce_bound(torch.full((10,), 50.0), torch.zeros(10, 3))
    assert value.item() == pytest.approx(math.log(4), abs=1e-12)


def test_smile_is_dv_when_tau_is_infinite_and_clips_otherwise(analytic_scores):
    t_joint, t_marginal = analytic_scores
    dv = obj.dv_bound(t_joint, t_marginal)
    assert obj.smile_bound(t_joint, t_marginal, tau=math.inf).item() == pytest.approx(dv.item())
    clipped = t_joint.mean() - obj.log_mean_exp(t_marginal.clamp(-1.0, 1.0), (-2, -1))
    assert obj.smile_bound(t_joint, t_marginal, tau=1.0).item() == pytest.approx(clipped.item())
    # With T = log r only the partition term is clipped, so SMILE(5) stays close to MI.
    assert obj.smile_bound(t_joint, t_marginal, tau=5.0).item() == pytest.approx(MI, abs=0.02)


def test_scores_above_100_give_correct_finite_values():
    rng = np.random.default_rng(3)
    t_joint = torch.from_numpy(rng.normal(1.0, 1.0, (4, 64)))
    t_marginal = torch.from_numpy(rng.normal(0.0, 1.0, (4, 64, 5)))
    for big in (150.0, 800.0):
        # DV, InfoNCE and SMILE(inf) are invariant to adding a constant to every score.
        for fn in (obj.dv_bound, obj.infonce_bound):
            base = fn(t_joint, t_marginal)
            shifted = fn(t_joint + big, t_marginal + big)
            assert torch.isfinite(shifted).all()
            torch.testing.assert_close(shifted, base, rtol=0, atol=1e-9)
        jsd = obj.jsd_bound(t_joint + big, t_marginal + big)
        # sp(-T) -> 0 and sp(T) -> T for large T: the value tends to -mean(T_marginal).
        expected = -(t_marginal + big).mean((-2, -1))
        torch.testing.assert_close(jsd, expected, rtol=0, atol=1e-9)
    # NWJ's partition term is exp(logmeanexp(T) - 1): huge but finite in float64.
    nwj = obj.nwj_bound(t_joint.float() + 150, t_marginal.float() + 150)
    assert torch.isfinite(nwj).all() and (nwj < -1e60).all()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32])
def test_half_precision_scores_are_reduced_in_float64(dtype):
    rng = np.random.default_rng(4)
    # Scores up to ~40: exp would overflow float16 (above 11.1) if taken in the input dtype.
    t_joint = torch.from_numpy(rng.normal(30.0, 3.0, (2, 64))).to(dtype)
    t_marginal = torch.from_numpy(rng.normal(20.0, 3.0, (2, 64, 4))).to(dtype)
    exact = (t_joint.double(), t_marginal.double())
    for fn in (obj.dv_bound, obj.infonce_bound, obj.jsd_bound, obj.smile_bound):
        value = fn(t_joint, t_marginal)
        assert value.dtype == torch.float64 and torch.isfinite(value).all()
        torch.testing.assert_close(value, fn(*exact), rtol=0, atol=1e-9)


def test_mine_objective_value_is_dv_and_gradient_uses_the_moving_average():
    rng = np.random.default_rng(5)
    t_joint = torch.tensor(rng.normal(1.0, 1.0, (3, 32)), requires_grad=True)
    t_marginal = torch.tensor(rng.normal(0.0, 1.0, (3, 32, 2)), requires_grad=True)
    rate = 0.1
    # First step: the average starts from the first batch, so the gradient is DV's.
    value, log_avg = obj.mine_objective(t_joint, t_marginal, None, rate)
    torch.testing.assert_close(value, obj.dv_bound(t_joint, t_marginal))
    batch_mean_1 = t_marginal.detach().exp().mean((-2, -1))
    torch.testing.assert_close(log_avg, batch_mean_1.log())
    (grad_first,) = torch.autograd.grad(value.sum(), t_marginal)
    (grad_dv,) = torch.autograd.grad(obj.dv_bound(t_joint, t_marginal).sum(), t_marginal)
    torch.testing.assert_close(grad_first, grad_dv)
    # Second step: m_2 = (1 - a) m_1 + a mean(e^T); gradient -e^T / (N m_2) per marginal score.
    t_marginal_2 = (t_marginal.detach() + 0.7).requires_grad_()
    value, log_avg_2 = obj.mine_objective(t_joint, t_marginal_2, log_avg, rate)
    batch_mean_2 = t_marginal_2.detach().exp().mean((-2, -1))
    m_2 = (1 - rate) * batch_mean_1 + rate * batch_mean_2
    torch.testing.assert_close(log_avg_2, m_2.log())
    torch.testing.assert_close(value, obj.dv_bound(t_joint, t_marginal_2))
    (grad,) = torch.autograd.grad(value.sum(), t_marginal_2)
    expected = -t_marginal_2.detach().exp() / (64 * m_2[:, None, None])
    torch.testing.assert_close(grad, expected)


def test_moving_average_stays_finite_for_huge_scores_and_takes_per_member_rates():
    log_avg = obj.update_log_moving_average(None, torch.tensor([900.0, 1.0]), 0.5)
    log_avg = obj.update_log_moving_average(log_avg, torch.tensor([905.0, 2.0]), 0.5)
    expected_0 = 900 + math.log(0.5 + 0.5 * math.exp(5))
    assert log_avg[0].item() == pytest.approx(expected_0)
    per_member = obj.update_log_moving_average(
        torch.tensor([0.0, 0.0]), torch.tensor([1.0, 1.0]), torch.tensor([1.0, 0.01])
    )
    assert per_member[0].item() == pytest.approx(1.0)
    assert per_member[1].item() == pytest.approx(math.log(0.99 + 0.01 * math.e))


def test_per_member_hyperparameters_broadcast_over_leading_dims():
    t_joint, t_marginal = torch.zeros(2, 8), torch.full((2, 8, 3), 2.0)
    shifts = torch.tensor([0.0, 1.0])
    value = obj.nwj_bound(t_joint, t_marginal, shift=shifts)
    for e in range(2):
        single = obj.nwj_bound(t_joint[e], t_marginal[e], shift=float(shifts[e]))
        assert value[e].item() == pytest.approx(single.item())
    with pytest.raises(ValueError, match="leading shape"):
        obj.smile_bound(t_joint, t_marginal, tau=torch.ones(3))


@pytest.mark.parametrize(
    "fn", [obj.dv_bound, obj.nwj_bound, obj.jsd_bound, obj.infonce_bound, obj.smile_bound]
)
def test_mismatched_score_shapes_raise(fn):
    with pytest.raises(ValueError, match="t_marginal"):
        fn(torch.zeros(8), torch.zeros(7, 2))
    with pytest.raises(ValueError, match="t_joint"):
        fn(torch.zeros(8), torch.zeros(8))
