"""Regression tests of the bad-input and fault catalogue: each case once gave a wrong value with
status ok, or a raw traceback."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import mibench
from mibench.api import estimate_mi
from mibench.cli import main
from mibench.harness import Grid, ResultStore, StoreError, execute, run_grid
from mibench.harness.lock import FolderBusy, folder_lock
from mibench.neural import fit_ensemble
from mibench.tasks import get_task, list_tasks

TRUTH = -0.5 * math.log(1 - 0.36)


def _pair(n: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n)
    return x, 0.6 * x + 0.8 * rng.standard_normal(n)


@pytest.mark.parametrize("name", ["mine", "infonce", "jsd"])
@pytest.mark.parametrize("scale", [1e-310, 1e300])
def test_neural_estimators_at_extreme_scales(name, scale):
    # Once 0.0 (status ok) at 1e-310 and "diverged" at 1e308: the z-score lacked the exact
    # power-of-two rescaling of the classical estimators.
    x, y = _pair()
    spec = f"{name}[max_steps=300,seed=0]"
    plain = mibench.get_estimator(spec).estimate(x, y)
    scaled = mibench.get_estimator(spec).estimate(x * scale, y * scale)
    assert scaled.ok and plain.ok
    assert scaled.value == pytest.approx(plain.value, abs=0.05)
    assert scaled.value == pytest.approx(TRUTH, abs=0.1)


@pytest.mark.parametrize(("scale", "what"), [(1e-200, "lose their variation"), (1e200, "overflow")])
def test_unstandardised_data_that_float32_cannot_hold_is_an_error(scale, what):
    # Once about 0 nats with status ok at 1e-200 (the float32 cast made the data zeros).
    x, y = _pair()
    fine = mibench.get_estimator("mine[max_steps=200,seed=0,standardize=none]")
    bad = mibench.get_estimator("mine[max_steps=200,seed=1,standardize=none]")
    result = bad.estimate(x * scale, y)
    assert result.status is mibench.Status.ERROR and math.isnan(result.value)
    assert result.steps == 0
    assert f"x (|values| up to {np.abs(x * scale).max():.3g}) {what}" in result.message
    assert "standardize='zscore'" in result.message and "centre and rescale x" in result.message
    # In a group, the member that cannot train does not stop the others, nor change them.
    group = fit_ensemble([fine, bad], [x, x * scale], [y, y])
    assert group[1].status is mibench.Status.ERROR and group[1].message == result.message
    alone = fine.estimate(x, y)
    assert group[0].ok and (group[0].value, group[0].trace) == (alone.value, alone.trace)
    # z-scored, the same data train (exact power-of-two rescaling, then the z-score).
    scaled = mibench.get_estimator("mine[max_steps=200,seed=1]").estimate(x * scale, y)
    assert scaled.ok and scaled.value == pytest.approx(TRUTH, abs=0.1)


def test_power_of_two_rescaling_leaves_ordinary_data_unchanged():
    x, y = _pair(500)
    a = mibench.get_estimator("mine[max_steps=50,seed=1]").estimate(x, y).value
    b = mibench.get_estimator("mine[max_steps=50,seed=1]").estimate(x * 2.0**-40, y * 2.0**40).value
    assert a == b  # exact scaling by powers of two: bit-identical


@pytest.mark.parametrize(("n", "d"), [(100, 60), (100, 200), (10, 5)])
@pytest.mark.parametrize("name", ["gaussian", "gaussian-copula"])
def test_gaussian_refuses_fewer_samples_than_columns(name, n, d):
    # Once 380 and 1,648 nats, status ok, on independent data.
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    with pytest.raises(ValueError, match="more samples than columns"):
        mibench.get_estimator(name).estimate(x, y)


def test_gaussian_warns_of_its_bias_at_independence():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((500, 60)), rng.standard_normal((500, 60))
    with pytest.warns(RuntimeWarning, match=r"dim_x·dim_y/\(2n\) = 3.6 nats"):
        value = mibench.get_estimator("gaussian").estimate(x, y).value
    assert 2.5 < value < 5.0  # the χ² mean 3.6 nats, as the warning says


@pytest.mark.parametrize("name", ["dv", "mine", "mine-f", "jsd", "smile", "infonce"])
def test_one_divergence_rule_for_every_objective(name):
    # dv[lr=1e9] once returned 0.0 (a dead critic) and smile 2e24 nats, both with status ok.
    x, y = _pair(1000)
    r = mibench.get_estimator(f"{name}[lr=1e9,max_steps=100,seed=0]").estimate(x, y)
    assert r.status == "diverged"
    assert "diverged" in r.message and math.isnan(r.value)


def test_masked_entries_are_refused_and_unmasked_arrays_read():
    x, y = _pair(500)
    mask = np.zeros(500, bool)
    mask[::2] = True
    with pytest.raises(ValueError, match="x is a masked array with 250 masked entries"):
        estimate_mi(np.ma.array(x, mask=mask), y)
    clean = estimate_mi(np.ma.array(x), y, permutations=0).mi
    assert clean == estimate_mi(x, y, permutations=0).mi


def test_integers_beyond_2_53_are_refused():
    x = np.arange(500, dtype=np.int64) + 2**60
    with pytest.raises(ValueError, match=r"beyond 2\^53"):
        estimate_mi(x, np.arange(500.0))
    ok = estimate_mi(np.arange(500, dtype=np.int64) + 2**52, np.arange(500.0), permutations=0)
    assert ok.status == "ok"


def test_kl_warns_when_its_estimate_is_below_zero():
    # Once −33 nats with no warning (200 + 200 dimensions at n = 100).
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((100, 200)), rng.standard_normal((100, 200))
    with pytest.warns(RuntimeWarning, match="below 0 .*not a usable estimate"):
        value = mibench.get_estimator("kl").estimate(x, y).value
    assert value < -1


def test_api_arguments_raise_value_errors_naming_them():
    x, y = _pair(300)
    cases = [
        (dict(estimator=42), "estimator must be"),
        (dict(permutations=2.5), "permutations must be"),
        (dict(permutations=-1), "permutations must be"),
        (dict(seed=-1), "seed must be"),
        (dict(bits="yes"), "bits must be"),
    ]
    for kwargs, match in cases:
        with pytest.raises(ValueError, match=match):
            estimate_mi(x, y, **kwargs)
    with pytest.raises(ValueError, match="data must be a pandas DataFrame"):
        estimate_mi("a", "b", data=[[1, 2]])
    with pytest.raises(ValueError, match="x must name the column"):
        estimate_mi(1.5, "b", data=pd.DataFrame({"a": x, "b": y}))


def test_dict_data_integer_labels_and_tensors_with_gradient():
    import torch

    x, y = _pair(300)
    expected = estimate_mi(x, y, permutations=0).mi
    assert estimate_mi("a", "b", data={"a": x, "b": y}, permutations=0).mi == expected
    assert estimate_mi(0, 1, data=pd.DataFrame(np.c_[x, y]), permutations=0).mi == expected
    tx = torch.tensor(x, requires_grad=True)
    assert estimate_mi(tx, y, permutations=0).mi == expected


def test_bool_datetime_and_stray_strings_follow_one_rule_in_api_and_cli(tmp_path):
    x, y = _pair(50)
    # Booleans are categorical: a continuous estimator refuses them, naming one that fits.
    with pytest.raises(ValueError, match=r"ksg takes continuous X and Y, but x is categorical"):
        estimate_mi(x > 0, y, "ksg")
    with pytest.raises(ValueError, match=r"x holds booleans \(dtype bool\), so x is categorical"):
        mibench.get_estimator("ksg").estimate(x > 0, y)
    with pytest.raises(ValueError, match="dates"):
        estimate_mi(np.datetime64("2020-01-01") + np.arange(50), y)
    table = pd.DataFrame({"a": x.astype(object), "b": y})
    table.loc[7, "a"] = "abc"
    with pytest.raises(ValueError, match="value 'abc' at row 7"):
        estimate_mi("a", "b", data=table)
    path = tmp_path / "t.csv"
    table.to_csv(path, index=False)
    out = CliRunner().invoke(main, ["estimate", str(path), "--x", "a", "--y", "b"])
    assert out.exit_code == 2 and "value 'abc' at row 7" in out.output
    (tmp_path / "s.csv").write_text("a;b\n1,5;2,5\n2,5;3,5\n")
    out = CliRunner().invoke(main, ["estimate", str(tmp_path / "s.csv"), "--x", "a", "--y", "b"])
    assert out.exit_code == 2 and "separated by ';'" in out.output


def _tiny_grid() -> Grid:
    return Grid(list_tasks("quick")[:2], ["ksg", "histogram"], [200], [0, 1, 2])


def test_damaged_stores_are_refused_with_one_clear_error(tmp_path):
    path = tmp_path / "run" / "results.sqlite"
    with ResultStore(path) as store:
        run_grid(_tiny_grid(), store, progress=False)
    data = path.read_bytes()
    damaged = bytearray(data)
    damaged[len(data) // 2 : len(data) // 2 + 2048] = os.urandom(2048)
    for content in (data[: len(data) // 2], bytes(damaged)):
        path.write_bytes(content)
        for suffix in ("-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        with pytest.raises(StoreError, match="move it away"):
            ResultStore(path)
        for command in (["report"], ["plot"]):
            out = CliRunner().invoke(main, [*command, str(path.parent)])
            assert out.exit_code == 2, out.output
            assert "move it away" in out.output


def test_a_run_folder_without_its_store_resumes_from_its_table(tmp_path):
    args = ["run", "--tasks", "1v1-normal-0.75", "--estimators", "ksg", "--n", "200"]
    args += ["--seeds", "2", "--run-dir", str(tmp_path / "r"), "--quiet"]
    assert CliRunner().invoke(main, args).exit_code == 0
    (tmp_path / "r" / "results.sqlite").unlink()
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0
    assert "2 already stored (skipped), 0 run now" in out.output


def test_a_second_driver_on_a_run_folder_is_refused(tmp_path):
    folder = tmp_path / "r"
    folder.mkdir()
    args = ["run", "--tasks", "1v1-normal-0.75", "--estimators", "ksg", "--n", "200"]
    args += ["--seeds", "2", "--run-dir", str(folder), "--quiet"]
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    holding, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(folder), holding, release))
    proc.start()
    try:
        assert holding.wait(60)
        out = CliRunner().invoke(main, args)
        assert out.exit_code == 2
        assert "in use by another mibench run" in out.output
        with pytest.raises(FolderBusy), folder_lock(folder):
            pass
    finally:
        release.set()
        proc.join(60)
    assert CliRunner().invoke(main, args).exit_code == 0  # free again


def _hold_lock(folder: str, holding, release) -> None:
    with folder_lock(folder):
        holding.set()
        release.wait(60)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("seeds = 100000000", "must be a count in"),
        ("seeds = [-1, 2]", "seeds must be >= 0"),
        ("n = [0]", "n >= 1"),
        ("timeout = inf", "timeout must be a positive, finite"),
    ],
)
def test_run_files_with_absurd_sizes_are_refused(tmp_path, body, match):
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'tasks = ["1v1-normal-0.75"]\nestimators = ["ksg"]\n{body}\n')
    out = CliRunner().invoke(main, ["run", "--config", str(cfg), "--run-dir", str(tmp_path / "r")])
    assert out.exit_code == 2, out.output
    assert match in out.output


def test_sizes_are_checked_up_front():
    with pytest.raises(ValueError, match="dim_x must be at most 10,000"):
        get_task("multinormal-dense-100000-100000-0.5")
    with pytest.raises(ValueError, match="more than 2,000,000"):
        Grid(list_tasks("quick"), ["ksg"], [100], list(range(300_000)))
    with pytest.raises(ValueError, match="finite"):
        execute([], [], ResultStore(":memory:"), timeout=math.inf)
    out = CliRunner().invoke(main, ["run", "--tasks", "1v1-normal-0.75", "--timeout", "inf"])
    assert out.exit_code == 2


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("mine[lr=abc]", "lr must be a finite number > 0"),
        ("mine[rate=3]", "rate must be"),
        ("infonce[batch_size=1]", "batch_size must be"),
        ("ksg[k=banana]", "k must be"),
    ],
)
def test_every_hyperparameter_is_validated_when_the_grid_is_built(spec, match):
    # mine[lr=abc] once became one error row per cell and the run exited 0.
    with pytest.raises(ValueError, match=match):
        Grid(list_tasks("quick")[:1], [spec], [100], [0])


@pytest.mark.skipif(
    __import__("torch").cuda.is_available(), reason="checks the refusal where CUDA is absent"
)
def test_a_cuda_device_is_refused_before_any_cell_without_cuda(tmp_path):
    with pytest.raises(ValueError, match="CUDA is not available"):
        Grid(list_tasks("quick")[:1], ["mine[device=cuda]"], [100], [0])
    args = ["run", "--tasks", "1v1-normal-0.75", "--estimators", "mine[device=cuda]"]
    out = CliRunner().invoke(main, [*args, "--run-dir", str(tmp_path / "r")])
    assert out.exit_code == 2 and "CUDA" in out.output


def test_duplicated_points_are_refused_by_knn_estimators_and_a_few_are_a_warning():
    # Every row twice once moved KSG from 0.22 to 0.95 nats and LNC to 1.2, status ok.
    x, y = _pair(1000)
    for name in ("ksg", "ksg2", "kl", "lnc"):
        with pytest.raises(ValueError, match="exact copies"):
            mibench.get_estimator(name).estimate(np.repeat(x, 2), np.repeat(y, 2))
    x2, y2 = x.copy(), y.copy()
    x2[:4], y2[:4] = x2[4:8], y2[4:8]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = mibench.get_estimator("ksg").estimate(x2, y2).value
    assert any("exact copies" in str(w.message) for w in caught)
    assert value == pytest.approx(TRUTH, abs=0.05)


def test_huge_python_integers_shared_and_repeated_columns_are_refused():
    x, y = _pair(300)
    huge = np.array([2**70 + int(v) for v in np.round(x * 1000)], dtype=object)
    with pytest.raises(ValueError, match=r"beyond 2\^53"):
        estimate_mi(huge, y)  # once 0.0 nats, status ok
    with pytest.raises(ValueError, match="x column 0 and y column 0 are identical"):
        estimate_mi(x, x)  # once 4.78 nats from KSG, status ok
    table = pd.DataFrame({"a": x, "b": y})
    with pytest.raises(ValueError, match="share the column"):
        estimate_mi("a,b", "b", data=table)
    twice = table.copy()
    twice.columns = ["a", "a"]
    with pytest.raises(ValueError, match="several columns named"):
        estimate_mi("a", "c", data=twice.assign(c=y))


def test_an_empty_store_file_gives_way_to_the_folder_table(tmp_path):
    args = ["run", "--tasks", "1v1-normal-0.75", "--estimators", "ksg", "--n", "200"]
    args += ["--seeds", "3", "--run-dir", str(tmp_path), "--quiet"]
    assert CliRunner().invoke(main, args).exit_code == 0
    (tmp_path / "results.sqlite").write_bytes(b"")  # once: every row recomputed, 3 lost
    out = CliRunner().invoke(main, args)
    assert "3 already stored (skipped), 0 run now" in out.output
    assert len(pd.read_parquet(tmp_path / "results.parquet")) == 3


def test_a_refused_figure_run_leaves_command_txt_alone(tmp_path):
    from mibench.paper import Scale, get_figure, make_figure
    from mibench.paper.make import figure_folder

    figure = get_figure("mine-gaussian")
    folder = figure_folder(figure, Scale(0.001), tmp_path)
    folder.mkdir(parents=True)
    with folder_lock(folder), pytest.raises(FolderBusy):
        make_figure(figure, Scale(0.001), tmp_path, "a refused command", progress=False)
    assert not (folder / "COMMAND.txt").exists()


def test_an_estimators_own_standardize_is_not_confused_with_the_grids():
    from mibench.report.metrics import configuration_labels

    rows = pd.DataFrame(
        {
            "label": ["corr"] * 4,
            "params_json": ['{"standardize":true}'] * 2 + ['{"standardize":false}'] * 2,
            "standardize": [1, 1, 1, 1],
        }
    )
    assert (
        configuration_labels(rows).tolist()
        == ["corr[standardize=true]"] * 2 + ["corr[standardize=false]"] * 2
    )


def test_mi_term_and_backward_with_mi_refuse_bad_arguments():
    import torch

    from mibench.regularizers import MITerm, backward_with_mi

    term = MITerm("mine", 1, 1, seed=0)
    with pytest.raises(ValueError, match="floating-point"):
        term(torch.ones(8, 1, dtype=torch.int64), torch.ones(8, 1))
    with pytest.raises(ValueError, match="hidden"):
        MITerm("mine", 1, 1, hidden=64)
    a = torch.nn.Parameter(torch.ones(2))
    main_loss = (a**2).sum()
    with pytest.raises(ValueError, match="clip must be a bool"):
        backward_with_mi(main_loss, main_loss, [a], clip=1)
    with pytest.raises(ValueError, match="mi_loss must be a 0-d tensor"):
        backward_with_mi(main_loss, 0.0, [a], clip=True)
    backward_with_mi(main_loss, torch.tensor(0.0), [a], clip=True)  # a constant MI term
    assert a.grad.tolist() == [2.0, 2.0]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"lr": float("inf")}, "lr must be a finite number > 0, got inf"),
        ({"weight_decay": float("nan")}, "weight_decay must be a finite number >= 0, got nan"),
    ],
)
def test_a_non_finite_learning_rate_or_weight_decay_is_refused(params, match):
    # lr=inf once passed validation and gave a NaN estimate flagged diverged at step 2.
    with pytest.raises(ValueError, match=match):
        mibench.get_estimator("mine", **params).validate()
