"""The Presence page: who is here now, and the attendance report for a range of days with a
bar per day (app/events/presence.py and attendance.py say what they count)."""
from __future__ import annotations

from datetime import date

from flask import Response, render_template, request
from sqlalchemy import select

from ..auth import admin_required
from ..events.attendance import attendance, report_range, to_csv
from ..events.presence import here_now
from ..extensions import db
from ..errors import Problem
from ..models import Person
from ..stream.cameras import list_cameras
from . import bp

TABLE_ROWS = 500  # rows shown; the CSV has them all


@bp.get("/presence")
@admin_required
def presence_page():
    """Who is here now; ?from=&to= (YYYY-MM-DD), ?person=id, ?camera=name, ?tz_offset=minutes
    east of UTC (set by the page's script) choose the report."""
    choice = _choice(request.args)
    try:
        first, last, rows = _report(request.args, choice)
        error = None
    except Problem as e:
        first, last, rows, error = request.args.get("from", ""), request.args.get("to", ""), [], e.page_detail
    people = db.session.execute(select(Person.id, Person.name).order_by(Person.name)).all()
    page = render_template("presence.html", here=here_now(), rows=rows[:TABLE_ROWS], total=len(rows),
                           chart=_chart(rows), first=first, last=last, error=error, people=people,
                           cameras=[c.name for c in list_cameras()], zone=_zone(choice["tz_offset"]), **choice)
    return (page, 400) if error else page


@bp.get("/presence/attendance.csv")
@admin_required
def attendance_csv():
    """The page's report as CSV, for a signed-in admin (GET /api/attendance needs a key)."""
    first, last, rows = _report(request.args, _choice(request.args))
    return Response(to_csv(rows), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="attendance-{first}-{last}.csv"'})


def _choice(args) -> dict:
    """Whose report: person (id or None), camera ("" for all), tz_offset (minutes, clamped)."""
    return {"person": args.get("person", type=int), "camera": (args.get("camera") or "").strip(),
            "tz_offset": max(-720, min(840, args.get("tz_offset", 0, type=int)))}


def _report(args, choice: dict) -> tuple[date, date, list[dict]]:
    """The checked range and its rows; a Problem that says what to send for a bad range."""
    first, last = report_range(_day(args, "from"), _day(args, "to"), choice["person"])
    return first, last, attendance(first, last, choice["person"], choice["camera"] or None, choice["tz_offset"])


def _zone(minutes: int) -> str:
    """'UTC', 'UTC+1', 'UTC-5:30' for minutes east of UTC."""
    hours, rest = divmod(abs(minutes), 60)
    return "UTC" if not minutes else f"UTC{'+' if minutes > 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")


def _day(args, name: str) -> date | None:
    """A date parameter; a malformed one is a Problem that says what to send."""
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Problem("invalid-input", f"{name} must be a date as YYYY-MM-DD.") from None


def _chart(rows: list[dict]) -> list[dict]:
    """A bar per day: people present and their hours, `share` of the longest day (0..1)."""
    days: dict[str, dict] = {}
    for row in rows:
        d = days.setdefault(row["date"], {"date": row["date"], "people": 0, "hours": 0.0})
        d["people"] += 1
        d["hours"] += row["present_seconds"] / 3600
    top = max((d["hours"] for d in days.values()), default=0) or 1
    return [{**d, "share": d["hours"] / top} for d in sorted(days.values(), key=lambda d: d["date"])]
