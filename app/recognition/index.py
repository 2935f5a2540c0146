"""A mutable index of one unit vector per person, for galleries that change one person at a
time (enrolment, a new photo, a deletion) without being rebuilt.

`PersonIndex` answers like the plain `Gallery` (scripts/reference_gallery.py) built from the
same vectors (same nearest person, same candidates, same crowding rule, ties broken by enrolment rank) but a person added,
changed or removed is one row written, not a rebuild. Rows of removed people are left as
tombstones and reused, so that a person's row never moves while it exists.

Two searches: exact (a contiguous float32 matrix, one matrix product per query batch) and,
from `ann_min` people on and once a graph is attached, approximate: an HNSW graph
(`graph.Graph`, usearch) proposes each query's candidates and they are re-ranked exactly
from the matrix. Below `ann_min`, or while no graph is attached (it is built off the request
path by `build_graph`), every answer is exact. `make bench-scale` has the figures that chose
the default size (docs/DEPLOY.md, "More than one machine").
"""
from __future__ import annotations

import threading
from typing import Iterable

import numpy as np
import threadpoolctl

from .crowding import identify, typical_crowding, typical_sample
from .graph import CANDIDATES, REBUILD_SHARE, Graph, build
from .match import Crowding, Match
from .ranking import rerank, top

NO_ROW = -1


