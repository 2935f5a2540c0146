"""One enrolment input (faces/candidate.py) and one check at the door: a request checks the
person's name once, hashes the photo once, and the door takes the person's mean from the
gallery index (no rows read again), with the same answers as the rows give."""
from __future__ import annotations

import hashlib
import io

import numpy as np
import pytest

from support import photos

MADONNA = photos("train", "madonna")
BEN = photos("train", "ben_afflek")


@pytest.fixture(scope="module")
def auth(api_key):
    return {"Authorization": f"Bearer {api_key}"}


def post_photo(client, auth, url, path, **form):
    return client.post(url, headers=auth, data={**form, "file": (io.BytesIO(path.read_bytes()), "p.jpg")})


def test_an_enrolment_checks_the_name_once_and_hashes_the_photo_once(client, auth, statements, monkeypatch):
    hashed = []
    real = hashlib.sha256
    monkeypatch.setattr(hashlib, "sha256", lambda data=b"": hashed.append(len(data)) or real(data))
    r = post_photo(client, auth, "/api/people", MADONNA[0], name="Madonna")
    assert r.status_code == 201, r.get_json()
    by_name = [s for s in statements if "FROM person" in s and "name_key" in s.split("WHERE")[-1]]
    assert len(by_name) == 1, by_name  # was three: the route, enrol_photo, create_person
    photo = len(MADONNA[0].read_bytes())
    assert hashed.count(photo) == 1, hashed
    hashed.clear()
    r = post_photo(client, auth, f"/api/people/{r.get_json()['id']}/faces", MADONNA[1])
    assert r.status_code == 201 and hashed.count(len(MADONNA[1].read_bytes())) == 1, hashed  # was twice


def test_the_door_takes_the_persons_mean_from_the_index(app, client, auth, statements):
    from app.faces.door import mean_direction, person_vectors
    from app.faces.gallery import get_state

    person_id = client.get("/api/people?q=madonna", headers=auth).get_json()["items"][0]["id"]
    statements.clear()
    r = post_photo(client, auth, f"/api/people/{person_id}/faces", BEN[0])
    assert r.status_code == 409 and r.get_json()["type"] == "face-mismatch", r.get_json()
    own_rows = [s for s in statements if "face.embedding" in s and "face.person_id =" in s]
    assert not own_rows, own_rows  # the index holds the mean: no row of theirs read again
    with app.app_context():  # the same distance as the mean of their rows gives
        from app.faces import analyze, pick_face

        own, _ = person_vectors(person_id, get_state().active_model)
        face = pick_face(analyze(BEN[0].read_bytes()), None)
        d = float(np.linalg.norm(face.embedding - mean_direction(own)))
    assert r.get_json()["distance"] == pytest.approx(round(d, 4), abs=1e-4)
