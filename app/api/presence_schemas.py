"""What the arrivals, presence and attendance routes take and answer (args.py and schemas.py
hold the rest)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..events.arrivals import FIRST_DAY, LAST_DAY
from .args import Args, Whole, text, whole
from .schemas import DATE, _d

YEARS = r"^2[0-9]{3}-"  # FIRST_DAY..LAST_DAY in the document (a date's minimum is no OpenAPI 3.0 keyword)


def a_date(description: str) -> fields.Date:
    msg = f"must be a date as YYYY-MM-DD, from {FIRST_DAY} to {LAST_DAY}."
    return fields.Date(load_default=None, validate=validate.Range(FIRST_DAY, LAST_DAY, error=msg),
                       error_messages={"invalid": msg, "null": msg, "format": msg},
                       metadata={"description": description, "pattern": YEARS})


def tz_offset_field() -> Whole:
    return whole(-720, 840, 0, "Minutes east of UTC of the days (e.g. 60 for CET; default UTC).")


class EventsQuery(Args):
    limit = whole(1, 500, 100, "How many arrivals a page, newest first.")
    page = whole(1, 10**6, 1, "Which page of `limit` arrivals (1: the newest).")
    person = whole(1, 10**18 - 1, None, "Only this person's id.")
    camera = text("Only this camera's name.", max_length=120)
    day = a_date("Only this day (see tz_offset).")
    tz_offset = tz_offset_field()


class AttendanceQuery(Args):
    first = a_date("The first day of the report (default: 6 days before `to`).")
    last = a_date("The last day, included, not before `from` and at most 366 days after it (default: "
                  "6 days after `from`, or today, UTC).")
    person = whole(1, 10**18 - 1, None, "Only this person's id.")
    camera = text("Only this camera's name.", max_length=120)
    tz_offset = tz_offset_field()
    format = fields.String(load_default="json", validate=validate.OneOf(
        ("json", "csv"), error="must be json or csv."), metadata={"description": "json or csv."})

    def on_bind_field(self, name, field):  # `from` and `to` are Python words
        field.data_key = {"first": "from", "last": "to"}.get(name, field.data_key)


class Present(Schema):
    person_id = fields.Integer(required=True)
    name = fields.String(required=True)
    cameras = fields.List(fields.String(), required=True, **_d("The cameras they are in view of."))
    since = fields.String(required=True, metadata={**DATE, "description": "Their earliest open visit's arrival, UTC."})


class Presence(Schema):
    present = fields.List(fields.Nested(Present), required=True, **_d(
        "Who is here now: a person with a visit not yet ended (the rule of the MQTT presence), by name."))


class CameraDay(Schema):
    camera = fields.String(required=True)
    first_seen = fields.String(required=True, metadata={**DATE, "description": "UTC."})
    last_seen = fields.String(required=True, metadata={**DATE, "description": "UTC."})
    present_seconds = fields.Integer(required=True, **_d("The sum of this camera's visit spans that day."))
    visits = fields.Integer(required=True, **_d("Visits that began that day."))


class AttendanceDay(CameraDay):
    camera = None
    person_id = fields.Integer(required=True)
    name = fields.String(required=True)
    date = fields.String(required=True, metadata={"format": "date"})
    present_seconds = fields.Integer(required=True, **_d(
        "Seconds present: the union of the day's visit spans (arrival to last seen) on any camera."))
    cameras = fields.List(fields.Nested(CameraDay), required=True)


class Attendance(Schema):
    first = fields.String(required=True, data_key="from", metadata={"format": "date"})
    last = fields.String(required=True, data_key="to", metadata={"format": "date"})
    tz_offset = fields.Integer(required=True, **_d("Minutes east of UTC of the days."))
    days = fields.List(fields.Nested(AttendanceDay), required=True, **_d("By day, then name."))
