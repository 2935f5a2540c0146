"""An upload that finds no free turn (MAX_CONCURRENT_IMAGES) within IMAGE_WAIT_SECONDS is
answered 503 'busy' with a sentence that says what to do."""
from __future__ import annotations

from support import make_app, photos

PHOTO = photos("val", "madonna")[0]


def test_the_api_answers_503_busy_when_no_slot_frees(tmp_path):
    app = make_app(tmp_path / "faces.db", MAX_CONCURRENT_IMAGES=1, IMAGE_WAIT_SECONDS=0.05)
    client = app.test_client()
    data = PHOTO.read_bytes()
    assert client.post("/api/identify", data=data, content_type="image/jpeg").status_code == 200
    with app.extensions["faces"].budget.slot():  # another upload is being analysed
        r = client.post("/api/identify", data=data, content_type="image/jpeg")
    assert r.status_code == 503 and r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["type"] == "busy" and body["status"] == 503 and "again" in body["detail"]
