"""The in-memory gallery of enrolled people, one per app and process, kept in step with the
database by its change log (app/models.py: every change of people or faces is logged with the
gallery generation it commits with): a request that finds the generation moved applies only
the changes since the last one this process saw. A process that starts, switches model or
falls further behind than the log keeps loads a snapshot (a file under instance/index/ when
there is one for this database, else the faces table) and then the log. The typical crowding
is recomputed off the request path once the gallery is larger than its sample.

Also the app state row that holds the generation, the active model and the threshold."""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import (EMBEDDING_DTYPE, GALLERY_LOG_KEEP, AppState, Face, GalleryChange,
                      GalleryMeta, Person)
from ..recognition.index import PersonIndex
from ..recognition.match import Crowding

log = logging.getLogger(__name__)
CHUNK = 500  # people re-read per query when applying changes
REFRESH_SECONDS = 600  # the background thread's longest wait before a due refresh


@dataclass(frozen=True)
class GalleryView:
    """What one request decides with, read once: the gallery of the active model's
    embeddings, names by person id, the active model and the identification threshold."""

    gallery: PersonIndex
    names: dict[int, str]
    model: str
    threshold: float

    def name(self, person_id: int | None) -> str | None:
        return None if person_id is None else self.names.get(person_id)


def get_state() -> AppState:
    """The single AppState row, created with the configured defaults on first use."""
    state = db.session.get(AppState, 1)
    if state is None:
        state = AppState(id=1, identify_threshold=current_app.config["IDENTIFY_THRESHOLD"])
        db.session.add(state)
        db.session.commit()
    return state


def database_id() -> str:
    """This database's identity (gallery_meta), created on first use."""
    meta = db.session.get(GalleryMeta, 1)
    if meta is None:
        meta = GalleryMeta(id=1, database_id=uuid.uuid4().hex)
        db.session.add(meta)
        db.session.commit()
    return meta.database_id


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
    the typical crowding and the generation they are as of), written atomically."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, dbid: str, model: str) -> Path:
        return self.folder / f"{dbid}-{model}.npz"

    def save(self, dbid: str, model: str, generation: int, index: PersonIndex) -> None:
        ids, vectors, ranks = index.rows()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(dbid, model)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        with open(tmp, "wb") as f:
            np.savez(f, ids=ids, vectors=vectors, ranks=ranks, generation=np.int64(generation),
                     typical=np.float64(np.nan if index.typical is None else index.typical))
        os.replace(tmp, path)

    def load(self, dbid: str, model: str):
        """(generation, ids, vectors, ranks, typical crowding or None), or None when there
        is no readable snapshot."""
        try:
            with np.load(self.path(dbid, model), allow_pickle=False) as data:
                typical = float(data["typical"])
                ids, stored = data["ids"], data["vectors"]
                # Read straight into a matrix with the index's spare rows (no second copy).
                vectors = np.zeros((len(ids) + PersonIndex.headroom(len(ids)), stored.shape[1]), np.float32)
                vectors[:len(ids)] = stored
                del stored
                return (int(data["generation"]), ids, vectors, data["ranks"],
                        None if np.isnan(typical) else typical)
        except (OSError, KeyError, ValueError):
            return None


