"""Presence and attendance for programs: who is here now, and who was here when
(app/events/presence.py and attendance.py say what a visit and time present are)."""
from __future__ import annotations

from flask import Response

from ..auth import key_required
from ..events.attendance import CSV_COLUMNS, attendance, report_range, to_csv
from ..events.presence import here_now
from . import bp
from .presence_schemas import Attendance, AttendanceQuery, Presence
from .spec import KEY, guarded, problems

keyed = guarded(bp, key_required, KEY)


@bp.get("/presence")
@keyed
@bp.response(200, Presence, description="Who is in view of a camera now.")
@problems(bp, 429)
def presence_view():
    """Who is here now: the people whose visit to a camera has not ended (home in MQTT)"""
    return {"present": [{**p, "since": p["since"].isoformat() + "Z"} for p in here_now()]}


@bp.get("/attendance")
@keyed
@bp.arguments(AttendanceQuery, location="query", as_kwargs=True)
@bp.response(200, Attendance, description="Per person and day: first and last seen, time present, per camera.",
             content_type="application/json")
@bp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string", "description": (
    'format=csv: one line per person, day and camera (camera "all": the day\'s total), columns '
    + ",".join(CSV_COLUMNS) + ".")}}}}})
@problems(bp, 400, 404, 429)
def attendance_view(first=None, last=None, person=None, camera=None, tz_offset=0, format="json"):
    """Attendance for a date range: per person and day, first and last seen and time present"""
    first, last = report_range(first, last, person)
    rows = attendance(first, last, person, camera or None, tz_offset)
    if format == "csv":
        return Response(to_csv(rows), mimetype="text/csv", headers={
            "Content-Disposition": f'attachment; filename="attendance-{first}-{last}.csv"'})
    return {"first": first.isoformat(), "last": last.isoformat(), "tz_offset": tz_offset, "days": rows}
