"""Presence and attendance (issue 22, point 6): the bus's visits end in the arrivals log
(so /api/presence, the pages and the MQTT presence follow one rule), the attendance report
(JSON, CSV, the Presence page with a bar per day), last seen on People and the person page,
the Arrivals filters, and clear 4xx answers to bad ranges and unknown people."""
from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import numpy as np
import pytest

from support import sign_in

ENGINES = ("sqlite", "postgresql")  # the migration's partial index and the reports on both
D = datetime.combine(datetime.utcnow().date() - timedelta(days=3), datetime.min.time())  # 00:00 UTC
DAY0, DAY1, DAY2 = (str((D + timedelta(days=n)).date()) for n in range(3))  # within the retention
H = timedelta(hours=1)


@pytest.fixture(scope="module")
def auth(api_key):
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture(scope="module")
def people(app):
    """Ann and Bob; Ann's visits on DAY0: Door 10:00-11:00 and Hall 10:30-12:00 (union
    2 h), and Door from 23:00 to 01:00 the next day; Bob's: Hall 09:00-09:30 on DAY1."""
    from app.extensions import db
    from app.models import Event, Person

    def visit(pid, name, camera, start, end):
        db.session.add(Event(camera=camera, person_id=pid, name=name, thumbnail_jpeg=b"\xff\xd8t",
                             created_at=start, last_seen_at=end, left_at=end + timedelta(minutes=1)))
    with app.app_context():
        ann, bob = Person(name="Ann", name_key="ann"), Person(name="Bob", name_key="bob")
        db.session.add_all([ann, bob])
        db.session.flush()
        visit(ann.id, "Ann", "Door", D + 10 * H, D + 11 * H)
        visit(ann.id, "Ann", "Hall", D + 10.5 * H, D + 12 * H)
        visit(ann.id, "Ann", "Door", D + 23 * H, D + 25 * H)
        visit(bob.id, "Bob", "Hall", D + 33 * H, D + 33.5 * H)
        db.session.commit()
        return {"Ann": ann.id, "Bob": bob.id}


def test_attendance_json_per_person_day_and_camera(client, auth, people):
    r = client.get(f"/api/attendance?from={DAY0}&to={DAY1}", headers=auth)
    assert r.status_code == 200, r.data[:300]
    days = r.get_json()["days"]
    assert [(d["date"], d["name"]) for d in days] == [(DAY0, "Ann"), (DAY1, "Ann"), (DAY1, "Bob")]
    ann = days[0]
    # 10:00-12:00 (overlap counted once) + 23:00-24:00
    assert ann["present_seconds"] == 3 * 3600 and ann["visits"] == 3
    assert (ann["first_seen"], ann["last_seen"]) == (f"{DAY0}T10:00:00Z", f"{DAY1}T00:00:00Z")
    assert [(c["camera"], c["present_seconds"], c["visits"]) for c in ann["cameras"]] == [
        ("Door", 7200, 2), ("Hall", 5400, 1)]
    assert days[1]["present_seconds"] == 3600 and days[1]["visits"] == 0, "the night's visit split at midnight"
    # A report from the morning after still has the night visit's part after midnight.
    after = client.get(f"/api/attendance?from={DAY1}&to={DAY1}", headers=auth).get_json()["days"]
    assert [(d["name"], d["first_seen"], d["present_seconds"], d["visits"]) for d in after] == [
        ("Ann", f"{DAY1}T00:00:00Z", 3600, 0), ("Bob", f"{DAY1}T09:00:00Z", 1800, 1)]


def test_attendance_filters_and_time_zone(client, auth, people):
    one = client.get(f"/api/attendance?from={DAY0}&to={DAY1}&person={people['Bob']}", headers=auth)
    assert [d["name"] for d in one.get_json()["days"]] == ["Bob"]
    hall = client.get(f"/api/attendance?from={DAY0}&to={DAY0}&camera=Hall", headers=auth).get_json()
    assert [(d["name"], d["present_seconds"]) for d in hall["days"]] == [("Ann", 5400)]
    # At UTC+2, Ann's night visit (01:00-03:00 local) is all on the 11th.
    east = client.get(f"/api/attendance?from={DAY0}&to={DAY1}&tz_offset=120&person="
                      f"{people['Ann']}", headers=auth).get_json()
    assert [(d["date"], d["present_seconds"]) for d in east["days"]] == [(DAY0, 7200), (DAY1, 7200)]


