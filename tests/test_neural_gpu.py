"""The neural estimators on CUDA: the CPU code path, on the GPU (skipped where there is none).

Run on a GPU machine with ``scripts/gpu_check.sh`` (or ``pytest -m gpu``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mibench.neural import JSD, MINE, InfoNCE, fit_ensemble, replicate
from mibench.neural import objectives as obj
from mibench.tasks.gaussian import bivariate_normal
from mibench.tasks.streaming import Staircase

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]

MI_09 = -0.5 * math.log(1 - 0.9**2)


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    return bivariate_normal(0.9).sample(4000, seed=0)


@pytest.mark.parametrize("cls", [MINE, JSD, InfoNCE])
def test_trained_on_cuda_within_0_1_nats_and_close_to_cpu(cls, data):
    gpu = cls(seed=0, device="cuda").estimate(*data)
    cpu = cls(seed=0, device="cpu").estimate(*data)
    assert gpu.ok and gpu.device.startswith("cuda")
    assert abs(gpu.value - MI_09) < 0.1
    assert abs(gpu.value - cpu.value) < 0.05  # same seeds and batches; rounding differs


def test_auto_picks_cuda(data):
    result = MINE(seed=0, device="auto", max_steps=100).estimate(*data)
    assert result.device.startswith("cuda")


def test_cuda_ensemble_matches_separate_cuda_runs(data):
    members = replicate(MINE(device="cuda", max_steps=500), range(4))
    together = fit_ensemble(members, *data)
    values = np.array([m.estimate(*data).value for m in members])
    for result, alone in zip(together, values, strict=True):
        assert abs(result.value - alone) <= max(values.std(ddof=1), 1e-4)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_mixed_precision_on_cuda(dtype, data):
    result = MINE(seed=0, device="cuda", dtype=dtype).estimate(*data)
    assert result.ok and abs(result.value - MI_09) < 0.15


def test_objectives_on_cuda_equal_cpu():
    gen = torch.Generator().manual_seed(0)
    t_joint = torch.randn(3, 64, generator=gen) + 120.0
    t_marginal = torch.randn(3, 64, 5, generator=gen) + 119.0
    for fn in (obj.dv_bound, obj.nwj_bound, obj.jsd_bound, obj.infonce_bound, obj.smile_bound):
        cpu = fn(t_joint, t_marginal)
        gpu = fn(t_joint.cuda(), t_marginal.cuda())
        assert gpu.device.type == "cuda"
        torch.testing.assert_close(gpu.cpu(), cpu)
        half = fn(t_joint.cuda().half(), t_marginal.cuda().half())
        assert torch.isfinite(half).all()


def test_streaming_on_cuda():
    task = Staircase(dim=5, levels=(1.0, 2.0), steps_per_level=200)
    result = MINE(batch_size=64, seed=0, device="cuda").estimate_streaming(task)
    assert result.ok and len(result.trace) == 400 and result.device.startswith("cuda")
    assert abs(result.value - 2.0) < 0.6
