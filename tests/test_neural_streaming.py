"""The staircase streaming task and the neural estimators' streaming mode."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from mibench.estimate import Status
from mibench.neural import MINE, InfoNCE
from mibench.tasks.streaming import Staircase, StreamingTask, standard_staircases


def test_staircase_schedule_and_ids():
    task = Staircase()
    assert task.id == "staircase-gaussian-20-2-4-6-8-10-x4000"
    assert task.n_steps == 20_000 and task.dim_x == task.dim_y == 20
    assert [task.true_mi(s) for s in (0, 3999, 4000, 19_999)] == [2.0, 2.0, 4.0, 10.0]
    assert "staircase" in task.tags
    bits = Staircase(unit="bits")
    assert bits.id.endswith("2-4-6-8-10bits-x4000")
    assert bits.true_mi(8000) == pytest.approx(6 * math.log(2))
    ids = [t.id for t in standard_staircases()]
    assert len(set(ids)) == 3 and any("cubic" in i for i in ids)
    assert isinstance(task, StreamingTask)


@pytest.mark.parametrize("cubic", [False, True])
def test_staircase_batches_have_the_scheduled_mi(cubic):
    task = Staircase(dim=4, levels=(0.5, 3.0), steps_per_level=10, cubic=cubic)
    for step, level in ((3, 0.5), (15, 3.0)):
        x, y = task.sample_batch(step, 200_000, seed=7)
        assert x.shape == y.shape == (200_000, 4) and x.dtype == np.float64
        gaussian_y = np.cbrt(y) if cubic else y
        r = np.array([np.corrcoef(x[:, i], gaussian_y[:, i])[0, 1] for i in range(4)])
        assert r == pytest.approx(task.rho(step), abs=0.01)
        assert -0.5 * np.log1p(-(r**2)).sum() == pytest.approx(level, abs=0.03)


def test_staircase_batches_are_deterministic_per_step_and_seed():
    task = Staircase(dim=2, levels=(1.0,), steps_per_level=5)
    a = task.sample_batch(2, 8, seed=1)
    np.testing.assert_array_equal(a[0], task.sample_batch(2, 8, seed=1)[0])
    assert not np.array_equal(a[0], task.sample_batch(3, 8, seed=1)[0])
    assert not np.array_equal(a[0], task.sample_batch(2, 8, seed=2)[0])


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda t: t.true_mi(5), "step"),
        (lambda t: t.true_mi(-1), "step"),
        (lambda t: t.sample_batch(0, 0, 1), "batch_size"),
        (lambda t: t.sample_batch(0, 4, -1), "seed"),
    ],
)
def test_staircase_rejects_out_of_range_arguments(call, name):
    with pytest.raises(ValueError, match=name):
        call(Staircase(dim=2, levels=(1.0,), steps_per_level=5))


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [({"dim": 0}, "dim"), ({"levels": ()}, "levels"), ({"unit": "bans"}, "unit")],
)
def test_staircase_rejects_bad_construction(kwargs, name):
    with pytest.raises(ValueError, match=name):
        Staircase(**kwargs)


def test_mine_streaming_trace_follows_the_staircase():
    task = Staircase(dim=2, levels=(0.5, 2.0), steps_per_level=500)
    result = MINE(batch_size=64, seed=0, eval_every=100).estimate_streaming(task)
    assert result.ok and result.steps == 1000 and len(result.trace) == 1000
    assert [s for s, _, _ in result.trace] == list(range(1000))
    assert [t for _, _, t in result.trace] == [task.true_mi(s) for s in range(1000)]
    values = np.array([v for _, v, _ in result.trace])
    assert np.isfinite(values).all()
    assert result.value == pytest.approx(values[-100:].mean())
    # Measured over seeds 0–9, end of the first stage (true 0.5): mean − 0.5 from −0.055 to
    # −0.010 (mean −0.034, sd 0.016; seed 0 −0.045); tolerance 0.1 (|mean| + 4 sd). End of the
    # second stage (true 2.0): value − 2 from −0.055 to +0.054 (sd 0.037; seed 0 +0.054);
    # tolerance 0.15 (4 sd).
    assert abs(values[400:500].mean() - 0.5) < 0.1  # end of the first stage
    assert abs(result.value - 2.0) < 0.15  # end of the second stage
    assert result.extras["true_mi"] == 2.0 and result.n_samples == 64_000


def test_infonce_streaming_never_exceeds_log_batch_size():
    task = Staircase(dim=5, levels=(6.0,), steps_per_level=800)
    result = InfoNCE(batch_size=16, seed=0).estimate_streaming(task, n_steps=600)
    values = np.array([v for _, v, _ in result.trace])
    assert len(values) == 600 and (values <= math.log(16)).all()
    # Measured ln 16 − mean of the last 100 over seeds 0–9: 0.170–0.246 (mean 0.191, sd 0.024;
    # seed 0 0.193); the gap must lie in 0.19 ± 0.1 (4 sd).
    assert 0.09 < math.log(16) - values[-100:].mean() < 0.29


@dataclass(frozen=True)
class _Scaled(Staircase):
    """A staircase whose batches are multiplied by ``factor`` (streaming fits do not
    standardise)."""

    factor: float = 1.0

    def sample_batch(self, step: int, batch_size: int, seed: int):
        x, y = super().sample_batch(step, batch_size, seed)
        return x * self.factor, y * self.factor


def test_streaming_divergence_is_reported_with_the_step():
    # Batches far beyond float16's range.
    task = _Scaled(dim=2, levels=(1.0,), steps_per_level=50, factor=1e6)
    result = MINE(batch_size=16, dtype="float16", eval_every=10).estimate_streaming(task)
    assert result.status is Status.DIVERGED and result.steps == 0 and result.trace == []
    assert "step 0" in result.message and math.isnan(result.value)


def test_streaming_final_value_far_below_zero_is_diverged_with_its_trace():
    # Before, such a run was stored with status ok and an estimate of about -1e8 nats. (At
    # factor 30 its critic scores now pass ±1e4 first: a divergence at that step.)
    task = _Scaled(dim=2, levels=(1.0,), steps_per_level=300, factor=12.0)
    mine = MINE(batch_size=16, lr=0.01, seed=0, eval_every=50, critic="separable")
    result = mine.estimate_streaming(task)
    assert result.status is Status.DIVERGED
    assert result.steps == 300 and len(result.trace) == 300
    final = np.mean([v for _, v, _ in result.trace[-50:]])
    assert final < -1
    assert result.value == pytest.approx(final)  # kept, flagged by its status
    assert f"final value (mean of the last 50 steps) is {final:.4g} nats" in result.message
    exploding = _Scaled(dim=2, levels=(1.0,), steps_per_level=300, factor=30.0)
    result = mine.estimate_streaming(exploding)
    assert result.status is Status.DIVERGED and result.steps < 300
    assert "critic score beyond ±10000" in result.message
    assert len(result.trace) == result.steps  # the trace stops before the bad step


def test_streaming_rejects_bad_step_counts():
    task = Staircase(dim=2, levels=(1.0,), steps_per_level=5)
    with pytest.raises(ValueError, match="n_steps"):
        MINE(batch_size=4).estimate_streaming(task, n_steps=0)
    with pytest.raises(ValueError, match="step"):
        MINE(batch_size=4).estimate_streaming(task, n_steps=6)


def test_streaming_rows_record_no_standardisation():
    # Streaming rows once said standardize = 1 although streaming never standardises.
    from mibench.harness import ResultStore, execute
    from mibench.harness.grid import streaming_cells

    task = Staircase(dim=2, levels=(1.0,), steps_per_level=20)
    cells = streaming_cells(task, "mine[batch_size=16]", [0])
    with ResultStore(":memory:") as store:
        execute(cells, [task], store, progress=False)
        rows = store.rows()
    assert rows["standardize"].tolist() == [0]
    assert rows["job_kind"].tolist() == ["streaming"]
