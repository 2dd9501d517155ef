"""Paired invariance studies: paired draws, exact invariances, the families, the tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from mibench.cli import main
from mibench.harness import Grid, ResultStore, run_grid
from mibench.harness.cells import Cell
from mibench.report.invariance import invariance_scores, invariance_table
from mibench.tasks import get_task, list_tasks
from mibench.tasks.invariance import (
    BASES,
    FAMILIES,
    Family,
    get_family,
    identity_variant,
    variant,
    variants,
)
from mibench.tasks.transforms import WIGGLY_X, WIGGLY_Y, Affine, LinearMap, Wiggly

SPARSE3 = "multinormal-sparse-3-3-2-2.0"
#: Families of strictly increasing coordinate-wise maps.
MONOTONE = ("normal_cdf", "power", "asinh", "spline", "wiggly")


def _table(tasks, estimators, standardize, n=400, seeds=(0, 1)) -> pd.DataFrame:
    grid = Grid(list(tasks), list(estimators), ns=[n], seeds=list(seeds), standardize=standardize)
    with ResultStore(":memory:") as store:
        run_grid(grid, store, progress=False)
        return invariance_table(store.results())


def _with_identity(base_id: str, families: tuple[str, ...]) -> list:
    base = get_task(base_id)
    out = [identity_variant(base)]
    for name in families:
        family = get_family(name)
        out += [variant(base, family, s) for s in family.strengths]
    return out


def test_the_suite_has_every_family_on_every_base_it_applies_to() -> None:
    tasks = list_tasks("invariance")
    assert len(tasks) == len({t.id for t in tasks}) == 109
    per_base = {b: [t for t in tasks if t.pairing.base_id == b] for b in BASES}
    assert [len(v) for v in per_base.values()] == [25, 28, 28, 28]
    for base_id, vs in per_base.items():
        base = get_task(base_id)
        assert vs[0].pairing.family == "identity"
        for t in vs:
            assert t.mi == base.mi and t.version == base.version
    assert {t.pairing.family for t in tasks} == {"identity", *(f.name for f in FAMILIES)}
    assert {t.pairing.family for t in tasks if t.pairing.stress} == {"scale", "shift"}


def test_variants_of_a_base_share_its_draws_and_their_cells_say_so() -> None:
    base = get_task(SPARSE3)
    grid = Grid(variants(SPARSE3), ["ksg"], ns=[300], seeds=[4])
    cells = grid.cells()
    assert {c.data_seed for c in cells} == {cells[0].data_seed}
    assert {c.estimator_seed for c in cells} == {cells[0].estimator_seed}
    # the same draws as an ordinary cell of the base, but a cell id that records the pairing
    plain = Grid([base], ["ksg"], ns=[300], seeds=[4]).cells()[0]
    assert cells[0].data_seed == plain.data_seed and cells[0].cell_id != plain.cell_id
    paired_plain = Cell(**{**plain.__dict__, "paired_base": SPARSE3})
    assert paired_plain.cell_id != plain.cell_id  # (unpaired ids: results/reference/quick.csv)
    assert paired_plain.data_seed == plain.data_seed
    x0, y0 = base.sample(300, cells[0].data_seed)
    for t in variants(SPARSE3):
        if t.pairing.stress or t.pairing.family == "identity":
            continue
        x, y = t.sample(300, cells[0].data_seed)
        np.testing.assert_allclose(t.transforms_x[-1].inverse(x), x0, atol=1e-6)
        np.testing.assert_allclose(t.transforms_y[-1].inverse(y), y0, atol=1e-6)


def test_every_non_stress_transform_keeps_every_value_distinct() -> None:
    for t in list_tasks("invariance"):
        if t.pairing.stress:
            continue
        base = get_task(t.pairing.base_id)
        x0, y0 = base.sample(2000, 0)
        assert min(len(np.unique(c)) for c in (*x0.T, *y0.T)) == 2000
        x, y = t.sample(2000, 0)
        assert min(len(np.unique(c)) for c in (*x.T, *y.T)) == 2000, t.id


def test_a_large_shift_merges_values_and_the_rows_count_them() -> None:
    shift16 = variant(get_task("1v1-normal-0.75"), get_family("shift"), 16.0)
    x, _ = shift16.sample(2000, 0)
    assert len(np.unique(x)) < 20  # float64 spacing at 1e16 is 2
    grid = Grid(
        [identity_variant(get_task("1v1-normal-0.75")), shift16], ["gaussian"], ns=[500], seeds=[0]
    )
    with ResultStore(":memory:") as store:
        run_grid(grid, store, progress=False)
        table = invariance_table(store.results())
    assert table["stress"].all() and table["min_distinct"].iloc[0] < 20


@pytest.mark.parametrize("standardize", [True, False])
def test_rank_based_estimators_are_exactly_invariant_to_increasing_maps(standardize) -> None:
    table = _table(
        _with_identity(SPARSE3, MONOTONE),
        ["gaussian-copula", "histogram[binning=equal-frequency]"],
        standardize,
    )
    assert len(table) == 2 * len(MONOTONE) * 3 and (table["pairs"] == 2).all()
    assert (table["delta_mean"] == 0).all() and (table["delta_sd"] == 0).all()


@pytest.mark.parametrize("standardize", [True, False])
def test_gaussian_estimator_is_invariant_to_invertible_linear_maps(standardize) -> None:
    table = _table(
        _with_identity("multinormal-dense-5-5-0.5", ("linear",)), ["gaussian"], standardize
    )
    assert sorted(table["strength"]) == [1.0, 30.0, 1000.0]
    assert (table["delta_mean"].abs() < 1e-9).all()
    assert (table["delta_sd"].abs() < 1e-9).all()


def test_ksg_is_exactly_invariant_to_permuting_coordinates_and_power_of_two_scales() -> None:
    base = get_task("multinormal-dense-5-5-0.5")
    permute = Family("permute", (1.0,), lambda side, d, s: LinearMap(np.eye(d)[::-1]))
    twice = Family("pow2", (3.0,), lambda side, d, s: Affine(np.full(d, 2.0**s)))
    tasks = [identity_variant(base), variant(base, permute, 1.0), variant(base, twice, 3.0)]
    for standardize in (True, False):
        table = _table(tasks, ["ksg", "ksg[standardize=none]"], standardize)
        assert len(table) == 4 and (table["delta_mean"] == 0).all(), table


def test_wiggly_strengths_stay_below_the_injectivity_bound() -> None:
    bound = 1.0 / sum(abs(a * b) for a, b, _ in WIGGLY_X)
    assert bound == pytest.approx(1.19, abs=0.005)
    strongest = max(get_family("wiggly").strengths)
    assert strongest < bound
    grid = np.linspace(-50, 50, 400_001)
    for terms in (WIGGLY_X, WIGGLY_Y):
        f = Wiggly([(a * strongest, b, c) for a, b, c in terms])
        assert np.all(np.diff(f(grid)) > 0)  # strictly increasing: injective
    with pytest.raises(ValueError, match="monotone"):
        Wiggly([(a * 1.2, b, c) for a, b, c in WIGGLY_X])


def test_families_refuse_bases_they_do_not_apply_to() -> None:
    with pytest.raises(ValueError, match="does not apply"):
        variant(get_task("1v1-normal-0.75"), get_family("spiral"), 1.0)
    with pytest.raises(ValueError, match="unknown family"):
        get_family("nope")


def test_invariance_table_on_a_hand_made_study() -> None:
    def row(family, strength, seed, value, status="ok"):
        return {
            "paired_base": "b",
            "variant_family": family,
            "variant_strength": strength,
            "variant_stress": 0,
            "label": "est",
            "n": 100,
            "seed": seed,
            "standardize": 1,
            "status": status,
            "mi_estimate": value if status == "ok" else None,
            "mi_true": 0.5,
            "extras_json": '{"min_distinct": 100}',
        }

    rows = [row("identity", 0.0, s, 0.5) for s in range(4)]
    rows += [row("power", 2.0, s, 0.5 + d) for s, d in enumerate([0.1, 0.2, 0.3, 0.4])]
    rows += [row("power", 3.0, 0, 0.6), row("power", 3.0, 1, 0.0, "error")]
    table = invariance_table(pd.DataFrame(rows)).set_index("strength")
    two = table.loc[2.0]
    assert two["pairs"] == 4 and two["delta_mean"] == pytest.approx(0.25)
    assert two["delta_sd"] == pytest.approx(np.std([0.1, 0.2, 0.3, 0.4], ddof=1))
    half = 3.182446305284263 * two["delta_sd"] / 2  # t(0.975, 3)
    assert (two["ci_low"], two["ci_high"]) == pytest.approx((0.25 - half, 0.25 + half))
    assert two["rel_shift"] == pytest.approx(0.5)
    three = table.loc[3.0]
    assert three["pairs"] == 1 and three["failed_pairs"] == 1 and np.isnan(three["ci_low"])
    scores = invariance_scores(table.reset_index())
    assert scores["score"].iloc[0] == pytest.approx(0.5)
    assert scores["worst_strength"].iloc[0] == 2.0


def test_run_suite_invariance_and_report_write_the_invariance_table(tmp_path) -> None:
    run_dir = tmp_path / "inv"
    args = ["run", "--suite", "invariance", "--estimators", "gaussian", "--n", "100"]
    args += ["--seeds", "2", "--run-dir", str(run_dir), "--quiet"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert "218 cells selected" in res.output
    res = CliRunner().invoke(main, ["report", str(run_dir)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(run_dir / "report" / "invariance.csv")
    assert len(table) == 109 - 4  # every variant but the four identities
    required = {
        "estimator",
        "base",
        "family",
        "strength",
        "n",
        "standardize",
        "delta_mean",
        "delta_sd",
        "pairs",
    }
    assert required <= set(table.columns)
    linear = table[table["family"] == "linear"]
    assert (linear["delta_mean"].abs() < 1e-9).all()


def test_bad_paired_ids_are_refused_with_a_value_error() -> None:
    for bad, why in [
        ("paired-power_2-paired-power_2-1v1-normal-0.75", "must not be a paired variant"),
        ("paired-identity-paired-identity-1v1-normal-0.75", "must not be a paired variant"),
        ("paired-shift_309-1v1-normal-0.75", "strength 309"),
        ("paired-power_4.0-1v1-normal-0.75", "canonical"),
    ]:
        with pytest.raises(ValueError, match=why):
            get_task(bad)


def test_a_variant_without_its_base_cell_is_counted_apart_from_failures() -> None:
    base = get_task("1v1-normal-0.75")
    power3 = variant(base, get_family("power"), 3.0)
    with ResultStore(":memory:") as store:
        run_grid(Grid([base, power3], ["gaussian"], ns=[200], seeds=[0, 1]), store, progress=False)
        table = invariance_table(store.results())
    row = table.iloc[0]
    assert (row["pairs"], row["failed_pairs"], row["no_base"]) == (0, 0, 2)
    scores = invariance_scores(table)
    assert scores["failed_variants"].iloc[0] == 1 and np.isnan(scores["score"].iloc[0])
    empty = invariance_scores(table.iloc[0:0])
    assert list(empty.columns)[-1] == "failed_variants" and empty.empty
