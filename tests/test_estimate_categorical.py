"""Categorical variables: the categorical reader, `mibench estimate` and `estimate_mi` on
string, bool and declared columns, the estimator chosen or refused by the variables' kinds,
and check_estimator on a categorical estimator.

The data: a colour C in {red, green, blue} with P = (0.5, 0.3, 0.2); a value V | C ~ N(μ_C, 1)
with μ = (0, 1, 2); a size S | C drawn from the rows of SIZE_GIVEN_COLOUR. Exact MI:
I(C; V) = h(V) − ½ ln(2πe) = 0.2353 nats (h of the mixture by quadrature) and
I(C; S) = 0.2021 nats (the sum over the joint law). Tolerances, measured at n = 2,000 over 30
seeds: ross is off by 0.002 on average with a standard deviation of 0.016 (largest error 0.029),
plugin (Miller–Madow) by 0.005 with 0.012 (largest 0.037); both are asserted within 0.05 nats
(about 3 standard deviations) of the truth.
"""

from __future__ import annotations

import json
import math
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import integrate, stats
from sklearn.metrics import mutual_info_score

from mibench.api import estimate_mi
from mibench.baselines.mixed_ksg import MixedKSG
from mibench.cli import main
from mibench.estimator import Estimator
from mibench.registry import get_estimator, register_estimator
from mibench.testing import EstimatorCheckFailed, check_estimator, true_mi
from mibench.validation import as_2d, as_categorical, check_xy, variable_kind

N = 2000
COLOURS = np.array(["blue", "green", "red"])  # sorted: codes 0, 1, 2
P_COLOUR = {"red": 0.5, "green": 0.3, "blue": 0.2}
MEAN = {"red": 0.0, "green": 1.0, "blue": 2.0}
SIZES = ["L", "M", "S"]
SIZE_GIVEN_COLOUR = {"red": [0.1, 0.2, 0.7], "green": [0.2, 0.6, 0.2], "blue": [0.6, 0.3, 0.1]}
TOL = 0.05


def _truth_colour_value() -> float:
    p = np.array([P_COLOUR[c] for c in COLOURS])
    mu = np.array([MEAN[c] for c in COLOURS])

    def density(v: float) -> float:
        return float(np.sum(p * stats.norm.pdf(v - mu)))

    h = integrate.quad(lambda v: -density(v) * math.log(density(v)), -12, 14, limit=400)[0]
    return h - 0.5 * math.log(2 * math.pi * math.e)


def _truth_colour_size() -> float:
    joint = np.array([[P_COLOUR[c] * q for q in SIZE_GIVEN_COLOUR[c]] for c in COLOURS])
    outer = joint.sum(1)[:, None] * joint.sum(0)[None, :]
    return float(np.sum(joint * np.log(joint / outer)))


def _table(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    colour = rng.choice(list(P_COLOUR), N, p=list(P_COLOUR.values()))
    value = np.array([MEAN[c] for c in colour]) + rng.standard_normal(N)
    size = np.array([rng.choice(SIZES, p=SIZE_GIVEN_COLOUR[c]) for c in colour])
    label = np.searchsorted(COLOURS, colour) * 10  # integer class labels 0, 10, 20
    return pd.DataFrame({"colour": colour, "value": value, "size": size, "label": label})


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return _table()


@pytest.fixture(scope="module")
def csv(table, tmp_path_factory):
    path = tmp_path_factory.mktemp("categorical") / "shop.csv"
    table.to_csv(path, index=False)
    return path


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["estimate", *args])
    assert result.exit_code == 2 or result.exception is None, repr(result.exception)
    return result.exit_code, result.output


def _codes(values) -> np.ndarray:
    return np.unique(np.asarray(values), return_inverse=True)[1].reshape(-1).astype(float)


# --------------------------------------------------------------------------------------------
# The categorical reader