def test_attendance_csv(client, auth, people):
    r = client.get(f"/api/attendance?from={DAY0}&to={DAY0}&format=csv", headers=auth)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(x["name"], x["camera"], x["present_seconds"]) for x in rows] == [
        ("Ann", "all", "10800"), ("Ann", "Door", "7200"), ("Ann", "Hall", "5400")]
    assert rows[0]["first_seen"] == f"{DAY0}T10:00:00Z"


@pytest.mark.parametrize("query, first, last", [
    ("to=2000-01-03", "2000-01-01", "2000-01-03"),  # a default that stays in range
    ("from=2999-12-30", "2999-12-30", "2999-12-31"),
    ("from=2500-01-01", "2500-01-01", "2500-01-07"),  # days to come: none seen yet
])
def test_attendance_defaults_stay_in_range(client, auth, query, first, last):
    r = client.get(f"/api/attendance?{query}", headers=auth)
    assert r.status_code == 200, r.data[:300]
    assert (r.get_json()["from"], r.get_json()["to"], r.get_json()["days"]) == (first, last, [])


@pytest.mark.parametrize("query, status, says", [
    ("from=2026-03-11&to=2026-03-10", 400, "from (2026-03-11) is after to (2026-03-10)"),
    ("from=2026-13-01", 400, "must be a date as YYYY-MM-DD"),
    ("from=2024-01-01&to=2026-01-01", 400, "at most 366 days"),
    ("from=1999-01-01&to=1999-01-02", 400, "from 2000-01-01 to 2999-12-31"),
    ("from=2000-01-01&to=2999-12-31", 400, "at most 366 days"),
    ("person=999999", 404, "no person with id 999999"),
    ("format=xml", 400, "json or csv"),
    ("tz_offset=5000", 400, "from -720 to 840"),
])
def test_attendance_bad_input_says_what_to_send(client, auth, people, query, status, says):
    r = client.get(f"/api/attendance?{query}", headers=auth)
    assert r.status_code == status, r.data[:300]
    assert says in r.get_json()["detail"]


def test_presence_and_attendance_are_documented(client):
    doc = client.get("/api/openapi.json").get_json()
    get = doc["paths"]["/api/attendance"]["get"]
    assert {p["name"] for p in get["parameters"]} >= {"from", "to", "person", "camera", "format"}
    assert {"application/json", "text/csv"} <= set(get["responses"]["200"]["content"])
    assert "/api/presence" in doc["paths"]


def test_a_visit_on_the_bus_is_presence_until_its_departure(app, client, auth, people):
    """The bus's own visit: an arrival makes Ann present (API, page, People, her page); the
    departure after the absence time ends it in the log with when she was last seen."""
    from app.events.bus import get_bus
    from app.events.sink import CameraRef, Cycle, SeenTrack
    from app.extensions import db
    from app.models import Event

    sign_in(client)
    face = (np.full((160, 160, 3), 128, np.uint8), np.ones(128, np.float32) / np.sqrt(128))
    ann = SeenTrack(1, people["Ann"], "Ann", 0.5, True, face)
    camera = CameraRef(7, "Porch", "camera:7")
    with app.app_context():
        bus = get_bus()
    bus.process_cycle(Cycle(camera, (ann,), (ann,), (), 1000.0))
    here = client.get("/api/presence", headers=auth).get_json()["present"]
    assert [(p["name"], p["cameras"]) for p in here] == [("Ann", ["Porch"])]
    assert b"here now (Porch)" in client.get("/people").data
    assert b"Here now, on Porch" in client.get(f"/people/{people['Ann']}").data
    assert b"on Porch, since" in client.get("/presence").data
    absence = app.config["LIVE_ARRIVAL_COOLDOWN_SECONDS"]
    bus.process_cycle(Cycle(camera, (ann,), (), (), 1010.0))  # still in view 10 s later
    bus.process_cycle(Cycle(camera, (), (), (), 1011.0 + absence))
    assert client.get("/api/presence", headers=auth).get_json()["present"] == []
    with app.app_context():
        row = db.session.query(Event).filter_by(camera="Porch").one()
        assert row.left_at is not None
        assert abs((row.left_at - row.last_seen_at).total_seconds() - (1 + absence)) < 1
    page = client.get(f"/people/{people['Ann']}").data
    assert b"Last seen" in page and b"on Porch" in page
    assert b"not seen yet" not in client.get("/people?q=ann").data


