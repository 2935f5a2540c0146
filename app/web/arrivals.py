"""The Arrivals page: who was first recognised when, on which camera (the faces' thumbnails
are served with the streams, app/stream/routes.py)."""
from __future__ import annotations

from datetime import date

from flask import render_template, request
from flask_login import login_required
from sqlalchemy import select

from ..events.arrivals import FIRST_DAY, LAST_DAY, Filters, arrivals
from ..extensions import db
from ..models import Person
from ..stream.cameras import list_cameras
from . import bp


@bp.get("/events")
@login_required
def events_page():
    """Arrivals: who was first recognised when, on which camera; ?who=known|unknown,
    ?q=part of a name, ?person=id, ?camera=name, ?day=YYYY-MM-DD (with ?tz_offset=minutes
    east of UTC, set by the page's script), ?page=N (50 a page)."""
    args, error = request.args, None
    try:
        day = date.fromisoformat(args["day"]) if args.get("day") else None
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(day)
    except ValueError:
        day, error = None, f"day must be a date as YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}; showing every day."
    person = args.get("person", type=int)
    f = Filters(args.get("who", ""), (args.get("q") or "").strip(), person if 0 < (person or 0) < 2**63 else None,
                (args.get("camera") or "").strip(), day, max(-720, min(840, args.get("tz_offset", 0, type=int))))
    page = min(max(args.get("page", 1, type=int), 1), 10**6)
    found = arrivals(f, page)
    links = {k: v for k, v in {"who": f.who, "q": f.q, "person": f.person_id, "camera": f.camera,
                               "day": day and day.isoformat(), "tz_offset": f.tz_offset if day else None}.items() if v}
    people = db.session.execute(select(Person.id, Person.name).order_by(Person.name)).all()
    body = render_template("events.html", events=found.items, f=f, links=links, page=page, pages=found.pages,
                           total=found.total, people=people, cameras=[c.name for c in list_cameras()], error=error)
    return (body, 400) if error else body
