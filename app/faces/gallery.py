"""The in-memory gallery of enrolled people, one per app and process, kept in step with the
database by its change log (app/models.py: every change of people or faces is logged with the
gallery generation it commits with): a request that finds the generation moved applies only
the changes since the last one this process saw. A process that starts, switches model or
falls further behind than the log keeps loads a snapshot (a file under instance/index/ when
there is one for this database, else the faces table) and then the log. The typical crowding
is recomputed off the request path once the gallery is larger than its sample, and a gallery
of INDEX_ANN_MIN people or more is searched through a graph (recognition/graph.py) loaded
with the snapshot, or built by the background thread (exact search meanwhile) and saved.
Beside it the grey gallery (app/faces/grey.py), with its own snapshot taken with the colour
one, kept by the same log; searched exactly.

Also the app state row that holds the generation, the active model and the threshold."""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import GALLERY_LOG_KEEP, GALLERY_PENDING, AppState, GalleryChange, GalleryMeta
from ..recognition.index import PersonIndex
from ..recognition.match import Crowding
from .gallery_store import Snapshots, grey_key, grey_rows, read_all_means, read_names, read_people
from .negatives import Negatives
from .view import GalleryView

log = logging.getLogger(__name__)
CHUNK = 500  # people re-read per query when applying changes
REFRESH_SECONDS = 600  # the background thread's longest wait before a due refresh
# Threads that build a graph: every core. It is built once per gallery (then loaded from
# its file), and searches go on exactly meanwhile, each taking the index's lock in turn.
GRAPH_THREADS = os.cpu_count() or 1


def get_state(fresh: bool = False) -> AppState:
    """The single AppState row, created with the configured defaults on first use (then
    committed at once: call it before adding anything to the session). fresh: as the
    database has it now, even when this session read it before (one SELECT either way)."""
    state = db.session.get(AppState, 1, populate_existing=fresh)
    if state is None:
        _save_first(AppState(id=1, identify_threshold=current_app.config["IDENTIFY_THRESHOLD"]))
        state = db.session.get(AppState, 1)
    return state


def database_id() -> str:
    """This database's identity (gallery_meta), created on first use (committed at once)."""
    meta = db.session.get(GalleryMeta, 1)
    if meta is None:
        _save_first(GalleryMeta(id=1, database_id=uuid.uuid4().hex))
        meta = db.session.get(GalleryMeta, 1)
    return meta.database_id


def _save_first(row) -> None:
    """Commit the one row of a table, made on first use. The first requests on a new
    database race to make it (threads and workers): the loser's INSERT fails, and the
    winner's row is the one (it was a 409 on identify)."""
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