def test_a_start_of_the_cameras_ends_stale_visits_and_later_rounds_do_not(app, client, auth, people):
    """A visit left open by a process that stopped ends when the cameras start again; the
    runner's later rounds (each calls start) leave a visit in progress open."""
    from app.events.bus import EventBus
    from app.events.sink import CameraRef, Cycle, SeenTrack
    from app.extensions import db
    from app.models import Event

    with app.app_context():
        db.session.add(Event(camera="Attic", person_id=people["Bob"], name="Bob", thumbnail_jpeg=b"\xff\xd8t"))
        db.session.commit()
    present = lambda: [p["name"] for p in client.get("/api/presence", headers=auth).get_json()["present"]]  # noqa: E731
    assert present() == ["Bob"]
    bus = EventBus(app)
    try:
        bus.start()
        assert present() == []
        face = (np.full((160, 160, 3), 128, np.uint8), np.ones(128, np.float32) / np.sqrt(128))
        ann = SeenTrack(1, people["Ann"], "Ann", 0.5, True, face)
        bus.process_cycle(Cycle(CameraRef(8, "Attic", "camera:8"), (ann,), (ann,), (), 2000.0))
        bus.start()  # the runner's next round
        assert present() == ["Ann"]
    finally:
        with app.app_context():
            bus.forget_camera(8)
        bus.close()
    assert present() == []
    with app.app_context():  # the other tests count the fixture's visits only
        db.session.query(Event).filter_by(camera="Attic").delete()
        db.session.commit()


def test_presence_page_chart_table_and_bad_range(client, people):
    sign_in(client)
    page = client.get(f"/presence?from={DAY0}&to={DAY1}&tz_offset=0").get_data(as_text=True)
    assert 'class="daybars"' in page and page.count("<rect ") == 2
    assert "1 person, 3.0 h" in page and "2 people, 1.5 h" in page and "3 h 00 min" in page
    link = re.search(r'href="(/presence/attendance\.csv[^"]+)"', page).group(1).replace("&amp;", "&")
    got = client.get(link)  # the signed-in admin's download (the API would want a key)
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert got.get_data(as_text=True).count("\n") == 1 + 7  # Ann: 3 + 2 lines, Bob: 2
    assert "Days in UTC-5:30." in client.get(f"/presence?from={DAY0}&to={DAY1}&tz_offset=-330").get_data(as_text=True)
    assert client.get(f"/presence/attendance.csv?from={DAY1}&to={DAY0}").status_code == 400
    assert b"There is no person with id" in client.get(f"/presence?person={10**20}").data
    bad = client.get(f"/presence?from={DAY1}&to={DAY0}")
    assert bad.status_code == 400 and b"is after to" in bad.data
    assert client.get("/presence?from=yesterday").status_code == 400


