"""An approximate nearest-neighbour graph (HNSW, usearch) over a gallery's people, a node per
person (keyed by person id and a version): what `PersonIndex` searches instead of every row
once the gallery is large.

The graph only proposes candidates: `PersonIndex` re-ranks them with its own float32 vectors,
so distances, the order of equal distances and the crowding rule are those of exact search
over the candidates. It stores each vector as int8 (128 bytes a person): measured with
`scripts/ann_choice.py` on random unit vectors plus the LFW people (200,000), int8 built
fastest and, re-ranked, searched as well as float32 at ef 256, in a quarter of the memory.

Not thread-safe by itself: `PersonIndex` calls it under its lock.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
from usearch.index import Index, ScalarKind

DTYPE = ScalarKind.I8  # stored vectors: int8 (scaled x127); candidates re-ranked in float32
# Neighbours per node (HNSW's M) and candidates looked at per search. Measured at a million
# people (docs/BENCHMARKS.md, "Which graph"): a stranger's nearest among a million is hardly nearer than
# the next, and M 16 found it for 96 % of the LFW strangers at ef 256, 97.7 % at ef 1,024
# (4.2 ms); M 32 at ef 512 finds it for 98.6 %, and for 99.3 % of all probes, in 3.3 ms.
CONNECTIVITY = 32
EXPANSION_SEARCH = 512
EXPANSION_ADD = 128   # candidates looked at when a person is added (build quality)
CANDIDATES = 32       # people returned per query and re-ranked exactly (the crowding rule needs 11)
REBUILD_SHARE = 0.2   # dead nodes (changed or removed people) past which a new graph is built
PERSON_MASK = (1 << 32) - 1  # a node's key: version << 32 | person id (this id: placeholders)


class Graph:
    """An HNSW graph of unit vectors (dim float32) of people (ids 0 .. 2**32 - 2).

    A node's key is `version << 32 | person id`. A person's changed vector is a new node (the
    next version) and the old one, like a removed person's, stays in the graph, skipped by
    searches: usearch re-uses a removed node's slot at 35-110 ms an add at a million people
    here, against 1-8 ms for a new one. Once `dead_share` passes REBUILD_SHARE the owner
    builds a new graph in the background.

    Args:
        dim: vector size.
        index: an existing usearch index (loaded from a file); a new empty one when None.
    """

    def __init__(self, dim: int = 128, index: Index | None = None):
        self.dim = dim
        self._ix = index if index is not None else Index(
            ndim=dim, metric="ip", dtype=DTYPE, connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD, expansion_search=EXPANSION_SEARCH)
        # Not stored in the file: set again after a load.
        self._ix.expansion_search = EXPANSION_SEARCH
        self._next = np.zeros(1024, np.int64)   # person id -> version of their next node
        self._live = np.zeros(1024, bool)       # person id -> their newest node is searched
        self._count = self.dead = 0             # live nodes, nodes skipped
        self._placeholders = 0                  # nodes added only to grow usearch's tables
        if index is not None:
            self._read_keys()

    def _grow(self, max_id: int, spare: int = 0) -> None:
        if max_id >= len(self._live):
            extra = max(max_id + 1 + spare, 2 * len(self._live)) - len(self._live)
            self._next = np.concatenate([self._next, np.zeros(extra, np.int64)])
            self._live = np.concatenate([self._live, np.zeros(extra, bool)])

    def _read_keys(self) -> None:
        """After a load: every person's newest node is live until `restrict` says who is in
        the index (the file does not know who was removed)."""
        keys = np.asarray(self._ix.keys[:], np.uint64)
        real = (keys & PERSON_MASK) != PERSON_MASK
        self._placeholders = int((~real).sum())
        keys = keys[real]
        people, versions = (keys & PERSON_MASK).astype(np.int64), (keys >> 32).astype(np.int64)
        if len(keys):
            # Room for new ids, so that the first enrolments do not copy the tables.
            self._grow(int(people.max()), spare=max(1024, len(keys) // 16))
            np.maximum.at(self._next, people, versions + 1)
            self._live[people] = True
        self._count = int(self._live.sum())
        self.dead = len(keys) - self._count

    def __len__(self) -> int:
        return self._count

    def __contains__(self, person_id: int) -> bool:
        return 0 <= person_id < len(self._live) and bool(self._live[person_id])

    @property
    def nbytes(self) -> int:
        return int(self._ix.memory_usage) + self._next.nbytes + self._live.nbytes

    @property
    def dead_share(self) -> float:
        """Share of the graph's nodes that searches skip (old vectors, removed people)."""
        total = self._count + self.dead
        return self.dead / total if total else 0.0

    def make_room(self, spare: int = 1024) -> None:
        """Grow usearch's tables now when fewer than `spare` nodes fit. usearch grows them
        (to the next power of two) only inside an add: 20-120 ms at a million people, on the
        request path of an enrolment unless the gallery thread calls this first. The add is
        a placeholder node (person id PERSON_MASK) that searches skip."""
        if int(self._ix.capacity) - len(self._ix) >= spare:
            return
        key = (np.uint64(self._placeholders) << np.uint64(32)) | np.uint64(PERSON_MASK)
        self._ix.add(key, np.full(self.dim, self.dim ** -0.5, np.float32))
        self._placeholders += 1

    def restrict(self, person_ids) -> bool:
        """Searches return only these people (ids (P,) int64); False, and nothing changed,
        when one of them has no node (a graph of other people)."""
        ids = np.asarray(person_ids, np.int64).reshape(-1)
        if len(ids) and (ids.min() < 0 or ids.max() >= len(self._live) or not self._live[ids].all()):
            return False
        keep = np.zeros(len(self._live), bool)
        keep[ids] = True
        self.dead += int((self._live & ~keep).sum())
        self._live, self._count = keep, len(ids)
        return True

    def add(self, person_ids, vectors: np.ndarray, threads: int = 1) -> None:
        """Insert these people or give them new vectors: ids (N,) distinct, vectors (N, dim)
        float32 unit."""
        ids = np.asarray(person_ids, np.int64).reshape(-1)
        if not len(ids):
            return
        if ids.min() < 0 or ids.max() >= PERSON_MASK or len(np.unique(ids)) != len(ids):
            raise ValueError("person ids must be distinct, from 0 to 2**32 - 2")
        self._grow(int(ids.max()))
        keys = (self._next[ids].astype(np.uint64) << np.uint64(32)) | ids.astype(np.uint64)
        self._ix.add(keys, np.asarray(vectors, np.float32).reshape(len(ids), self.dim), threads=threads)
        replaced = int(self._live[ids].sum())
        self.dead += replaced
        self._count += len(ids) - replaced
        self._next[ids] += 1
        self._live[ids] = True

    def remove(self, person_ids) -> None:
        """Searches no longer return these people (ids not in the graph are ignored)."""
        ids = np.unique(np.asarray(list(person_ids), np.int64).reshape(-1))
        ids = ids[(ids >= 0) & (ids < len(self._live))]
        ids = ids[self._live[ids]]
        self._live[ids] = False
        self._count -= len(ids)
        self.dead += len(ids)

    def search(self, queries: np.ndarray, count: int = CANDIDATES) -> np.ndarray:
        """(M, dim) float32 queries -> (M, count') int64 person ids, the graph's nearest
        first, -1 for skipped nodes and where it found fewer; count' >= count (more are
        asked for when part of the graph is dead)."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        want = count + int(np.ceil(2 * count * self.dead_share))
        out = np.full((len(queries), want), -1, np.int64)
        if len(self._ix) == 0 or not len(queries):
            return out
        found = self._ix.search(queries, want, threads=1)
        if hasattr(found, "counts"):  # BatchMatches: (M, want) keys padded past counts
            keys, counts = np.asarray(found.keys, np.uint64), np.asarray(found.counts)
        else:  # one query: Matches holds only what was found
            keys = np.asarray(found.keys, np.uint64).reshape(1, -1)
            counts = np.array([keys.shape[1]])
        people = (keys & PERSON_MASK).astype(np.int64)
        current = self._next[np.minimum(people, len(self._next) - 1)] == (keys >> 32).astype(np.int64) + 1
        valid = ((np.arange(keys.shape[1]) < counts[:, None]) & (people < len(self._live))
                 & self._live[np.minimum(people, len(self._live) - 1)] & current)
        out[:, :keys.shape[1]] = np.where(valid, people, -1)
        return out

    def save(self, path: Path) -> None:
        """Write the graph to `path` atomically (a temporary file, then renamed)."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        self._ix.save(str(tmp))
        os.chmod(tmp, 0o600)  # every person's embedding: owner only
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dim: int = 128) -> Graph | None:
        """The graph saved at `path`, read into memory (so it can change), or None when
        there is no readable graph of `dim`-sized vectors there, or it was built with
        other settings (an older release's: its owner then builds a new one). Call
        `restrict` with the people it is to answer for."""
        try:
            meta = Index.metadata(str(path))
            if not meta or meta["dimensions"] != dim or meta["kind_scalar"] != DTYPE:
                return None
            index = Index.restore(str(path))
            return cls(dim, index) if index.connectivity == CONNECTIVITY else None
        except (OSError, RuntimeError, ValueError):
            return None

def build(index, stop=lambda: False, batch: int = 10_000, threads: int = 1) -> bool:
    """Build a graph of every person of `index` (a PersonIndex) and attach it; the changes
    made meanwhile are recorded by the index and replayed at the end. The index's lock is
    taken once per `batch` people (to copy their vectors), so it goes on answering (exactly)
    meanwhile. False when `stop()` said to give up (checked between batches)."""
    ids = index.track_changes()
    try:
        graph = Graph(index.dim)
        for start in range(0, len(ids), batch):
            if stop():
                return False
            graph.add(*index.vectors_of(ids[start:start + batch]), threads=threads)
        return index.attach(graph, replay=True)
    finally:
        index.track_changes(False)
