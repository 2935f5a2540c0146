"""Retention (issue 22, point 2): global defaults and a camera's own days for unknown faces
and arrivals, thumbnails, dismissed groups and webhook deliveries; `flask faces expire`
deletes what is past its time and says how much; Settings shows the rules and the data held."""
from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select, update

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def auth(api_key):
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture(scope="module")
def aged(app, auth):
    """Two cameras (Short keeps 1 day of everything, Long the defaults); for each, unknown
    faces and arrivals 2 and 40 days old; deliveries 40 days old, one still pending. The
    process's hourly pass is marked done first: started by the first request below, it
    could otherwise delete them in its thread before the tests' own `flask faces expire`."""
    import time

    from app.extensions import db
    from app.library.centres import group_centres
    from app.library.grouping import Seen, remember
    from app.models import Delivery, Event, Sighting, Webhook, utcnow

    with app.app_context():
        group_centres().expired_at = time.monotonic()
    client = app.test_client()
    short = client.post("/api/cameras", headers=auth, json={
        "name": "Short", "source": "demo", "retain_sightings_days": 1, "retain_arrivals_days": 1}).get_json()
    long_ = client.post("/api/cameras", headers=auth, json={"name": "Long", "source": "demo"}).get_json()
    assert short["retain_sightings_days"] == 1.0 and long_["retain_arrivals_days"] is None
    rng = np.random.default_rng(1)
    now = utcnow()
    with app.app_context():
        hook = Webhook(url="http://127.0.0.1:9/x", secret="s")
        db.session.add(hook)
        for camera in (short, long_):
            for age in (2, 40):
                v = rng.normal(size=128).astype(np.float32)
                sighting, = remember([Seen(v / np.linalg.norm(v), b"\xff\xd8crop", camera_id=camera["id"],
                                           camera=camera["name"])])
                sighting.seen_at = now - age * DAY
                db.session.add(Event(camera=camera["name"], thumbnail_jpeg=b"\xff\xd8t", created_at=now - age * DAY))
        db.session.flush()
        for status in ("delivered", "failed", "pending"):
            db.session.add(Delivery(webhook_id=hook.id, body="{}", status=status, created_at=now - 40 * DAY))
        db.session.commit()
        assert db.session.scalar(select(func.count(Sighting.id))) == 4
    return short, long_


def _count(app, model, *where) -> int:
    from app.extensions import db

    with app.app_context():
        return db.session.scalar(select(func.count(model.id)).where(*where))


def test_expire_deletes_by_each_cameras_days_and_reports(app, runner, aged, sign_in):
    from app.models import Delivery, Event, Sighting

    short, long_ = aged
    out = runner.invoke(args=["faces", "expire"])
    assert out.exit_code == 0, out.output
    assert "3 sightings" in out.output and "3 arrivals" in out.output and "2 deliveries" in out.output
    assert _count(app, Sighting) == 1 and _count(app, Sighting, Sighting.camera_id == long_["id"]) == 1
    assert _count(app, Event) == 1 and _count(app, Event, Event.camera == "Long") == 1
    assert _count(app, Delivery) == 1 and _count(app, Delivery, Delivery.status == "pending") == 1
    again = runner.invoke(args=["faces", "expire"])
    assert "0 sightings" in again.output and "0 arrivals" in again.output


def test_thumbnails_go_before_their_arrivals(app, runner, auth):
    from app.extensions import db
    from app.models import Event, utcnow

    app.config["RETAIN_THUMBNAILS_DAYS"] = 1.0
    try:
        with app.app_context():
            db.session.execute(update(Event).values(created_at=utcnow() - 2 * DAY))
            db.session.commit()
            event_id = db.session.scalar(select(Event.id))
        assert "1 thumbnails" in runner.invoke(args=["faces", "expire"]).output
        assert _count(app, Event) == 1
        r = app.test_client().get(f"/events/{event_id}/thumbnail.jpg", headers=auth)
        assert r.status_code == 404
    finally:
        app.config["RETAIN_THUMBNAILS_DAYS"] = 30.0


def test_settings_shows_the_rules_and_the_data_held(app, sign_in, aged):
    client = app.test_client()
    sign_in(client)
    page = client.get("/settings").data.decode()
    assert "Data kept" in page and "Unknown faces (Who is this?)" in page
    assert "<td>Short</td><td>no</td>" in page and "1 days" in page


def test_a_cameras_days_are_checked(client, auth, aged):
    short, _ = aged
    for bad in (0, -1, 5000, "7", True):
        r = client.patch(f"/api/cameras/{short['id']}", headers=auth, json={"retain_sightings_days": bad})
        assert r.status_code == 400 and "retain_sightings_days" in r.get_json()["detail"], (bad, r.get_json())
    r = client.patch(f"/api/cameras/{short['id']}", headers=auth, json={"retain_sightings_days": None})
    assert r.status_code == 200 and r.get_json()["retain_sightings_days"] is None


def test_a_request_starts_the_hourly_pass(app, auth, aged):
    import time

    from app.extensions import db
    from app.library.centres import group_centres
    from app.library.grouping import Seen, remember
    from app.models import Sighting, utcnow

    with app.app_context():
        v = np.ones(128, np.float32) / np.sqrt(128)
        sighting, = remember([Seen(v, b"\xff\xd8crop")])
        sighting.seen_at = utcnow() - 400 * DAY
        db.session.commit()
        old = sighting.id
        group_centres().expired_at = float("-inf")  # the last pass an hour ago and more
    app.test_client().get("/api/health")
    deadline = time.monotonic() + 30
    while _count(app, Sighting, Sighting.id == old) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _count(app, Sighting, Sighting.id == old) == 0


def test_a_database_without_tables_skips_the_pass_in_one_line(tmp_path, caplog):
    """An app started on a database not yet migrated (a tool importing the app, a first
    start before `flask db upgrade`) logs one warning that says what to do, no traceback."""
    from app import create_app
    from app.config import TestConfig
    from app.library.expiry import _pass

    cfg = type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}",
                                      "INDEX_DIR": str(tmp_path / "index")})
    with caplog.at_level("WARNING", logger="app.library.expiry"):
        _pass(create_app(cfg))
    [record] = [r for r in caplog.records if r.name == "app.library.expiry"]
    assert record.levelname == "WARNING" and "flask db upgrade" in record.getMessage()
    assert record.exc_info is None