def test_arrivals_filters_and_pages(app, client, people):
    """Person, camera and day filters; the pages' links keep them."""
    from app.extensions import db
    from app.models import Event

    sign_in(client)
    page = client.get(f"/events?person={people['Ann']}").get_data(as_text=True)
    assert page.count('data-label="Camera"') == 4 and "Bob" not in page.split("<table")[1]
    page = client.get(f"/events?camera=Hall&day={DAY1}").get_data(as_text=True)
    assert page.count('data-label="Camera"') == 1 and "Bob" in page.split("<table")[1]
    assert client.get(f"/events?camera=Hall&day={DAY2}").get_data(as_text=True).count('data-label="Camera"') == 0
    with app.app_context():
        db.session.add_all(Event(camera="Gate", thumbnail_jpeg=b"\xff\xd8t", created_at=D + n * H) for n in range(51))
        db.session.commit()
    first = client.get("/events?camera=Gate").get_data(as_text=True)
    assert first.count('data-label="Camera"') == 50 and "page 1 of 2" in first
    assert "/events?page=2&amp;camera=Gate" in first
    assert client.get("/events?camera=Gate&page=2").get_data(as_text=True).count('data-label="Camera"') == 1
    bad = client.get("/events?day=March")
    assert bad.status_code == 400 and b"day must be a date as YYYY-MM-DD" in bad.data
    # Out of the range a day's bounds can be computed in, or of SQLite's integers: not a 500.
    assert client.get("/events?day=9999-12-31").status_code == 400
    assert client.get(f"/events?page={10**20}").status_code == 200
    assert client.get(f"/events?person={10**20}").status_code == 200


def test_arrivals_api_filters_and_pages(client, auth, people):
    """GET /api/events: the page's filters, and pages of `limit` (runs after the Gate rows)."""
    ann = client.get(f"/api/events?person={people['Ann']}", headers=auth).get_json()
    assert ann["total"] == 4 and {e["name"] for e in ann["events"]} == {"Ann"}  # with the Porch visit
    hall = client.get(f"/api/events?camera=Hall&day={DAY1}", headers=auth).get_json()
    assert [e["name"] for e in hall["events"]] == ["Bob"]
    late = client.get(f"/api/events?camera=Hall&day={DAY0}&tz_offset=-720", headers=auth).get_json()
    assert [e["name"] for e in late["events"]] == ["Bob"], "DAY0 at UTC-12 ends at noon UTC on DAY1"
    gate = [client.get(f"/api/events?camera=Gate&limit=20&page={n}", headers=auth).get_json() for n in (1, 3)]
    assert (gate[0]["total"], gate[0]["pages"], len(gate[0]["events"]), len(gate[1]["events"])) == (51, 3, 20, 11)
    assert gate[0]["events"][0]["id"] > gate[1]["events"][0]["id"], "newest first"
    for query, says in (("day=March", "must be a date as YYYY-MM-DD"), ("day=9999-12-31", "to 2999-12-31"),
                        ("day=0001-01-01&tz_offset=840", "from 2000-01-01"), ("page=0", "from 1 to"),
                        ("person=x", "whole number")):
        r = client.get(f"/api/events?{query}", headers=auth)
        assert r.status_code == 400 and says in r.get_json()["detail"], r.data[:300]


def test_last_seen_is_here_while_any_visit_is_open(app, client):
    """Cy in view at the Lobby since 10:00 passes the Stairs' camera at 10:30 and leaves
    it: the latest arrival is over, yet Cy is here (on the Lobby), as /api/presence says."""
    from app.extensions import db
    from app.models import Event, Person

    sign_in(client)
    now = datetime.utcnow().replace(microsecond=0)
    with app.app_context():
        cy = Person(name="Cy", name_key="cy")
        db.session.add(cy)
        db.session.flush()
        db.session.add_all([
            Event(camera="Lobby", person_id=cy.id, name="Cy", thumbnail_jpeg=b"\xff\xd8t", created_at=now - 2 * H),
            Event(camera="Stairs", person_id=cy.id, name="Cy", thumbnail_jpeg=b"\xff\xd8t", created_at=now - H,
                  last_seen_at=now - 0.9 * H, left_at=now - 0.8 * H)])
        db.session.commit()
        cy_id = cy.id
    try:
        assert b"Here now, on Lobby" in client.get(f"/people/{cy_id}").data
        assert b"here now (Lobby)" in client.get("/people?q=cy").data
    finally:
        with app.app_context():
            db.session.query(Event).filter_by(person_id=cy_id).delete()
            db.session.commit()
