"""The Arrivals page: who was first recognised when, on which camera (the faces' thumbnails
are served with the streams, app/stream/routes.py)."""
from __future__ import annotations

from flask import render_template, request
from flask_login import login_required

from ..events.arrivals import arrivals
from . import bp


@bp.get("/events")
@login_required
def events_page():
    """Arrivals: who was first recognised when, on which camera; ?who=known|unknown,
    ?q=part of a name, ?page=N (50 a page)."""
    who, q = request.args.get("who", ""), (request.args.get("q") or "").strip()
    page = max(request.args.get("page", 1, type=int), 1)
    found = arrivals(who, q, page)
    return render_template("events.html", events=found.items, who=who, q=q, page=page,
                           pages=found.pages, total=found.total)
