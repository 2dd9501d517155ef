"""Shared test fixtures: small estimators registered for harness tests, awkward samples for
the neighbour searches."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

from mibench.estimator import Estimator
from mibench.registry import register_estimator


class GaussianCorrelation(Estimator):
    """Test estimator: −½ ln(1 − r²) from the sample correlation of the first columns."""

    name = "test-corr"

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        r = np.corrcoef(x[:, 0], y[:, 0])[0, 1]
        return -0.5 * np.log1p(-(r**2)) * self.scale


class AlwaysFails(Estimator):
    """Test estimator that raises on every call."""

    name = "test-fail"

    def __init__(self) -> None:
        pass

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        raise RuntimeError("deliberate failure")


class SeededNoise(Estimator):
    """Test estimator whose value is a draw from its own seed (checks seed derivation)."""

    name = "test-seeded"
    deterministic = False

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.random.default_rng(self.seed).uniform())


class Sleeps(Estimator):
    """Test estimator that sleeps ``seconds`` before answering (timeouts, kills)."""

    name = "test-sleep"

    def __init__(self, seconds: float = 0.1) -> None:
        self.seconds = seconds

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        time.sleep(self.seconds)
        return 0.0


class KillsItsProcess(Estimator):
    """Test estimator that ends its own process on data with ``columns`` columns (as an
    out-of-memory kill would), and answers 0 otherwise."""

    name = "test-kill"

    def __init__(self, columns: int = 2) -> None:
        self.columns = columns

    def _estimate(self, x: np.ndarray, y: np.ndarray) -> float:
        if x.shape[1] == self.columns:
            os._exit(3)
        return 0.0


for _cls in (GaussianCorrelation, AlwaysFails, SeededNoise, Sleeps, KillsItsProcess):
    register_estimator(_cls.name, _cls, replace=True)


@pytest.fixture
def test_estimators() -> dict[str, type[Estimator]]:
    return {c.name: c for c in (GaussianCorrelation, AlwaysFails, SeededNoise, Sleeps)}


#: Names of a Chromium (or Chrome) executable, in order of preference.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a headless-capable Chromium. Skips without one, except on CI (``CI`` set),
    where ``.ci/run`` installs Debian's ``chromium`` and its absence is a failure."""
    import shutil

    found = next((p for p in map(shutil.which, CHROMIUM_NAMES) if p), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no Chromium on CI: .ci/run installs Debian's chromium")
        pytest.skip("no Chromium installed (apt-get install chromium)")
    return found


@pytest.fixture(scope="session")
def dump_dom(chromium: str):
    """``dump_dom(page, fragment="")``: the DOM of an HTML file after headless Chromium has
    loaded it and run its scripts (``--dump-dom``, with virtual time for the asynchronous
    decompression of the details)."""
    import subprocess
    import tempfile

    def dump(page, fragment: str = "") -> str:
        with tempfile.TemporaryDirectory() as profile:
            done = subprocess.run(
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    f"--user-data-dir={profile}",
                    "--virtual-time-budget=20000",
                    "--dump-dom",
                    page.resolve().as_uri() + fragment,
                ],
                capture_output=True,
                text=True,
                timeout=180,
                check=True,
            )
        return done.stdout

    return dump


def _awkward_samples(kind: str, n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, d))
    if kind == "ties":
        return np.round(a * 2)  # many equal coordinates and equal distances
    if kind == "duplicates":
        return np.repeat(a[: n // 4], 4, axis=0)  # each sample three times more
    if kind == "scales":
        return a * np.geomspace(1e-8, 1e8, d) + 1e6  # huge and tiny scales, a large offset
    return a


@pytest.fixture
def awkward_samples():
    """``make(kind, n, d, seed)``: samples of shape ``(n, d)``, standard normal for
    ``"normal"``, rounded to halves for ``"ties"``, each row four times for ``"duplicates"`` (n
    rounded down to a multiple of 4), coordinates scaled from 1e-8 to 1e8 and shifted by 1e6
    for ``"scales"``."""
    return _awkward_samples
