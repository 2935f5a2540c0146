"""`flask faces export` then `flask faces restore` into an empty database, on SQLite and
PostgreSQL: the same people, faces, embeddings and crops, named by identify, and the ids
go on after the restored ones."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Face, Person
from support import cli_api_key, database_url, grey_copy, make_app, photos

ENGINES = ("sqlite", "postgresql")
PEOPLE = {"Madonna": "madonna", "Jerry Seinfeld": "jerry_seinfeld"}


def rows(app):
    with app.app_context():
        return (sorted(db.session.execute(select(Person.id, Person.name)).all()),
                sorted(db.session.execute(select(Face.id, Face.person_id, Face.embedding, Face.crop_jpeg,
                                                 Face.source_sha256)).all()))


def enrol(app, name: str, folder: str) -> int:
    r = app.test_client().post("/api/people", headers={"Authorization": f"Bearer {cli_api_key(app)}"},
                               data={"name": name, "file": (photos("train", folder)[0].open("rb"), "p.jpg")})
    assert r.status_code == 201, r.data[:300]
    return r.get_json()["id"]


@pytest.fixture
def source(tmp_path, model_dir):
    (tmp_path / "source").mkdir()
    app = make_app(tmp_path / "source" / "faces.db", IDENTIFY_THRESHOLD=1.1)
    for name, folder in PEOPLE.items():
        enrol(app, name, folder)
    yield app
    app.extensions["faces"].close()


def test_export_then_restore(source, tmp_path, request, engine):
    backup = tmp_path / "backup.zip"
    out = source.test_cli_runner().invoke(args=["faces", "export", str(backup)])
    assert out.exit_code == 0 and "exported 2 people and 2 faces" in out.output, out.output
    assert backup.stat().st_mode & 0o777 == 0o600  # every embedding and crop: owner only
    (tmp_path / "target").mkdir()
    target = make_app(tmp_path / "target" / "faces.db", database_url(request, engine),
                      IDENTIFY_THRESHOLD=1.1)
    try:
        out = target.test_cli_runner().invoke(args=["faces", "restore", str(backup)])
        assert out.exit_code == 0, out.output
        assert rows(target) == rows(source)
        r = target.test_client().post("/api/identify", data=photos("val", "madonna")[0].read_bytes(),
                                      content_type="image/jpeg")
        assert "Madonna" in {f["name"] for f in r.get_json()["faces"]}
        # The grey embeddings made again from the crops: a grey face is matched in grey.
        assert "2 faces given a grey embedding" in out.output
        r = target.test_client().post("/api/identify", data=grey_copy(photos("val", "madonna")[0]),
                                      content_type="image/jpeg")
        assert "grey" in {f["conditions"]["gallery"] for f in r.get_json()["faces"]}
        assert enrol(target, "Ben Afflek", "ben_afflek") > max(p for p, _ in rows(source)[0])
        again = target.test_cli_runner().invoke(args=["faces", "restore", str(backup)])
        assert again.exit_code != 0 and "already has people" in again.output
    finally:
        target.extensions["faces"].close()
