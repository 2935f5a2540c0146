"""Triplet loss with online triplet mining inside a batch.

Every strategy works on L2-normalised embeddings and squared Euclidean distances, as in
FaceNet (Schroff et al. 2015), where the default margin 0.2 comes from:
d(a, b) = ||a - b||^2, in [0, 4] for unit vectors (the app thresholds the plain distance,
sqrt(d)). A triplet (anchor a, positive p, negative n) has a and p of one person (a != p)
and n of another; its loss is max(d(a, p) - d(a, n) + margin, 0); it is "active" when > 0.

Strategies:
    batch-all:  every valid triplet; the loss is the mean over the active ones
                (Hermans et al. 2017), so easy triplets do not dilute it.
    batch-hard: for each anchor its farthest positive and nearest negative; mean over the
                anchors that have both.
    semi-hard:  FaceNet's rule, for each (a, p) pair: the nearest negative that is farther
                than p; when there is none, the farthest negative. Mean over all (a, p)
                pairs whose anchor has a negative (the rule of tfa.losses.TripletSemiHardLoss).
"""
from __future__ import annotations

import tensorflow as tf

STRATEGIES = ("batch-all", "batch-hard", "semi-hard")
# Larger than any squared distance between unit vectors (<= 4): masks entries out of a min.
_FAR = 10.0


def pairwise_sq_distances(embeddings: tf.Tensor) -> tf.Tensor:
    """(B, D) float32 -> (B, B) squared Euclidean distances, clipped at 0 against rounding."""
    dot = tf.matmul(embeddings, embeddings, transpose_b=True)
    sq = tf.linalg.diag_part(dot)
    return tf.maximum(sq[:, None] - 2.0 * dot + sq[None, :], 0.0)


def _masks(labels: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
    """(B,) int labels -> (positive, negative) (B, B) bool masks; positive excludes a == p."""
    same = tf.equal(labels[:, None], labels[None, :])
    eye = tf.eye(tf.shape(labels)[0], dtype=tf.bool)
    return same & ~eye, ~same


def _mean_where(values: tf.Tensor, mask: tf.Tensor) -> tf.Tensor:
    """Mean of `values` where `mask`; 0 (not NaN) when the mask is empty."""
    mask = tf.cast(mask, values.dtype)
    return tf.reduce_sum(values * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def _batch_all(d, pos, neg, margin):
    valid = pos[:, :, None] & neg[:, None, :]  # (anchor, positive, negative)
    losses = tf.nn.relu(d[:, :, None] - d[:, None, :] + margin) * tf.cast(valid, d.dtype)
    active = losses > 0.0
    return _mean_where(losses, active), _mean_where(tf.cast(active, d.dtype), valid)


def _batch_hard(d, pos, neg, margin):
    hardest_pos = tf.reduce_max(d * tf.cast(pos, d.dtype), axis=1)
    hardest_neg = tf.reduce_min(tf.where(neg, d, _FAR), axis=1)
    valid = tf.reduce_any(pos, axis=1) & tf.reduce_any(neg, axis=1)
    losses = tf.nn.relu(hardest_pos - hardest_neg + margin)
    return _mean_where(losses, valid), _mean_where(tf.cast(losses > 0.0, d.dtype), valid)


def _semi_hard(d, pos, neg, margin):
    d_an = d[:, None, :]  # (anchor, 1, negative), against d_ap (anchor, positive, 1)
    farther = neg[:, None, :] & (d_an > d[:, :, None])
    nearest_farther = tf.reduce_min(tf.where(farther, d_an, _FAR), axis=2)
    farthest = tf.reduce_max(tf.where(neg, d, -1.0), axis=1)
    chosen = tf.where(tf.reduce_any(farther, axis=2), nearest_farther, farthest[:, None])
    valid = pos & tf.reduce_any(neg, axis=1)[:, None]
    losses = tf.nn.relu(d - chosen + margin)
    return _mean_where(losses, valid), _mean_where(tf.cast(losses > 0.0, d.dtype), valid)


_MINERS = {"batch-all": _batch_all, "batch-hard": _batch_hard, "semi-hard": _semi_hard}


def triplet_loss(embeddings, labels, strategy: str = "semi-hard",
                 margin: float = 0.2) -> tuple[tf.Tensor, dict[str, tf.Tensor]]:
    """Triplet loss of one batch with the triplets mined inside it.

    Args:
        embeddings: (B, D) float32; L2-normalised here (a no-op if they already are).
        labels: (B,) int, one id per person.
        strategy: one of STRATEGIES. margin: in squared-distance units.
    Returns:
        loss: scalar float32, 0 when the batch holds no valid triplet.
        stats: scalars `active` (fraction of the mined triplets with loss > 0),
            `pos_dist`, `neg_dist` (mean squared distance over all same-person pairs
            a != p, and over all different-person pairs).
    """
    if strategy not in _MINERS:
        raise ValueError(f"strategy must be one of {STRATEGIES}, not {strategy!r}")
    embeddings = tf.math.l2_normalize(tf.cast(embeddings, tf.float32), axis=1)
    d = pairwise_sq_distances(embeddings)
    pos, neg = _masks(tf.convert_to_tensor(labels))
    loss, active = _MINERS[strategy](d, pos, neg, float(margin))
    return loss, {"active": active, "pos_dist": _mean_where(d, pos),
                  "neg_dist": _mean_where(d, neg)}
