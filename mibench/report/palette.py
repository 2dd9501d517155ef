"""One colour, marker and display name per estimator label, shared by every figure.

A label's style depends on its estimator only, never on the other labels of a figure, so a
label looks the same in every figure by construction:

* each built-in estimator has a fixed colour and marker (:data:`BUILTIN_STYLES`);
* a configuration of an estimator (``ksg[k=10]``) keeps its estimator's colour family: a
  darker shade of it with another marker, picked from a hash of the hyperparameters (further
  shades when the markers run out);
* an estimator outside the table (a plug-in) gets one of the spare slots
  (:data:`SPARE_STYLES`), picked from a hash of its name.

Two labels of one call that hash to the same style are told apart by taking the next free
style (in sorted label order), so that the labels of one figure always have distinct (colour,
marker) pairs; only such colliding labels can depend on the other labels of the call.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from matplotlib.colors import to_hex, to_rgb

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
    "kde": "KDE",
    "dv": "DV",
    "mine": "MINE",
    "mine-f": "MINE-f",
    "nwj": "NWJ",
    "infonce": "InfoNCE",
    "jsd": "JSD",
    "smile": "SMILE",
    "tuba": "TUBA",
    "alpha-infonce": "α-InfoNCE",
    "flo": "FLO",
    "ba": "BA",
    "club": "CLUB (approx. upper bound)",
    "doe": "DoE",
    "plugin": "plug-in",
    "ross": "Ross kNN",
    "mixed-ksg": "mixed KSG",
}

#: Markers of the palette, in slot order.
MARKERS = "osD^vP*Xph<>"

#: Fixed (colour, marker) of each built-in estimator (registry name). Grey and black are left
#: to reference lines (true MI, plain models).
BUILTIN_STYLES: dict[str, tuple[str, str]] = {
    # classical
    "ksg": ("#1f77b4", "o"),
    "ksg2": ("#6baed6", "s"),
    "kl": ("#17becf", "D"),
    "lnc": ("#393b79", "v"),
    "histogram": ("#8c564b", "X"),
    "gaussian": ("#bcbd22", "P"),
    "gaussian-copula": ("#637939", "p"),
    "kde": ("#bd9e39", "d"),
    "mixed-ksg": ("#3182bd", "*"),
    # discrete and mixed data
    "plugin": ("#b5cf6b", "s"),
    "ross": ("#9c9ede", "h"),
    # neural
    "dv": ("#7b4173", "h"),
    "mine": ("#d62728", "^"),
    "mine-f": ("#ff9896", "<"),
    "nwj": ("#9467bd", ">"),
    "infonce": ("#ff7f0e", "o"),
    "jsd": ("#2ca02c", "s"),
    "smile": ("#e377c2", "*"),
    "tuba": ("#ad494a", "P"),
    "alpha-infonce": ("#fd8d3c", "v"),
    "flo": ("#74c476", "D"),
    # conditional-density models
    "ba": ("#a55194", "p"),
    "club": ("#de9ed6", "X"),
    "doe": ("#8ca252", "<"),
}

#: (colour, marker) slots for estimators outside :data:`BUILTIN_STYLES` (plug-ins); beyond
#: them, every spare colour with every other marker.
SPARE_STYLES: tuple[tuple[str, str], ...] = (
    ("#aec7e8", "D"),
    ("#ffbb78", "v"),
    ("#98df8a", "^"),
    ("#c5b0d5", "P"),
    ("#c49c94", "*"),
    ("#f7b6d2", "X"),
    ("#9edae5", "o"),
    ("#dbdb8d", "s"),
    ("#843c39", "p"),
    ("#8c6d31", "h"),
    ("#e7ba52", "<"),
    ("#5254a3", ">"),
)

#: How far a configuration's colour is mixed towards black (darker) or white (lighter).
SHADE_DARK, SHADE_LIGHT = 0.3, 0.4


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


def _hash(text: str) -> int:
    """A hash that is the same in every process (unlike :func:`hash` on strings)."""
    return zlib.crc32(text.encode("utf-8"))


def _mix(color: str, towards: str, amount: float) -> str:
    rgb, target = to_rgb(color), to_rgb(towards)
    r, g, b = (c + (t - c) * amount for c, t in zip(rgb, target, strict=True))
    return to_hex((r, g, b))


def _split(label: str) -> tuple[str, str | None]:
    """``(estimator, configuration)`` of a label; configuration None for the bare estimator.

    Spec labels are parsed (``"ksg[k=10]"`` → ``("ksg", "k=10")``); other labels that start
    with a standard display name (``"NWJ (seeds)"``) count as a configuration of that
    estimator; anything else is an estimator of its own.
    """
    try:
        name, params = parse_spec(label)
    except ValueError:
        for key, shown in sorted(STANDARD_NAMES.items(), key=lambda kv: -len(kv[1])):
            if label == shown:
                return key, None
            if label.startswith(shown + " "):
                return key, label[len(shown) :].strip()
        return label, None
    name = name.lower() if name.lower() in BUILTIN_STYLES else name
    if not params:
        return name, None
    return name, ",".join(f"{k}={params[k]!r}" for k in sorted(params))


def _spare_candidates() -> list[tuple[str, str]]:
    # the spare slots, then every spare colour with every other marker
    extra = [(color, m) for color, own in SPARE_STYLES for m in MARKERS if m != own]
    return [*SPARE_STYLES, *extra]


def _variant_candidates(base: tuple[str, str]) -> list[tuple[str, str]]:
    """A darker shade of ``base`` with each other marker (the hash ring: dark shades read
    best on white), then a lighter shade and two further shades with every marker (for many
    configurations of one estimator)."""
    color, own = base
    dark = _mix(color, "black", SHADE_DARK)
    further = (
        _mix(color, "white", SHADE_LIGHT),
        _mix(color, "black", 2 * SHADE_DARK),
        _mix(color, "white", 1.6 * SHADE_LIGHT),
    )
    return [(dark, m) for m in MARKERS if m != own] + [
        (shade, m) for shade in further for m in MARKERS
    ]


def _pick(
    candidates: list[tuple[str, str]], start: int, taken: set, ring: int | None = None
) -> tuple[str, str]:
    """The first candidate not taken, trying the first ``ring`` candidates (all by default)
    from ``start`` on, wrapping, then the rest in order; ``start``'s own when all are taken."""
    ring = len(candidates) if ring is None else ring
    order = [candidates[(start + i) % ring] for i in range(ring)] + candidates[ring:]
    return next((c for c in order if c not in taken), order[0])


