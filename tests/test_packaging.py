"""Packaging: the repository folders tasks/ and baselines/ install inside the mibench
namespace only; importing them as top-level packages from the repository root fails at once."""

from __future__ import annotations

import os
import re
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


#: A path to a Markdown file of the repository as the sources and docs write it.
_MD_PATH = re.compile(r"(?<![\w/.-])((?:docs|results|benchmarks|scripts)/[\w./-]*?\.md)\b")


def _sources() -> list[Path]:
    folders = ("mibench", "tasks", "baselines", "benchmarks", "scripts")
    files = [p for folder in folders for p in (ROOT / folder).rglob("*.py")]
    return [*files, ROOT / "README.md", *(ROOT / "docs").glob("*.md")]


def test_every_markdown_file_the_sources_and_docs_refer_to_exists() -> None:
    mentions = {
        (path.relative_to(ROOT).as_posix(), ref)
        for path in _sources()
        for ref in _MD_PATH.findall(path.read_text(encoding="utf-8"))
    }
    assert len(mentions) > 10  # the pattern finds the references (docs/figures.md, ...)
    missing = sorted((where, ref) for where, ref in mentions if not (ROOT / ref).is_file())
    assert missing == []


def test_no_source_refers_to_documents_outside_the_repository() -> None:
    # The design is described in docs/design.md; the notes it grew from are not shipped.
    outside = re.compile(r"\b(DESIGN|REFERENCE|STYLE)\.md\b")
    hits = [p.relative_to(ROOT).as_posix() for p in _sources() if outside.search(p.read_text())]
    assert hits == []
