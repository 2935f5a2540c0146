"""The gallery as stored: each person's mean embedding read from the faces table (all at
once, or a few changed people), and snapshots of the index kept under instance/index/ (with
its graph, when it has one) so that a worker starts without reading every face nor
rebuilding the graph."""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np
from sqlalchemy import func, select

from ..extensions import db
from ..models import EMBEDDING_DTYPE, Face, Person
from ..recognition.graph import Graph
from ..recognition.index import PersonIndex


log = logging.getLogger(__name__)


def person_means(rows) -> tuple[np.ndarray, list[int]]:
    """One unit vector per person: the normalised mean of their photos' embeddings.

    Measured on LFW (scripts/open_set.py, two photos per person, 1 % of strangers
    accepted): the mean named 94.0 % right, the nearest photo 90.4 %, one photo 86.0 %.
    rows: (person_id, 512-byte embedding) pairs. Returns ((P, 128) float32, P person ids).
    """
    sums: dict[int, np.ndarray] = {}
    for pid, blob in rows:
        v = np.frombuffer(blob, EMBEDDING_DTYPE)
        sums[pid] = sums[pid] + v if pid in sums else v.astype(np.float32)
    if not sums:
        return np.zeros((0, 128), np.float32), []
    m = np.stack(list(sums.values()))
    return m / np.linalg.norm(m, axis=1, keepdims=True), list(sums)


def read_all_means(model: str, batch: int = 20_000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every person's mean vector of `model`, streamed from the faces table in face order
    (the same sums and order as `person_means` over all rows, without holding every row).
    Returns (person ids (P,) int64, vectors (>= P, 128) float32 whose rows after the P-th
    are spare, ranks: first face id (P,))."""
    rows_of: dict[int, int] = {}
    ids, ranks = [], []
    people = db.session.scalar(select(func.count(func.distinct(Face.person_id))).where(Face.model == model))
    # Sized once, with the index's spare rows: PersonIndex.load then keeps it as it is.
    sums = np.zeros((people + PersonIndex.headroom(people), 128), np.float32)
    result = db.session.execute(select(Face.person_id, Face.id, Face.embedding)
                                .where(Face.model == model).order_by(Face.id)
                                .execution_options(yield_per=batch))
    for part in result.partitions(batch):
        rowidx = np.empty(len(part), np.int64)
        for i, (pid, fid, _) in enumerate(part):
            row = rows_of.get(pid)
            if row is None:
                row = rows_of[pid] = len(ids)
                ids.append(pid)
                ranks.append(fid)
            rowidx[i] = row
        if len(ids) > len(sums):
            sums = np.concatenate([sums, np.zeros((max(len(ids), 2 * len(sums)) - len(sums), 128), np.float32)])
        vectors = np.frombuffer(b"".join(r[2] for r in part), EMBEDDING_DTYPE).reshape(-1, 128)
        np.add.at(sums, rowidx, vectors)  # in face order, as person_means adds them
    n = len(ids)
    sums[:n] /= np.linalg.norm(sums[:n], axis=1, keepdims=True)
    return np.asarray(ids, np.int64), sums, np.asarray(ranks, np.int64)


def read_people(person_ids: list[int], model: str):
    """The current mean vectors, ranks and names of some people (those without faces of
    `model` left come back in `gone`)."""
    rows = db.session.execute(select(Face.person_id, Face.embedding, Face.id)
                              .where(Face.person_id.in_(person_ids), Face.model == model)
                              .order_by(Face.id)).all()
    means, present = person_means([(p, e) for p, e, _ in rows])
    first: dict[int, int] = {}
    for p, _, fid in rows:
        first.setdefault(p, fid)
    names = dict(db.session.execute(select(Person.id, Person.name).where(
        Person.id.in_(present))).all()) if present else {}
    gone = set(person_ids) - set(present)
    return present, means, [first[p] for p in present], names, gone


class Snapshots:
    """Index snapshots on disk: `<folder>/<database id>-<model>.npz` (ids, vectors, ranks,
    the typical crowding and the generation they are as of) and, for an index with a graph,
    `<database id>-<model>.g<generation>.usearch` beside it; each written atomically, the
    graph first, so that the .npz names a graph that is complete."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, dbid: str, model: str) -> Path:
        return self.folder / f"{dbid}-{model}.npz"

    def graph_path(self, dbid: str, model: str, generation: int) -> Path:
        return self.folder / f"{dbid}-{model}.g{generation}.usearch"

    def save(self, dbid: str, model: str, generation: int, index: PersonIndex) -> None:
        """Write the index as of `generation` (nothing may change it meanwhile)."""
        ids, vectors, ranks = index.rows()
        self.folder.mkdir(parents=True, exist_ok=True)
        if index.graph is not None:
            index.graph.save(self.graph_path(dbid, model, generation))
        path = self.path(dbid, model)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, ids=ids, vectors=vectors, ranks=ranks, generation=np.int64(generation),
                     typical=np.float64(np.nan if index.typical is None else index.typical))
        os.replace(tmp, path)
        self._prune(dbid, model, generation)

    def _prune(self, dbid: str, model: str, generation: int) -> None:
        """Delete the graphs of older snapshots. Another worker may just have written an
        older snapshot whose graph goes here: it then loads without one (and rebuilds it)."""
        for old in self.folder.glob(f"{dbid}-{model}.g*.usearch"):
            gen = old.name.removeprefix(f"{dbid}-{model}.g").removesuffix(".usearch")
            if gen.isdigit() and int(gen) < generation:
                old.unlink(missing_ok=True)

    def load(self, dbid: str, model: str):
        """(generation, ids, vectors, ranks, typical crowding or None, graph or None), or
        None when there is no readable snapshot (a missing or unreadable graph is None)."""
        try:
            with np.load(self.path(dbid, model), allow_pickle=False) as data:
                typical = float(data["typical"])
                ids, stored = data["ids"], data["vectors"]
                # Read straight into a matrix with the index's spare rows (no second copy).
                vectors = np.zeros((len(ids) + PersonIndex.headroom(len(ids)), stored.shape[1]), np.float32)
                vectors[:len(ids)] = stored
                del stored
                generation, ranks = int(data["generation"]), data["ranks"]
        except (OSError, KeyError, ValueError):
            return None
        graph = Graph.load(self.graph_path(dbid, model, generation), vectors.shape[1])
        return generation, ids, vectors, ranks, None if np.isnan(typical) else typical, graph
