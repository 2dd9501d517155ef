"""The registered neural estimators: trained accuracy, numerics, errors, registry."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mibench.estimate import Status
from mibench.neural import DV, JSD, MINE, NWJ, InfoNCE, MINEf, NeuralEstimator, fit_ensemble
from mibench.neural.defaults import DEFAULTS, OBJECTIVE_DEFAULTS
from mibench.registry import get_estimator, list_estimators
from mibench.tasks.gaussian import bivariate_normal

NAMES = ["mine", "mine-f", "nwj", "jsd", "smile", "infonce", "dv"]
MI_09 = -0.5 * math.log(1 - 0.9**2)  # 0.8304
#: 2·JSD(p‖p_x p_y) − 2 ln 2 of the same Gaussian: the JSD objective at its optimum (Monte
#: Carlo, 4·10^6 samples from each, seeds 0–2: −0.95699 to −0.95709).
JSD_09 = -0.957


@pytest.fixture(scope="module")
def gaussian_09() -> tuple[np.ndarray, np.ndarray]:
    return bivariate_normal(0.9).sample(4000, seed=0)


@pytest.fixture(scope="module")
def small_09() -> tuple[np.ndarray, np.ndarray]:
    return bivariate_normal(0.9).sample(600, seed=1)


@pytest.mark.parametrize("name", NAMES)
def test_trained_estimate_is_within_0_1_nats_of_the_true_mi(name, gaussian_09):
    result = get_estimator(name, seed=0).estimate(*gaussian_09)
    assert result.status is Status.OK, result.message
    # Measured value − I over seeds 0–9: sd 0.021 (InfoNCE 0.010), at most 0.054 in size (seed
    # 2); seed 0: −0.011 to −0.020. The 0.1 tolerance is about 5 sd.
    assert abs(result.value - MI_09) < 0.1
    assert result.device == "cpu" and result.steps >= DEFAULTS.eval_every
    assert result.value == max(test for _, _, test in result.trace)


@pytest.mark.parametrize("name", NAMES)
def test_independent_data_gives_about_zero(name):
    x, y = bivariate_normal(0.0).sample(2000, seed=2)
    result = get_estimator(name, seed=1).estimate(x, y)
    # Measured: |value| <= 0.007 over estimator seeds 0–9 on this data (all seven estimators;
    # seed 1: 0.0025–0.0069), <= 0.015 over data seeds 3–8; tolerance 0.03 (4x the first).
    assert result.ok and abs(result.value) < 0.03


def test_infonce_saturates_below_log_batch_size():
    # 5 pairs of correlation 0.99: I = 9.8 nats, far above ln 16 = 2.77.
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4000, 5))
    y = 0.99 * x + math.sqrt(1 - 0.99**2) * rng.standard_normal((4000, 5))
    result = InfoNCE(batch_size=16, seed=0).estimate(x, y)
    assert result.ok
    # Measured ln 16 − value over seeds 0–9: 0.018–0.041 (mean 0.029, sd 0.0075; seed 0
    # 0.041); tolerance 0.08 (twice the largest; mean + 6.8 sd).
    assert math.log(16) - 0.08 < result.value <= math.log(16)
    assert all(test <= math.log(16) for _, _, test in result.trace)


def test_mine_with_rate_one_is_dv():
    # With α = 1 the moving average is the batch mean: MINE's gradient is DV's.
    x, y = bivariate_normal(0.9).sample(600, seed=1)
    mine = MINE(rate=1.0, seed=4, max_steps=300).estimate(x, y)
    dv = DV(seed=4, max_steps=300).estimate(x, y)
    assert mine.value == dv.value and mine.trace == dv.trace
    other = MINE(rate=0.01, seed=4, max_steps=300).estimate(x, y)
    assert other.trace != dv.trace


def test_nwj_is_an_alias_of_mine_f(small_09):
    assert issubclass(NWJ, MINEf) and NWJ.readout.__func__ is MINEf.readout.__func__
    a = get_estimator("nwj", seed=3, max_steps=200).estimate(*small_09)
    b = get_estimator("mine-f", seed=3, max_steps=200).estimate(*small_09)
    assert a.value == b.value and a.trace == b.trace


def test_jsd_records_the_raw_jsd_value_and_its_shift_matters(small_09):
    shifted = JSD(seed=0, max_steps=500).estimate(*small_09)
    raw = shifted.extras["jsd"]
    assert -2 * math.log(2) < raw < 0  # 2·JSD − 2 ln 2, not MI
    # Measured raw − JSD_09 over seeds 0–9: −0.110 to +0.006 (mean −0.049, sd 0.035; seed 0
    # −0.052: 300 held-out pairs, an undertrained critic); tolerance 0.15 (|mean| + 3 sd).
    assert raw == pytest.approx(JSD_09, abs=0.15)
    unshifted = JSD(seed=0, max_steps=500, shift=0.0).estimate(*small_09)
    # Same training (the shift is only in the readout); NWJ without the +1 is about I − 1/e.
    # Measured difference − 1/e over seeds 0–9: −0.059 to +0.010 (mean −0.022, sd 0.023).
    assert unshifted.extras["best_step"] != 0
    assert shifted.value - unshifted.value == pytest.approx(1 / math.e, abs=0.1)


def test_same_seed_reproduces_and_seed_none_is_recorded(small_09):
    a = MINE(seed=11, max_steps=200).estimate(*small_09)
    b = MINE(seed=11, max_steps=200).estimate(*small_09)
    assert a.value == b.value and a.trace == b.trace
    c = MINE(seed=12, max_steps=200).estimate(*small_09)
    assert c.value != a.value
    drawn = MINE(max_steps=200).estimate(*small_09)
    again = MINE(seed=drawn.extras["seed"], max_steps=200).estimate(*small_09)
    assert again.value == drawn.value


def test_trace_lists_evaluations(small_09):
    result = MINE(seed=0, max_steps=450, eval_every=100, patience=100).estimate(*small_09)
    assert [step for step, _, _ in result.trace] == [100, 200, 300, 400, 450]
    assert all(math.isfinite(train) and math.isfinite(test) for _, train, test in result.trace)
    assert result.steps == 450 and result.extras["stop_reason"] == "max_steps"
    assert result.extras["n_train"] == 300 and result.extras["n_test"] == 300


@pytest.mark.parametrize("batch_size", [1, 0, 2.5])
def test_batch_size_below_two_raises(batch_size, small_09):
    with pytest.raises(ValueError, match="batch_size"):
        MINE(batch_size=batch_size).estimate(*small_09)


@pytest.mark.parametrize("name", ["mine", "infonce", "jsd"])
def test_batch_size_two_gives_a_finite_value(name, small_09):
    result = get_estimator(name, batch_size=2, seed=0, max_steps=200).estimate(*small_09)
    assert result.ok and math.isfinite(result.value)


def test_batch_larger_than_training_set_trains_full_batch(small_09):
    result = MINE(batch_size=5000, seed=0).estimate(*small_09)
    assert result.ok and abs(result.value - MI_09) < 0.2
    assert result.extras["batch_size"] == 300 and "full-batch" in result.message


@pytest.mark.parametrize("dtype", ["bfloat16", "float16", "float64"])
def test_training_dtypes_give_finite_correct_values(dtype, gaussian_09):
    x, y = gaussian_09
    result = MINE(dtype=dtype, seed=0).estimate(x[:2000], y[:2000])
    # Measured value − I over seeds 0–5, each dtype: −0.019 to +0.008 (sd 0.012; seed 0:
    # +0.007 to +0.008, the dtypes within 0.002 of each other); tolerance 0.06 (5 sd).
    assert result.ok and abs(result.value - MI_09) < 0.06


def test_half_precision_inputs_are_read(small_09):
    x, y = small_09
    reference = MINE(seed=0, max_steps=200).estimate(x, y).value
    for convert in (lambda a: a.astype(np.float16), lambda a: torch.tensor(a).bfloat16()):
        result = MINE(seed=0, max_steps=200).estimate(convert(x), convert(y))
        # Only the inputs' rounding differs: measured |value − reference| <= 7.5e-4 over seeds
        # 0–4 (seed 0: 2.3e-4 float16, 8.9e-5 bfloat16); tolerance 0.005.
        assert result.ok and result.value == pytest.approx(reference, abs=0.005)


def test_nonfinite_training_is_reported_as_diverged_with_the_step(small_09):
    x, y = small_09
    # float16 critic on unscaled inputs of 1e6: the first scores overflow.
    result = MINE(dtype="float16", standardize=False, seed=0).estimate(x * 1e6, y * 1e6)
    assert result.status is Status.DIVERGED and result.steps == 1
    assert math.isnan(result.value) and "step 1" in result.message
    exploded = NWJ(lr=10.0, standardize=False, seed=0).estimate(x * 100, y * 100)
    assert exploded.status is Status.DIVERGED and f"step {exploded.steps}" in exploded.message


@pytest.mark.parametrize(
    ("x_rows", "y_rows", "name"),
    [(100, 90, "same number of samples"), (10, 10, "at least 16 samples")],
)
def test_bad_sample_counts_raise(x_rows, y_rows, name):
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=name):
        MINE().estimate(rng.standard_normal(x_rows), rng.standard_normal(y_rows))


def test_nan_and_wrong_ndim_raise_naming_the_argument():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((100, 2)), rng.standard_normal((100, 1))
    x[5, 1] = np.nan
    with pytest.raises(ValueError, match="x must be finite"):
        MINE().estimate(x, y)
    with pytest.raises(ValueError, match="y must have shape"):
        MINE().estimate(rng.standard_normal(100), rng.standard_normal((100, 2, 2)))


def test_too_few_samples_for_the_split_raise(small_09):
    x, y = small_09
    with pytest.raises(ValueError, match="test_fraction=0.02"):
        MINE(test_fraction=0.02).estimate(x[:100], y[:100])


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"lr": -1.0}, "lr"),
        ({"weight_decay": -0.1}, "weight_decay"),
        ({"max_steps": 0}, "max_steps"),
        ({"patience": 0}, "patience"),
        ({"eval_every": 0}, "eval_every"),
        ({"test_fraction": 1.0}, "test_fraction"),
        ({"negatives": 0}, "negatives"),
        ({"negatives": 300}, "negatives=300"),
        ({"eval_negatives": "many"}, "eval_negatives"),
        ({"critic": "deep"}, "critic"),
        ({"hidden": (32, -1)}, "hidden"),
        ({"activation": "swish2"}, "activation"),
        ({"dtype": "int8"}, "dtype"),
        ({"device": "gpu9"}, "device"),
        ({"seed": -1}, "seed"),
        ({"standardize": "yes"}, "standardize"),
        ({"threads": 0}, "threads"),
        ({"rate": 0.0}, "rate"),
    ],
)
def test_invalid_hyperparameters_raise_naming_them(params, name, small_09):
    with pytest.raises(ValueError, match=name):
        MINE(**params).estimate(*small_09)


def test_objective_hyperparameters_are_checked(small_09):
    with pytest.raises(ValueError, match="tau"):
        get_estimator("smile", tau=0).estimate(*small_09)
    with pytest.raises(ValueError, match="shift"):
        get_estimator("jsd", shift=math.nan).estimate(*small_09)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message where CUDA is absent")
def test_cuda_without_a_gpu_raises_naming_device(small_09):
    with pytest.raises(ValueError, match="device='cuda'"):
        MINE(device="cuda").estimate(*small_09)


def test_fit_sets_its_thread_count_and_restores_the_process_one(small_09):
    before = torch.get_num_threads()
    seen = []
    members = [MINE(threads=1, max_steps=3, seed=0)]
    fit_ensemble(members, *small_09, on_step=lambda info: seen.append(torch.get_num_threads()))
    assert set(seen) == {1} and torch.get_num_threads() == before
    members = [MINE(threads=None, max_steps=3, seed=0)]
    fit_ensemble(members, *small_09, on_step=lambda info: seen.append(torch.get_num_threads()))
    assert seen[-1] == before


def test_auto_device_runs(small_09):
    result = MINE(device="auto", seed=0, max_steps=100).estimate(*small_09)
    assert result.ok and result.device == ("cuda:0" if torch.cuda.is_available() else "cpu")


def test_registered_names_params_and_defaults():
    assert set(NAMES) <= set(list_estimators())
    for name in NAMES:
        est = get_estimator(name)
        assert isinstance(est, NeuralEstimator) and est.name == name
        assert not est.deterministic
        params = est.get_params()
        for key, default in vars(DEFAULTS).items():
            assert params[key] == OBJECTIVE_DEFAULTS[name].get(key, default)
        for key, default in OBJECTIVE_DEFAULTS[name].items():
            assert params[key] == default
    mine = get_estimator("mine[rate=0.1,hidden=(16, 16),device=cpu]")
    assert mine.rate == 0.1 and mine.hidden == (16, 16) and mine.device == "cpu"
    assert type(mine)(**mine.get_params()).get_params() == mine.get_params()
    assert mine.set_params(lr=0.01).lr == 0.01
    with pytest.raises(ValueError, match="rejected"):
        get_estimator("dv[rate=0.1]")


def test_a_critic_that_fails_to_train_is_reported_as_diverged():
    from mibench.registry import get_estimator

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 2))
    y = 0.9 * x + np.sqrt(1 - 0.81) * rng.standard_normal((2000, 2))
    result = get_estimator("mine[lr=10.0,max_steps=300,seed=0]").estimate(x, y)
    # Either no value (a non-finite or exploding critic) or a flagged value below -1 nat.
    assert result.status == "diverged" and (np.isnan(result.value) or result.value < -1)
    assert "diverged" in result.message
