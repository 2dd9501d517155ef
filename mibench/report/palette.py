"""One colour, marker and display name per estimator label, shared by every figure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import matplotlib
from matplotlib.colors import to_hex

from mibench.registry import parse_spec

#: The field's standard spelling of estimator names (KSG, InfoNCE, MINE-f, ...).
STANDARD_NAMES = {
    "ksg": "KSG",
    "ksg2": "KSG-2",
    "kl": "Kozachenko–Leonenko",
    "lnc": "LNC",
    "histogram": "histogram",
    "gaussian": "Gaussian",
    "gaussian-copula": "Gaussian copula",
    "dv": "DV",
    "mine": "MINE",
    "mine-f": "MINE-f",
    "nwj": "NWJ",
    "infonce": "InfoNCE",
    "jsd": "JSD",
    "smile": "SMILE",
}

_MARKERS = "osD^vP*Xph<>"


@dataclass(frozen=True)
class EstimatorStyle:
    """How an estimator label is drawn: colour (hex), marker, and display name."""

    color: str
    marker: str
    display_name: str


def display_name(label: str) -> str:
    """Display form of a label: ``"ksg[k=5]"`` → ``"KSG (k=5)"``; unparsable labels unchanged."""
    try:
        name, params = parse_spec(label)
    except ValueError:
        return label
    shown = STANDARD_NAMES.get(name.lower(), name)
    if not params:
        return shown
    return f"{shown} ({', '.join(f'{k}={params[k]}' for k in sorted(params))})"


def estimator_styles(labels: Iterable[str]) -> dict[str, EstimatorStyle]:
    """Styles for the distinct ``labels``, assigned in sorted label order.

    Call it once with every label of a results table and pass the mapping to each figure, so a
    label keeps its colour across figures. Colours come from ``tab10`` (up to 10 labels),
    ``tab20`` (up to 20) or evenly spaced samples of ``turbo`` beyond.

    Returns:
        Map of label to :class:`EstimatorStyle`.
    """
    unique = sorted({str(label) for label in labels})
    k = len(unique)
    if k <= 10:
        colors = [matplotlib.colormaps["tab10"](i) for i in range(k)]
    elif k <= 20:
        colors = [matplotlib.colormaps["tab20"](i) for i in range(k)]
    else:
        colors = [matplotlib.colormaps["turbo"](i / (k - 1)) for i in range(k)]
    return {
        label: EstimatorStyle(to_hex(c), _MARKERS[i % len(_MARKERS)], display_name(label))
        for i, (label, c) in enumerate(zip(unique, colors, strict=True))
    }
