"""The crowding rule (match.py) on a `PersonIndex`: each query's threshold moved by its
crowding, and the typical crowding it is compared with (the median, over a sample of
enrolled people, of their mean distance to the k nearest others), both from the index's own
search (exact, or through its graph when large)."""
from __future__ import annotations

import numpy as np

from .match import Candidate, Match
from .ranking import mean_after_nearest


def identify(index, queries: np.ndarray, threshold: float, k: int = 3) -> list[Match]:
    """As `Gallery.identify` for a PersonIndex: each query's nearest person if within its
    threshold, moved by the query's crowding (its k nearest people, from the index's
    search) against `index.typical`, and k candidates. queries (M, dim) -> M matches."""
    queries = np.atleast_2d(np.asarray(queries, np.float32))
    crowd_on = index.crowding_on()
    want = max(k, 1, index.crowding.k + 1 if crowd_on else 0)
    dist, ids = index.nearest(queries, want)
    offsets = np.zeros(len(queries), np.float32)
    if crowd_on and dist.shape[1] > index.crowding.k:
        crowd = mean_after_nearest(dist, index.crowding.k)
        if index.typical is not None:  # the owner computes it when it loads the index
            offsets = (index.crowding.weight * (crowd - index.typical)).astype(np.float32)
    limits = threshold + offsets
    matches = []
    for drow, irow, limit in zip(dist, ids, limits):
        candidates = [Candidate(int(p), float(x)) for p, x in zip(irow[:k], drow[:k])]
        if len(drow) == 0:
            matches.append(Match(None, None, float(limit), candidates))
            continue
        best = Candidate(int(irow[0]), float(drow[0]))
        known = best.distance <= limit
        matches.append(Match(best.label if known else None, best.distance, float(limit), candidates))
    return matches


def typical_sample(ids: np.ndarray, ranks: np.ndarray, sample: int) -> np.ndarray:
    """The person ids whose crowding makes the typical one: `sample` of them evenly spaced
    over the people in rank order (as `Gallery.typical_crowding` spaces them in enrolment
    order). ids, ranks (P,) int64 -> (min(sample, P),) int64."""
    order = ids[np.argsort(ranks, kind="stable")]
    picks = np.linspace(0, len(order) - 1, min(sample, len(order))).astype(int)
    return order[picks]


def typical_crowding(index, work: int = 1_000_000) -> float | None:
    """Median over the sample of people of their mean distance to the k nearest others.
    Takes the index's lock once per chunk of the sample (about `work` distances, a few ms),
    so requests are never held for long; call it off the request path. None when the
    gallery is too small for crowding."""
    if not index.crowding_on():
        return None
    k = index.crowding.k
    chunk = max(1, work // len(index))
    crowds = []
    sample = index.typical_crowding_sample()
    for part in np.array_split(sample, max(1, len(sample) // chunk)):
        with index.lock:
            present, queries = index.vectors_of(part)
            if not len(present):
                continue
            dist, ids = index.nearest(queries, k + 2)
        # Each query's own row is its "nearest" (skipped): drop it wherever it sorts.
        own = ids == present[:, None]
        keep = np.where(own.any(1, keepdims=True), ~own, np.arange(dist.shape[1]) < k + 1)
        d = np.stack([np.concatenate([[-1.0], row[m][:k]]) for row, m in zip(dist, keep)])
        crowds.append(mean_after_nearest(d.astype(np.float32), k))
    return float(np.median(np.concatenate(crowds))) if crowds else None
