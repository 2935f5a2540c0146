"""An approximate nearest-neighbour graph (HNSW, usearch) over a gallery's people, keyed by
person id: what `PersonIndex` searches instead of every row once the gallery is large.

The graph only proposes candidates: `PersonIndex` re-ranks them with its own float32 vectors,
so distances, the order of equal distances and the crowding rule are those of exact search
over the candidates. It stores each vector as int8 (128 bytes a person): measured with
`scripts/ann_choice.py` on random unit vectors plus the LFW people, int8 built fastest and
searched as well as float32 once re-ranked, in a quarter of the memory.

Not thread-safe by itself: `PersonIndex` calls it under its lock.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
from usearch.index import Index

DTYPE = "i8"          # stored vectors: int8 (scaled x127); candidates re-ranked in float32
CONNECTIVITY = 16     # neighbours per node (HNSW's M): the graph is ~150 bytes a person
EXPANSION_ADD = 128   # candidates looked at when a person is added (build quality)
EXPANSION_SEARCH = 256  # candidates looked at per search: recall_at_1 >= 0.99 at 1M (README)
CANDIDATES = 32       # people returned per query and re-ranked exactly (the crowding rule needs 11)


class Graph:
    """An HNSW graph of unit vectors (dim float32) keyed by person id (int >= 0).

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

    def __len__(self) -> int:
        return len(self._ix)

    def __contains__(self, person_id: int) -> bool:
        return person_id in self._ix

    @property
    def nbytes(self) -> int:
        return int(self._ix.memory_usage)

    def add(self, person_ids, vectors: np.ndarray, threads: int = 1) -> None:
        """Insert or replace these people: ids (N,), vectors (N, dim) float32 unit."""
        keys = np.asarray(person_ids, np.uint64).reshape(-1)
        if not len(keys):
            return
        present = np.atleast_1d(self._ix.contains(keys))
        if present.any():  # a changed vector: the old node goes (its slot is reused)
            self._ix.remove(keys[present])
        self._ix.add(keys, np.asarray(vectors, np.float32).reshape(len(keys), self.dim), threads=threads)

    def remove(self, person_ids) -> None:
        keys = np.asarray(list(person_ids), np.uint64).reshape(-1)
        if len(keys):
            self._ix.remove(keys)

    def search(self, queries: np.ndarray, count: int = CANDIDATES) -> np.ndarray:
        """(M, dim) float32 queries -> (M, count) int64 person ids, the graph's nearest
        first, -1 where it found fewer than `count`."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        out = np.full((len(queries), count), -1, np.int64)
        if len(self._ix) == 0 or not len(queries):
            return out
        found = self._ix.search(queries, count, threads=1)
        if hasattr(found, "counts"):  # BatchMatches: (M, count) keys padded past counts
            keys, counts = np.asarray(found.keys, np.int64), np.asarray(found.counts)
        else:  # one query: Matches holds only what was found
            keys = np.asarray(found.keys, np.int64).reshape(1, -1)
            counts = np.array([keys.shape[1]])
        valid = np.arange(keys.shape[1]) < counts[:, None]
        out[:, :keys.shape[1]] = np.where(valid, keys, -1)
        return out

    def save(self, path: Path) -> None:
        """Write the graph to `path` atomically (a temporary file, then renamed)."""
        path = Path(path)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        self._ix.save(str(tmp))
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path, dim: int = 128) -> Graph | None:
        """The graph saved at `path`, read into memory (so it can change), or None when
        there is no readable graph of `dim`-sized vectors there."""
        try:
            meta = Index.metadata(str(path))
            if not meta or meta["dimensions"] != dim:
                return None
            return cls(dim, Index.restore(str(path)))
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
