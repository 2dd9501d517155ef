"""MI of user data: `mibench estimate`, the Python API, the permutation test, plug-ins."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mibench.api import estimate_mi
from mibench.cli import main
from mibench.harness.executors import make_executor
from mibench.harness.grid import Grid
from mibench.harness.runner import run_grid
from mibench.harness.store import ResultStore
from mibench.independence import permutation_test
from mibench.plugins import register
from mibench.registry import get_estimator
from mibench.tasks import get_task


def correlation_mi(x: np.ndarray, y: np.ndarray) -> float:
    """Module-level function estimator (picklable by reference)."""
    r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
    return -0.5 * np.log1p(-(r**2))


class ContractOnly:
    """Not an Estimator subclass: only estimate() and get_params()."""

    def __init__(self, offset: float = 0.0):
        self.offset = offset

    def get_params(self):
        return {"offset": self.offset}

    def estimate(self, x, y):
        return correlation_mi(x, y) + self.offset


register("test-fn", correlation_mi, replace=True)
register("test-contract", ContractOnly(offset=1.0), replace=True)


@pytest.fixture
def csv(tmp_path):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((500, 2))
    df = pd.DataFrame(
        {"a": z[:, 0], "b": 0.8 * z[:, 0] + 0.6 * z[:, 1], "noise": rng.standard_normal(500)}
    )
    df["name"] = "row"
    path = tmp_path / "data.csv"
    df.to_csv(path, index=False)
    return path, df


def test_python_api_on_arrays_and_dataframe(csv):
    _, df = csv
    on_df = estimate_mi("a", "b", "test-corr", data=df, permutations=100)
    on_arrays = estimate_mi(df["a"].to_numpy(), df["b"].to_numpy(), "test-corr")
    assert on_df.mi == on_arrays.mi
    r = np.corrcoef(df["a"], df["b"])[0, 1]
    assert on_df.mi == pytest.approx(-0.5 * np.log(1 - r**2), rel=1e-12)
    assert on_df.p_value == pytest.approx(1 / 101)  # strongly dependent: no shuffle beats it
    assert on_df.permutations == 100
    assert on_arrays.p_value is None and on_arrays.permutations == 0  # not asked for
    bits = estimate_mi("a", "b", "test-corr", data=df, bits=True)
    assert bits.mi == pytest.approx(on_df.mi / np.log(2)) and bits.unit == "bits"
    assert bits.p_value is None


def test_the_permutation_test_runs_only_when_asked(csv, monkeypatch):
    _, df = csv

    def refuse(*args, **kwargs):
        raise AssertionError("the permutation test ran without being asked for")

    monkeypatch.setattr("mibench.api.permutation_test", refuse)
    for permutations in ({}, {"permutations": 0}, {"permutations": None}):
        for spec in ("test-corr", "ksg"):  # deterministic estimators, the old default's 100
            result = estimate_mi("a", "b", spec, data=df, **permutations)
            assert result.p_value is None and result.permutations == 0
    out = CliRunner().invoke(main, ["estimate", str(csv[0]), "--x", "a", "--y", "b", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["p_value"] is None


def test_permutation_test_is_uniformish_under_independence():
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((300, 1)), rng.standard_normal((300, 1))
    res = permutation_test(get_estimator("test-corr"), x, y, permutations=199, seed=3)
    assert 0.05 < res.p_value <= 1.0 and res.null.shape == (199,)
    with pytest.raises(ValueError, match="permutations"):
        permutation_test(get_estimator("test-corr"), x, y, permutations=0)


def test_a_warning_about_the_data_is_given_once_not_per_permutation():
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.standard_normal(200), np.full(200, 5.0)])
    y = x[:, :1] + rng.standard_normal((200, 1))
    with pytest.warns(RuntimeWarning, match="constant column") as caught:
        res = estimate_mi(x, y, "ksg", permutations=20)
    assert len(caught) == 1
    assert res.p_value == pytest.approx(1 / 21)


def test_cli_estimate_matches_python_api(csv):
    path, df = csv
    out = CliRunner().invoke(
        main,
        [
            "estimate",
            str(path),
            "--x",
            "a",
            "--y",
            "b,noise",
            "--estimator",
            "test-corr[scale=1.0]",
            "--json",
            "--permutations",
            "20",
        ],
    )
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    api = estimate_mi(["a"], ["b", "noise"], "test-corr[scale=1.0]", data=df, permutations=20)
    assert payload["mi"] == api.mi and payload["p_value"] == api.p_value
    assert payload["params"] == {"scale": 1.0} and payload["unit"] == "nats"
    assert payload["n"] == 500 and payload["dim_y"] == 2
    args = ["estimate", str(path), "--x", "a", "--y", "b", "--estimator", "test-corr"]
    text = CliRunner().invoke(main, args).output
    assert "I(X; Y) = " in text and "permutation test" not in text  # none by default
    text = CliRunner().invoke(main, [*args, "--permutations", "100"]).output
    assert "permutation test of independence: p = 0.009901 (100 permutations)" in text


@pytest.mark.parametrize(
    ("edit", "args", "needle"),
    [
        (
            lambda df: df.assign(b=df["b"].where(df.index != 7)),
            ["--y", "b"],
            "column 'b' has 1 missing values (first at row 7)",
        ),
        (None, ["--y", "name", "--estimator", "ksg"], "but y's column 'name'"),
        (None, ["--y", "nope"], "unknown column 'nope'"),
        (lambda df: df.iloc[:0], ["--y", "b"], "the table has no data rows"),
    ],
)
def test_cli_estimate_bad_columns(tmp_path, csv, edit, args, needle):
    path, df = csv
    if edit:
        path = tmp_path / "edited.csv"
        edit(df).to_csv(path, index=False)
    out = CliRunner().invoke(main, ["estimate", str(path), "--x", "a", *args])
    assert out.exit_code == 2 and needle in out.output


def test_registered_function_and_contract_object_in_a_grid(tmp_path):
    grid = Grid(
        [get_task("1v1-normal-0.75")], ["test-fn", "test-contract", "test-corr"], [400], [0, 1]
    )
    with ResultStore(tmp_path / "p.sqlite") as store:
        with make_executor(workers=2) as pool:
            summary = run_grid(grid, store, executor=pool, progress=False)
        df = store.results()
    assert summary.run == 6 and (df["status"] == "ok").all()
    by = df.pivot(index="seed", columns="label", values="mi_estimate")
    np.testing.assert_allclose(by["test-fn"], by["test-corr"], rtol=1e-12)
    np.testing.assert_allclose(by["test-contract"], by["test-corr"] + 1.0, rtol=1e-12)
    assert get_estimator("test-contract[offset=2.0]").get_params() == {"offset": 2.0}
    with pytest.raises(ValueError, match="takes no hyperparameters"):
        get_estimator("test-fn[k=3]")
    with pytest.raises(TypeError, match="obj must be"):
        register("test-bad", 42)
