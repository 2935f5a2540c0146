"""A mutable index of one unit vector per person, for galleries that change one person at a
time (enrolment, a new photo, a deletion) without being rebuilt.

`PersonIndex` answers like `match.Gallery` built from the same vectors (same nearest person,
same candidates, same crowding rule, ties broken by enrolment rank) but a person added,
changed or removed is one row written, not a rebuild. Rows of removed people are left as
tombstones and reused, so that a person's row never moves while it exists.

Two searches: exact (a contiguous float32 matrix, one matrix product per query batch) and,
above a size, an approximate HNSW graph (usearch) over the same rows; see `make bench-scale`
for the figures that chose the default sizes.
"""
from __future__ import annotations

import threading
from typing import Iterable

import numpy as np
import threadpoolctl

from .match import Candidate, Crowding, Match

NO_ROW = -1


class PersonIndex:
    """One unit vector per person id, searched exactly.

    Args:
        dim: vector size (128 for FaceNet).
        crowding: the crowding rule (match.Crowding); its `sample` bounds the work of
            `compute_typical_crowding`.
    Thread-safe: every public method takes the index's lock; searches hold it for one matrix
    product, so a change applied by another thread waits at most that long.
    """

    def __init__(self, dim: int = 128, crowding: Crowding = Crowding(), capacity: int = 1024):
        self.dim = dim
        self.crowding = crowding
        self.lock = threading.RLock()
        self._vecs = np.zeros((capacity, dim), np.float32)
        self._ids = np.full(capacity, NO_ROW, np.int64)    # row -> person id (NO_ROW: free)
        self._ranks = np.zeros(capacity, np.int64)          # row -> enrolment rank (tie-break)
        self._row_of = np.full(1024, NO_ROW, np.int64)      # person id -> row
        self._used = 0                                      # rows ever used (free ones included)
        self._free: list[int] = []
        self._dead = np.zeros(capacity, bool)
        self.typical: float | None = None                   # typical crowding, set by the owner
        self._blas = threadpoolctl.ThreadpoolController()
        self.names: dict[int, str] = {}

    # --- size -------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._used - len(self._free)

    def __contains__(self, person_id: int) -> bool:
        return 0 <= person_id < len(self._row_of) and self._row_of[person_id] != NO_ROW

    @property
    def nbytes(self) -> int:
        return self._vecs.nbytes + self._ids.nbytes + self._ranks.nbytes + self._row_of.nbytes

    @property
    def spare(self) -> int:
        """Rows that can be added before the matrix must grow."""
        return len(self._ids) - self._used + len(self._free)

    def reserve(self, capacity: int) -> None:
        """Grow the matrix to `capacity` rows. The copy is made outside the lock (the caller
        makes sure nothing changes the index meanwhile; searches go on), the swap inside."""
        cap = len(self._ids)
        if capacity <= cap:
            return
        extra = capacity - cap
        grown = (np.concatenate([self._vecs, np.zeros((extra, self.dim), np.float32)]),
                 np.concatenate([self._ids, np.full(extra, NO_ROW, np.int64)]),
                 np.concatenate([self._ranks, np.zeros(extra, np.int64)]),
                 np.concatenate([self._dead, np.zeros(extra, bool)]))
        with self.lock:
            self._vecs, self._ids, self._ranks, self._dead = grown

    @staticmethod
    def headroom(size: int) -> int:
        """Rows kept spare for `size` people, so that enrolments seldom wait for a copy."""
        return max(1024, size // 16)

    def _grow_rows(self, need: int) -> None:
        if need > len(self._ids):  # a burst larger than the spare rows: grow now
            self.reserve(need + self.headroom(need))

    def _grow_ids(self, max_id: int) -> None:
        if max_id >= len(self._row_of):
            extra = max(max_id + 1, 2 * len(self._row_of)) - len(self._row_of)
            self._row_of = np.concatenate([self._row_of, np.full(extra, NO_ROW, np.int64)])

    # --- changes ----------------------------------------------------------------------
    def upsert(self, person_ids: Iterable[int], vectors: np.ndarray, ranks: Iterable[int]) -> None:
        """Set each person's vector (unit, (N, dim) float32) and rank (e.g. their first face
        id: equal distances are ordered by it, as `Gallery` orders by enrolment)."""
        person_ids = np.asarray(list(person_ids), np.int64)
        ranks = np.asarray(list(ranks), np.int64)
        vectors = np.asarray(vectors, np.float32).reshape(len(person_ids), self.dim)
        with self.lock:
            if len(person_ids):
                self._grow_ids(int(person_ids.max()))
            for pid, vec, rank in zip(person_ids.tolist(), vectors, ranks.tolist()):
                row = self._row_of[pid]
                if row == NO_ROW:
                    if self._free:
                        row = self._free.pop()
                    else:
                        self._grow_rows(self._used + 1)
                        row = self._used
                        self._used += 1
                    self._row_of[pid] = row
                    self._ids[row] = pid
                    self._dead[row] = False
                self._vecs[row] = vec
                self._ranks[row] = rank

    def remove(self, person_ids: Iterable[int]) -> None:
        """Forget these people (ids not in the index are ignored)."""
        with self.lock:
            for pid in person_ids:
                if pid not in self:
                    continue
                row = int(self._row_of[pid])
                self._row_of[pid] = NO_ROW
                self._ids[row] = NO_ROW
                self._dead[row] = True
                self._vecs[row] = 0.0
                self._free.append(row)
                self.names.pop(pid, None)

    def load(self, person_ids: np.ndarray, vectors: np.ndarray, ranks: np.ndarray) -> None:
        """Replace everything with these rows (a snapshot), in this order. `vectors` may
        have spare rows after the first len(person_ids) (then it is used as it is, not
        copied: at a million people a copy is 512 MB more at start)."""
        person_ids = np.asarray(person_ids, np.int64)
        with self.lock:
            n = len(person_ids)
            if (isinstance(vectors, np.ndarray) and vectors.dtype == np.float32 and vectors.ndim == 2
                    and vectors.flags.c_contiguous and vectors.flags.writeable and len(vectors) > n):
                self._vecs = vectors
            else:
                self._vecs = np.zeros((n + self.headroom(n), self.dim), np.float32)
                self._vecs[:n] = np.asarray(vectors, np.float32).reshape(n, self.dim)
            self._ids = np.concatenate([person_ids, np.full(len(self._vecs) - n, NO_ROW, np.int64)])
            self._ranks = np.concatenate([np.asarray(ranks, np.int64), np.zeros(len(self._vecs) - n, np.int64)])
            self._dead = np.zeros(len(self._vecs), bool)
            self._row_of = np.full(int(person_ids.max()) + 1 if n else 1024, NO_ROW, np.int64)
            self._row_of[person_ids] = np.arange(n)
            self._used, self._free = n, []

    def rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(person ids, vectors, ranks) of the people in the index, by row (copies)."""
        with self.lock:
            live = ~self._dead[:self._used]
            return (self._ids[:self._used][live].copy(), self._vecs[:self._used][live].copy(),
                    self._ranks[:self._used][live].copy())

    # --- search -----------------------------------------------------------------------
    def nearest(self, queries: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The n nearest people of each query, nearest first, equal distances by rank.

        queries (M, dim) unit vectors -> (distances (M, n') float32, person ids (M, n')
        int64) with n' = min(n, people).
        """
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        with self.lock:
            used, size = self._used, len(self)
            n = max(0, min(n, size))
            if n == 0:
                return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
            # One BLAS thread: a server's parallelism is its request threads, and OpenBLAS's
            # own threads on a busy 2-core machine made one product 5-10x slower (bench-scale).
            with self._blas.limit(limits=1, user_api="blas"):
                sims = queries @ self._vecs[:used].T
            if self._free:
                sims[:, self._dead[:used]] = -np.inf
            return _top(sims, n, self._ids[:used], self._ranks[:used])

    def _crowding_on(self) -> bool:
        c = self.crowding
        return c.weight > 0 and len(self) >= max(c.min_people, c.k + 2)

    def identify(self, queries: np.ndarray, threshold: float, k: int = 3) -> list[Match]:
        """As `Gallery.identify`: each query's nearest person if within its threshold
        (moved by crowding, with the typical crowding last computed), and k candidates."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        crowd_on = self._crowding_on()
        want = max(k, 1, self.crowding.k + 1 if crowd_on else 0)
        dist, ids = self.nearest(queries, want)
        offsets = np.zeros(len(queries), np.float32)
        if crowd_on and dist.shape[1] > self.crowding.k:
            crowd = mean_after_nearest(dist, self.crowding.k)
            if self.typical is not None:  # the owner computes it when it loads the index
                offsets = (self.crowding.weight * (crowd - self.typical)).astype(np.float32)
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

    def typical_crowding_sample(self) -> np.ndarray:
        """The person ids whose crowding makes the typical one: evenly spaced over the
        people in rank order (as `Gallery.typical_crowding` spaces them in enrolment order)."""
        with self.lock:
            live = ~self._dead[:self._used]
            ids, ranks = self._ids[:self._used][live], self._ranks[:self._used][live]
        order = ids[np.argsort(ranks, kind="stable")]
        picks = np.linspace(0, len(order) - 1, min(self.crowding.sample, len(order))).astype(int)
        return order[picks]

    def compute_typical_crowding(self, work: int = 1_000_000) -> float | None:
        """Median over a sample of people of their mean distance to the k nearest others.
        Takes the lock once per chunk of the sample (about `work` distances, a few ms), so
        requests are never held for long; call it off the request path. None when the
        gallery is too small for crowding."""
        if not self._crowding_on():
            return None
        k = self.crowding.k
        chunk = max(1, work // len(self))
        crowds = []
        for part in np.array_split(sample := self.typical_crowding_sample(),
                                   max(1, len(sample) // chunk)):
            with self.lock:
                present = [p for p in part.tolist() if p in self]
                if not present:
                    continue
                queries = self._vecs[self._row_of[present]]
                dist, ids = self.nearest(queries, k + 2)
            # Each query's own row is its "nearest" (skipped): drop it wherever it sorts.
            own = ids == np.asarray(present)[:, None]
            keep = np.where(own.any(1, keepdims=True), ~own, np.arange(dist.shape[1]) < k + 1)
            d = np.stack([np.concatenate([[-1.0], row[m][:k]]) for row, m in zip(dist, keep)])
            crowds.append(mean_after_nearest(d.astype(np.float32), k))
        return float(np.median(np.concatenate(crowds))) if crowds else None


def mean_after_nearest(sorted_distances: np.ndarray, k: int) -> np.ndarray:
    """(M, >= k+1) distances, nearest first -> (M,) mean of the 2nd to (k+1)th, computed
    as `Gallery` computes it (sum of the k+1 smallest minus the smallest, over k)."""
    part = sorted_distances[:, :k + 1]
    return (part.sum(1) - part.min(1)) / k


def _distances(sims: np.ndarray) -> np.ndarray:
    """Dot products of unit vectors -> L2 distances, exactly as `pairwise_distances`."""
    return np.sqrt(np.clip(2.0 - 2.0 * sims, 0.0, 4.0)).astype(np.float32)


def _top(sims: np.ndarray, n: int, ids: np.ndarray, ranks: np.ndarray,
         margin: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """(M, N) dot products -> the n nearest per row as (distances, person ids), sorted by
    (distance, rank). Distances are computed for the n + margin largest products only; when
    the n-th distance could tie with one left out, for the whole row."""
    m, total = sims.shape
    take = min(total, n + margin)
    if take < total:
        cols = np.argpartition(-sims, take - 1, axis=1)[:, :take]
    else:
        cols = np.broadcast_to(np.arange(total), (m, total))
    d = _distances(np.take_along_axis(sims, cols, 1))
    order = np.lexsort((ranks[cols], d), axis=1)
    cols, d = np.take_along_axis(cols, order, 1), np.take_along_axis(d, order, 1)
    if take < total:
        # Columns left out are at least as far as the farthest taken: a tie with the n-th
        # only when the farthest taken is no farther than it (rare: fall back to the row).
        for i in np.flatnonzero(d[:, n - 1] >= d[:, -1]):
            row = _distances(sims[i])
            c = np.flatnonzero(row <= d[i, n - 1])
            o = np.lexsort((ranks[c], row[c]))[:take]
            cols[i, :len(o)], d[i, :len(o)] = c[o], row[c[o]]
    return d[:, :n], ids[cols[:, :n]]
