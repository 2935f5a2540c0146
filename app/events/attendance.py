"""The attendance report: per person and day, first and last seen and time present, in all
and per camera, from the visits of the arrivals log (presence.py says what a visit is).

Time present on a day is the union of the day's visit spans (someone in view of two cameras
at once counts once); per camera, the sum of that camera's spans. A span that crosses
midnight is split between the days. Days are the caller's: `tz_offset` minutes east of UTC."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

from ..errors import Problem
from ..models import utcnow
from .arrivals import FIRST_DAY, LAST_DAY
from .presence import visits

MAX_DAYS = 366
# Visits that began this long before the first day are read for their part in it (a night
# shift in view past midnight); a visit is one stay in view, longer ones are not looked for.
ONE_DAY = timedelta(days=1)
LOOKBACK = ONE_DAY
CSV_COLUMNS = ("person_id", "name", "date", "camera", "first_seen", "last_seen", "present_seconds", "visits")


def _seconds(spans: list[tuple[datetime, datetime]], union: bool) -> float:
    """The spans' total, overlaps counted once when `union` (spans sorted by start)."""
    if not union:
        return sum((e - s).total_seconds() for s, e in spans)
    total, reach = 0.0, None
    for s, e in spans:
        if reach is not None and s < reach:
            s = reach
        if e > s:
            total += (e - s).total_seconds()
            reach = e
    return total


def attendance(first: date, last: date, person_id: int | None = None, camera: str | None = None,
               tz_offset: int = 0) -> list[dict]:
    """Rows for each person and day in [first, last] (local days), by day then name:
    {person_id, name, date, first_seen, last_seen (ISO UTC), present_seconds, visits, cameras: [...]}."""
    shift = timedelta(minutes=tz_offset)
    start = datetime.combine(first, datetime.min.time()) - shift
    end = datetime.combine(last + timedelta(days=1), datetime.min.time()) - shift
    days: dict[tuple[int, date], dict] = {}
    now = utcnow()
    for pid, name, cam, arrived, seen, left in visits(start - LOOKBACK, end, person_id, camera):
        until = (now if left is None else seen or arrived)
        began = True  # a visit counts on the day it began
        for day, s, e in _split(arrived + shift, until + shift):
            if first <= day <= last:  # not the parts before the first day or after the last
                entry = days.get((pid, day))
                if entry is None:
                    entry = days[pid, day] = {"name": name, "all": [], "cameras": {}, "n": {}}
                entry["all"].append((s, e))
                entry["cameras"].setdefault(cam, []).append((s, e))
                entry["n"][cam] = entry["n"].get(cam, 0) + began
            began = False
    return [_row(pid, day, entry, shift) for (pid, day), entry in
            sorted(days.items(), key=lambda kv: (kv[0][1], (kv[1]["name"] or "").lower(), kv[0][0]))]


def _split(start: datetime, end: datetime) -> list[tuple[date, datetime, datetime]]:
    """(day, start, end) for each day [start, end] touches (local datetimes); a span that
    ends at midnight stays on its day. Nearly every visit is within one day: one date test."""
    end, pieces = max(end, start), []
    while end.date() != start.date():
        midnight = datetime.combine(start.date() + ONE_DAY, time())
        if end == midnight:
            break
        pieces.append((start.date(), start, midnight))
        start = midnight
    pieces.append((start.date(), start, end))
    return pieces


def _row(pid: int, day: date, entry: dict, shift: timedelta) -> dict:
    utc = lambda t: (t - shift).isoformat(timespec="seconds") + "Z"  # noqa: E731

    def part(spans: list, union: bool) -> dict:  # spans in order of arrival
        return {"first_seen": utc(spans[0][0]), "last_seen": utc(max(e for _, e in spans)),
                "present_seconds": round(_seconds(spans, union))}
    cams = [{"camera": cam, **part(d, False), "visits": entry["n"].get(cam, 0)}
            for cam, d in sorted(entry["cameras"].items())]
    return {"person_id": pid, "name": entry["name"], "date": day.isoformat(), **part(entry["all"], True),
            "visits": sum(entry["n"].values()), "cameras": cams}


def to_csv(rows: list[dict]) -> str:
    """One line per person, day and camera, and one with camera "all" for the day's total."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        for part in [{**row, "camera": "all"}, *row["cameras"]]:
            writer.writerow([row["person_id"], _safe(row["name"]), row["date"], _safe(part["camera"]),
                             part["first_seen"], part["last_seen"], part["present_seconds"], part["visits"]])
    return out.getvalue()


def _safe(text: str | None) -> str:
    """A cell a spreadsheet will not run as a formula (names and cameras are typed by people)."""
    text = text or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_range(first: date | None, last: date | None, person_id: int | None) -> tuple[date, date]:
    """The report's days, checked: with neither, the last 7 days (to today, UTC); with one,
    the week from or to it; `first` not after `last`, at most MAX_DAYS days, within
    FIRST_DAY..LAST_DAY (the API's date fields say the same); the person must exist."""
    from ..extensions import db
    from ..models import Person

    if any(d is not None and not FIRST_DAY <= d <= LAST_DAY for d in (first, last)):
        raise Problem("invalid-input", f"Dates must lie between {FIRST_DAY} and {LAST_DAY}.")
    week = timedelta(days=6)
    last = last or (utcnow().date() if first is None else min(first + week, LAST_DAY))
    first = first or max(last - week, FIRST_DAY)
    if first > last:
        raise Problem("invalid-input", f"from ({first}) is after to ({last}): send from on or before to, "
                      "as YYYY-MM-DD.")
    if (last - first).days + 1 > MAX_DAYS:
        raise Problem("invalid-input", f"The range is {(last - first).days + 1} days: send at most "
                      f"{MAX_DAYS} days between from and to.")
    if person_id is not None and (not 0 < person_id < 2**63 or db.session.get(Person, person_id) is None):
        raise Problem("not-found", f"There is no person with id {person_id}: send the id of an "
                      "enrolled person (GET /api/people), or leave person out for everyone.")
    return first, last
