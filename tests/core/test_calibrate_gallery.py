"""The threshold read off the gallery (recognition/calibrate_gallery.py) and merging close
groups (recognition/cluster.merge_close), on made-up people."""
from __future__ import annotations

import numpy as np

from app.recognition.calibrate_gallery import gallery_threshold, held_out_margins
from app.recognition.cluster import merge_close
from app.recognition.index import PersonIndex
from app.recognition.match import Crowding
from reference_gallery import Gallery


def people(n: int, faces: int, noise: float, seed: int = 0):
    """n people of `faces` unit faces each: (faces (n*faces, 128), owners, per-person means)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n, 128))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    x = np.repeat(centres, faces, axis=0) + rng.normal(scale=noise, size=(n * faces, 128))
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    owners = np.repeat(np.arange(n), faces).tolist()
    means = np.stack([x[i * faces:(i + 1) * faces].sum(0) for i in range(n)])
    return x, owners, (means / np.linalg.norm(means, axis=1, keepdims=True)).astype(np.float32)


def test_the_threshold_takes_the_target_share_of_held_out_faces():
    x, owners, means = people(300, 3, 0.09)
    index = PersonIndex(crowding=Crowding(weight=0.7))
    index.upsert(range(300), means, range(300))
    index.typical = index.compute_typical_crowding()
    t = gallery_threshold(index, x, owners, 0.01, floor=0.0, ceiling=2.0)
    margins = held_out_margins(index, x, owners)
    assert np.mean(margins <= t) <= 0.01 < np.mean(margins <= t + 0.02)
    # As the plain gallery computes them: the nearest other person, minus the crowding offset.
    plain = Gallery(means, list(range(300)), Crowding(weight=0.7))
    d = plain.person_distances(x)
    d[np.arange(len(x)), owners] = np.inf
    assert np.allclose(margins, d.min(1) - plain.threshold_offsets(d), atol=1e-4)
    # Tighter target, lower threshold; too few faces for the point, none.
    assert gallery_threshold(index, x, owners, 0.002, floor=0.0, ceiling=2.0) < t
    assert gallery_threshold(index, x[:50], owners[:50], 0.01) is None


def test_split_groups_of_one_person_merge_and_fixed_ones_stay_apart():
    x, owners, _ = people(3, 6, 0.05, seed=1)
    sums = x.reshape(6, 3, 128).sum(1)  # each person's faces in two groups of three
    counts = np.full(6, 3)
    assert merge_close(sums, counts, 0.6).tolist() == [0, 0, 2, 2, 4, 4]
    assert merge_close(sums, counts, 0.6, np.array([1, 1, 0, 1, 0, 0], bool)).tolist() == [0, 1, 3, 3, 4, 4]
    assert merge_close(sums, counts, 0.99).tolist() == list(range(6))
