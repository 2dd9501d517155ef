"""Critics with batched weights and the derangement pairing, against plain torch.nn."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from mibench.neural.critics import (
    JointCritic,
    SeparableCritic,
    make_critic,
    negatives_per_sample,
    pair_index,
)


@pytest.mark.parametrize(("batch", "k"), [(2, 1), (5, 3), (8, 7), (256, 1)])
def test_pair_index_is_a_derangement_of_distinct_partners(batch, k):
    pairs = pair_index(batch, k)
    assert pairs.shape == (batch, k + 1)
    rows = torch.arange(batch)
    assert torch.equal(pairs[:, 0], rows)
    assert not (pairs[:, 1:] == rows[:, None]).any()  # no sample paired with itself
    for s in range(1, k + 1):  # each column is a permutation of the batch
        assert torch.equal(pairs[:, s].sort().values, rows)
    assert all(len(set(row.tolist())) == k + 1 for row in pairs)


def test_all_negatives_cover_every_off_diagonal_pair_once():
    pairs = pair_index(6, negatives_per_sample("all", 6))
    got = {(i, int(j)) for i in range(6) for j in pairs[i, 1:]}
    assert got == {(i, j) for i in range(6) for j in range(6) if i != j}


def test_negatives_per_sample_rules():
    assert negatives_per_sample("all", 64) == 63
    assert negatives_per_sample(4, 64) == 4
    assert negatives_per_sample(8, 3) == 2  # capped at b - 1
    with pytest.raises(ValueError, match="batch_size"):
        negatives_per_sample(1, 1)
    with pytest.raises(ValueError, match="negatives"):
        negatives_per_sample(0, 8)
    with pytest.raises(ValueError, match="negatives"):
        negatives_per_sample("some", 8)


def _linear_stack(weights: list[tuple[torch.Tensor, torch.Tensor]]) -> nn.Sequential:
    """nn.Sequential of Linear + ReLU layers holding the given (weight (in, out), bias)."""
    layers: list[nn.Module] = []
    for i, (w, b) in enumerate(weights):
        lin = nn.Linear(w.shape[0], w.shape[1]).double()
        with torch.no_grad():
            lin.weight.copy_(w.T)
            lin.bias.copy_(b.reshape(-1))
        layers.append(lin)
        if i < len(weights) - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _members(critic, n_members: int) -> torch.Tensor:
    return torch.stack([critic.init(torch.Generator().manual_seed(s)) for s in range(n_members)])


def _reference_mlp(critic_mlp, theta: torch.Tensor, e: int) -> nn.Sequential:
    n_layers = len(critic_mlp.slices)
    return _linear_stack([tuple(t[e] for t in critic_mlp.layer(theta, i)) for i in range(n_layers)])


def _batch(n_members: int, b: int, dx: int, dy: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(n_members, b, dx, generator=gen, dtype=torch.float64)
    return x, torch.randn(n_members, b, dy, generator=gen, dtype=torch.float64)


def test_joint_critic_matches_an_mlp_on_concatenated_pairs():
    critic = JointCritic(2, 3, hidden=(7, 5))
    theta = _members(critic, 3)
    x, y = _batch(3, 6, 2, 3)
    pairs = pair_index(6, 2)
    scores = critic.scores(theta, x, y, pairs)
    assert scores.shape == (3, 6, 3)
    for e in range(3):
        mlp = _reference_mlp(critic.mlp, theta, e)
        inputs = torch.cat([x[e, :, None, :].expand(-1, 3, -1), y[e][pairs]], dim=-1)
        torch.testing.assert_close(scores[e], mlp(inputs).squeeze(-1), rtol=0, atol=1e-12)


def test_separable_critic_matches_inner_products_of_two_mlps():
    critic = SeparableCritic(2, 3, hidden=(7,), embed_dim=4)
    theta = _members(critic, 2)
    x, y = _batch(2, 5, 2, 3)
    pairs = pair_index(5, 4)
    scores = critic.scores(theta, x, y, pairs)
    for e in range(2):
        g = _reference_mlp(critic.g, theta, e)(x[e])
        h = _reference_mlp(critic.h, theta, e)(y[e])
        expected = torch.stack([g[i] @ h[pairs[i]].T for i in range(5)])
        torch.testing.assert_close(scores[e], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind", ["joint", "separable"])
def test_members_are_independent_and_init_is_reproducible(kind):
    critic = make_critic(kind, 1, 2, (8, 8), "tanh", 3)
    theta = _members(critic, 4)
    assert theta.shape == (4, critic.n_params)
    torch.testing.assert_close(theta[2], critic.init(torch.Generator().manual_seed(2)))
    assert not torch.equal(theta[0], theta[1])
    x, y = _batch(4, 9, 1, 2)
    pairs = pair_index(9, 3)
    together = critic.scores(theta, x, y, pairs)
    for e in range(4):
        alone = critic.scores(theta[e : e + 1], x[e : e + 1], y[e : e + 1], pairs)
        torch.testing.assert_close(together[e : e + 1], alone, rtol=0, atol=1e-12)


def test_init_follows_the_torch_linear_bounds():
    critic = JointCritic(3, 1, hidden=(50,))
    theta = critic.init(torch.Generator().manual_seed(0))[None]
    weight, bias = critic.mlp.layer(theta, 0)
    bound = 1 / math.sqrt(4)
    assert weight.abs().max() <= bound and bias.abs().max() <= bound
    assert weight.abs().max() > 0.9 * bound


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"kind": "deep"}, "critic"),
        ({"hidden": ()}, "hidden"),
        ({"hidden": (8, 0)}, "hidden"),
        ({"activation": "swish2"}, "activation"),
        ({"embed_dim": 0, "kind": "separable"}, "embed_dim"),
        ({"dim_x": 0}, "dim_x"),
    ],
)
def test_invalid_architectures_raise_naming_the_argument(kwargs, name):
    args = {"kind": "joint", "dim_x": 1, "dim_y": 1, "hidden": (8,), "activation": "relu"}
    args["embed_dim"] = 4
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        make_critic(**args)
