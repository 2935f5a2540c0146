"""The whole path on the sample photos: enrol 3 people through the API and 1 through the
web form, identify their val/ photos, the fifth person stays unknown; the deletion tests
enrol the fifth person and delete her, leaving the module's people as they were, so that
the tests pass in any order.

Threshold: with 4 people enrolled from 3 photos each, the sample val/ photos lie at L2
<= 1.05 from their person and >= 1.2 from everyone else, so the test sets 1.12 on the
Settings page (the default, 0.8, is for a gallery of ~1,000 people; see app/thresholds.py).
With fewer than 20 people enrolled every face gets that threshold (no crowding adjustment),
moved by at most 0.05 for a small, grey or blurred face (docs/CAMERAS.md).
"""
from __future__ import annotations

import base64
import re

import pytest
from sqlalchemy import func, select

from support import photos

API_PEOPLE = ["ben_afflek", "elton_john", "jerry_seinfeld"]
FORM_PERSON = "madonna"
STRANGER = "mindy_kaling"
PHOTOS_EACH = 3
TEST_THRESHOLD = 1.12

ENGINES = ("sqlite", "postgresql")  # conftest: the module runs on both


def title(folder: str) -> str:
    return folder.replace("_", " ").title()


@pytest.fixture(scope="module")
def enrolled(csrf_token, sign_in, app, api_key):
    """Enrol everyone (module-wide); returns {folder: person id}."""
    client = app.test_client()
    auth = {"Authorization": f"Bearer {api_key}"}
    ids = {}
    # Three ways to send the first photo: multipart, JSON base64, raw body.
    for i, folder in enumerate(API_PEOPLE):
        for path in photos("train", folder):
            data = path.read_bytes()
            if i == 0:
                r = client.post("/api/people", headers=auth, data={"name": title(folder),
                                "file": (path.open("rb"), "x.jpg")})
            elif i == 1:
                r = client.post("/api/people", headers=auth,
                                json={"name": title(folder), "image": base64.b64encode(data).decode()})
            else:
                r = client.post(f"/api/people?name={title(folder)}", headers=auth, data=data,
                                content_type="image/jpeg")
            if r.status_code == 201:
                ids[folder] = r.get_json()["id"]
                break
            # Sample photos with a small face or two faces are refused, with their type.
            assert r.get_json()["type"] in {"face-too-small", "multiple-faces", "face-blurred", "no-face"}
    # Through the form, with its CSRF token and the preview step.
    sign_in(client)
    page = client.get("/enrol")
    path = photos("train", FORM_PERSON)[0]
    preview = client.post("/enrol", data={"name": title(FORM_PERSON), "photo": (path.open("rb"), "m.jpg"),
                                          "csrf_token": csrf_token(page.data)})
    assert preview.status_code == 200 and b"Save" in preview.data
    token = preview.data.decode().split('name="token" type="hidden" value="')[1].split('"')[0]
    saved = client.post("/enrol/confirm", data={"token": token, "face": 1,
                                                "csrf_token": csrf_token(preview.data)})
    assert saved.status_code == 302
    ids[FORM_PERSON] = int(saved.headers["Location"].rstrip("/").split("/")[-1])
    # More photos for each person: the gallery keeps their mean embedding.
    for folder, pid in ids.items():
        added = 1
        for path in photos("train", folder)[1:]:
            if added == PHOTOS_EACH:
                break
            r = client.post(f"/api/people/{pid}/faces", headers=auth, data=path.read_bytes(),
                            content_type="image/jpeg")
            added += r.status_code == 201
        assert added == PHOTOS_EACH
    page = client.get("/settings")
    r = client.post("/settings", data={"threshold": TEST_THRESHOLD, "csrf_token": csrf_token(page.data)})
    assert r.status_code == 302
    return ids


def identify(client, path):
    r = client.post("/api/identify", data={"file": (path.open("rb"), "q.jpg")})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["model"] == "facenet-keras-v1" and body["threshold"] == TEST_THRESHOLD
    # The subject is the largest face (a few photos have small faces in the background).
    return max(body["faces"], key=lambda f: f["box"][2] * f["box"][3])


@pytest.mark.parametrize("folder", API_PEOPLE + [FORM_PERSON])
def test_val_photos_named_right(app, enrolled, folder):
    client = app.test_client()
    for path in photos("val", folder):
        face = identify(client, path)
        assert face["name"] == title(folder), (path.name, face["candidates"])
        assert face["person_id"] == enrolled[folder]
        assert 0 <= face["distance"] <= face["threshold"]
        assert abs(face["threshold"] - TEST_THRESHOLD) <= 0.05 + 1e-9
        assert face["similarity"] == pytest.approx(1 - face["distance"] ** 2 / 2, abs=1e-3)
        assert set(face["landmarks"]) == {"left_eye", "right_eye", "nose", "mouth_left", "mouth_right"}


