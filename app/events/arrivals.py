"""Arrivals as the Arrivals page lists them: newest first, filtered and paged."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Event

PAGE = 50
# The days a filter may name: a day's bounds in UTC stay within what datetime can hold.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2999, 12, 31)


@dataclass
class ArrivalsPage:
    items: list[Event]
    total: int
    pages: int


@dataclass
class Filters:
    """What the Arrivals page shows. who: "known", "unknown" or "" (all); q: part of a name;
    person_id, camera (a name): only theirs; day: only that day, `tz_offset` minutes east of UTC."""
    who: str = ""
    q: str = ""
    person_id: int | None = None
    camera: str = ""
    day: date | None = None
    tz_offset: int = 0


def arrivals(f: Filters, page: int = 1, per_page: int = PAGE) -> ArrivalsPage:
    """Arrivals newest first, filtered by `f`."""
    who, q = f.who, f.q
    query = select(Event)
    if f.person_id is not None:
        query = query.where(Event.person_id == f.person_id)
    if f.camera:
        query = query.where(Event.camera == f.camera)
    if f.day is not None:
        start = datetime.combine(f.day, datetime.min.time()) - timedelta(minutes=f.tz_offset)
        query = query.where(Event.created_at >= start, Event.created_at < start + timedelta(days=1))
    if who == "known":
        query = query.where(Event.name.is_not(None))
    elif who == "unknown":
        query = query.where(Event.name.is_(None))
    if q:
        query = query.where(func.lower(Event.name).contains(q.lower()))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    items = db.session.scalars(query.order_by(Event.id.desc()).limit(per_page)
                               .offset((page - 1) * per_page)).all()
    return ArrivalsPage(items, total, max(1, -(-total // per_page)))
