"""The registry of paper figures: name → how to compute it and how to draw it.

A :class:`PaperFigure` is a name, a one-line description, a ``plan`` (the
:class:`~mibench.paper.work.FigureWork` behind the figure at a given
:class:`~mibench.paper.scale.Scale`)
and a ``draw`` function that writes the figure and its tables from the stored results table
(never by re-running estimators).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from mibench.named_registry import Registry
from mibench.paper.scale import Scale
from mibench.paper.work import FigureWork


@dataclass(frozen=True)
class Drawing:
    """What a figure is drawn from and where it goes.

    Attributes:
        results: the figure's rows of the results table (only cells of its plan; empty
            for a figure without cells).
        traces: the trace side table of those rows (cell_id, step, train_value, test_value).
        folder: the figure's run folder; files are written there.
        scale: the scale of the run.
        expected: number of cells in the figure's plan (``len(results)`` when complete).
    """

    results: pd.DataFrame
    traces: pd.DataFrame
    folder: Path
    scale: Scale
    expected: int

    def caption(self, text: str) -> str:
        """``text`` followed by the scale sentence, the command option that made it (for the
        folder's README; :func:`set_title` leaves it out of the figure) and, if incomplete,
        the coverage."""
        parts = [text, self.scale.caption(), _OPTION_NOTE.format(option=self.scale.option())]
        if len(self.results) < self.expected:
            parts.append(f"Partial: {len(self.results)} of {self.expected} cells stored so far.")
        return " ".join(parts)


#: The sentence of :meth:`Drawing.caption` naming the command option, and its pattern.
_OPTION_NOTE = "Made with {option}."
_OPTION_RE = re.compile(r"\s*Made with --scale [0-9.eE+-]*[0-9]\.(?=\s|$)")


def title_caption(caption: str) -> str:
    """``caption`` without the command-option sentence of :meth:`Drawing.caption`."""
    return _OPTION_RE.sub("", caption).strip()


def set_title(fig: Figure, title: str, caption: str) -> None:
    """Title ``fig`` with ``title`` over ``caption`` in small type, wrapped to its width.

    The caption's command-option sentence (:meth:`Drawing.caption`) is left out: a figure
    states its scale in words.
    """
    width = max(60, int(fig.get_figwidth() * 16))
    lines = textwrap.wrap(title_caption(caption), width)
    fig.suptitle(f"{title}\n" + "\n".join(lines), fontsize=8)


@dataclass(frozen=True)
class PaperFigure:
    """One reference figure of the field.

    Attributes:
        name: the command-line name (kebab-case).
        description: one line for ``mibench figures --list``.
        source: the paper(s) whose figure this reproduces.
        plan: the cells behind the figure at a scale; none for a figure whose draw computes
            what it shows from the tasks (``pmi-profiles``).
        draw: writes the figure (PNG and PDF) and its tables; returns the paths written.
    """

    name: str
    description: str
    source: str
    plan: Callable[[Scale], FigureWork]
    draw: Callable[[Drawing], list[Path]]


_FIGURES: Registry[PaperFigure] = Registry("figure")


def register_figure(figure: PaperFigure) -> PaperFigure:
    """Add ``figure`` to the registry and return it (registering the same figure again is a
    no-op).

    Raises:
        ValueError: when another figure of that name is registered already.
    """
    return _FIGURES.register(figure.name, figure)


def list_figures() -> list[PaperFigure]:
    """The registered figures, in registration order."""
    return _FIGURES.values()


def get_figure(name: str) -> PaperFigure:
    """The figure registered under ``name``.

    Raises:
        ValueError: for an unknown name, listing the registered ones.
    """
    return _FIGURES.lookup(name)