def test_categorical_reader_codes_categories_in_sorted_order():
    np.testing.assert_array_equal(as_categorical(["b", "a", "c", "a"], "x"), [[1], [0], [2], [0]])
    np.testing.assert_array_equal(
        as_categorical(np.array([True, False, True]), "x")[:, 0], [1, 0, 1]
    )
    cat = pd.Series(pd.Categorical(["z", "y", "z"], categories=["z", "y"]))
    np.testing.assert_array_equal(as_categorical(cat, "x")[:, 0], [1, 0, 1])
    rows = np.array([[1, 0], [0, 1], [1, 0], [0, 0]])
    np.testing.assert_array_equal(as_categorical(rows, "x")[:, 0], [2, 1, 2, 0])
    frame = pd.DataFrame({"a": ["u", "v", "u"], "b": [1, 1, 2]})
    np.testing.assert_array_equal(as_categorical(frame, "x")[:, 0], [0, 2, 1])
    # Floats are exact values; numbers sort before text in an object array.
    np.testing.assert_array_equal(as_categorical([0.5, 0.5 + 1e-12, 0.5], "x")[:, 0], [0, 1, 0])
    mixed = np.array(["a", 1, 2.5, "b"], dtype=object)
    np.testing.assert_array_equal(as_categorical(mixed, "x")[:, 0], [2, 0, 1, 3])
    out = as_categorical(np.array([3, 7, 3]), "x")
    assert out.dtype == np.float64 and out.shape == (3, 1)


def test_categorical_reader_refuses_missing_values_naming_the_row():
    cases = [
        (["a", "b", "c", None], "x has 1 missing values (None or NaN), the first at row 3"),
        ([1.0, np.nan, 2.0], "at row 1;"),
        (pd.Series(["a", pd.NA, "b"], dtype="string"), "the first at row 1"),
        (np.array([["a", "b"], ["c", None]], dtype=object), "at row 1, column 1"),
        ([], "x must not be empty"),
        (np.zeros((2, 2, 2)), "x must have shape"),
        ([1.0, np.inf], "x must be finite"),
    ]
    for values, needle in cases:
        with pytest.raises(ValueError) as info:
            as_categorical(values, "x")
        assert needle in str(info.value), str(info.value)


def test_dtype_rule_and_continuous_refusals_name_the_categorical_estimators():
    assert variable_kind(np.array(["a", "b"]), "x") == "categorical"
    assert variable_kind(np.array([True, False]), "x") == "categorical"
    assert variable_kind(pd.Series(["a", "b"]), "x") == "categorical"
    assert variable_kind(pd.Series(pd.Categorical([1, 2])), "x") == "categorical"
    assert variable_kind(np.array([1, 2, 3]), "x") == "continuous"
    # Mostly numbers with a stray text: a numeric variable with a typo, refused by name.
    assert variable_kind(np.array([1.0, 2.0, "abc"], dtype=object), "x") == "continuous"
    with pytest.raises(ValueError, match=r"y must be numeric for this estimator, got 'red'"):
        check_xy(np.zeros(3), np.array(["red", "blue", "red"]))
    with pytest.raises(ValueError, match="plugin .both variables categorical. or ross"):
        as_2d(np.array([True, False]), "x")
    with pytest.raises(ValueError, match=r"got 'abc' at row 2 .*if x is categorical"):
        as_2d(np.array([1.0, 2.0, "abc"], dtype=object), "x")
    xa, ya = check_xy(["a", "b", "a"], [0.1, 0.2, 0.3], kinds=("categorical", "continuous"))
    np.testing.assert_array_equal(xa[:, 0], [0, 1, 0])
    # Identical categorical variables are fine (the MI is H(X), finite).
    check_xy(["a", "b", "a"], ["a", "b", "a"], kinds=("categorical", "categorical"))


# --------------------------------------------------------------------------------------------
# mibench estimate


def test_cli_string_and_float_columns_choose_ross(csv, table):
    code, out = _cli(str(csv), "--x", "colour", "--y", "value", "--json", "--permutations", "0")
    assert code == 0, out
    payload = json.loads(out)
    assert payload["estimator"] == "ross" and payload["chosen"] is True
    assert payload["params"]["discrete"] == "x"
    assert payload["kinds"] == ["categorical", "continuous"] and payload["categories"] == [3, None]
    direct = get_estimator("ross", discrete="x", seed=0).estimate(
        _codes(table["colour"]), table["value"].to_numpy()
    )
    assert payload["mi"] == direct.value
    truth = _truth_colour_value()
    assert truth == pytest.approx(0.2353, abs=1e-4)
    assert abs(payload["mi"] - truth) < TOL, (payload["mi"], truth)
    # The same with the variables swapped: discrete follows the categorical side.
    code, out = _cli(str(csv), "--x", "value", "--y", "colour", "--json", "--permutations", "0")
    assert json.loads(out)["params"]["discrete"] == "y"
    code, text = _cli(str(csv), "--x", "colour", "--y", "value", "--permutations", "20")
    assert code == 0, text
    assert "estimator ross (chosen for these data)" in text
    assert "variables: X categorical (3 categories), Y continuous" in text
    assert "p = 0.04762 (20 permutations)" in text  # 1/21: no shuffle reaches the estimate


