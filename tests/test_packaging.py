"""Packaging: the repository folders tasks/ and baselines/ install inside the mibench
namespace only; importing them as top-level packages from the repository root fails at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["tasks", "baselines"])
def test_top_level_import_from_the_repository_root_fails_naming_the_package(name) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert f"import mibench.{name} instead" in done.stderr


def test_importing_the_figure_modules_leaves_the_users_matplotlib_backend() -> None:
    code = (
        "import matplotlib, mibench.paper, mibench.report.figures; "
        "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend()"
    )
    env = {**os.environ, "MPLBACKEND": "svg"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
