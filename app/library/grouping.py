"""Unknown faces remembered as sightings, each joining its group at once.

Writers serialise on the state row: `remember` first moves `library_generation` (an UPDATE
that holds the row's lock until commit, on SQLite and PostgreSQL alike), so two processes
never assign sightings from two different pictures of the groups. Each process keeps the
groups' centres of the active model in memory (`GroupCentres`, owned by the app's process
state) and re-reads them only when another process moved the generation."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime

import numpy as np
from flask import current_app
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from ..extensions import db
from ..faces.photos import active_model_dir
from ..faces.thresholds import suggest
from ..models import EMBEDDING_DTYPE, AppState, Correction, Sighting, UnknownGroup, utcnow
from ..recognition.cluster import nearest_group, unit
from .centres import GroupCentres, group_centres

log = logging.getLogger(__name__)
AFTER_COMMIT = "library_after_commit"  # session.info: callbacks run once the transaction commits
# Faces kept per group at most (the best by quality): a dismissed group's never expire, and
# a poster by the door is seen every day.
MAX_PER_GROUP = 48


@dataclass
class Seen:
    """An unknown face to remember: (128,) unit embedding, crop JPEG, where and when."""

    embedding: np.ndarray
    crop_jpeg: bytes
    det_score: float = 1.0
    quality: float = 0.0
    camera_id: int | None = None
    camera: str | None = None
    source_sha256: str | None = None
    seen_at: datetime | None = None
    api_key_id: int | None = None  # the key of the upload it came from


@lru_cache(maxsize=512)
def _suggested(groups: int, model_dir) -> float:
    return suggest(max(groups, 1), 0.0, 0.01, model_dir)


def join_distance(groups: int) -> float:
    """How near a group's centre a face must be to join it, with `groups` groups to choose
    from: the identification threshold that takes 1 stranger in 100 for someone among that
    many people (app/faces/thresholds.suggest, with the active model's figures: fewer groups,
    fewer chance matches, looser), never
    stricter than GROUP_JOIN_DISTANCE. Measured on LFW (docs/LIBRARY.md): B-cubed precision
    0.991, recall 0.934 over 6,863 faces through the API; the sample photos' five people,
    whose photos differ more, stay in one group each where 0.8 alone split them."""
    return max(current_app.config["GROUP_JOIN_DISTANCE"], _suggested(groups // 25 * 25, active_model_dir()))


def move_generation() -> int:
    """Add one to the library generation in this transaction (taking the state row's lock)
    and return it; also arranges for this process's centres to follow once it commits."""
    table = AppState.__table__
    db.session.execute(update(table).where(table.c.id == 1).values(
        library_generation=table.c.library_generation + 1))
    return db.session.scalar(select(table.c.library_generation).where(table.c.id == 1))


def after_commit(fn) -> None:
    db.session.info.setdefault(AFTER_COMMIT, []).append(fn)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for fn in session.info.pop(AFTER_COMMIT, []):
        fn()


@event.listens_for(Session, "after_rollback")
def _drop_after_commit(session: Session) -> None:
    session.info.pop(AFTER_COMMIT, None)


class Assigner:
    """One transaction's assignments: the process's centres as of the generation before
    this transaction's, plus the groups it changes (applied to the process's copy only
    after commit)."""

    def __init__(self, centres: GroupCentres, model: str):
        self.centres, self.model = centres, model
        generation = move_generation()
        with centres.lock:
            if centres.seen != generation - 1 or centres.model != model:
                centres.load(model, generation - 1)
            self.ids, self.sums = centres.ids.copy(), centres.sums.copy()
        self.changed: dict[int, np.ndarray | None] = {}
        after_commit(lambda: self._publish(generation))

    def _publish(self, generation: int) -> None:
        with self.centres.lock:
            if self.centres.seen == generation - 1 and self.centres.model == self.model:
                for gid, vector_sum in self.changed.items():
                    self.centres.set(gid, vector_sum)
                self.centres.seen = generation
            else:
                self.centres.seen = -1  # someone else's change came between: re-read

    def group_for(self, embedding: np.ndarray, group_id: int | None = None) -> UnknownGroup:
        """The group a face joins (`group_id`: the one its track already belongs to), a new
        one when no centre is within the configured distance."""
        if group_id is None and len(self.ids):
            row, _ = nearest_group(unit(self.sums), embedding, join_distance(len(self.ids)))
            group_id = None if row is None else int(self.ids[row])
        group = None if group_id is None else db.session.get(UnknownGroup, group_id)
        if group is None:
            group = UnknownGroup(model=self.model, centroid=np.zeros(128, np.float32).tobytes(), count=0)
            db.session.add(group)
            db.session.flush()
        return group

    def add(self, group: UnknownGroup, seen: Seen) -> Sighting:
        e = np.asarray(seen.embedding, np.float32)
        at = seen.seen_at or utcnow()
        self.shift(group, e)
        group.count += 1
        group.last_seen = max(group.last_seen or at, at)
        group.first_seen = min(group.first_seen or at, at)
        row = Sighting(group=group, seen_at=at, camera_id=seen.camera_id, camera=seen.camera,
                       source_sha256=seen.source_sha256, model=self.model, embedding=e.tobytes(),
                       crop_jpeg=seen.crop_jpeg, det_score=seen.det_score, quality=seen.quality,
                       api_key_id=seen.api_key_id)
        db.session.add(row)
        return row

    def cap(self, group: UnknownGroup, keep: set[int] = frozenset()) -> None:
        """Drop a group's worst faces beyond MAX_PER_GROUP (its sum follows), never those in
        `keep` (ids) nor a face an operator marked as not someone (a correction points to it)."""
        extra = db.session.scalar(select(func.count(Sighting.id)).where(Sighting.group_id == group.id)) - MAX_PER_GROUP
        if extra <= 0:
            return
        marked = select(Correction.sighting_id).where(Correction.sighting_id.is_not(None))
        worst = db.session.execute(select(Sighting.id, Sighting.embedding).where(
            Sighting.group_id == group.id, Sighting.id.not_in(keep), Sighting.id.not_in(marked))
            .order_by(Sighting.quality, Sighting.id).limit(extra)).all()
        if not worst:
            return
        db.session.execute(delete(Sighting).where(Sighting.id.in_([i for i, _ in worst])))
        self.shift(group, -np.sum([np.frombuffer(e, EMBEDDING_DTYPE) for _, e in worst], axis=0))
        db.session.expire(group, ["sightings"])

    def shift(self, group: UnknownGroup, delta: np.ndarray) -> None:
        """Add `delta` ((128,) float32: faces joining, minus faces leaving) to a group's sum."""
        total = np.frombuffer(group.centroid, EMBEDDING_DTYPE).astype(np.float32) + delta
        group.centroid = total.tobytes()
        self.note(group.id, total if group.status in ("open", "dismissed") else None)

    def note(self, group_id: int, vector_sum: np.ndarray | None) -> None:
        """A group's sum changed (None: it no longer takes sightings) in this transaction."""
        self.changed[group_id] = vector_sum
        at = np.flatnonzero(self.ids == group_id)
        if vector_sum is None:
            self.ids, self.sums = self.ids[self.ids != group_id], self.sums[self.ids != group_id]
        elif len(at):
            self.sums[at[0]] = vector_sum
        else:
            self.ids, self.sums = np.append(self.ids, group_id), np.vstack([self.sums, vector_sum[None]])


def assigner() -> Assigner:
    """An Assigner for the active model, in the current transaction."""
    from ..faces import get_state

    return Assigner(group_centres(), get_state().active_model)


def remember(faces: list[Seen], group_id: int | None = None, keep: bool = False) -> list[Sighting]:
    """Store unknown faces as sightings, each in the group it joins (all in `group_id`
    when given: the faces of one camera track are one person); a full group drops its worst
    faces, these too unless `keep` (a face marked "not this person"). The caller commits."""
    work = assigner()
    out = []
    for seen in faces:
        group = work.group_for(seen.embedding, group_id)
        out.append(work.add(group, seen))
        group_id = group_id if group_id is None else group.id
    db.session.flush()
    kept = {s.id for s in out} if keep else frozenset()
    for group in {s.group for s in out}:
        work.cap(group, kept)
    return out
