"""Gaussian MI of two sample files, printed in nats: an estimator for mibench's ``external``.

    python gaussian_mi.py X Y

X and Y are the files mibench writes (``{x}`` and ``{y}`` in the command): ``.csv`` with a
header line and one sample per line, or ``.npy`` float64 arrays of shape ``(n, dim)``. Prints
½(ln det Σ_XX + ln det Σ_YY − ln det Σ), Σ the sample covariance of (X, Y), in nats, on one
line; exits with status 1 and a message on standard error when a covariance is singular.
Needs numpy only. Run it through mibench with, e.g.::

    mibench estimate data.csv --x a --y b \\
        --estimator 'external[command=("python", "examples/external/gaussian_mi.py", "{x}", "{y}")]'
"""

from __future__ import annotations

import sys

import numpy as np


def load(path: str) -> np.ndarray:
    """The samples in ``path`` (``.npy``, or CSV with one header line) as an ``(n, d)`` array."""
    if path.endswith(".npy"):
        a = np.load(path)
        return a.reshape(len(a), -1)
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def logdet(a: np.ndarray, what: str) -> float:
    """ln det of the sample covariance of the columns of ``a: (n, d)``; exits when singular."""
    sign, value = np.linalg.slogdet(np.atleast_2d(np.cov(a, rowvar=False)))
    if sign <= 0:
        sys.exit(f"gaussian_mi.py: the sample covariance of {what} is singular")
    return float(value)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit("usage: gaussian_mi.py X Y (two .csv or .npy sample files)")
    x, y = load(argv[0]), load(argv[1])
    mi = 0.5 * (logdet(x, "x") + logdet(y, "y") - logdet(np.hstack([x, y]), "(x, y)"))
    print(repr(mi))  # the shortest text that reads back as the same float64


if __name__ == "__main__":
    main(sys.argv[1:])
