"""Visits in progress (app/events/visits.py) and presence (app/events/presence.py) together:
the host (or worker) that takes a camera over ends the visit's arrival row, not only the
departure event; and a camera process that starts closes only the visits nobody continues,
not those of a camera another host runs. On SQLite (a worker taking over) and PostgreSQL."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text

from app.events.bus import EventBus
from app.events.sink import CameraRef, Cycle
from app.extensions import db
from app.models import Camera, Event
from test_cluster import person, track

ENGINES = ("sqlite", "postgresql")


@pytest.fixture
def cams(app) -> list[CameraRef]:
    """Two camera rows (their visits in progress reference them); none runs."""
    with app.app_context():
        db.session.execute(text("DELETE FROM open_visit"))
        db.session.execute(text("DELETE FROM camera"))
        db.session.add_all(Camera(name=f"v{i}", source="demo") for i in range(2))
        db.session.commit()
        rows = db.session.scalars(select(Camera).order_by(Camera.id)).all()
        return [CameraRef(c.id, c.name, f"camera:{c.id}") for c in rows]


def arrival(app, pid: int) -> Event:
    with app.app_context():
        row = db.session.scalars(select(Event).where(Event.person_id == pid)).one()
        db.session.expunge(row)
        return row


def test_the_host_that_takes_a_camera_over_ends_the_visits_arrival_row(app, cams):
    pid, cam = person(app, "ida"), cams[0]
    host_a, host_b = EventBus(app), EventBus(app)
    t, seen = time.monotonic(), (track(pid),)
    host_a.process_cycle(Cycle(cam, seen, seen, (), t))
    host_a.hand_over(cam.id)
    with app.app_context():
        host_b.adopt(cam)
    host_b.process_cycle(Cycle(cam, (), (), (), t + 1000))  # gone long enough: the departure
    row = arrival(app, pid)
    assert row.left_at is not None and row.last_seen_at is not None  # not here any more


def test_a_visit_that_ended_while_no_host_ran_its_camera_closes_its_row_on_adoption(app, cams):
    pid, cam = person(app, "jon"), cams[1]
    host_a, host_b = EventBus(app), EventBus(app)
    seen = (track(pid),)
    host_a.process_cycle(Cycle(cam, seen, seen, (), time.monotonic()))
    host_a.hand_over(cam.id)  # host a died: nobody runs the camera for a while
    with app.app_context():
        db.session.execute(text("UPDATE open_visit SET last_seen_at = last_seen_at - :d * interval '1 second'"
                                if db.engine.dialect.name == "postgresql" else
                                "UPDATE open_visit SET last_seen_at = datetime(last_seen_at, '-' || :d || ' seconds')"),
                           {"d": 10 * app.config["LIVE_ARRIVAL_COOLDOWN_SECONDS"]})
        db.session.commit()
        host_b.adopt(cam)
    row = arrival(app, pid)
    assert row.left_at is not None
    assert (row.left_at - row.last_seen_at).total_seconds() > 9 * app.config["LIVE_ARRIVAL_COOLDOWN_SECONDS"]


def test_a_camera_process_that_starts_leaves_the_visits_another_host_continues_open(app, cams):
    # Host a runs a camera with Kim in view; host b's camera process starts (a restart, or
    # a new host): Kim stays here. A visit that no camera continues (its process stopped
    # before visits were kept) ends.
    kim, lea = person(app, "kim"), person(app, "lea")
    with app.app_context():
        db.session.add(Event(camera="gone", person_id=lea, name="lea", thumbnail_jpeg=b"\xff\xd8t"))
        db.session.commit()
    host_a, host_b = EventBus(app), EventBus(app)
    seen = (track(kim),)
    host_a.process_cycle(Cycle(cams[0], seen, seen, (), time.monotonic()))
    try:
        host_b.start()
    finally:
        host_b.close()
    assert arrival(app, kim).left_at is None
    assert arrival(app, lea).left_at is not None
