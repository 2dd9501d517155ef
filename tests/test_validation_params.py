"""The hyperparameter checks of :mod:`mibench.validation`: what each accepts, what it returns,
and the exact wording of each refusal."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from mibench.validation import (
    check_bool,
    check_choice,
    check_int,
    check_real,
    is_int,
    is_real,
    require,
)


def _refused(message: str):
    return pytest.raises(ValueError, match=f"^{re.escape(message)}$")


# ---- predicates ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -3, 2**70, np.int8(1), np.int64(5), np.uint16(7)])
def test_is_int_accepts_python_and_numpy_integers(value):
    assert is_int(value)


@pytest.mark.parametrize("value", [True, False, np.True_, 2.0, np.float64(1), "1", None, [1]])
def test_is_int_refuses_bools_floats_and_others(value):
    assert not is_int(value)


@pytest.mark.parametrize("value", [0, 1.5, math.nan, math.inf, np.int32(2), np.float32(0.5)])
def test_is_real_accepts_numbers_including_non_finite(value):
    assert is_real(value)


@pytest.mark.parametrize("value", [True, np.False_, "1.0", None, 1j, [1.0]])
def test_is_real_refuses_bools_text_complex_and_containers(value):
    assert not is_real(value)


# ---- require -------------------------------------------------------------------------------


def test_require_passes_when_ok_and_words_the_refusal():
    require(True, "x", 1, "anything")
    with _refused("threads must be None or an int >= 1, got 0"):
        require(False, "threads", 0, "None or an int >= 1")
    with _refused("name must be a text, got 'a'"):
        require(False, "name", "a", "a text")


# ---- check_int -----------------------------------------------------------------------------


def test_check_int_returns_a_python_int():
    for value in (3, np.int64(3), np.uint8(3)):
        out = check_int("k", value, 1)
        assert out == 3 and type(out) is int


def test_check_int_bounds_are_inclusive():
    assert check_int("k", 1, 1) == 1
    assert check_int("k", 5, 1, 5) == 5
    assert check_int("k", -7) == -7
    assert check_int("k", 9, maximum=9) == 9


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("k", 0, 1), "k must be an int >= 1, got 0"),
        (("k", True, 1), "k must be an int >= 1, got True"),
        (("k", np.True_, 0), f"k must be an int >= 0, got {np.True_!r}"),
        (("k", 2.0, 1), "k must be an int >= 1, got 2.0"),
        (("k", "3", 1), "k must be an int >= 1, got '3'"),
        (("k", None, 1), "k must be an int >= 1, got None"),
        (("seed", -1, 0), "seed must be an int >= 0, got -1"),
        (("bins", 6, 1, 5), "bins must be an int in [1, 5], got 6"),
        (("bins", 0, 1, 5), "bins must be an int in [1, 5], got 0"),
        (("d", 11, None, 10), "d must be an int <= 10, got 11"),
        (("d", 1.5), "d must be an int, got 1.5"),
    ],
)
def test_check_int_refusals(args, message):
    with _refused(message):
        check_int(*args)


# ---- check_real ----------------------------------------------------------------------------


def test_check_real_returns_a_python_float():
    for value in (2, 0.25, np.float32(0.25), np.int64(2)):
        out = check_real("lr", value, 0, low_open=True)
        assert out == float(value) and type(out) is float


def test_check_real_bounds_inclusive_and_exclusive():
    assert check_real("beta", 0, 0) == 0.0
    assert check_real("rate", 1, 0, 1, low_open=True) == 1.0
    assert check_real("alpha", 0.0, 0, 1) == 0.0
    assert check_real("shift", -1e300) == -1e300
    with _refused("rate must be a number in (0, 1], got 0"):
        check_real("rate", 0, 0, 1, low_open=True)
    with _refused("tf must be a number in (0, 1), got 1.0"):
        check_real("tf", 1.0, 0, 1, low_open=True, high_open=True)
    with _refused("vf must be a number in [0, 0.5), got 0.5"):
        check_real("vf", 0.5, 0, 0.5, high_open=True)
    with _refused("lr must be a finite number > 0, got 0.0"):
        check_real("lr", 0.0, 0, low_open=True)
    with _refused("x must be a finite number < 2, got 2"):
        check_real("x", 2, maximum=2, high_open=True)
    with _refused("x must be a finite number <= 2, got 2.5"):
        check_real("x", 2.5, maximum=2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("beta", -0.5, 0), "beta must be a finite number >= 0, got -0.5"),
        (("beta", math.nan, 0), "beta must be a finite number >= 0, got nan"),
        (("beta", math.inf, 0), "beta must be a finite number >= 0, got inf"),
        (("shift", -math.inf), "shift must be a finite number, got -inf"),
        (("shift", math.nan), "shift must be a finite number, got nan"),
        (("jitter", True, 0), "jitter must be a finite number >= 0, got True"),
        (("jitter", "0.1", 0), "jitter must be a finite number >= 0, got '0.1'"),
        (("jitter", None, 0), "jitter must be a finite number >= 0, got None"),
        (("alpha", 1.5, 0, 1), "alpha must be a number in [0, 1], got 1.5"),
        (("alpha", math.nan, 0, 1), "alpha must be a number in [0, 1], got nan"),
        (("kappa", 0.5, 1), "kappa must be a finite number >= 1, got 0.5"),
        (("s", 0.1, 0.25), "s must be a finite number >= 0.25, got 0.1"),
    ],
)
def test_check_real_refusals(args, message):
    with _refused(message):
        check_real(*args)


def test_check_real_may_allow_infinity_but_never_nan():
    assert check_real("tau", math.inf, 0, low_open=True, finite=False) == math.inf
    with _refused("tau must be a number > 0 (inf allowed), got nan"):
        check_real("tau", math.nan, 0, low_open=True, finite=False)
    with _refused("tau must be a number > 0 (inf allowed), got 0"):
        check_real("tau", 0, 0, low_open=True, finite=False)
    with _refused("lr must be a finite number > 0, got inf"):
        check_real("lr", math.inf, 0, low_open=True)


# ---- check_choice and check_bool -----------------------------------------------------------


def test_check_choice_returns_the_value_and_lists_the_choices():
    assert check_choice("norm", "max", ("max", "l2")) == "max"
    assert check_choice("bins", "auto", ["auto", "fd"]) == "auto"
    with _refused("norm must be one of ['max', 'l2'], got 'l1'"):
        check_choice("norm", "l1", ("max", "l2"))
    with _refused("error_bar must be one of [None, 'auto'], got 3"):
        check_choice("error_bar", 3, (None, "auto"))


def test_check_bool_accepts_python_and_numpy_bools_only():
    assert check_bool("clip", True) is True
    out = check_bool("clip", np.False_)
    assert out is False
    for value, shown in ((1, "1"), (0, "0"), ("yes", "'yes'"), (None, "None")):
        with _refused(f"clip must be a bool, got {shown}"):
            check_bool("clip", value)
