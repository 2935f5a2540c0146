"""Ranking the rows of a `PersonIndex` for a query: from the dot products of every row (exact
search) or of a few candidate rows proposed by the graph (approximate search), the n nearest
people sorted by (L2 distance, rank), as the plain `Gallery` (scripts/reference_gallery.py)
sorts them."""
from __future__ import annotations

import numpy as np


def mean_after_nearest(sorted_distances: np.ndarray, k: int) -> np.ndarray:
    """(M, >= k+1) distances, nearest first -> (M,) mean of the 2nd to (k+1)th, computed
    as `Gallery` computes it (sum of the k+1 smallest minus the smallest, over k)."""
    part = sorted_distances[:, :k + 1]
    return (part.sum(1) - part.min(1)) / k


def distances(sims: np.ndarray) -> np.ndarray:
    """Dot products of unit vectors -> L2 distances, exactly as `pairwise_distances`."""
    return np.sqrt(np.clip(2.0 - 2.0 * sims, 0.0, 4.0)).astype(np.float32)


def top(sims: np.ndarray, n: int, ids: np.ndarray, ranks: np.ndarray,
        margin: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(M, N) dot products with every row -> the n nearest per query as (distances (M, n)
    float32, ids (M, n)), sorted by (distance, rank). Distances are computed for the
    n + margin largest products only; when the n-th distance could tie with one left out,
    for the whole row."""
    m, total = sims.shape
    take = min(total, n + margin)
    if take < total:
        cols = _largest(sims, take)
    else:
        cols = np.broadcast_to(np.arange(total), (m, total))
    d = distances(np.take_along_axis(sims, cols, 1))
    order = np.lexsort((ranks[cols], d), axis=1)
    cols, d = np.take_along_axis(cols, order, 1), np.take_along_axis(d, order, 1)
    if take < total:
        # Columns left out are at least as far as the farthest taken: a tie with the n-th
        # only when the farthest taken is no farther than it (rare: fall back to the row).
        for i in np.flatnonzero(d[:, n - 1] >= d[:, -1]):
            row = distances(sims[i])
            c = np.flatnonzero(row <= d[i, n - 1])
            o = np.lexsort((ranks[c], row[c]))[:take]
            cols[i, :len(o)], d[i, :len(o)] = c[o], row[c[o]]
    return d[:, :n], ids[cols[:, :n]]


def rerank(queries: np.ndarray, rows: np.ndarray, vectors: np.ndarray, ranks: np.ndarray,
           n: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate rows of each query -> the n nearest of them by exact float32 distance.

    queries (M, dim) float32; rows (M, C) int64 row numbers, negative where there is no
    candidate; vectors (R, dim) float32 and ranks (R,) of every row. Returns (distances
    (M, n) float32, rows (M, n) int64) sorted by (distance, rank); a query with fewer than
    n candidates has inf distances (and row -1) at the end.
    """
    valid = rows >= 0
    safe = np.where(valid, rows, 0)
    d = distances(np.einsum("mcd,md->mc", vectors[safe], queries))
    d[~valid] = np.inf
    order = np.lexsort((ranks[safe], d), axis=1)[:, :n]
    d, picked = np.take_along_axis(d, order, 1), np.take_along_axis(safe, order, 1)
    return d, np.where(np.isfinite(d), picked, -1)


def _largest(sims: np.ndarray, take: int, stride: int = 64) -> np.ndarray:
    """(M, N) -> (M, take) columns of each row's `take` largest values (in no order).

    argpartition over a row of 100,000 took 1.3 ms of a 5.8 ms search on an idle core here.
    A row's 4th largest of every `stride`-th value is a bound that about 4 x stride values
    reach: the `take` largest are among those (checked, else the whole row), and only they
    are partitioned. Same columns as argpartition over the whole row."""
    if sims.shape[1] < 8 * stride * take // 4 or len(sims) > 8:
        return np.argpartition(-sims, take - 1, axis=1)[:, :take]
    out = np.empty((len(sims), take), np.int64)
    for i, row in enumerate(sims):
        sample = row[::stride]
        bound = np.partition(sample, len(sample) - 4)[len(sample) - 4]
        cand = np.flatnonzero(row >= bound)
        if len(cand) < take:
            cand = np.arange(len(row))
        out[i] = cand[np.argpartition(-row[cand], take - 1)[:take]]
    return out
