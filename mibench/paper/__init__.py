"""Reference figures of the field, regenerated from stored results (``mibench figures``).

This package plans and draws; the engine (:mod:`mibench.harness`) computes. Modules:
:mod:`~mibench.paper.scale` (the ``--scale`` preview factor), :mod:`~mibench.paper.work`
(the cells a figure needs), :mod:`~mibench.paper.registry` (the figure registry),
:mod:`~mibench.paper.make` (have the engine compute a figure's pending cells, then draw it
from its tables), and one module per figure: :mod:`~mibench.paper.bottleneck`,
:mod:`~mibench.paper.staircase`, :mod:`~mibench.paper.staircase_lee_rhee`,
:mod:`~mibench.paper.mine_gaussian`, :mod:`~mibench.paper.mode_collapse`,
:mod:`~mibench.paper.standard_heatmap`, :mod:`~mibench.paper.discrete_heatmap`,
:mod:`~mibench.paper.bias_variance`, :mod:`~mibench.paper.coverage`,
:mod:`~mibench.paper.invariance`, :mod:`~mibench.paper.reconstruction` and
:mod:`~mibench.paper.pmi_profiles` (no cells: its draw computes the profiles). Importing this
package registers every figure.
"""

from mibench.paper import (  # noqa: F401 - importing the figure modules registers them
    bias_variance,
    bottleneck,
    coverage,
    discrete_heatmap,
    invariance,
    mine_gaussian,
    mode_collapse,
    pmi_profiles,
    reconstruction,
    staircase,
    staircase_lee_rhee,
    standard_heatmap,
)
from mibench.paper.make import MadeFigure, figure_folder, make_figure
from mibench.paper.registry import Drawing, PaperFigure, get_figure, list_figures
from mibench.paper.scale import Scale

__all__ = [
    "Drawing",
    "MadeFigure",
    "PaperFigure",
    "Scale",
    "figure_folder",
    "get_figure",
    "list_figures",
    "make_figure",
]
