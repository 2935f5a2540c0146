"""Visits in progress, kept in the database (models.OpenVisit) so that the host (or the
worker) that takes a camera over continues them: a person already in view is not announced
again, and a visit that ended while no one ran the camera gets its one departure. Times
are the database's clock (PostgreSQL's `now()`), so hosts whose clocks differ agree."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import OpenVisit, utcnow

SAVE_EVERY = 2.0  # seconds between two writes of one visit's last sighting


def db_now() -> datetime:
    """The database's time (UTC, naive); this host's clock for SQLite (one host)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.scalar(text("SELECT now() AT TIME ZONE 'UTC'"))
    return utcnow()


def subject(key: tuple) -> str | None:
    """"person:5" / "group:7" for a visit key's second part; None for a track's visit
    (not kept: a track does not outlive its recognizer)."""
    return f"{key[0]}:{key[1]}" if key[0] in ("person", "group") else None


def save(key: tuple[int, tuple], visit) -> None:
    """Keep the bus's visit `key` (camera id, subject key) as now: its person, name,
    distance and arrival row (bus.Visit), last seen now on the database's clock."""
    camera_id, what = key[0], subject(key[1])
    if what is None:
        return
    distance = None if visit.distance is None else float(visit.distance)
    try:
        db.session.merge(OpenVisit(camera_id=camera_id, subject=what, person_id=visit.person_id,
                                   name=visit.name, distance=distance, event_id=visit.event_id,
                                   last_seen_at=db_now()))
        db.session.commit()
    except IntegrityError:  # the person (or camera) was erased meanwhile: nothing of them kept
        db.session.rollback()


def end(camera_id: int, key: tuple | None = None) -> None:
    """The visit `key` on a camera ended (None: all of the camera's)."""
    query = delete(OpenVisit).where(OpenVisit.camera_id == camera_id)
    if key is not None:
        if (what := subject(key)) is None:
            return
        query = query.where(OpenVisit.subject == what)
    db.session.execute(query)
    db.session.commit()


def open_visits(camera_id: int) -> list[tuple[tuple, OpenVisit, float]]:
    """The camera's visits in progress: (visit key, row, seconds since last seen)."""
    now = db_now()
    rows = db.session.scalars(select(OpenVisit).where(OpenVisit.camera_id == camera_id)).all()
    out = []
    for row in rows:
        kind, _, ref = row.subject.partition(":")
        if kind in ("person", "group") and ref.isdigit():
            out.append(((kind, int(ref)), row, max(0.0, (now - row.last_seen_at).total_seconds())))
    return out


def in_view_anywhere(person_id: int) -> bool:
    """Whether a visit of the person is in progress on any camera of the cluster."""
    return db.session.scalar(select(OpenVisit.camera_id).where(OpenVisit.person_id == person_id)
                             .limit(1)) is not None
