"""Nothing of a stranger is kept unless someone asked (issue 22, point 1): the Identify page
and the API keep unknown faces only with `remember`; a camera keeps unknown tracks only when
its "learn unknown faces" setting is on (off by default); the pages that keep faces say so."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from support import photos

STRANGER = photos("val", "madonna")[0]


@pytest.fixture(scope="module")
def auth(api_key):
    return {"Authorization": f"Bearer {api_key}"}


def _sightings(app) -> int:
    from app.extensions import db
    from app.models import Sighting

    with app.app_context():
        return db.session.scalar(select(func.count(Sighting.id)))


def _identify_page(client, csrf_token, remember: bool):
    token = csrf_token(client.get("/identify").data.decode())
    data = {"csrf_token": token, "photo": (io.BytesIO(STRANGER.read_bytes()), "x.jpg")}
    if remember:
        data["remember"] = "y"
    return client.post("/identify", data=data, content_type="multipart/form-data")


def test_the_identify_page_keeps_a_stranger_only_when_asked(app, client, sign_in, csrf_token):
    sign_in(client)
    page = client.get("/identify").data.decode()
    assert 'name="remember"' in page and "checked" not in page.split('name="remember"')[1].split(">")[0]
    assert "Keeps each unknown face" in page  # the notice sits by the checkbox
    before = _sightings(app)
    r = _identify_page(client, csrf_token, remember=False)
    assert r.status_code == 200 and b"unknown" in r.data
    assert _sightings(app) == before and b"Who is face 1?" not in r.data
    r = _identify_page(client, csrf_token, remember=True)
    assert r.status_code == 200 and _sightings(app) == before + 1 and b"Who is face 1?" in r.data


def test_the_api_keeps_a_stranger_only_with_remember(app, client, auth):
    before = _sightings(app)
    r = client.post("/api/identify", headers=auth, data=STRANGER.read_bytes(), content_type="image/jpeg")
    assert r.status_code == 200 and "group_id" not in r.get_json()["faces"][0]
    assert _sightings(app) == before
    r = client.post("/api/identify?remember=1", headers=auth, data=STRANGER.read_bytes(),
                    content_type="image/jpeg")
    assert r.get_json()["faces"][0]["group_id"] and _sightings(app) == before + 1


def _confirm(camera_id: int, pipeline):
    """A real unknown camera track confirmed: the stranger's face as the tracker keeps its
    best crop, handed to the library as the event sink does. Its group, or None."""
    from app.library.sightings import Crop, UnknownTracks

    face = pipeline.analyze_bytes(STRANGER.read_bytes()).faces[0]
    best = [Crop(0, 1.0, face.aligned, face.embedding)]
    return UnknownTracks().confirmed("test", 1, best, camera_id, "Door", 0.0)


def test_a_camera_keeps_unknown_faces_only_when_it_learns_them(app, client, auth, pipeline):
    from app.extensions import db

    r = client.post("/api/cameras", headers=auth, json={"name": "Door", "source": "demo"})
    camera = r.get_json()
    assert r.status_code == 201 and camera["learn_unknown"] is False  # the default: off
    before = _sightings(app)
    with app.app_context():
        assert _confirm(camera["id"], pipeline) is None
        db.session.commit()
    assert _sightings(app) == before
    r = client.patch(f"/api/cameras/{camera['id']}", headers=auth, json={"learn_unknown": True})
    assert r.status_code == 200 and r.get_json()["learn_unknown"] is True
    with app.app_context():
        assert _confirm(camera["id"], pipeline) is not None
        db.session.commit()
    assert _sightings(app) == before + 1
    r = client.patch(f"/api/cameras/{camera['id']}", headers=auth, json={"learn_unknown": "yes"})
    assert r.status_code == 400 and "learn_unknown" in r.get_json()["detail"]


def test_the_browser_camera_and_preview_follow_the_global_default(app, pipeline):
    from app.extensions import db

    with app.app_context():
        assert not app.config["CAMERAS_LEARN_UNKNOWN"]
        assert _confirm(0, pipeline) is None and _confirm(-1, pipeline) is None
        db.session.rollback()


def test_the_cameras_page_sets_learning_and_says_what_it_keeps(app, client, sign_in, csrf_token):
    from app.extensions import db
    from app.models import Camera

    sign_in(client)
    page = client.get("/cameras").data.decode()
    assert "Learn unknown faces" in page and "Keeps the faces of people nobody enrolled" in page
    with app.app_context():
        camera = db.session.scalar(select(Camera).where(Camera.name == "Door"))
        cid, source = camera.id, camera.source
    form = {"csrf_token": csrf_token(page), f"c{cid}-source": source, f"c{cid}-detect_side": "320",
            f"c{cid}-min_face": "40", f"c{cid}-recognition_fps": "10", f"c{cid}-ignore_region": ""}
    client.post(f"/cameras/{cid}/settings", data=form)  # the box unticked: off
    with app.app_context():
        assert db.session.get(Camera, cid).learn_unknown is False
    client.post(f"/cameras/{cid}/settings", data={**form, f"c{cid}-learn_unknown": "y"})
    with app.app_context():
        assert db.session.get(Camera, cid).learn_unknown is True
