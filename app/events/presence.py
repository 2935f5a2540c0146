"""Presence and attendance, read from the arrivals log (the Event rows the event bus writes).

One rule, the bus's (bus.py) and so MQTT's and Home Assistant's: a person's *visit* to a
camera starts with their arrival and ends with their departure, published once they have
not been seen there for LIVE_ARRIVAL_COOLDOWN_SECONDS. A person is *present* while any of
their visits is open (`left_at` is None). A visit's *span* runs from its arrival
(`created_at`) to the last time they were seen in it (`last_seen_at`; now while it is
open): the absence that ends a visit is not time present. Times are naive UTC datetimes."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from ..extensions import db
from ..models import Event, utcnow


def end_visit(event_id: int | None, unseen_seconds: float) -> None:
    """The bus published a departure for the visit that began with arrival `event_id`: it
    ended now, last seen `unseen_seconds` ago. Committed by the caller's publish."""
    if event_id is None:
        return
    now = utcnow()
    db.session.execute(update(Event).where(Event.id == event_id).values(
        left_at=now, last_seen_at=now - timedelta(seconds=max(unseen_seconds, 0.0))))
    db.session.commit()


def close_open_visits() -> int:
    """The cameras' process (re)starts and knows no visit: any still open in the log ended
    when it stopped (last seen then unknown: at their arrival at the latest)."""
    done = db.session.execute(update(Event).where(Event.person_id.is_not(None), Event.left_at.is_(None))
                              .values(left_at=utcnow(), last_seen_at=func.coalesce(Event.last_seen_at,
                                                                                   Event.created_at)))
    db.session.commit()
    return done.rowcount


def here_now(person_ids: list[int] | None = None) -> list[dict]:
    """Who is present (of `person_ids`, or everyone): [{person_id, name, cameras: [name],
    since: datetime}], by name. Reads the partial index of open visits (ix_event_open)."""
    query = (select(Event.person_id, Event.name, Event.camera, Event.created_at)
             .where(Event.person_id.is_not(None), Event.left_at.is_(None)))
    if person_ids is not None:
        query = query.where(Event.person_id.in_(person_ids))
    people: dict[int, dict] = {}
    # Sorted here: ORDER BY created_at would lead SQLite to walk an index of every arrival.
    for pid, name, camera, at in sorted(db.session.execute(query), key=lambda row: row.created_at):
        entry = people.setdefault(pid, {"person_id": pid, "name": name, "cameras": [], "since": at})
        if camera not in entry["cameras"]:
            entry["cameras"].append(camera)
        entry["name"] = name  # the newest arrival's name
    return sorted(people.values(), key=lambda p: (p["name"] or "").lower())


def last_seen(person_ids: list[int] | None = None) -> dict[int, dict]:
    """Each person's latest arrival: {person_id: {camera, at, here}}; `at` is the last time
    seen in it. `here` as here_now says (an earlier visit on another camera may still be
    open), `camera` then the cameras they are in view of. Uses ix_event_person_id_created_at."""
    latest = select(Event.person_id, func.max(Event.created_at).label("at")) \
        .where(Event.person_id.is_not(None)).group_by(Event.person_id)
    if person_ids is not None:
        latest = latest.where(Event.person_id.in_(person_ids))
    latest = latest.subquery()
    rows = db.session.execute(
        select(Event.person_id, Event.camera, Event.created_at, Event.last_seen_at)
        .join(latest, (Event.person_id == latest.c.person_id) & (Event.created_at == latest.c.at))).all()
    seen = {pid: {"camera": camera, "at": last or at, "here": False} for pid, camera, at, last in rows}
    for p in here_now(person_ids):
        seen[p["person_id"]].update(here=True, camera=", ".join(p["cameras"]))
    return seen


def visits(start: datetime, end: datetime, person_id: int | None = None,
           camera: str | None = None) -> list[tuple]:
    """Known people's visits that arrived in [start, end): (person_id, name, camera,
    arrived, last_seen or None while open), oldest first, without thumbnails."""
    query = (select(Event.person_id, Event.name, Event.camera, Event.created_at, Event.last_seen_at,
                    Event.left_at)
             .where(Event.created_at >= start, Event.created_at < end, Event.person_id.is_not(None)))
    if person_id is not None:
        query = query.where(Event.person_id == person_id)
    if camera:
        query = query.where(Event.camera == camera)
    return db.session.execute(query.order_by(Event.created_at)).all()
