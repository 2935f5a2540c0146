"""Every bad input gets its problem type, status and a sentence; auth; rate limit (and what
it costs a request)."""
from __future__ import annotations

import base64
import io
import threading
import time

import cv2
import numpy as np
import pytest

from support import (GOOD, blurred, cli_api_key, huge_png, jpeg, load, photos, small_face,
                     two_faces)

ENGINES = ("sqlite", "postgresql")  # conftest: the module runs on both


def check(r, status: int, type_: str):
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["type"] == type_ and body["status"] == status
    assert len(body["detail"]) > 20 and body["title"]
    return body


@pytest.fixture(scope="module")
def auth(api_key):
    return {"Authorization": f"Bearer {api_key}"}


@pytest.mark.parametrize("make, status, type_", [
    (lambda: b"this is not an image", 400, "bad-image"),
    (lambda: GOOD.read_bytes()[:300], 400, "bad-image"),
    (lambda: jpeg(np.full((200, 200, 3), 90, np.uint8)), 422, "no-face"),
    (two_faces, 422, "multiple-faces"),
    (blurred, 422, "face-blurred"),
    (small_face, 422, "face-too-small"),
    (huge_png, 413, "too-large"),
])
def test_enrol_bad_photo(client, auth, make, status, type_):
    r = client.post("/api/people", headers=auth, data={"name": f"Someone {type_}",
                                                       "file": (io.BytesIO(make()), "x.jpg")})
    body = check(r, status, type_)
    if type_ == "multiple-faces":
        assert len(body["faces"]) == 2