def test_cli_two_string_columns_choose_plugin_with_miller_madow(csv, table):
    code, out = _cli(str(csv), "--x", "colour", "--y", "size", "--json", "--permutations", "0")
    assert code == 0, out
    payload = json.loads(out)
    assert payload["estimator"] == "plugin" and payload["chosen"] is True
    assert payload["kinds"] == ["categorical", "categorical"]
    mx, my = table["colour"].nunique(), table["size"].nunique()
    mxy = len(table.groupby(["colour", "size"]))
    expected = mutual_info_score(table["colour"], table["size"]) + (mx + my - mxy - 1) / (2 * N)
    assert payload["mi"] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    truth = _truth_colour_size()
    assert truth == pytest.approx(0.2021, abs=1e-4)
    assert abs(payload["mi"] - truth) < TOL, (payload["mi"], truth)


def test_cli_refuses_a_continuous_estimator_naming_a_suitable_one(csv):
    code, out = _cli(str(csv), "--x", "colour", "--y", "value", "--estimator", "ksg")
    assert code == 2
    assert "Traceback" not in out
    assert "ksg takes continuous X and Y, but x's column 'colour'" in out
    assert "is categorical: use 'ross'" in out
    code, out = _cli(str(csv), "--x", "colour", "--y", "value", "--estimator", "plugin")
    assert code == 2 and "but y's column 'value' (dtype float64) is continuous" in out
    code, out = _cli(str(csv), "--x", "colour,value", "--y", "size")
    assert code == 2 and "x mixes categorical column(s) ['colour'] and continuous" in out


def test_cli_categorical_option_declares_an_integer_column(csv, table):
    args = [str(csv), "--x", "value", "--y", "label", "--json", "--permutations", "0"]
    code, out = _cli(*args, "--categorical", "label")
    assert code == 0, out
    payload = json.loads(out)
    assert payload["estimator"] == "ross" and payload["params"]["discrete"] == "y"
    direct = get_estimator("ross", discrete="y", seed=0).estimate(
        table["value"].to_numpy(), _codes(table["label"])
    )
    assert payload["mi"] == direct.value
    # Undeclared, the integer column is continuous: ksg (ties and all).
    with pytest.warns(RuntimeWarning, match="tied values"):
        code, out = _cli(*args)
    assert code == 0 and json.loads(out)["estimator"] == "ksg"
    code, out = _cli(*args, "--categorical", "nope")
    assert code == 2 and "categorical: unknown column 'nope'" in out


def test_cli_reads_string_columns_of_parquet(table, tmp_path):
    path = tmp_path / "shop.parquet"
    table.to_parquet(path)
    code, out = _cli(str(path), "--x", "colour", "--y", "size", "--json", "--permutations", "0")
    assert code == 0, out
    assert json.loads(out)["estimator"] == "plugin"


# --------------------------------------------------------------------------------------------
# estimate_mi


def test_estimate_mi_on_a_dataframe_matches_the_cli(csv, table):
    _, out = _cli(str(csv), "--x", "colour", "--y", "value", "--json", "--permutations", "0")
    r = estimate_mi("colour", "value", data=table, permutations=0)
    assert (r.estimator, r.chosen, r.mi) == ("ross", True, json.loads(out)["mi"])
    r = estimate_mi("colour", "size", data=table, permutations=0)
    assert r.estimator == "plugin" and r.categories == [3, 3]
    # A bool column and a pandas categorical column are categorical too.
    frame = table.assign(big=table["value"] > 1, colour=table["colour"].astype("category"))
    r = estimate_mi("colour", "big", data=frame, permutations=0)
    assert r.estimator == "plugin" and r.kinds == ["categorical", "categorical"]
    # A spec naming ross without discrete gets it from the data; one setting it is kept.
    assert (
        estimate_mi("value", "colour", "ross[k=5]", data=table, permutations=0).params["discrete"]
        == "y"
    )
    with pytest.raises(ValueError, match=r"ross takes categorical X and continuous Y, but x's"):
        estimate_mi("value", "colour", "ross[discrete=x]", data=table, permutations=0)
    with pytest.raises(ValueError, match=r"categorical: column\(s\) \['size'\] are in neither"):
        estimate_mi("colour", "value", data=table, categorical=["size"], permutations=0)
    # X = Y is refused for continuous data, allowed for categorical (the MI is H(X)).
    r = estimate_mi("colour", "colour", data=table, permutations=0)
    h = -sum(p * math.log(p) for p in table["colour"].value_counts(normalize=True))
    assert r.mi == pytest.approx(h, abs=0.01)