def test_stranger_unknown(app, enrolled):
    client = app.test_client()
    for path in photos("val", STRANGER):
        face = identify(client, path)
        assert face["name"] is None and face["person_id"] is None
        assert face["distance"] > TEST_THRESHOLD
        assert len(face["candidates"]) == 3  # ?k= defaults to 3


def test_people_list_and_pages(csrf_token, sign_in, app, enrolled, api_key):
    client = app.test_client()
    r = client.get("/api/people?per_page=2", headers={"Authorization": f"Bearer {api_key}"})
    body = r.get_json()
    assert body["total"] == 4 and len(body["items"]) == 2
    assert all(p["faces_count"] == PHOTOS_EACH for p in body["items"])
    sign_in(client)
    page = client.get("/people?q=madon")
    assert b"Madonna" in page.data and b"Elton" not in page.data
    assert client.get(f"/people/{enrolled[FORM_PERSON]}").status_code == 200
    face_id = client.get(f"/api/people/{enrolled[FORM_PERSON]}",
                         headers={"Authorization": f"Bearer {api_key}"}).get_json()["faces"][0]["id"]
    crop = client.get(f"/faces/{face_id}.jpg")
    assert crop.mimetype == "image/jpeg" and crop.data[:2] == b"\xff\xd8"
    ident = client.get("/identify")
    path = photos("val", "jerry_seinfeld")[0]
    r = client.post("/identify", data={"photo": (path.open("rb"), "j.jpg"), "csrf_token": csrf_token(ident.data)})
    assert b"Jerry Seinfeld" in r.data and b"<svg" in r.data
    assert b"stranger" in client.get("/settings").data


def enrol_passing(client, auth, folder: str) -> int:
    """Enrol `folder` through the API from its first train/ photo that passes the door
    (the deletion tests' own person, so that they leave the module's people as they were
    and every test passes in any order)."""
    for path in photos("train", folder):
        r = client.post("/api/people", headers=auth, data={"name": title(folder), "file": (path.open("rb"), "x.jpg")})
        if r.status_code == 201:
            return r.get_json()["id"]
    raise AssertionError(f"no photo of {folder} was enrolled")


def test_delete_person(app, enrolled, api_key):
    from app.extensions import db
    from app.models import Face, Person

    client = app.test_client()
    auth = {"Authorization": f"Bearer {api_key}"}
    pid = enrol_passing(client, auth, STRANGER)
    assert identify(client, photos("val", STRANGER)[0])["person_id"] == pid
    assert client.delete(f"/api/people/{pid}", headers=auth).status_code == 204
    assert client.get(f"/api/people/{pid}", headers=auth).get_json()["type"] == "not-found"
    for path in photos("val", STRANGER):
        assert identify(client, path)["name"] is None
    with app.app_context():
        assert db.session.get(Person, pid) is None
        assert db.session.scalar(select(func.count(Face.id)).where(Face.person_id == pid)) == 0


def test_delete_through_pages(csrf_token, sign_in, app, enrolled, api_key):
    from app.extensions import db
    from app.models import Face, Person

    client = app.test_client()
    pid = enrol_passing(client, {"Authorization": f"Bearer {api_key}"}, STRANGER)
    sign_in(client)
    confirm = client.get(f"/people/{pid}/delete")
    assert b"You can undo it for a few minutes" in confirm.data
    r = client.post(f"/people/{pid}/delete", data={"csrf_token": csrf_token(confirm.data)})
    assert r.status_code == 302
    page = client.get(r.headers["Location"])  # it offers to undo the deletion
    assert client.get(f"/people/{pid}").status_code == 404
    # Undone, the person is back with every photo.
    with app.app_context():
        faces_before = db.session.scalar(select(func.count(Face.id)))
    undo = re.search(rb'action="(/undo/\d+)"', page.data).group(1).decode()
    r = client.post(undo, data={"csrf_token": csrf_token(page.data)})
    assert r.status_code == 302 and r.headers["Location"] == f"/people/{pid}"  # the id they had
    with app.app_context():
        back = db.session.scalar(select(Person).where(Person.name == title(STRANGER)))
        assert back is not None and db.session.scalar(select(func.count(Face.id))) > faces_before
        pid = back.id
        faces_back = db.session.scalar(select(func.count(Face.id)))
    r = client.post(undo, data={"csrf_token": csrf_token(page.data)})  # once only
    assert r.status_code == 302 and r.headers["Location"] == "/people"
    assert b"can no longer be undone" in client.get(r.headers["Location"]).data
    with app.app_context():
        assert db.session.scalar(select(func.count(Face.id))) == faces_back
    r = client.get(f"/people/{pid}/delete")
    r = client.post(f"/people/{pid}/delete", data={"csrf_token": csrf_token(r.data)})
    assert client.get(f"/people/{pid}").status_code == 404  # and the module's people are as they were
