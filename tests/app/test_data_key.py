"""Face images sealed at rest (issue 22, point 5): with FACES_DATA_KEY a copy of the database
and the instance folder holds no face image; a missing, malformed or wrong key stops the
start with a sentence that says what to set; a rotation seals old rows with the new key
and can be resumed; a row whose key was dropped is a 503 that says so, never a 500."""
from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
from sqlalchemy import select

import support
from support import cli_api_key, photos

K1, K2 = "q" * 43 + "=", "w" * 43 + "="  # two valid keys (32 bytes each, URL-safe base64)


def _jpeg_headers(folder) -> int:
    """How many JPEG starts (SOI, then a JFIF or Exif header) anything in `folder` holds as
    plain bytes. (Not whole images: SQLite spreads a blob over overflow pages.)"""
    heads = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"\xff\xd8\xff\xe1")
    return sum(path.read_bytes().count(h) for path in folder.rglob("*") if path.is_file() for h in heads)


def _app(folder, key: str | None):
    return support.make_app(folder / "faces.db", DATA_KEY=key)


def _fill(app) -> int:
    """A person from two photos and a stranger remembered; the person's id."""
    client, auth = app.test_client(), {"Authorization": f"Bearer {cli_api_key(app)}"}
    ben = photos("train", "ben_afflek")
    r = client.post("/api/people?name=Ben", headers=auth, data=ben[0].read_bytes(), content_type="image/jpeg")
    assert r.status_code == 201, r.data
    pid = r.get_json()["id"]
    assert client.post(f"/api/people/{pid}/faces", headers=auth, data=ben[1].read_bytes(),
                       content_type="image/jpeg").status_code == 201
    for photo in photos("train", "elton_john"):  # the first good enough to remember
        r = client.post("/api/identify?remember=1", headers=auth, content_type="image/jpeg",
                        data=photo.read_bytes())
        assert r.status_code == 200, r.data
        if r.get_json()["remembered"]["faces"]:
            return pid
    raise AssertionError("no photo of Elton was remembered")


def _close(app) -> None:
    from app.extensions import db

    app.extensions["faces"].close()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _crops(app) -> list[bytes]:
    from app.extensions import db
    from app.models import Face, Sighting

    with app.app_context():
        return [*db.session.scalars(select(Face.crop_jpeg)), *db.session.scalars(select(Sighting.crop_jpeg))]


def _copy(src, dst):
    """The database and its folder as a backup would take them (SQLite's WAL checkpointed)."""
    import sqlite3

    with sqlite3.connect(src / "faces.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copytree(src, dst)
    return dst


def test_a_copy_without_the_key_holds_no_face_image(model_dir, tmp_path):
    plain, sealed = tmp_path / "plain", tmp_path / "sealed"
    for folder, key in ((plain, None), (sealed, K1)):
        folder.mkdir()
        app = _app(folder, key)
        _fill(app)
        crops = _crops(app)
        assert len(crops) >= 3 and all(cv2.imdecode(np.frombuffer(c, np.uint8), 1) is not None for c in crops)
        _close(app)
    assert _jpeg_headers(_copy(plain, tmp_path / "plain-copy")) >= 3  # the scan finds them
    assert _jpeg_headers(_copy(sealed, tmp_path / "sealed-copy")) == 0


def test_a_missing_malformed_or_wrong_key_stops_the_start(model_dir, tmp_path):
    from app.models.sealed import DataKeyError

    _close(_app(tmp_path, K1))  # migrated with the key: the next start records it
    _close(_app(tmp_path, K1))
    with pytest.raises(DataKeyError, match="sealed: set FACES_DATA_KEY"):
        _app(tmp_path, None)
    with pytest.raises(DataKeyError, match="does not open this database"):
        _app(tmp_path, K2)
    with pytest.raises(DataKeyError, match="new-data-key"):
        _app(tmp_path, "not-a-key")
    _close(_app(tmp_path, f"{K2},{K1}"))  # rotating: the new key first, the old one opens


def test_a_rotation_seals_with_the_new_key_and_resumes(model_dir, tmp_path):
    from app.extensions import db
    from app.library.data_key import rotate
    from app.models.sealed import parse_keys

    app = _app(tmp_path, K1)
    _fill(app)
    before = _crops(app)
    _close(app)
    app = _app(tmp_path, f"{K2},{K1}")
    with app.app_context():  # interrupted after its first batch of one row
        next(rotate(parse_keys(f"{K2},{K1}"), batch=1))
    _close(app)

    app = _app(tmp_path, K2)  # the old key dropped too early: the sightings still need it
    with app.app_context():
        from app.models import Sighting
        sighting = db.session.scalar(select(Sighting.id))
    r = app.test_client().get(f"/api/unknown/faces/{sighting}/crop",
                              headers={"Authorization": f"Bearer {cli_api_key(app)}"})
    assert r.status_code == 503 and "FACES_DATA_KEY" in r.get_json()["detail"], r.data
    _close(app)

    app = _app(tmp_path, f"{K2},{K1}")
    result = app.test_cli_runner().invoke(args=["faces", "rotate-data-key"])
    assert result.exit_code == 0 and "older keys may be dropped" in result.output, result.output
    _close(app)
    app = _app(tmp_path, K2)
    assert _crops(app) == before  # every image opens with the new key alone, unchanged
    result = app.test_cli_runner().invoke(args=["faces", "rotate-data-key", "--plain"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from app.models import Face
        raw = db.session.execute(select(Face.__table__.c.crop_jpeg.cast(db.LargeBinary))).scalars().all()
    assert all(r.startswith(b"\xff\xd8") for r in raw)
    _close(app)
    _close(_app(tmp_path, None))  # opened again: a start without a key is allowed
