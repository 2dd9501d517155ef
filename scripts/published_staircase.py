"""Run Song & Ermon's published staircase code on CPU, for comparison with `mibench figures
staircase` (issue #17, item 11; docs/figures.md, the staircase section).

Song & Ermon (2020) publish their estimators and critics as ``estimators.py`` and ``utils.py``
in github.com/ermongroup/smile-mi-estimator, with the training loop in ``demo.ipynb``. This
script loads those two files from a clone of that repository unchanged except that every
``cuda`` becomes ``cpu`` (the code calls ``.cuda()`` throughout), and trains one critic with the
notebook's loop and settings: 20-d Gaussian, y = ρx + sqrt(1 − ρ²)ε (cubed with ``--cubic``), the
true MI stepping through 2, 4, 6, 8, 10 nats for 4,000 steps each, a fresh batch of 64 per step,
Adam with learning rate 5e-4, hidden width 256, embedding 32, ReLU. ``--layers`` is the
notebook's ``layers`` (its default 2 gives three hidden layers). It prints one JSON line: the
first non-finite step (or null), the lowest per-step estimate, the median of the last 1,000
steps of each stage and the mean of the last 100 steps, all in nats.

Usage:
    git clone https://github.com/ermongroup/smile-mi-estimator /tmp/smile
    python scripts/published_staircase.py /tmp/smile --estimator js --cubic --seed 0
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import numpy as np
import torch

STEPS = 20_000
STAGE = 4_000


def load(repo: Path, name: str) -> types.ModuleType:
    """``repo/name.py`` as a module, with ``cuda`` replaced by ``cpu``."""
    source = (repo / f"{name}.py").read_text(encoding="utf-8").replace("cuda", "cpu")
    module = types.ModuleType(name)
    sys.modules[name] = module  # registered as an import of the file would be
    exec(compile(source, str(repo / f"{name}.py"), "exec"), module.__dict__)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path, help="a clone of ermongroup/smile-mi-estimator")
    parser.add_argument("--estimator", default="js", help="infonce, nwj, js, smile or dv")
    parser.add_argument("--clip", type=float, default=None, help="SMILE's τ (default: none)")
    parser.add_argument("--critic", choices=("separable", "concat"), default="separable")
    parser.add_argument("--layers", type=int, default=2, help="the notebook's layers (2)")
    parser.add_argument("--cubic", action="store_true", help="y ↦ y³")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    torch.set_num_threads(1)
    utils = load(args.repo, "utils")
    estimators = load(args.repo, "estimators")
    torch.manual_seed(args.seed)
    dim = 20
    critic_class = utils.SeparableCritic if args.critic == "separable" else utils.ConcatCritic
    critic = critic_class(
        rho=None, dim=dim, layers=args.layers, embed_dim=32, hidden_dim=256, activation="relu"
    )
    optimiser = torch.optim.Adam(critic.parameters(), lr=5e-4)
    rhos = utils.mi_to_rho(dim, utils.mi_schedule(STEPS))
    extra = {} if args.clip is None else {"clip": args.clip}
    values = np.empty(STEPS)
    for step in range(STEPS):
        optimiser.zero_grad()
        x, y = utils.sample_correlated_gaussian(
            dim=dim, rho=rhos[step], batch_size=64, cubic=True if args.cubic else None
        )
        mi = estimators.estimate_mutual_information(
            args.estimator, x, y, critic, None, None, **extra
        )
        (-mi).backward()
        optimiser.step()
        values[step] = float(mi.detach())
    finite = np.isfinite(values)
    stage_medians = [
        float(np.median(values[s * STAGE + STAGE - 1000 : (s + 1) * STAGE])) for s in range(5)
    ]
    print(
        json.dumps(
            {
                "estimator": args.estimator,
                "clip": args.clip,
                "critic": args.critic,
                "layers": args.layers,
                "cubic": args.cubic,
                "seed": args.seed,
                "first_nonfinite_step": None if finite.all() else int(np.argmin(finite)),
                "lowest": float(np.nanmin(values)),
                "stage_medians": stage_medians,
                "last_100_mean": float(np.mean(values[-100:])),
            }
        )
    )


if __name__ == "__main__":
    main()
