"""TUBA, α-InfoNCE and FLO: the bounds against direct computations and the optimal critic,
their limits, their models' score layouts, training, ensembles, the contract, MITerm."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mibench.neural import fit_ensemble, replicate
from mibench.neural import objectives as obj
from mibench.neural.critics import BaselineCritic, FLOModel, JointCritic, pair_index
from mibench.neural.estimators import FLO, NEURAL_ESTIMATORS, TUBA, AlphaInfoNCE
from mibench.registry import get_estimator
from mibench.regularizers import MITerm
from mibench.tasks.gaussian import bivariate_normal

NAMES = ("tuba", "alpha-infonce", "flo")
RHO = 0.8
MI = -0.5 * math.log(1 - RHO**2)  # 0.5108


def log_ratio(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """log p(x, y)/(p(x)p(y)) of the standard bivariate normal with correlation RHO."""
    r2 = RHO * RHO
    return -0.5 * math.log1p(-r2) - (r2 * (x**2 + y**2) - 2 * RHO * x * y) / (2 * (1 - r2))


def sample(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x, RHO * x + math.sqrt(1 - RHO**2) * rng.standard_normal(n)


@pytest.fixture(scope="module")
def random_scores() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    t_joint = 2 * torch.randn(2, 7, generator=gen, dtype=torch.float64)
    t_marginal = 2 * torch.randn(2, 7, 5, generator=gen, dtype=torch.float64)
    return t_joint, t_marginal


# ---- the bounds against direct numpy computations ---------------------------------------


def test_tuba_bound_is_its_formula(random_scores):
    tj, tm = (t.numpy() for t in random_scores)
    expected = 1 + tj.mean(-1) - np.exp(tm).mean((-2, -1))
    value = obj.tuba_bound(*random_scores)
    assert value.dtype == torch.float64 and value.shape == (2,)
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-10)


def test_alpha_infonce_bound_is_its_formula(random_scores):
    tj, tm = (t.numpy() for t in random_scores)
    alphas = np.array([0.3, 0.8])
    k = tm.shape[-1]
    expected = []
    for e, a in enumerate(alphas):
        joint, marginal = [], []
        for i in range(tj.shape[1]):
            m = np.exp(tm[e, i]).mean()
            marginal.append(m / (a * m + 1 - a))
            for left_out in range(k):  # K = k: the joint pair and the k − 1 other pairs
                kept = np.delete(tm[e, i], left_out)
                m_joint = (np.exp(tj[e, i]) + np.exp(kept).sum()) / k
                joint.append(tj[e, i] - np.log(a * m_joint + 1 - a))
        expected.append(1 + np.mean(joint) - np.mean(marginal))
    value = obj.alpha_infonce_bound(*random_scores, alpha=torch.from_numpy(alphas))
    np.testing.assert_allclose(value.numpy(), expected, rtol=1e-10)


def test_flo_bound_is_its_formula(random_scores):
    u, gap = (t.numpy() for t in random_scores)
    expected = 1 - (u + np.exp(-u) * np.exp(gap).mean(-1)).mean(-1)
    np.testing.assert_allclose(obj.flo_bound(*random_scores).numpy(), expected, rtol=1e-10)


def test_leave_one_out_sums_are_exact_with_a_dominant_score():
    gen = torch.Generator().manual_seed(1)
    row = 30 * torch.randn(4, 9, generator=gen, dtype=torch.float64)
    row[0, 3], row[1, 0] = 600.0, -600.0  # one term dominates its row; one is negligible
    expected = [torch.logsumexp(torch.cat([row[:, :j], row[:, j + 1 :]], 1), 1) for j in range(9)]
    _, others, top = obj._leave_one_out_sums(row)
    torch.testing.assert_close(
        torch.log(others) + top, torch.stack(expected, 1), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.5, 1.0])
def test_alpha_infonce_gradient_is_the_derivative(alpha):
    # The hand-written backward pass against finite differences (float64), with scores spread
    # wide enough that some rows are dominated by one pair.
    gen = torch.Generator().manual_seed(2)
    tj = (3 * torch.randn(2, 5, generator=gen, dtype=torch.float64)).requires_grad_()
    tm = (3 * torch.randn(2, 5, 4, generator=gen, dtype=torch.float64)).requires_grad_()
    a = torch.tensor([alpha, 0.3], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda j, m: obj.alpha_infonce_bound(j, m, alpha=a), (tj, tm))


# ---- limits and identities ----------------------------------------------------------------


def test_tuba_with_log_baseline_one_is_nwj(random_scores):
    # a(y) = e: 1 + E_p[f − 1] − E_q[e^{f − 1}] = E_p[f] − E_q[e^{f − 1}].
    tj, tm = random_scores
    torch.testing.assert_close(
        obj.tuba_bound(tj - 1, tm - 1), obj.nwj_bound(tj, tm), rtol=1e-12, atol=1e-12
    )


def test_tuba_model_with_baseline_one_reads_out_nwj_of_its_critic():
    # The baseline MLP's last layer set to b ≡ 1: the model's scores are the critic's − 1.
    model = BaselineCritic("joint", 2, 3, (8, 8), "relu", 4)
    theta = model.init(torch.Generator().manual_seed(0))[None].clone()
    w_last, b_last = model.baseline.slices[-1][:2]
    theta[0, w_last:b_last] = 0.0
    theta[0, b_last] = 1.0
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 10, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(1, 10, 3, generator=gen, dtype=torch.float64)
    pairs = pair_index(10, 4)
    s = model.scores(theta, x, y, pairs)
    f = model.critic.scores(theta, x, y, pairs)
    torch.testing.assert_close(s, f - 1)
    tuba = TUBA.readout(s[..., 0], s[..., 1:], {})
    torch.testing.assert_close(tuba, obj.nwj_bound(f[..., 0], f[..., 1:]), rtol=1e-12, atol=0)


def test_alpha_infonce_at_zero_is_tuba(random_scores):
    torch.testing.assert_close(
        obj.alpha_infonce_bound(*random_scores, alpha=0.0),
        obj.tuba_bound(*random_scores),
        rtol=1e-12,
        atol=1e-12,
    )


def test_alpha_infonce_at_one_is_infonce_with_one_pair_left_out(random_scores):
    # K = k in both terms (a batch gives an anchor k independent partners): at α = 1 the
    # marginal term is exactly 1 and the joint term is InfoNCE with k − 1 negatives,
    # averaged over which negative is left out.
    tj, tm = random_scores
    k = tm.shape[-1]
    left_out = [
        obj.infonce_bound(tj, torch.cat([tm[..., :j], tm[..., j + 1 :]], -1)) for j in range(k)
    ]
    value = obj.alpha_infonce_bound(tj, tm, alpha=1.0)
    torch.testing.assert_close(value, torch.stack(left_out).mean(0), rtol=1e-12, atol=1e-12)
    assert (value <= math.log(k) + 1e-12).all()


def test_alpha_infonce_gradients_are_finite_at_both_ends(random_scores):
    tj = random_scores[0].clone().requires_grad_()
    obj.alpha_infonce_bound(tj, random_scores[1], alpha=torch.tensor([0.0, 1.0])).sum().backward()
    assert torch.isfinite(tj.grad).all()


# ---- the models' score layouts ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["joint", "separable"])
def test_baseline_critic_layouts(kind):
    model_x = BaselineCritic(kind, 2, 1, (8,), "relu", 4)
    model_y = BaselineCritic(kind, 2, 1, (8,), "relu", 4, rows="y")
    theta = model_x.init(torch.Generator().manual_seed(0))[None]
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 6, 2, generator=gen, dtype=torch.float64)
    y = torch.randn(1, 6, 1, generator=gen, dtype=torch.float64)
    pairs = pair_index(6, 5)
    # f(x_i, y_j) for every pair, from the critic's own all-pairs scores of each row shift.
    f = torch.empty(6, 6, dtype=torch.float64)
    full = model_x.critic.scores(theta, x, y, pairs)[0]
    for i in range(6):
        for s in range(6):
            f[i, pairs[i, s]] = full[i, s]
    b = model_x.log_baseline(theta, y)[0]
    s_x, s_y = model_x.scores(theta, x, y, pairs)[0], model_y.scores(theta, x, y, pairs)[0]
    for i in range(6):
        for s in range(6):
            j = int(pairs[i, s])
            assert s_x[i, s].item() == pytest.approx((f[i, j] - b[j]).item(), abs=1e-12)
            assert s_y[i, s].item() == pytest.approx((f[j, i] - b[i]).item(), abs=1e-12)
    with pytest.raises(ValueError, match="rows"):
        BaselineCritic(kind, 2, 1, rows="z")


def test_flo_model_columns_are_u_and_the_critic_gap():
    model = FLOModel("joint", 1, 2, (8,), "tanh", 4)
    theta = model.init(torch.Generator().manual_seed(0))[None]
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(1, 5, 1, generator=gen, dtype=torch.float64)
    y = torch.randn(1, 5, 2, generator=gen, dtype=torch.float64)
    pairs = pair_index(5, 3)
    s = model.scores(theta, x, y, pairs)
    g = model.critic.scores(theta, x, y, pairs)
    u = model.u.forward(theta, torch.cat([x, y], -1))[..., 0]
    torch.testing.assert_close(s[..., 0], u)
    torch.testing.assert_close(s[..., 1:], g[..., 1:] - g[..., :1])
    assert isinstance(model.critic, JointCritic)
    assert model.n_params == model.critic.n_params + (3 * 8 + 8) + (8 + 1)


# ---- the bounds with the optimal critic ---------------------------------------------------
# 20,000 pairs of the bivariate normal (rho = 0.8, I = 0.5108), seed 0. Measured value − I
# over data seeds 0–19 (numbers below): sd 0.006–0.007 for each bound; tolerance 0.03
# (about 4 sd, and 2x the largest error of the 20 seeds).


@pytest.fixture(scope="module")
def optimal() -> tuple[np.ndarray, np.ndarray]:
    return sample(20_000, seed=0)


def test_tuba_with_the_log_ratio_critic_is_the_mi(optimal):
    # f = log r, a ≡ 1 (the optimal baseline E_{p(x)}[r(x, y)] = 1); 4 shifts per sample.
    # Seed 0: −0.0039; seeds 0–19: mean −0.0011, sd 0.0072, largest |error| 0.0139.
    x, y = optimal
    pairs = pair_index(x.size, 4).numpy()
    tj = torch.from_numpy(log_ratio(x, y))
    tm = torch.from_numpy(log_ratio(x[:, None], y[pairs[:, 1:]]))
    assert abs(obj.tuba_bound(tj, tm).item() - MI) < 0.03


@pytest.mark.parametrize(
    "alpha",
    [
        0.01,  # seed 0: −0.0066; seeds 0–19: mean −0.0004, sd 0.0057, largest 0.0127
        0.5,  # seed 0: −0.0070; mean −0.0012, sd 0.0056, largest 0.0117
        1.0,  # seed 0: −0.0092; mean −0.0036, sd 0.0056, largest 0.0122
    ],
)
def test_alpha_infonce_with_the_log_ratio_critic_is_the_mi(optimal, alpha):
    # 80 blocks of 250, all b × b pairs of each block, rows anchored on y (the layout of the
    # alpha-infonce model): S[i, s] = log r(x_{pairs[i, s]}, y_i), baseline a ≡ 1. The bias
    # from K = 249 (at most ln 249 = 5.5 at α = 1) is far below the noise at I = 0.51.
    x, y = optimal
    b = 250
    xb, yb = x.reshape(-1, b), y.reshape(-1, b)
    pairs = pair_index(b, b - 1).numpy()
    s = torch.from_numpy(log_ratio(xb[:, pairs], yb[:, :, None])).reshape(-1, b)
    value = obj.alpha_infonce_bound(s[:, 0], s[:, 1:], alpha=alpha).item()
    assert abs(value - MI) < 0.03


def test_flo_with_the_optimal_critic_and_u_is_the_mi(optimal):
    # g = log r, u = −log r: 1 − E[−log r + mean_k r(x, y'_k)] = I. Seed 0: −0.0039; seeds
    # 0–19: mean −0.0011, sd 0.0072, largest |error| 0.0139 (with g = log r the value equals
    # TUBA's of the same pairs: the mean over y'_k of e^{g(x, y'_k)} is the same sum).
    x, y = optimal
    pairs = pair_index(x.size, 4).numpy()
    log_r = torch.from_numpy(log_ratio(x, y))
    gap = torch.from_numpy(log_ratio(x[:, None], y[pairs[:, 1:]])) - log_r[:, None]
    assert abs(obj.flo_bound(-log_r, gap).item() - MI) < 0.03


# ---- training, ensembles, the contract ----------------------------------------------------

#: Settings that keep each fit to a few seconds on a loaded CPU. alpha-infonce reads b² scores
#: per step, so it trains on batches of 64 (ln 63 = 4.1 ≫ I).
FAST = {
    "tuba": {"max_steps": 400},
    "alpha-infonce": {"max_steps": 400, "batch_size": 64},
    "flo": {"max_steps": 400},
}


@pytest.fixture(scope="module")
def data_08() -> tuple[np.ndarray, np.ndarray]:
    return bivariate_normal(RHO).sample(2000, seed=0)


@pytest.mark.parametrize("name", NAMES)
def test_trained_estimate_is_near_the_true_mi(name, data_08):
    # Measured value − I at estimator seeds 0, 1, 2 (seed 0 is tested): tuba −0.037, −0.025,
    # −0.021; alpha-infonce +0.004, −0.034 (seeds 0, 1); flo −0.047, −0.069, −0.031.
    # Tolerance 0.12: about twice the largest of these.
    result = get_estimator(name, seed=0, **FAST[name]).estimate(*data_08)
    assert result.ok, result.message
    assert abs(result.value - MI) < 0.12
    assert result.value == max(test for _, _, test in result.trace)


@pytest.mark.parametrize("name", NAMES)
def test_a_batched_ensemble_gives_each_member_its_separate_value(name, data_08):
    settings = {**FAST[name], "max_steps": 150, "eval_every": 50}
    members = replicate(get_estimator(name, **settings), [0, 1, 2])
    ensemble = fit_ensemble(members, *data_08)
    values = []
    for member, together in zip(members, ensemble, strict=True):
        alone = member.estimate(*data_08)
        assert together.ok and alone.ok
        assert together.value == pytest.approx(alone.value, abs=1e-5)
        assert together.steps == alone.steps
        values.append(together.value)
    assert len(set(values)) == 3  # the seeds differ


def test_alpha_is_per_member_in_an_ensemble(data_08):
    members = [
        AlphaInfoNCE(seed=0, alpha=0.0, max_steps=100, eval_every=50, batch_size=64),
        AlphaInfoNCE(seed=0, alpha=1.0, max_steps=100, eval_every=50, batch_size=64),
    ]
    ensemble = fit_ensemble(members, *data_08)
    for member, together in zip(members, ensemble, strict=True):
        assert together.value == pytest.approx(member.estimate(*data_08).value, abs=1e-5)
    assert ensemble[0].value != ensemble[1].value


def test_registered_with_name_and_source():
    for name, cls in zip(NAMES, (TUBA, AlphaInfoNCE, FLO), strict=True):
        assert NEURAL_ESTIMATORS[name] is cls and cls.name == name
        assert "Poole" in cls.source or "Guo" in cls.source


# ---- bad hyperparameters ------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [-0.1, 1.5, math.nan, "0.5", True])
def test_alpha_outside_zero_one_is_refused(alpha):
    with pytest.raises(ValueError, match="alpha must be a number in"):
        AlphaInfoNCE(alpha=alpha).validate()


@pytest.mark.parametrize("negatives", [1, 16, "some"])
def test_alpha_infonce_needs_all_negatives(negatives):
    with pytest.raises(ValueError, match="negatives must be 'all'"):
        AlphaInfoNCE(negatives=negatives).validate()


def test_alpha_infonce_evaluates_with_all_negatives():
    AlphaInfoNCE(eval_negatives="all").validate()
    with pytest.raises(ValueError, match="eval_negatives must be None or 'all'"):
        AlphaInfoNCE(eval_negatives=16).validate()


# ---- as an MI term ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_mi_term_step_and_gradient(name):
    term = MITerm(name, 1, 1, seed=0)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(64, 1, generator=gen)
    y = RHO * x + math.sqrt(1 - RHO**2) * torch.randn(64, 1, generator=gen)
    before = term.theta.detach().clone()
    readout = term.critic_step(x, y)
    assert math.isfinite(readout) and not torch.equal(before, term.theta.detach())
    x.requires_grad_()
    value = term(x, y)
    value.backward()
    value = value.detach()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    assert term.theta.grad is None
    # The outer value is the bound of the batch itself.
    assert value.item() == pytest.approx(term.estimate(x.detach(), y), abs=1e-5)