class PersonIndex:
    """One unit vector per person id, searched exactly or, when large, through a graph.

    Args:
        dim: vector size (128 for FaceNet).
        crowding: the crowding rule (match.Crowding); its `sample` bounds the work of
            `compute_typical_crowding`.
        ann_min: from this many people on, search the graph once one is attached (None:
            always exact).
    Thread-safe: every public method takes the index's lock; searches hold it for one matrix
    product (or one graph search), so a change applied by another thread waits at most that
    long. Changes go to the graph too, one person at a time (never a rebuild).
    """

    def __init__(self, dim: int = 128, crowding: Crowding = Crowding(), capacity: int = 1024,
                 ann_min: int | None = None):
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
        self.ann_min = ann_min
        self.graph: Graph | None = None
        self._touched: set[int] | None = None               # changed while a graph is built

    # --- size -------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._used - len(self._free)

    def __contains__(self, person_id: int) -> bool:
        return 0 <= person_id < len(self._row_of) and self._row_of[person_id] != NO_ROW

    @property
    def nbytes(self) -> int:
        graph = self.graph.nbytes if self.graph is not None else 0
        return self._vecs.nbytes + self._ids.nbytes + self._ranks.nbytes + self._row_of.nbytes + graph

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
            self._changed(person_ids.tolist(), vectors)

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
                self._changed([pid], None)

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
            # Spare ids too: the first enrolments after a start would otherwise copy the table.
            self._row_of = np.full(int(person_ids.max()) + 1 + self.headroom(n) if n else 1024, NO_ROW, np.int64)
            self._row_of[person_ids] = np.arange(n)
            self._used, self._free = n, []
            self.graph, self._touched = None, None

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
            if self.approximate:
                found = self._nearest_in_graph(queries, n)
                if found is not None:
                    return found
            # One BLAS thread: a server's parallelism is its request threads, and OpenBLAS's
            # own threads on a busy 2-core machine made one product 5-10x slower (bench-scale).
            with self._blas.limit(limits=1, user_api="blas"):
                sims = queries @ self._vecs[:used].T
            if self._free:
                sims[:, self._dead[:used]] = -np.inf
            return top(sims, n, self._ids[:used], self._ranks[:used])

    def _nearest_in_graph(self, queries: np.ndarray, n: int):
        """As `nearest`, over the graph's candidates re-ranked from the matrix; None when the
        graph proposed fewer than n live people for some query (then search exactly)."""
        cand = self.graph.search(queries, max(CANDIDATES, n))
        known = (cand >= 0) & (cand < len(self._row_of))
        rows = np.where(known, self._row_of[np.where(known, cand, 0)], NO_ROW)
        d, rows = rerank(queries, rows, self._vecs, self._ranks, n)
        if (rows < 0).any():
            return None
        return d, self._ids[rows]

    # --- the graph ----------------------------------------------------------------------
    @property
    def approximate(self) -> bool:
        """Whether searches go through the graph (large enough, and a graph attached)."""
        return self.graph is not None and self.ann_min is not None and len(self) >= self.ann_min

    def wants_graph(self) -> bool:
        """Large enough for the graph, none being built, and none attached or the attached
        one holding more than REBUILD_SHARE dead nodes (changed or removed people)."""
        return (self.ann_min is not None and len(self) >= self.ann_min and self._touched is None
                and (self.graph is None or self.graph.dead_share > REBUILD_SHARE))

    def _changed(self, person_ids: list[int], vectors: np.ndarray | None) -> None:
        """Under the lock: the graph follows a change (vectors None: removed)."""
        if self._touched is not None:
            self._touched.update(person_ids)
        if self.graph is not None and vectors is None:
            self.graph.remove(person_ids)
        elif self.graph is not None:
            self.graph.add(person_ids, vectors)

    def attach(self, graph: Graph, replay: bool = False) -> bool:
        """Search through `graph` from now on. replay: first apply to it the changes recorded
        since `track_changes` (it was built from the people as they were then). False, and
        nothing attached, when it does not hold this index's people (e.g. a stale file)."""
        with self.lock:
            if replay and self._touched is not None:
                present, vectors = self.vectors_of(sorted(self._touched))
                graph.remove(self._touched - set(present.tolist()))
                graph.add(present, vectors)
            if not graph.restrict(self._live_ids()):
                return False
            self.graph, self._touched = graph, None
            return True

    def make_room(self) -> None:
        """Grow the graph's tables ahead of enrolments (graph.Graph.make_room); off the
        request path."""
        with self.lock:
            if self.graph is not None:
                self.graph.make_room()

    def _live_ids(self) -> np.ndarray:
        return self._ids[:self._used][~self._dead[:self._used]]

    def track_changes(self, on: bool = True) -> np.ndarray:
        """Start (or stop) recording who changes, for a graph being built from the people
        as they are now; returns their ids (P,) int64."""
        with self.lock:
            self._touched = set() if on else None
            return self._live_ids().copy()

    def build_graph(self, stop=lambda: False, threads: int = 1) -> bool:
        """Build a graph of everyone and attach it (graph.build): minutes at a million
        people, searches going on exactly meanwhile; off the request path."""
        return build(self, stop, threads=threads)

    def vectors_of(self, person_ids) -> tuple[np.ndarray, np.ndarray]:
        """(the ids of these people still in the index (P,) int64, their vectors (P, dim))."""
        with self.lock:
            present = np.asarray([p for p in np.asarray(person_ids).tolist() if p in self], np.int64)
            return present, self._vecs[self._row_of[present]].copy()

    def crowding_on(self) -> bool:
        """Whether the crowding rule applies (on, and enough people for a neighbourhood)."""
        c = self.crowding
        return c.weight > 0 and len(self) >= max(c.min_people, c.k + 2)

    def identify(self, queries: np.ndarray, threshold: float, k: int = 3) -> list[Match]:
        """As `Gallery.identify`: each query's nearest person if within its threshold
        (moved by crowding, with the typical crowding last computed), and k candidates
        (crowding.identify)."""
        return identify(self, queries, threshold, k)

    def typical_crowding_sample(self) -> np.ndarray:
        """The person ids whose crowding makes the typical one (crowding.typical_sample)."""
        with self.lock:
            live = ~self._dead[:self._used]
            ids, ranks = self._ids[:self._used][live], self._ranks[:self._used][live]
        return typical_sample(ids, ranks, self.crowding.sample)

    def compute_typical_crowding(self, work: int = 1_000_000) -> float | None:
        """The typical crowding now (crowding.typical_crowding): seconds at a million
        people, taking the lock in short turns; call it off the request path."""
        return typical_crowding(self, work)