def estimator_styles(labels: Iterable[str]) -> dict[str, EstimatorStyle]:
    """Styles for the distinct ``labels``, each from its estimator (see the module docstring).

    A label gets the same style in every call whatever the other labels are (unless two of a
    call's labels hash to one style, when the later in sorted order takes the next free one),
    and the labels of one call always get distinct (colour, marker) pairs.

    Returns:
        Map of label to :class:`EstimatorStyle`.
    """
    unique = sorted({str(label) for label in labels})
    split = {label: _split(label) for label in unique}
    base: dict[str, tuple[str, str]] = dict(BUILTIN_STYLES)
    taken: set[tuple[str, str]] = set(BUILTIN_STYLES.values())
    spare = _spare_candidates()
    for name in sorted({name for name, _ in split.values()} - set(BUILTIN_STYLES)):
        base[name] = _pick(spare, _hash(name) % len(SPARE_STYLES), taken, len(SPARE_STYLES))
        taken.add(base[name])
    out: dict[str, tuple[str, str]] = {}
    later = []
    for label in unique:  # bare estimators first, so that no configuration takes their style
        name, config = split[label]
        if config is None and base[name] not in out.values():
            out[label] = base[name]
        else:  # a configuration, or a second spelling of an estimator ("NWJ" beside "nwj")
            later.append((label, name, label if config is None else config))
    for label, name, config in later:
        candidates = _variant_candidates(base[name])
        ring = len(MARKERS) - 1
        out[label] = _pick(candidates, _hash(config) % ring, taken, ring)
        taken.add(out[label])
    return {
        label: EstimatorStyle(color, marker, display_name(label))
        for label, (color, marker) in sorted(out.items())
    }
