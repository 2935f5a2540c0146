"""Triplet mining: each strategy against a brute-force loop over all triplets."""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import assume, given, settings, strategies as st

from train.losses import STRATEGIES, triplet_loss


def _reference(emb: np.ndarray, labels: np.ndarray, strategy: str, margin: float):
    """Loss and active fraction by explicit loops, float64."""
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    n = len(labels)
    d = ((emb[:, None] - emb[None]) ** 2).sum(-1)
    pos = lambda a: [p for p in range(n) if p != a and labels[p] == labels[a]]
    neg = lambda a: [k for k in range(n) if labels[k] != labels[a]]
    if strategy == "batch-all":
        losses = [max(d[a, p] - d[a, k] + margin, 0.0)
                  for a in range(n) for p in pos(a) for k in neg(a)]
        active = [x for x in losses if x > 0]
        return (np.mean(active) if active else 0.0), (len(active) / len(losses) if losses else 0.0)
    losses = []
    for a in range(n):
        if not neg(a):
            continue
        if strategy == "batch-hard":
            if pos(a):
                losses.append(max(max(d[a, p] for p in pos(a)) - min(d[a, k] for k in neg(a))
                                  + margin, 0.0))
            continue
        for p in pos(a):
            farther = [d[a, k] for k in neg(a) if d[a, k] > d[a, p]]
            chosen = min(farther) if farther else max(d[a, k] for k in neg(a))
            losses.append(max(d[a, p] - chosen + margin, 0.0))
    if not losses:
        return 0.0, 0.0
    return np.mean(losses), np.mean([x > 0 for x in losses])


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(st.integers(0, 3), min_size=2, max_size=10),
       dim=st.integers(2, 6), seed=st.integers(0, 2**32 - 1),
       margin=st.floats(0.0, 1.0), strategy=st.sampled_from(STRATEGIES))
def test_matches_brute_force(labels, dim, seed, margin, strategy):
    labels = np.array(labels)
    emb = np.random.default_rng(seed).normal(size=(len(labels), dim)).astype(np.float32)
    unit = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    d = ((unit[:, None].astype(np.float64) - unit[None]) ** 2).sum(-1)
    # float32 rounding may flip a comparison of two nearly equal distances or a loss near 0:
    # such draws test rounding, not mining.
    values = d[np.triu_indices(len(labels), 1)]
    gaps = values[:, None] - values[None, :]
    assume(np.all((np.abs(gaps) > 1e-4) | np.eye(len(values), dtype=bool)))
    assume(np.all(np.abs(gaps + margin) > 1e-4))
    expected_loss, expected_active = _reference(emb.astype(np.float64), labels, strategy, margin)
    loss, stats = triplet_loss(emb, labels, strategy, margin)
    assert float(loss) == pytest.approx(expected_loss, abs=1e-4)
    assert float(stats["active"]) == pytest.approx(expected_active, abs=1e-6)


def test_stats_are_mean_distances():
    emb = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], np.float32)
    _, stats = triplet_loss(emb, np.array([0, 0, 1, 1]), "batch-all")
    assert float(stats["pos_dist"]) == pytest.approx(0.0)
    assert float(stats["neg_dist"]) == pytest.approx(2.0)
    assert float(stats["active"]) == pytest.approx(0.0)


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("labels", [[0, 0, 0, 0], [0, 1, 2, 3]])
def test_no_valid_triplet_gives_zero_and_finite_gradients(strategy, labels):
    emb = tf.Variable(np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32))
    with tf.GradientTape() as tape:
        loss, stats = triplet_loss(emb, np.array(labels), strategy)
    grad = tape.gradient(loss, emb)
    assert float(loss) == 0.0 and float(stats["active"]) == 0.0
    assert grad is None or np.all(np.isfinite(grad.numpy()))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_gradient_step_lowers_loss(strategy):
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(4), 3)
    emb = tf.Variable(rng.normal(size=(12, 8)).astype(np.float32))
    losses = []
    for _ in range(30):
        with tf.GradientTape() as tape:
            loss, _ = triplet_loss(emb, labels, strategy)
        emb.assign_sub(0.5 * tape.gradient(loss, emb))
        losses.append(float(loss))
    assert losses[-1] < losses[0]


def test_unknown_strategy():
    with pytest.raises(ValueError, match="strategy"):
        triplet_loss(np.zeros((2, 2), np.float32), np.array([0, 1]), "hardest")
