"""The differentiable MI term, adaptive clipping over the shared parameters, training cells."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mibench.harness import ResultStore, execute
from mibench.neural import objectives as obj
from mibench.regularizers import (
    MITerm,
    Setting,
    TrainingBenchmark,
    TrainingDiverged,
    TrainingRun,
    backward_with_mi,
    summarize_training,
)

ESTIMATORS = ("mine", "mine-f", "jsd", "infonce", "dv", "smile")


def _gaussian_pair(rho: float, b: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(b, 1, generator=gen)
    y = rho * x + math.sqrt(1 - rho**2) * torch.randn(b, 1, generator=gen)
    return x, y


@pytest.mark.parametrize("name", ESTIMATORS)
def test_gradient_reaches_the_inputs_and_never_the_critic(name):
    term = MITerm(name, 1, 1, seed=0)
    gen = torch.Generator().manual_seed(1)
    x, y = _gaussian_pair(0.8, 64, gen)
    x.requires_grad_()
    value = term(x, y)
    assert value.ndim == 0 and value.dtype == torch.float32
    value.backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    assert term.theta.grad is None  # the outer loss never trains the critic


@pytest.mark.parametrize("name", ["club", "doe"])
def test_density_model_terms_give_their_estimate_and_a_gradient(name):
    # CLUB is minimised as an MI upper bound in its paper; DoE is a difference of two
    # cross-entropies. After the model's own steps, the outer value is the readout of the batch.
    term = MITerm(name, 1, 1, seed=0)
    gen = torch.Generator().manual_seed(4)
    for _ in range(5):
        term.critic_step(*_gaussian_pair(0.8, 128, gen))
    x, y = _gaussian_pair(0.8, 128, gen)
    x.requires_grad_()
    value = term(x, y)
    assert float(value.detach()) == pytest.approx(term.estimate(x, y), abs=1e-5)
    value.backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0


def test_critic_step_never_reaches_the_outer_model():
    term = MITerm("mine", 2, 2, seed=0)
    a = torch.nn.Parameter(torch.eye(2))
    z = torch.randn(32, 2, generator=torch.Generator().manual_seed(0))
    before = term.theta.detach().clone()
    term.critic_step(z, z @ a.T)
    assert a.grad is None
    assert not torch.equal(before, term.theta.detach())  # the critic moved


@pytest.mark.parametrize("name", ["mine", "dv", "mine-f", "infonce", "smile"])
def test_outer_value_is_the_bound_in_nats(name):
    # For every estimator but jsd the outer value is the MI bound of the batch itself (MINE's
    # moving average changes its gradient, not its value).
    term = MITerm(name, 1, 1, seed=3)
    gen = torch.Generator().manual_seed(2)
    for _ in range(5):
        term.critic_step(*_gaussian_pair(0.5, 128, gen))
    x, y = _gaussian_pair(0.5, 128, gen)
    assert float(term(x, y)) == pytest.approx(term.estimate(x, y), abs=1e-5)


def test_jsd_outer_value_is_the_deep_infomax_objective():
    term = MITerm("jsd", 1, 1, seed=0)
    x, y = _gaussian_pair(0.5, 64, torch.Generator().manual_seed(0))
    value = float(term(x, y))
    s = term.critic.scores(term.theta.detach(), x[None], y[None], term._pairs[64])
    expected = obj.jsd_bound(s[..., 0], s[..., 1:])
    assert value == pytest.approx(float(expected[0]), abs=1e-6)
    assert value != pytest.approx(term.estimate(x, y), abs=1e-3)  # not the NWJ readout


@pytest.mark.parametrize(("name", "tol"), [("mine", 0.06), ("infonce", 0.05), ("mine-f", 0.07)])
def test_term_estimate_converges_on_a_known_gaussian(name, tol):
    # rho = 0.8: I = -0.5 ln(1 - 0.64) = 0.511 nats; 600 critic steps of batch 256, fixed seeds.
    truth = -0.5 * math.log(1 - 0.8**2)
    term = MITerm(name, 1, 1, seed=0, lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    readouts = [term.critic_step(*_gaussian_pair(0.8, 256, gen)) for _ in range(600)]
    assert np.mean(readouts[-100:]) == pytest.approx(truth, abs=tol)


def test_bad_estimators_and_inputs_are_refused():
    with pytest.raises(ValueError, match="not differentiable"):
        MITerm("ksg", 1, 1)
    with pytest.raises(ValueError, match="'ba' cannot be an MI term"):
        MITerm("ba", 1, 1)  # its H(Y) is a kNN estimate, without a gradient
    with pytest.raises(ValueError, match="unknown estimator 'nope'"):
        MITerm("nope", 1, 1)
    with pytest.raises(ValueError, match="rate"):
        MITerm("mine[rate=2]", 1, 1)
    with pytest.raises(ValueError, match="dim_x"):
        MITerm("mine", 0, 1)
    term = MITerm("dv", 2, 1, seed=0)
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(batch, 2\)"):
        term(torch.zeros(8, 3), torch.zeros(8, 1))
    with pytest.raises(ValueError, match="same number"):
        term(torch.zeros(8, 2), torch.zeros(7, 1))
    with pytest.raises(ValueError, match="y must be a tensor"):
        term.critic_step(torch.zeros(8, 2), np.zeros((8, 1)))


def test_non_finite_critic_raises_training_diverged():
    term = MITerm("mine", 1, 1, seed=0)
    x = torch.full((16, 1), math.nan)
    with pytest.raises(TrainingDiverged, match="non-finite input x .*at step 1"):
        term.critic_step(x, x)


def test_inputs_beyond_float32_and_a_non_finite_term_raise():
    # Once NaN without an error: float64 inputs near 1e20 have squares beyond float32.
    x = torch.randn(16, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    term = MITerm("mine", 1, 1, quadratic_features=True, seed=0)
    with pytest.raises(TrainingDiverged, match="non-finite mine regulariser term at step 1"):
        term(x * 1e20, x)
    for call in (term, term.critic_step, term.estimate):
        with pytest.raises(ValueError, match=r"y overflows float32, .* up to 2\.31e\+39"):
            call(x, x * 1e39)
    assert math.isfinite(float(term(x * 1e15, x)))  # squares up to 1e31: still in range


def _losses(scale_mi: float):
    gen = torch.Generator().manual_seed(0)
    encoder = torch.nn.Parameter(torch.randn(3, 2, generator=gen))
    head = torch.nn.Parameter(torch.randn(2, generator=gen))
    data = torch.randn(10, 3, generator=gen)
    z = data @ encoder
    main = ((z @ head - 1.0) ** 2).mean()
    mi = scale_mi * (z**2).mean()  # reaches the encoder only
    return encoder, head, main, mi


@pytest.mark.parametrize("scale_mi", [100.0, 0.01])
def test_clipping_applies_over_the_shared_parameters_only(scale_mi):
    encoder, head, main, mi = _losses(scale_mi)
    g_u_enc, g_u_head = torch.autograd.grad(main, [encoder, head], retain_graph=True)
    (g_m_enc,) = torch.autograd.grad(mi, [encoder], retain_graph=True)
    backward_with_mi(main, mi, [encoder], [head], clip=True)
    # The norms are the encoder's alone: the head's main gradient is not in ‖g_u‖.
    scale = min(g_u_enc.norm(), g_m_enc.norm()) / g_m_enc.norm()
    torch.testing.assert_close(encoder.grad, g_u_enc + scale * g_m_enc)
    torch.testing.assert_close(head.grad, g_u_head)
    with_head = torch.sqrt(g_u_enc.norm() ** 2 + g_u_head.norm() ** 2)
    if scale_mi > 1:  # clipped: a norm over encoder and head would give another gradient
        wrong = g_u_enc + min(with_head, g_m_enc.norm()) / g_m_enc.norm() * g_m_enc
        assert not torch.allclose(encoder.grad, wrong)


def test_without_clipping_the_gradients_simply_add():
    encoder, head, main, mi = _losses(100.0)
    expected = torch.autograd.grad(main + mi, [encoder, head], retain_graph=True)
    backward_with_mi(main, mi, [encoder], [head], clip=False)
    torch.testing.assert_close(encoder.grad, expected[0])
    torch.testing.assert_close(head.grad, expected[1])
    with pytest.raises(ValueError, match="shared"):
        backward_with_mi(main, mi, [], [head], clip=True)


class _LinearGenerator(TrainingBenchmark):
    """y = A z + 0.3 ε trained to shrink E‖y‖² with the MI term; exact I = ½ ln det(I + AAᵀ/σ²)."""

    id = "test-linear-generator"
    name = "test"

    def __init__(self, steps: int = 60, nan_at: int | None = None) -> None:
        self.dim_x = self.dim_y = 2
        self.steps = steps
        self.nan_at = nan_at
        self.window = 20

    def train(self, term, beta, clip, seed):
        gen = torch.Generator().manual_seed(seed % 2**31)
        a = torch.nn.Parameter(torch.eye(2))
        opt = torch.optim.Adam([a], lr=1e-2)
        estimates, trace = [], []
        for step in range(1, self.steps + 1):
            z = torch.randn(64, 2, generator=gen)
            y = z @ a.T + 0.3 * torch.randn(64, 2, generator=gen)
            if step == self.nan_at:
                y = y * math.nan
            estimates.append(term.critic_step(z, y))
            backward_with_mi((y**2).mean(), -beta * term(z, y), [a], clip=clip)
            opt.step()
            opt.zero_grad()
            with torch.no_grad():
                exact = 0.5 * float(torch.logdet(torch.eye(2) + a @ a.T / 0.09))
            if step % self.trace_every == 0:
                trace.append((step, estimates[-1], exact))
        return TrainingRun(estimates, trace, {"norm_a": float(a.detach().norm())}, exact)


def test_training_cells_run_store_resume_and_isolate_a_diverging_critic():
    good, bad = _LinearGenerator(), _LinearGenerator(nan_at=5)
    bad.id = "test-linear-generator-nan"
    settings = [Setting("none"), Setting("mine", 1.0), Setting("infonce", 1.0, True)]
    cells = good.cells(settings, [0, 1]) + bad.cells(settings[1:2], [0])
    with ResultStore(":memory:") as store:
        summary = execute(cells, [good, bad], store, progress=False)
        assert (summary.run, summary.failed) == (7, 1)
        again = execute(cells, [good, bad], store, progress=False)
        assert (again.skipped, again.run) == (7, 0)
        rows = store.results()
        traces = store.traces()
    assert set(rows["job_kind"]) == {"training"}
    failed = rows[rows["task_id"] == bad.id]
    assert failed["status"].tolist() == ["diverged"]
    assert "at step 5" in failed["message"].iloc[0]
    ok = rows[rows["task_id"] == good.id]
    assert (ok["status"] == "ok").all() and ok["mi_estimate"].notna().all()
    # mi_true is the exact MI of each trained model; the plain model shrinks A towards 0,
    # the MI term keeps it informative.
    assert ok["mi_true"].notna().all()
    plain = ok[ok["estimator"] == "none"]["mi_true"].mean()
    assert (ok[ok["estimator"] != "none"]["mi_true"] > plain + 0.04).all()
    assert len(traces[traces["cell_id"] == ok["cell_id"].iloc[0]]) == 6
    table = summarize_training(rows)
    assert table["regularizer"].tolist()[:1] == ["none"]
    assert table.loc[table["benchmark"] == bad.id, "failure_rate"].tolist() == [1.0]
    assert {"norm_a_mean", "norm_a_sd", "mi_error_mean"} <= set(table.columns)


def test_a_term_at_beta_zero_never_reaches_the_outer_model():
    # The plain model trains beside a monitor critic; any critic at beta = 0 leaves the outer
    # model as it is, bit for bit, and every setting starts from the same model and batches.
    bench = _LinearGenerator(steps=20)
    plain, zero, other_seed = bench.cells(
        [Setting("none"), Setting("infonce", 0.0), Setting("mine", 0.0, True, {"seed": 5})], [0]
    )
    assert plain.data_seed == zero.data_seed == other_seed.data_seed
    norms = {bench.train_cell(c).extras["norm_a"] for c in (plain, zero, other_seed)}
    assert len(norms) == 1


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("mine", -1.0), "beta"),
        (("mine", math.inf), "beta"),
        (("ksg", 1.0), "not differentiable"),
        (("mine", 1.0, "yes"), "clip"),
        (("none", 0.5), "plain model"),
        (("mine", 1.0, False, {"rate": 0}), "rate"),
    ],
)
def test_bad_settings_are_refused_before_training(args, match):
    with pytest.raises(ValueError, match=match):
        Setting(*args)


def test_readme_example_runs_and_keeps_the_information():
    # The README's MITerm example, run as written.
    from pathlib import Path

    text = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    code = text.split("<!-- example: mi-term -->\n```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own code
    assert namespace["exact"] > 0.5  # the main loss alone drives A (and I) to 0
    assert abs(namespace["estimate"] - namespace["exact"]) < 0.4
