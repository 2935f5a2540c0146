"""Attendance report speed (issue 22, target <= 1 s): a temporary SQLite database with
--people people x --days days x --cameras cameras x --visits visits a day (arrivals with
a --thumb-bytes thumbnail each, the latest days ending today, inside the retention) and as
many unknown faces' arrivals; then GET /api/attendance for the whole range (JSON and CSV),
for one person and for one camera, and GET /api/presence, --runs times each. Prints one
JSON line: medians in ms (wall and CPU), rows, and SQLite's plan of each statement the report and presence
run on the event table (they must search an index, not scan the table).

    nice -n 10 .venv/bin/python scripts/bench_attendance.py [--people 100 --days 30 --cameras 4]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from harness import ROOT  # first: the repository root on sys.path
from sqlalchemy import insert

sys.path.append(str(ROOT / "tests"))  # support.make_app: a migrated app, as the tests make one


def _fill(app, a) -> tuple[str, str]:
    """The arrivals; returns the report's first and last day."""
    from app.extensions import db
    from app.models import Event, Person, utcnow

    thumb = b"\xff\xd8" + bytes(a.thumb_bytes - 2)
    last = utcnow().date()
    first = last - timedelta(days=a.days - 1)
    with app.app_context():
        db.session.execute(insert(Person), [{"name": f"P{i:03d}", "name_key": f"p{i:03d}"} for i in range(a.people)])
        rows, hour = [], timedelta(hours=1)
        for d in range(a.days):
            midnight = datetime.combine(first + timedelta(days=d), datetime.min.time())
            for pid in range(1, a.people + 1):
                for c in range(a.cameras):
                    for v in range(a.visits):
                        start = midnight + (8 + 4 * v + c * 0.25 + pid / 1000) * hour
                        end = start + 1.5 * hour
                        here = d == a.days - 1 and v == a.visits - 1 and c == 0 and pid <= a.here
                        rows.append({"camera": f"Cam{c}", "person_id": pid, "name": f"P{pid - 1:03d}",
                                     "thumbnail_jpeg": thumb, "created_at": start,
                                     "last_seen_at": None if here else end, "left_at": None if here else end})
                        rows.append({"camera": f"Cam{c}", "thumbnail_jpeg": thumb, "created_at": start})
        for i in range(0, len(rows), 20_000):
            db.session.execute(insert(Event), rows[i:i + 20_000])
            db.session.commit()
    return str(first), str(last)


def _median_ms(client, url: str, headers: dict, runs: int) -> dict:
    """Medians over `runs` GETs: wall time, and this process's CPU time (what a loaded
    machine does not inflate: the figure to read when other work shares the cores)."""
    wall, cpu = [], []
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        r = client.get(url, headers=headers)
        wall.append((time.perf_counter() - w0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
        assert r.status_code == 200, r.data[:300]
    return {"wall_ms": round(statistics.median(wall), 1), "cpu_ms": round(statistics.median(cpu), 1)}


def _plans(app, client, url: str, headers: dict) -> list[str]:
    """SQLite's query plan of each statement on the event table that answering `url` runs."""
    from sqlalchemy import event

    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen = []
    keep = lambda conn, cursor, sql, params, context, many: seen.append((sql, params))  # noqa: E731
    event.listen(engine, "before_cursor_execute", keep)
    try:
        client.get(url, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as conn:
        return [" / ".join(row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
                for sql, params in seen if " event" in sql]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--people", type=int, default=100)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--cameras", type=int, default=4)
    ap.add_argument("--visits", type=int, default=2, help="visits per person, camera and day")
    ap.add_argument("--thumb-bytes", type=int, default=4000)
    ap.add_argument("--here", type=int, default=10, help="people whose last visit today is still open")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()

    from support import cli_api_key, make_app

    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder) / "faces.db", LIVE_EVENTS_MAX_AGE_DAYS=a.days + 5)
        first, last = _fill(app, a)
        key = {"Authorization": f"Bearer {cli_api_key(app)}"}
        client = app.test_client()
        base = f"/api/attendance?from={first}&to={last}"
        report = client.get(base, headers=key).get_json()["days"]
        here = client.get("/api/presence", headers=key).get_json()["present"]
        result = {"people": a.people, "days": a.days, "cameras": a.cameras, "report_rows": len(report),
                  "arrivals": a.people * a.days * a.cameras * a.visits * 2, "here_now": len(here),
                  "runs": a.runs, "load_1min_before": os.getloadavg()[0]}
        one = base + f"&person={min(7, a.people)}"
        for what, url in (("json", base), ("csv", base + "&format=csv"), ("one_person", one),
                          ("one_camera", base + "&camera=Cam1"), ("presence", "/api/presence")):
            result[what] = _median_ms(client, url, key, a.runs)
        result["load_1min_after"] = os.getloadavg()[0]
        result["plans"] = {what: _plans(app, client, url, key) for what, url in (
            ("report", base), ("one_person", one), ("presence", "/api/presence"))}
        print(json.dumps(result))
        app.extensions["faces"].close()


if __name__ == "__main__":
    main()