class GalleryCache:
    """This process's index of the active model's gallery and the generation it is as of.

    `view()` costs one small query (the state row) when nothing changed, and reads only the
    changed people when something did. A background thread keeps the typical crowding of a
    gallery larger than the crowding sample (computing it is seconds at a million people)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._index: PersonIndex | None = None
        self._grey: PersonIndex | None = None  # the grey gallery (app/faces/grey.py), searched exactly
        self._model: str | None = None
        self._dbid: str | None = None
        self._seen = -1
        self._snapshot_seen = -1
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._config: dict = {}
        self._negatives = Negatives()  # as of the generation seen
        self._changed = 0            # people changed since the typical crowding was computed
        self._typical_at = 0.0       # when it was (time.monotonic)
        # (index, model, generation) as one value, replaced whole under the lock: a request
        # that finds it current needs no lock (the thread may hold it for seconds, writing a
        # snapshot of a million people or growing the matrix).
        self._current: tuple | None = None

    def clear(self) -> None:
        with self._lock:
            self._index = self._grey = self._model = self._current = None
            self._seen = -1
            self._stop_thread()

    def _stop_thread(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.stop = True
            self._wake.set()

    def view(self) -> GalleryView:
        """The gallery for the database as it is now. Inside a transaction that has changed
        the gallery already (an import batch checking its next photo), the gallery as this
        process last saw it committed: it must not follow an uncommitted generation."""
        if db.session.info.get(GALLERY_PENDING):
            return self._view_before_commit()
        state = get_state(fresh=True)  # each request's one read of it (get, then refresh: two)
        generation, model = state.gallery_generation, state.active_model
        current = self._current
        if current is None or current[1] != model or current[2] != generation:
            with self._lock:
                if self._index is None or self._model != model:
                    self._load(model, generation)
                elif generation != self._seen:
                    self._catch_up(generation)
                # The corrections move the generation too: read again with every change.
                self._current = current = (self._index, self._model, self._seen, Negatives.load(model),
                                           self._grey)
        index = current[0]
        return GalleryView(index, index.names, model, state.identify_threshold, current[3], current[4])

    def _view_before_commit(self) -> GalleryView:
        state = get_state()
        with self._lock:
            index, model = self._index, self._model
        if index is None or model != state.active_model:  # rare: a process's first request
            ids, vectors, ranks = read_all_means(state.active_model)  # this transaction's rows
            index = PersonIndex(crowding=Crowding(weight=current_app.config["IDENTIFY_CROWDING"]))
            index.load(ids, vectors, ranks)
            index.names = read_names()
        return GalleryView(index, index.names, state.active_model, state.identify_threshold,
                           Negatives.load(state.active_model), committed=False)

    # --- loading ------------------------------------------------------------------------
    def _load(self, model: str, generation: int) -> None:
        """A new index: the snapshot on disk and the log after it when they are usable,
        else every face of `model` from the database."""
        cfg = current_app.config
        self._config = {"dir": Path(cfg["INDEX_DIR"]), "min": cfg["INDEX_SNAPSHOT_MIN"],
                        "every": cfg["INDEX_SNAPSHOT_EVERY"], "ann_min": cfg["INDEX_ANN_MIN"]}
        t0 = time.perf_counter()
        self._dbid = database_id()
        snapshots = Snapshots(self._config["dir"])
        snapshots.sweep(self._dbid, get_state().erased_generation)  # an erase's leftovers
        snap = snapshots.load(self._dbid, model)
        source = "snapshot"
        if not (snap is not None and snap[0] <= generation and generation - snap[0] <= GALLERY_LOG_KEEP
                and self._install(model, generation, *snap, grey=snapshots.load(self._dbid, grey_key(model)))):
            source = "database"
            ids, vectors, ranks = read_all_means(model)
            self._install(model, generation, generation, ids, vectors, ranks, None)
        index = self._index
        log.info("gallery of %s loaded from the %s: %d people, generation %d, %.2f s, %s search",
                 model, source, len(index), self._seen, time.perf_counter() - t0,
                 "graph" if index.approximate else "exact")
        if source == "database" and len(index) >= self._config["min"]:
            self._save(snapshots, self._dbid, model, self._seen)
        self._snapshot_seen = self._seen
        self._start_thread()
        # The thread builds the graph when there is none (exact search until it is attached)
        # and grows a loaded graph's tables before the first enrolment has to.
        self._wake.set()

    def _install(self, model: str, generation: int, seen: int, ids, vectors, ranks,
                 typical: float | None, graph=None, grey=None) -> bool:
        """Make these rows (as of generation `seen`) the index, with their graph when given, and
        the grey one (`grey_rows`), then apply the log up to `generation` to both; False
        when the log cannot bring them there (a bulk change)."""
        index = self._new_index(self._config["ann_min"])
        index.load(ids, vectors, ranks)
        if graph is not None and not index.attach(graph):
            log.warning("the snapshot's graph does not hold its people: it is built again")
        index.names = read_names()
        index.typical = typical
        self._index, self._model, self._seen = index, model, seen
        *rows, grey_typical = grey_rows(model, grey, seen)
        self._grey = self._new_index(None)
        self._grey.load(*rows)
        self._grey.typical = grey_typical
        if seen != generation and not self._apply_log(generation):
            return False
        # The typical crowding: the snapshot's until the thread has recomputed it (seconds
        # at a million people); computed now when there is none, or when the sample is
        # everyone (a few ms, and the answers are exactly those of a rebuild).
        for each in (index, self._grey):
            if each.typical is None or len(each) <= each.crowding.sample:
                # Loading: nothing searches this index yet, so 64 sample people per product
                # (a matrix product is several times faster per query than 64 vector products).
                each.typical = each.compute_typical_crowding(work=64 * max(1, len(each)))
        self._changed, self._typical_at = 0, time.monotonic()
        return True

    def _save(self, snapshots: Snapshots, dbid: str, model: str, seen: int) -> None:
        """Snapshots of both galleries as of generation `seen` (nothing may change them)."""
        snapshots.save(dbid, model, seen, self._index)
        snapshots.save(dbid, grey_key(model), seen, self._grey)

    @staticmethod
    def _new_index(ann_min: int | None) -> PersonIndex:
        return PersonIndex(crowding=Crowding(weight=current_app.config["IDENTIFY_CROWDING"]), ann_min=ann_min)

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
            for each, grey in ((index, False), (self._grey, True)):
                present, means, ranks, names, gone = read_people(people[start:start + CHUNK], self._model, grey)
                each.upsert(present, means, ranks)
                each.remove(gone)
                index.names.update(names)
        self._seen = max([generation, *(g for g, _, _ in rows)])
        if len(index) <= index.crowding.sample:
            index.typical, self._typical_at = index.compute_typical_crowding(), time.monotonic()
            self._grey.typical = self._grey.compute_typical_crowding()
        elif people:
            self._changed += len(people)
            self._wake.set()
        if index.spare < index.headroom(len(index)) // 4 or index.wants_graph():
            self._wake.set()  # the thread grows the matrix before an enrolment has to, or builds the graph
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
                self._refresh(index, model, dbid,
                              stop=lambda index=index: me.stop or index is not self._index)
            except Exception:  # noqa: BLE001 - a failed refresh must not end the thread
                log.exception("gallery refresh failed")

    def _refresh(self, index: PersonIndex, model: str, dbid: str, stop) -> None:
        """The thread's work on the current index: the typical crowding when due, spare rows,
        the graph when missing, a snapshot when due (or when the graph is new)."""
        # The typical crowding of a large gallery moves little with one person: it is
        # recomputed (seconds at a million) after 1 % of the people changed, or after
        # REFRESH_SECONDS with any change.
        due = (self._changed >= max(1, len(index) // 100) or index.typical is None
               or (self._changed and time.monotonic() - self._typical_at > REFRESH_SECONDS))
        if due:
            self._changed, started = 0, self._typical_at
            grey = self._grey  # of the same load as `index` while `index is self._index`
            typical = [each.compute_typical_crowding() for each in (index, grey) if each is not None]
            # Not over one computed meanwhile by a load or a small gallery's log (of newer rows).
            if index is self._index and self._typical_at == started and len(typical) == 2:
                index.typical, grey.typical = typical
                self._typical_at = time.monotonic()
        if index.spare < index.headroom(len(index)) // 4:
            with self._lock:  # no change is applied during the copy; searches go on
                index.reserve(len(index) + 2 * index.headroom(len(index)))
        index.make_room()
        built = False
        if index.wants_graph():
            t0 = time.perf_counter()
            built = index.build_graph(stop=stop, threads=GRAPH_THREADS)
            log.info("graph of %d people %s in %.1f s", len(index),
                     "built" if built else "not built", time.perf_counter() - t0)
        if len(index) >= self._config.get("min", 1 << 62) and (
                built or self._seen - self._snapshot_seen >= self._config["every"]):
            with self._lock:
                seen = self._seen
                self._save(Snapshots(self._config["dir"]), dbid, model, seen)
            self._snapshot_seen = seen
