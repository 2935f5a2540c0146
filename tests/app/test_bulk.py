"""Bulk enrolment on the Enrol page (issue 23.7): a zip with a folder per person goes
through the same service as `flask faces import` in a background job whose progress the
page polls; the door's checks refuse what they refuse, and the summary says why; bad zips
(not a zip, a zip bomb, a path out of the archive, no photos) get a 400 that says what to do."""
from __future__ import annotations

import io
import time
import zipfile

import pytest

from support import blurred, csrf_token, people_zip, photos

def upload(client, data: bytes, name: str = "people.zip"):
    token = csrf_token(client.get("/enrol/bulk").data)
    return client.post("/enrol/bulk", data={"csrf_token": token, "archive": (io.BytesIO(data), name)},
                       headers={"Accept": "application/json"}, content_type="multipart/form-data")


def finished(client, url: str, seconds: float = 120) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get(url.replace(url.rsplit("/", 1)[1], url.rsplit("/", 1)[1] + ".json")).get_json()
        if status["state"] in ("done", "failed"):
            return status
        time.sleep(0.5)
    raise AssertionError(f"the import did not finish: {status}")


def test_a_zip_of_folders_is_enrolled_with_a_summary(client, sign_in):
    sign_in(client)
    extras = {"people/madonna/notes.txt": b"not a photo",
              "people/madonna/blurred.jpg": blurred(),
              "people/ben_afflek/again.jpg": photos("train", "ben_afflek")[0].read_bytes()}
    r = upload(client, people_zip(extras))
    assert r.status_code == 200, r.data
    status = finished(client, r.get_json()["url"])
    assert status["state"] == "done", status
    assert status["total"] == 11 and status["done"] == 11
    assert status["added"] >= 7
    assert "not a photo in a person's folder" in status["refused"]
    assert any("blurred.jpg" in photo for photo, _ in status["examples"])
    page = client.get(r.get_json()["url"]).data.decode()
    assert "Refused, and why" in page and "Madonna" in client.get("/people").data.decode()
    again = finished(client, upload(client, people_zip()).get_json()["url"])
    assert again["added"] == 0 and again["refused"]["already enrolled"] == status["added"]


def bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("people/ada/1.jpg", b"\0" * 5_000_000)
    return buf.getvalue()


def traversal() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("../ada/1.jpg", photos("train", "madonna")[0].read_bytes())
    return buf.getvalue()


@pytest.mark.parametrize("data,says", [
    (b"just some bytes", "not a zip file"),
    (bomb(), "zip bomb"),
    (traversal(), "leaves its folder"),
    (people_zip()[:500], "not a zip file"),  # cut short
])
def test_bad_zips_are_refused_with_what_to_do(client, sign_in, data, says):
    sign_in(client)
    r = upload(client, data)
    assert r.status_code == 400 and says in r.get_json()["detail"]


def test_a_zip_without_person_folders(client, sign_in):
    sign_in(client)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("1.jpg", photos("train", "madonna")[0].read_bytes())
    r = upload(client, buf.getvalue())
    assert r.status_code == 400 and "per-person folders" in r.get_json()["detail"]


def test_several_photos_of_one_person(client, sign_in):
    sign_in(client)
    token = csrf_token(client.get("/enrol/bulk").data)
    files = [(io.BytesIO(p.read_bytes()), p.name) for p in photos("train", "mindy_kaling")[:3]]
    r = client.post("/enrol/bulk", data={"csrf_token": token, "name": "Mindy Kaling", "photos": files},
                    content_type="multipart/form-data")
    assert r.status_code == 302
    status = finished(client, r.headers["Location"])
    assert status["added"] == 3, status
