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
from ..private_files import open_private, private_folder
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


def of_gallery(model: str, grey: bool):
    """(the embedding column, the condition on faces) of the colour or the grey gallery of
    `model` (the grey one: the faces that have a grey embedding, app/faces/grey.py)."""
    if grey:
        return Face.grey_embedding, (Face.model == model) & Face.grey_embedding.is_not(None)
    return Face.embedding, Face.model == model


def read_all_means(model: str, batch: int = 20_000, grey: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every person's mean vector of `model` (grey: of their grey embeddings), streamed from
    the faces table in face order (the same sums and order as `person_means` over all rows,
    without holding every row). Returns (person ids (P,) int64, vectors (>= P, 128) float32
    whose rows after the P-th are spare, ranks: first face id (P,))."""
    rows_of: dict[int, int] = {}
    ids, ranks = [], []
    column, where = of_gallery(model, grey)
    people = db.session.scalar(select(func.count(func.distinct(Face.person_id))).where(where))
    # Sized once, with the index's spare rows: PersonIndex.load then keeps it as it is.
    sums = np.zeros((people + PersonIndex.headroom(people), 128), np.float32)
    result = db.session.execute(select(Face.person_id, Face.id, column)
                                .where(where).order_by(Face.id)
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


def read_people(person_ids: list[int], model: str, grey: bool = False):
    """The current mean vectors (grey: of the grey embeddings), ranks and names of some
    people (those without faces of `model` left come back in `gone`)."""
    column, where = of_gallery(model, grey)
    rows = db.session.execute(select(Face.person_id, column, Face.id)
                              .where(Face.person_id.in_(person_ids), where)
                              .order_by(Face.id)).all()
    means, present = person_means([(p, e) for p, e, _ in rows])
    first: dict[int, int] = {}
    for p, _, fid in rows:
        first.setdefault(p, fid)
    names = dict(db.session.execute(select(Person.id, Person.name).where(
        Person.id.in_(present))).all()) if present else {}
    gone = set(person_ids) - set(present)
    return present, means, [first[p] for p in present], names, gone


def grey_rows(model: str, snapshot, seen: int):
    """The grey gallery's rows: its snapshot's (Snapshots.load) when that is as of generation
    `seen`, else the faces table's as of now (the log then re-reads the same people).
    Returns (person ids, vectors, ranks, typical crowding or None)."""
    if snapshot is not None and snapshot[0] == seen:
        return tuple(snapshot[1:5])
    return (*read_all_means(model, grey=True), None)


def read_names() -> dict[int, str]:
    """Every person's name by id. Through the driver's own cursor: at a million people
    SQLAlchemy's rows took 3.3 s of a worker's start here, the driver's tuples 0.8 s."""
    cursor = db.session.connection().connection.cursor()
    try:
        cursor.execute(f"SELECT id, name FROM {Person.__table__.name}")
        return dict(cursor.fetchall())
    finally:
        cursor.close()


def _read_matrix(path: Path, spare: int) -> np.ndarray:
    """A (N, dim) float32 .npy file read straight into a matrix with `spare` zero rows
    after it: one read, no copy (np.load from an .npz took 5.7 s at a million people: the
    zip member read, then copied into the matrix the index keeps)."""
    with open(path, "rb") as f:
        version = np.lib.format.read_magic(f)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, fortran, dtype = read_header(f)
        if fortran or len(shape) != 2 or dtype != np.float32:
            raise ValueError(f"{path}: not a float32 matrix")
        out = np.zeros((shape[0] + spare, shape[1]), np.float32)
        if shape[0] and f.readinto(out[:shape[0]].data.cast("B")) != out[:shape[0]].nbytes:  # (an empty grey gallery)
            raise ValueError(f"{path}: truncated")
    return out


def grey_key(model: str) -> str:
    """The name the grey gallery of `model` has among the snapshots."""
    return f"{model}~grey"


class Snapshots:
    """Index snapshots on disk: `<folder>/<database id>-<model>.npz` (ids, ranks, the typical
    crowding and the generation they are as of), its vectors in `<stem>.g<generation>.npy`
    and, for an index with a graph, the graph in `<stem>.g<generation>.usearch`. Each file
    is written atomically, the .npz last, so that it names only complete files; files of
    older generations are deleted after it."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, dbid: str, model: str) -> Path:
        return self.folder / f"{dbid}-{model}.npz"

    def graph_path(self, dbid: str, model: str, generation: int) -> Path:
        return self.folder / f"{dbid}-{model}.g{generation}.usearch"

    def vectors_path(self, dbid: str, model: str, generation: int) -> Path:
        return self.folder / f"{dbid}-{model}.g{generation}.npy"

    def save(self, dbid: str, model: str, generation: int, index: PersonIndex) -> None:
        """Write the index as of `generation` (nothing may change it meanwhile)."""
        ids, vectors, ranks = index.rows()
        private_folder(self.folder)  # every person's embedding: owner only
        if index.graph is not None:
            index.graph.save(self.graph_path(dbid, model, generation))
        path = self.path(dbid, model)
        self._write(self.vectors_path(dbid, model, generation), lambda f: np.save(f, vectors))
        self._write(path, lambda f: np.savez(
            f, ids=ids, ranks=ranks, generation=np.int64(generation),
            typical=np.float64(np.nan if index.typical is None else index.typical)))
        self._prune(dbid, model, generation)

    @staticmethod
    def _write(path: Path, write) -> None:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        with open_private(tmp) as f:
            write(f)
        os.replace(tmp, path)

    def _prune(self, dbid: str, model: str, generation: int) -> None:
        """Delete the vectors and graphs of older snapshots. Another worker may just have
        written an older snapshot whose files go here: it then loads from the database."""
        for old in self.folder.glob(f"{dbid}-{model}.g*.*"):
            gen = old.name.removeprefix(f"{dbid}-{model}.g").split(".")[0]
            if gen.isdigit() and int(gen) < generation:
                old.unlink(missing_ok=True)

    def sweep(self, dbid: str, erased: int) -> list[Path]:
        """Delete every snapshot of this database older than generation `erased` (that of
        the last erase of a person: such a snapshot may still hold their mean vector), with
        its vectors and graph. Returns the files deleted."""
        gone = []
        if erased <= 0:  # nobody was ever erased: nothing to read
            return gone
        for path in self.folder.glob(f"{dbid}-*"):
            name = path.name.removeprefix(f"{dbid}-")
            if path.suffix == ".npz":
                try:
                    with np.load(path, allow_pickle=False) as data:
                        old = int(data["generation"]) < erased
                except (OSError, KeyError, ValueError):
                    old = True  # unreadable: nobody loads it, nothing of it may stay
            else:
                gen = name.rsplit(".g", 1)[-1].split(".")[0]
                old = not gen.isdigit() or int(gen) < erased
            if old:
                path.unlink(missing_ok=True)
                gone.append(path)
        return gone

    def load(self, dbid: str, model: str):
        """(generation, ids, vectors, ranks, typical crowding or None, graph or None), or
        None when there is no readable snapshot (a missing or unreadable graph is None)."""
        try:
            with np.load(self.path(dbid, model), allow_pickle=False) as data:
                typical = float(data["typical"])
                ids, generation, ranks = data["ids"], int(data["generation"]), data["ranks"]
            # Straight into a matrix with the index's spare rows (PersonIndex.load keeps it).
            vectors = _read_matrix(self.vectors_path(dbid, model, generation),
                                   PersonIndex.headroom(len(ids)))
            if len(vectors) - PersonIndex.headroom(len(ids)) != len(ids):
                return None
        except (OSError, KeyError, ValueError):
            return None
        graph = Graph.load(self.graph_path(dbid, model, generation), vectors.shape[1])
        return generation, ids, vectors, ranks, None if np.isnan(typical) else typical, graph
