"""Arrivals as the Arrivals page lists them: newest first, filtered and paged."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import Event

PAGE = 50


@dataclass
class ArrivalsPage:
    items: list[Event]
    total: int
    pages: int


def arrivals(who: str = "", q: str = "", page: int = 1, per_page: int = PAGE) -> ArrivalsPage:
    """Arrivals newest first. who: "known", "unknown" or "" (all); q: part of a name."""
    query = select(Event)
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