class GalleryCache:
    """This process's index of the active model's gallery and the generation it is as of.

    `view()` costs one small query (the state row) when nothing changed, and reads only the
    changed people when something did. A background thread keeps the typical crowding of a
    gallery larger than the crowding sample (computing it is seconds at a million people)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._index: PersonIndex | None = None
        self._model: str | None = None
        self._dbid: str | None = None
        self._seen = -1
        self._snapshot_seen = -1
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._config: dict = {}
        self._changed = 0            # people changed since the typical crowding was computed
        self._typical_at = 0.0       # when it was (time.monotonic)

    def clear(self) -> None:
        with self._lock:
            self._index = self._model = None
            self._seen = -1
            self._stop_thread()

    def _stop_thread(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.stop = True
            self._wake.set()

    def view(self) -> GalleryView:
        """The gallery for the database as it is now."""
        state = get_state()
        db.session.refresh(state)
        generation, model = state.gallery_generation, state.active_model
        with self._lock:
            if self._index is None or self._model != model:
                self._load(model, generation)
            elif generation != self._seen:
                self._catch_up(generation)
            index = self._index
        return GalleryView(index, index.names, model, state.identify_threshold)

    @property
    def seen(self) -> int:
        return self._seen

    # --- loading ------------------------------------------------------------------------
    def _load(self, model: str, generation: int) -> None:
        """A new index: the snapshot on disk and the log after it when they are usable,
        else every face of `model` from the database."""
        cfg = current_app.config
        self._config = {"dir": Path(cfg["INDEX_DIR"]), "min": cfg["INDEX_SNAPSHOT_MIN"],
                        "every": cfg["INDEX_SNAPSHOT_EVERY"]}
        t0 = time.perf_counter()
        self._dbid = database_id()
        snapshots = Snapshots(self._config["dir"])
        snap = snapshots.load(self._dbid, model)
        source = "snapshot"
        if not (snap is not None and snap[0] <= generation and generation - snap[0] <= GALLERY_LOG_KEEP
                and self._install(model, generation, *snap)):
            source = "database"
            ids, vectors, ranks = read_all_means(model)
            self._install(model, generation, generation, ids, vectors, ranks, None)
        index = self._index
        log.info("gallery of %s loaded from the %s: %d people, generation %d, %.2f s",
                 model, source, len(index), self._seen, time.perf_counter() - t0)
        if source == "database" and len(index) >= self._config["min"]:
            snapshots.save(self._dbid, model, self._seen, index)
        self._snapshot_seen = self._seen
        self._start_thread()

    def _install(self, model: str, generation: int, seen: int, ids, vectors, ranks,
                 typical: float | None) -> bool:
        """Make these rows (as of generation `seen`) the index, then apply the log up to
        `generation`; False when the log cannot bring them there (a bulk change)."""
        index = PersonIndex(crowding=Crowding(weight=current_app.config["IDENTIFY_CROWDING"]))
        index.load(ids, vectors, ranks)
        index.names = dict(db.session.execute(select(Person.id, Person.name)).all())
        index.typical = typical
        self._index, self._model, self._seen = index, model, seen
        if seen != generation and not self._apply_log(generation):
            return False
        # The typical crowding: the snapshot's until the thread has recomputed it (seconds
        # at a million people); computed now when there is none, or when the sample is
        # everyone (a few ms, and the answers are exactly those of a rebuild).
        if index.typical is None or len(index) <= index.crowding.sample:
            # Loading: nothing searches this index yet, so 64 sample people per product
            # (a matrix product is several times faster per query than 64 vector products).
            index.typical = index.compute_typical_crowding(work=64 * max(1, len(index)))
        self._changed, self._typical_at = 0, time.monotonic()
        return True

    def _catch_up(self, generation: int) -> None:
        if not self._apply_log(generation):
            self._load(self._model, generation)

    def _apply_log(self, generation: int) -> bool:
        """Apply the logged changes after the generation this process saw; False when it
        cannot (the database went back, the log no longer reaches back, a bulk change)."""
        if generation < self._seen or generation - self._seen > GALLERY_LOG_KEEP:
            return False
        rows = db.session.execute(select(GalleryChange.generation, GalleryChange.person_id,
                                         GalleryChange.kind)
                                  .where(GalleryChange.generation > self._seen)).all()
        if any(kind == "bulk" for _, _, kind in rows):
            return False
        people = sorted({pid for _, pid, _ in rows if pid is not None})
        index = self._index
        for start in range(0, len(people), CHUNK):
            present, means, ranks, names, gone = read_people(people[start:start + CHUNK], self._model)
            index.upsert(present, means, ranks)
            index.names.update(names)
            index.remove(gone)
        self._seen = max([generation, *(g for g, _, _ in rows)])
        if len(index) <= index.crowding.sample:
            index.typical = index.compute_typical_crowding()
        elif people:
            self._changed += len(people)
            self._wake.set()
        if index.spare < index.headroom(len(index)) // 4:
            self._wake.set()  # the thread grows the matrix before an enrolment has to
        return True

    # --- the background thread ----------------------------------------------------------
    def _start_thread(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._refresh_loop, name="gallery-refresh", daemon=True)
            self._thread.stop = False
            self._thread.start()

    def _refresh_loop(self) -> None:
        me = threading.current_thread()
        while not me.stop:
            self._wake.wait(timeout=REFRESH_SECONDS / 10)
            self._wake.clear()
            if me.stop:
                return
            index, model, dbid = self._index, self._model, self._dbid
            if index is None:
                continue
            try:
                # The typical crowding of a large gallery moves little with one person: it is
                # recomputed (seconds at a million) after 1 % of the people changed, or
                # after REFRESH_SECONDS with any change.
                due = (self._changed >= max(1, len(index) // 100) or index.typical is None
                       or (self._changed and time.monotonic() - self._typical_at > REFRESH_SECONDS))
                if due:
                    self._changed = 0
                    typical = index.compute_typical_crowding()
                    if index is self._index:
                        index.typical, self._typical_at = typical, time.monotonic()
                if index.spare < index.headroom(len(index)) // 4:
                    with self._lock:  # no change is applied during the copy; searches go on
                        index.reserve(len(index) + 2 * index.headroom(len(index)))
                if (len(index) >= self._config.get("min", 1 << 62)
                        and self._seen - self._snapshot_seen >= self._config["every"]):
                    with self._lock:
                        seen = self._seen
                        Snapshots(self._config["dir"]).save(dbid, model, seen, index)
                    self._snapshot_seen = seen
            except Exception:  # noqa: BLE001 - a failed refresh must not end the thread
                log.exception("gallery refresh failed")
