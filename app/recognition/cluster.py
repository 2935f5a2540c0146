"""Grouping unknown faces: which group a new face joins, and regrouping from scratch.

A group is summed unit embeddings; its centre is the direction of the sum. A new face
joins the group whose centre is nearest when that is within `join` (L2), else it starts a
group of its own. Measured on LFW (scripts/library_rules.py, docs/LIBRARY.md): with `join`
0.8 (the identification threshold) B-cubed precision 0.994 and recall 0.930 over 6,914
faces of 2,611 people seen in random order; 0.75 keeps recall under 0.9, 0.85 precision
under 0.98. Regrouping from scratch is average-linkage agglomerative clustering cut at
the same distance (scikit-learn), which keeps a face unlike every group on its own.
"""
from __future__ import annotations

import numpy as np

from .match import pairwise_distances


def unit(v: np.ndarray) -> np.ndarray:
    """Rows of v scaled to unit length ((N, D) or (D,))."""
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-12)


def nearest_group(centres: np.ndarray, face: np.ndarray, join: float) -> tuple[int | None, float | None]:
    """centres (G, D) unit vectors, face (D,) unit -> (row of the group to join or None,
    distance to the nearest centre or None when there is no group)."""
    if not len(centres):
        return None, None
    d = pairwise_distances(face[None].astype(np.float32), centres)[0]
    j = int(np.argmin(d))
    return (j if d[j] <= join else None), float(d[j])


def regroup(faces: np.ndarray, join: float) -> np.ndarray:
    """(N, D) unit vectors -> (N,) group labels 0..K-1 by average-linkage agglomerative
    clustering cut at `join` (L2). O(N^2) memory: call it for a few thousand faces."""
    if len(faces) < 2:
        return np.zeros(len(faces), np.int64)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(n_clusters=None, distance_threshold=join,
                                    metric="euclidean", linkage="average")
    return model.fit_predict(np.asarray(faces, np.float64)).astype(np.int64)


def most_typical(faces: np.ndarray, n: int, apart: float = 0.0) -> np.ndarray:
    """(N, D) unit vectors -> indices of the n nearest to their centre, nearest first, each
    farther than `apart` (L2) from those before it: the faces a group is enrolled from (a
    passer-by who joined it by mistake is the farthest; near-copies, e.g. one camera's
    frames of a face that did not move, add nothing)."""
    centre = unit(faces.sum(0))
    picks: list[int] = []
    for i in np.argsort(-(faces @ centre), kind="stable"):
        if len(picks) == n:
            break
        if not picks or pairwise_distances(faces[i][None], faces[picks]).min() > apart:
            picks.append(int(i))
    return np.asarray(picks, np.int64)


def close_pairs(means: np.ndarray, min_sim: float, block: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, j), i < j, of groups whose faces are close as sets: the mean cosine
    similarity over all their pairs of faces, means[i] . means[j] (means: (G, D), each
    group's sum over its count), at least `min_sim`. In blocks of `block` rows, so memory
    stays block x G floats (80 MB at 40,000 groups) whatever G."""
    rows, cols = [], []
    for start in range(0, len(means), block):
        sim = means[start:start + block] @ means[start:].T
        i, j = np.nonzero(sim >= min_sim)
        keep = j > i  # the block's own diagonal and what lies under it
        rows.append(i[keep] + start)
        cols.append(j[keep] + start)
    empty = np.zeros(0, np.int64)
    return (np.concatenate(rows) if rows else empty), (np.concatenate(cols) if cols else empty)


def merge_close(sums: np.ndarray, counts: np.ndarray, min_sim: float,
                fixed: np.ndarray | None = None) -> np.ndarray:
    """Average linkage between groups: (G, D) sums of unit faces and (G,) face counts ->
    (G,) the row each group ends in (itself when it stays). The closest pair by mean cosine
    similarity merges first, until none is at least `min_sim` (mean squared L2 distance
    2 - 2 min_sim). A merged group's similarity to a third is the count-weighted mean of
    its parts', so only pairs close at the start can ever merge: the heap holds those.
    A `fixed` group ((G,) bool: its faces were placed by hand) is never merged into
    another; two fixed groups never merge."""
    import heapq

    sums, n = np.asarray(sums, np.float64).copy(), np.asarray(counts, np.float64).copy()
    means = (sums / np.maximum(n, 1)[:, None]).astype(np.float32)
    rows, cols = close_pairs(means, min_sim)
    near: dict[int, set[int]] = {}
    for i, j in zip(rows.tolist(), cols.tolist()):
        near.setdefault(i, set()).add(j)
        near.setdefault(j, set()).add(i)
    into = np.arange(len(sums))
    fixed = np.zeros(len(sums), bool) if fixed is None else np.asarray(fixed, bool).copy()
    heap = [(-float(means[i] @ means[j]), i, j) for i, j in zip(rows.tolist(), cols.tolist())]
    heapq.heapify(heap)
    while heap:
        was, i, j = heapq.heappop(heap)
        if into[i] != i or into[j] != j:
            continue
        sim = float(sums[i] @ sums[j]) / (n[i] * n[j])
        if abs(sim + was) > 1e-6:  # a stale entry: one side grew since; its turn comes by its new value
            if sim >= min_sim:
                heapq.heappush(heap, (-sim, i, j))
            continue
        if fixed[i] and fixed[j]:
            continue
        keep, gone = (i, j) if (fixed[i], n[i]) >= (fixed[j], n[j]) else (j, i)
        sums[keep] += sums[gone]
        n[keep] += n[gone]
        into[into == gone] = keep
        near[keep] = (near.pop(keep, set()) | near.pop(gone, set())) - {keep, gone}
        for k in near[keep]:
            near[k].discard(gone)
            near[k].add(keep)
            s = float(sums[keep] @ sums[k]) / (n[keep] * n[k])
            if s >= min_sim:
                heapq.heappush(heap, (-s, min(keep, k), max(keep, k)))
    return into