def test_estimate_mi_on_arrays_with_categorical(table):
    colour, value = table["colour"].to_numpy(dtype=str), table["value"].to_numpy()
    labels = table["label"].to_numpy()
    by_text = estimate_mi(colour, value, permutations=0)
    assert by_text.estimator == "ross" and by_text.params["discrete"] == "x"
    declared = estimate_mi(labels, value, categorical="x", permutations=0)
    assert declared.mi == by_text.mi and declared.kinds == ["categorical", "continuous"]
    both = estimate_mi(
        labels, table["size"].to_numpy(dtype=str), categorical=("x", "y"), permutations=100
    )
    direct = get_estimator("plugin").estimate(_codes(labels), _codes(table["size"]))
    assert both.estimator == "plugin" and both.mi == direct.value
    # The permutation test shuffles the codes: strong dependence, smallest p-value.
    assert both.p_value == pytest.approx(1 / 101) and both.permutations == 100
    with pytest.raises(ValueError, match="categorical must be None, 'x', 'y' or"):
        estimate_mi(labels, value, categorical="colour")
    with pytest.raises(ValueError, match=r"ksg takes continuous X and Y, but x is categorical"):
        estimate_mi(colour, value, "ksg", permutations=0)
    # An Estimator object is used as given: a Ross on the wrong side is refused.
    with pytest.raises(ValueError, match="ross takes categorical X and continuous Y"):
        estimate_mi(value, colour, get_estimator("ross"), permutations=0)


# --------------------------------------------------------------------------------------------
# A categorical estimator of one's own, and check_estimator


class CountsMI(Estimator):
    """Plain plug-in MI of two categorical variables (a stand-in), optionally in bits."""

    name: ClassVar[str] = "test-counts-mi"
    variables: ClassVar[tuple[str, str]] = ("categorical", "categorical")
    error_bars: ClassVar[tuple[str, ...]] = ()

    def __init__(self, base: float = math.e):
        self.base = base

    def _estimate(self, x, y):
        assert x.shape[1] == y.shape[1] == 1 and np.array_equal(x, np.round(x))
        return mutual_info_score(x[:, 0], y[:, 0]) / math.log(self.base)


register_estimator(CountsMI.name, CountsMI, replace=True)


def test_check_estimator_feeds_categorical_estimators_categorical_data():
    assert true_mi(("categorical", "categorical")) == pytest.approx(0.3522, abs=1e-4)
    assert true_mi(("categorical", "continuous")) == pytest.approx(0.4071, abs=1e-4)
    check_estimator(CountsMI(), skip=("canonical-params",))
    with pytest.raises(EstimatorCheckFailed, match=r"units: .*nearer the MI in bits"):
        check_estimator(CountsMI(base=2.0), skip=("canonical-params",))
    # A user's categorical estimator is chosen by name and refused on continuous data.
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 3, 500), rng.integers(0, 2, 500)
    assert estimate_mi(x, y, "test-counts-mi", categorical=("x", "y"), permutations=0).mi >= 0
    with pytest.raises(ValueError, match=r"test-counts-mi takes categorical X and Y, but x is"):
        estimate_mi(rng.standard_normal(500), y, "test-counts-mi", categorical="y")


def test_tied_numeric_data_get_mixed_ksg_and_club_is_labelled(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.normal(size=2000)
    y = 0.8 * x + 0.6 * rng.normal(size=2000)
    path = tmp_path / "rounded.csv"
    pd.DataFrame({"a": np.round(x), "b": np.round(y)}).to_csv(path, index=False)
    out = CliRunner().invoke(main, ["estimate", str(path), "--x", "a", "--y", "b"]).output
    # rounded values repeat: KSG refuses them, so mibench picks the mixed KSG
    assert "estimator mixed-ksg (chosen for these data)" in out
    direct = MixedKSG().estimate(np.round(x), np.round(y)).value
    assert estimate_mi(np.round(x), np.round(y), permutations=0).mi == direct
    club = estimate_mi(x, y, "club[max_steps=50]", permutations=0)
    assert club.bound == "approximate upper bound"
    args = ["estimate", str(path), "--x", "a", "--y", "b", "--estimator", "club[max_steps=50]"]
    assert "an approximate upper bound" in CliRunner().invoke(main, args).output