def big_and_small_face() -> bytes:
    """The good photo with a third-size copy of itself beside it (a ~28-pixel face)."""
    img = load(GOOD)
    small = cv2.resize(img, (img.shape[1] // 3, img.shape[0] // 3), interpolation=cv2.INTER_AREA)
    canvas = np.full((img.shape[0], img.shape[1] + small.shape[1] + 20, 3), 128, np.uint8)
    canvas[:, :img.shape[1]] = img
    canvas[20:20 + small.shape[0], img.shape[1] + 10:img.shape[1] + 10 + small.shape[1]] = small
    return jpeg(canvas)


def test_small_background_face_is_not_a_choice(client, auth):
    r = client.post("/api/people", headers=auth, data=big_and_small_face(), content_type="image/jpeg",
                    query_string={"name": "Big Face"})
    assert r.status_code == 201, r.get_json()
    big = r.get_json()["id"]
    r = client.post("/api/identify", data=big_and_small_face(), content_type="image/jpeg")
    assert len(r.get_json()["faces"]) == 2  # identify still reports both
    # The same face enrolled under another name is refused (duplicate-face): free it for
    # the tests below, which enrol this photo as Madonna.
    assert client.delete(f"/api/people/{big}", headers=auth).status_code == 204


def test_multiple_faces_choice(client, auth):
    r = client.post("/api/people", headers=auth, data=two_faces(), content_type="image/jpeg",
                    query_string={"name": "Right Face", "face": 2})
    assert r.status_code == 201, r.get_json()
    r = client.post("/api/people", headers=auth, data=two_faces(), content_type="image/jpeg",
                    query_string={"name": "Wrong Face", "face": 3})
    check(r, 400, "invalid-input")


def test_identify_bad_inputs(client):
    check(client.post("/api/identify"), 400, "missing-image")
    check(client.post("/api/identify", json={"image": "%%% not base64"}), 400, "bad-image")
    check(client.post("/api/identify", data=b"GIF89a....", content_type="image/png"), 400, "bad-image")
    check(client.post("/api/identify", data=jpeg(np.zeros((100, 100, 3), np.uint8)),
                      content_type="image/jpeg"), 422, "no-face")
    check(client.post("/api/identify?k=zero", data=GOOD.read_bytes(), content_type="image/jpeg"),
          400, "invalid-input")
    big = b"\xff\xd8" + b"\0" * (16 * 1024 * 1024)
    check(client.post("/api/identify", data=big, content_type="image/jpeg"), 413, "too-large")


def test_identify_many_faces_and_empty_gallery(client):
    r = client.post("/api/identify", data=two_faces(), content_type="image/jpeg")
    assert r.status_code == 200
    faces = r.get_json()["faces"]
    assert len(faces) == 2 and faces[0]["box"][0] < faces[1]["box"][0]  # left to right
    assert set(r.get_json()["timings_ms"]) >= {"decode", "detect", "embed", "total"}


def test_verify(client):
    a, b = photos("val", "madonna")[2], photos("train", "madonna")[0]
    r = client.post("/api/verify", data={"file1": (a.open("rb"), "a.jpg"), "file2": (b.open("rb"), "b.jpg")})
    body = r.get_json()
    assert body["same_person"] is True and body["threshold"] == 1.09 and body["distance"] < 1.09
    other = base64.b64encode(photos("val", "jerry_seinfeld")[2].read_bytes()).decode()
    r = client.post("/api/verify", json={"image1": base64.b64encode(a.read_bytes()).decode(), "image2": other})
    assert r.get_json()["same_person"] is False
    check(client.post("/api/verify", data={"file1": (a.open("rb"), "a.jpg")}), 400, "missing-image")


def test_people_errors(client, auth):
    r = client.post("/api/people", headers=auth, data={"name": "Madonna", "file": (GOOD.open("rb"), "m.jpg")})
    assert r.status_code == 201
    pid = r.get_json()["id"]
    body = check(client.post("/api/people", headers=auth, data={"name": "  madonna ", "file": (GOOD.open("rb"), "m.jpg")}),
                 409, "conflict")
    assert body["person_id"] == pid
    check(client.post(f"/api/people/{pid}/faces", headers=auth, data=GOOD.read_bytes(),
                      content_type="image/jpeg"), 409, "conflict")  # the same photo twice
    check(client.post("/api/people", headers=auth, data={"file": (GOOD.open("rb"), "m.jpg")}), 400, "invalid-input")
    check(client.post("/api/people", headers=auth, data={"name": "x" * 121}), 400, "invalid-input")
    check(client.get("/api/people/99999", headers=auth), 404, "not-found")
    check(client.delete(f"/api/people/{pid}/faces/99999", headers=auth), 404, "not-found")
    check(client.get("/api/nothing-here"), 404, "not-found")
    check(client.put("/api/identify"), 405, "method-not-allowed")
    r = client.patch(f"/api/people/{pid}", headers=auth, json={"name": "Madonna Ciccone"})
    assert r.get_json()["name"] == "Madonna Ciccone"
    face_id = r.get_json()["faces"][0]["id"]
    assert client.delete(f"/api/people/{pid}/faces/{face_id}", headers=auth).status_code == 204


def test_auth(app, client, api_key):
    check(client.get("/api/people"), 401, "unauthorized")
    r = check(client.get("/api/people", headers={"Authorization": "Bearer fk_wrong"}), 401, "unauthorized")
    assert "not known" in r["detail"]
    check(client.delete("/api/people/1", headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    key = cli_api_key(app, "to revoke")
    ok = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/people", headers=ok).status_code == 200
    listing = app.test_cli_runner().invoke(args=["faces", "list-api-keys"]).output
    key_id = next(line.split()[0] for line in listing.splitlines() if "to revoke" in line)
    assert app.test_cli_runner().invoke(args=["faces", "revoke-api-key", key_id]).exit_code == 0
    assert "revoked" in check(client.get("/api/people", headers=ok), 401, "unauthorized")["detail"]
    # Identify is open by default, keyed when configured so.
    app.config["API_OPEN_RECOGNITION"] = False
    try:
        check(client.post("/api/identify", data=GOOD.read_bytes(), content_type="image/jpeg"), 401, "unauthorized")
        r = client.post("/api/identify", data=GOOD.read_bytes(), content_type="image/jpeg",
                        headers={"Authorization": f"Bearer {api_key}"})
        assert r.status_code == 200
    finally:
        app.config["API_OPEN_RECOGNITION"] = True


def test_health_and_openapi(client):
    h = client.get("/api/health").get_json()
    assert h["database"] is True and h["model_loaded"] is True and h["status"] == "ok"
    spec = client.get("/api/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/identify" in spec["paths"]
    assert b"/api/people/{person_id}" in client.get("/api/docs").data


def test_rate_limit(app, client):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [client.get("/api/openapi.json", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code
                 for _ in range(3)]
        assert codes == [200] * 3
        check(client.get("/api/openapi.json", environ_base={"REMOTE_ADDR": "10.9.9.9"}), 429, "rate-limited")
        assert client.get("/api/health", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 200
    finally:
        app.config["API_RATE_LIMIT"] = "1000 per minute"


def test_a_rate_limited_request_starts_no_thread(app, client, monkeypatch):
    """limits' memory storage started a 10 ms Timer thread on every request that came after
    the last one had ended; each API request then waited for a new thread to start
    (extensions.SweptMemoryStorage sweeps inline instead)."""
    client.get("/api/openapi.json")  # anything a first request starts, started
    started = []
    real_start = threading.Thread.start
    monkeypatch.setattr(threading.Thread, "start", lambda t: (started.append(t.name), real_start(t)))
    for _ in range(3):
        time.sleep(0.03)  # longer than limits' timer lives
        assert client.get("/api/openapi.json").status_code == 200
    assert started == []


def test_expired_rate_counters_are_swept():
    """Counters of clients that never come back are dropped by the next hit once their
    window has passed (at most every SWEEP_SECONDS), as limits' timer dropped them."""
    from app.extensions import SweptMemoryStorage

    storage = SweptMemoryStorage()
    storage.SWEEP_SECONDS = 0.0
    storage.incr("gone", expiry=0.01)
    storage.incr("here", expiry=60)
    time.sleep(0.05)
    storage.incr("here", expiry=60)
    assert dict(storage.storage) == {"here": 2}


def test_identify_reads_the_app_state_once(client, statements):
    """The gallery's generation is read with one SELECT a request (it was a get, then a
    refresh of the same row)."""
    client.post("/api/identify", data=GOOD.read_bytes(), content_type="image/jpeg")  # warm
    statements.clear()
    assert client.post("/api/identify", data=GOOD.read_bytes(), content_type="image/jpeg").status_code in (200, 422)
    assert sum("FROM app_state" in s for s in statements) == 1, statements
