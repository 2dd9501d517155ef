"""Classical baseline estimators of mutual information (nats): kNN, binning, kernel density,
Gaussian, and estimators for categorical and mixed data.

Installed as ``mibench.baselines`` (the repository folder is ``baselines/``). Importing it
registers the built-in names:

========================  ==================================================================
``ksg``                   KSG-1 (Kraskov et al. 2004), :class:`~mibench.baselines.ksg.KSG`
``ksg2``                  KSG-2, :class:`~mibench.baselines.ksg.KSG2`
``kl``                    Kozachenko–Leonenko three-entropy MI, :class:`~mibench.baselines.kl.KLMI`
``lnc``                   LNC (Gao et al. 2015), :class:`~mibench.baselines.lnc.LNC`
``histogram``             binning, :class:`~mibench.baselines.binning.Histogram`
``kde``                   Gaussian kernel density (as bmi), :class:`~mibench.baselines.kde.KDE`
``gaussian``              Gaussian log-det, :class:`~mibench.baselines.gaussian.GaussianMI`
``gaussian-copula``       on normal scores, :class:`~mibench.baselines.gaussian.GaussianCopulaMI`
``plugin``                categorical X and Y, plug-in + Miller–Madow,
                          :class:`~mibench.baselines.plugin.PluginMI`
``ross``                  one categorical, one continuous (Ross 2014),
                          :class:`~mibench.baselines.ross.Ross`
``mixed-ksg``             ties and point masses (Gao et al. 2017),
                          :class:`~mibench.baselines.mixed_ksg.MixedKSG`
========================  ==================================================================

Every one takes ``error_bar="subsampling"`` (Holmes & Nemenman 2019) to fill
``Estimate.stderr`` and the 95 % interval; see :mod:`mibench.errorbars`.
"""

# From the repository root, `import baselines` would load this folder as a second, top-level
# package; refuse it at once.
if __name__ != "mibench.baselines":
    raise ImportError(
        f"{__name__!r} is the repository folder baselines/, which installs as "
        "mibench.baselines: import mibench.baselines instead"
    )


from mibench.registry import register_estimator

from .binning import Histogram, discrete_mi
from .gaussian import GaussianCopulaMI, GaussianMI, gaussian_mi
from .kde import KDE
from .kl import KLMI, kl_entropy
from .ksg import KSG, KSG2
from .lnc import LNC
from .mixed_ksg import MixedKSG
from .plugin import PluginMI
from .ross import Ross

for _cls in (
    KSG,
    KSG2,
    KLMI,
    LNC,
    Histogram,
    KDE,
    GaussianMI,
    GaussianCopulaMI,
    PluginMI,
    Ross,
    MixedKSG,
):
    register_estimator(_cls.name, _cls)

__all__ = [
    "KDE",
    "KLMI",
    "KSG",
    "KSG2",
    "LNC",
    "GaussianCopulaMI",
    "GaussianMI",
    "Histogram",
    "MixedKSG",
    "PluginMI",
    "Ross",
    "discrete_mi",
    "gaussian_mi",
    "kl_entropy",
]
