"""One person's data (issue 22, point 3): export everything held about them as a zip, erase
it all (every table and blob column, and the instance folder, scanned afterwards for their
embeddings, crops, photo hashes and name), forgotten by a second worker at once, and the
export imported back with the same identification answers."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

import support
from support import photos

BEN, ELTON = "ben_afflek", "elton_john"
ENGINES = ("sqlite", "postgresql")


@pytest.fixture(scope="module")
def app(model_dir, tmp_path_factory, request, engine):
    """An app that writes index snapshots for any gallery (they may hold an erased person)."""
    app = support.make_app(tmp_path_factory.mktemp("erase") / "faces.db", support.database_url(request, engine),
                           INDEX_SNAPSHOT_MIN=1)
    yield app
    app.extensions["faces"].close()


@pytest.fixture(scope="module")
def auth(api_key):
    return {"Authorization": f"Bearer {api_key}"}


def _enrol(client, auth, name: str, paths, faces: int) -> int:
    """Enrol `name` from the first `faces` of `paths` that can be (too small ones skipped)."""
    pid, added = None, 0
    for path in paths:
        url = f"/api/people?name={name}" if pid is None else f"/api/people/{pid}/faces"
        r = client.post(url, headers=auth, data=path.read_bytes(), content_type="image/jpeg")
        if r.status_code == 201:
            pid, added = pid or r.get_json()["id"], added + 1
            if added == faces:
                return pid
    raise AssertionError(f"{name}: only {added} photos could be enrolled")


@pytest.fixture(scope="module")
def ben(app, auth):
    """Ben as the system comes to know him: a photo of his remembered while he was a
    stranger, then enrolled (that photo among his), an arrival sent to a webhook, a face
    marked "not Ben". Elton, enrolled beside him, must come through the erase whole."""
    from app.events.bus import get_bus
    from app.events.sink import CameraRef
    from app.extensions import db
    from app.faces import state
    from app.library.corrections import not_this_person

    client = app.test_client()
    for first in photos("train", BEN):  # the first photo good enough to remember
        r = client.post("/api/identify?remember=1", headers=auth, data=first.read_bytes(), content_type="image/jpeg")
        if r.status_code == 200 and r.get_json()["faces"][0]["group_id"]:
            break
    pid = _enrol(client, auth, BEN, [first] + [p for p in photos("train", BEN) if p != first], 4)
    _enrol(client, auth, ELTON, photos("train", ELTON), 2)
    assert client.post("/api/webhooks", headers=auth, json={"url": "http://127.0.0.1:9/x", "secret": "s"}).status_code == 201
    with app.app_context():
        pipeline = state().pipeline(state().gallery_view().model)
        face = pipeline.analyze_bytes(photos("val", BEN)[1].read_bytes()).faces[0]
        get_bus().publish("arrival", CameraRef(1, "Door", "camera:1"), pid, BEN, 0.4, b"\xff\xd8thumb",
                          embedding=face.embedding)
        other = pipeline.analyze_bytes(photos("val", ELTON)[0].read_bytes()).faces[0]
        not_this_person(pid, other.embedding, b"\xff\xd8not-ben", "api")
        db.session.commit()
    return pid


def _url(app) -> str:
    return str(app.config["SQLALCHEMY_DATABASE_URI"])


def _answers(client, auth) -> list:
    """Names and distances for probes of both people (their val photos not enrolled)."""
    out = []
    for path in photos("val", BEN)[1:4] + photos("val", ELTON)[:2]:
        r = client.post("/api/identify", headers=auth, data=path.read_bytes(), content_type="image/jpeg")
        out += [(f["name"], f["distance"]) for f in r.get_json().get("faces", [])]
    return out


def _theirs(app, pid: int) -> dict:
    """What must be gone after the erase: their embeddings, crops, photo hashes, name."""
    from app.extensions import db
    from app.models import Face

    with app.app_context():
        faces = db.session.scalars(select(Face).where(Face.person_id == pid)).all()
        return {"bytes": {f.embedding for f in faces} | {f.crop_jpeg for f in faces},
                "text": {f.source_sha256 for f in faces} | {BEN}}


def _scan_database(app, theirs: dict) -> list[str]:
    """Every table, every column of every row: where any of `theirs` still is."""
    from app.extensions import db

    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                for column, value in zip(table.columns, row):
                    if isinstance(value, bytes) and any(b in value for b in theirs["bytes"]):
                        found.append(f"{table.name}.{column.name}")
                    if isinstance(value, str) and any(t in value for t in theirs["text"]):
                        found.append(f"{table.name}.{column.name}: {value[:80]}")
    return found


def _scan_folder(folder, theirs: dict) -> list[str]:
    needles = list(theirs["bytes"]) + [t.encode() for t in theirs["text"]]
    return [str(p) for p in folder.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles)]


def test_export_erase_import_round_trip(app, auth, ben, tmp_path):
    from pathlib import Path

    client = app.test_client()
    before = _answers(client, auth)
    assert (BEN, before[0][1]) == before[0]
    folder = Path(app.config["INDEX_DIR"]).parent
    theirs = _theirs(app, ben)

    r = client.get(f"/api/people/{ben}/export", headers=auth)
    assert r.status_code == 200 and r.mimetype == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.data))
    manifest = json.loads(z.read("manifest.json"))
    assert manifest["counts"]["faces"] == 4 and manifest["counts"]["arrivals"] >= 1  # the demo camera may add
    assert manifest["counts"]["sightings"] >= 1 and manifest["counts"]["corrections"] == 1
    assert manifest["counts"]["deliveries"] >= 1 and manifest["counts"]["audit"] >= 4
    faces = [json.loads(line) for line in z.read("faces.jsonl").splitlines()]
    assert {z.read(f["crop"]) for f in faces} == {b for b in theirs["bytes"] if b[:2] == b"\xff\xd8"}

    second = support.make_app(folder / "faces.db", _url(app), INDEX_SNAPSHOT_MIN=1)  # another worker, already serving
    assert _answers(second.test_client(), auth)[0][0] == BEN
    assert list(Path(app.config["INDEX_DIR"]).glob("*.npy")), "its snapshot, which holds Ben's mean"
    r = client.delete(f"/api/people/{ben}/data", headers=auth)
    assert r.status_code == 200, r.get_json()
    done = r.get_json()
    assert done["faces"] == 4 and done["arrivals"] >= 1 and done["corrections"] == 1 and done["files"] >= 1
    assert BEN not in [name for name, _ in _answers(second.test_client(), auth)]  # at its next request
    second.extensions["faces"].close()

    assert _scan_database(app, theirs) == []
    assert _scan_folder(folder, theirs) == []
    erased = [e for e in client.get("/api/audit", headers=auth).get_json()["entries"] if e["action"] == "person.erase"]
    assert [e["target"] for e in erased] == [f"person {ben}"] and erased[0]["actor"].startswith("key ")
    assert client.get(f"/api/people/{ben}/export", headers=auth).status_code == 404
    assert client.delete(f"/api/people/{ben}/data", headers=auth).status_code == 404

    r = client.post("/api/people/import", headers={**auth, "Content-Type": "application/zip"}, data=r_data(z))
    assert r.status_code == 201, r.get_json()
    assert len(r.get_json()["faces"]) == 4
    assert _answers(client, auth) == before
    r = client.post("/api/people/import", headers={**auth, "Content-Type": "application/zip"}, data=r_data(z))
    assert r.status_code == 409
    r = client.post("/api/people/import", headers={**auth, "Content-Type": "application/zip"}, data=b"not a zip")
    assert r.status_code == 400 and "export" in r.get_json()["detail"]


def r_data(z: zipfile.ZipFile) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for info in z.infolist():
            copy.writestr(info.filename, z.read(info))
    return out.getvalue()


def test_the_person_page_downloads_and_erases_after_asking(app, auth, sign_in, csrf_token):
    client = app.test_client()
    pid = _enrol(client, auth, "mindy_kaling", photos("train", "mindy_kaling"), 1)
    sign_in(client)
    page = client.get(f"/people/{pid}").data.decode()
    assert f"/people/{pid}/export" in page and f"/people/{pid}/erase" in page
    r = client.get(f"/people/{pid}/export")
    assert r.mimetype == "application/zip"
    assert json.loads(zipfile.ZipFile(io.BytesIO(r.data)).read("manifest.json"))["counts"]["faces"] == 1
    ask = client.get(f"/people/{pid}/erase").data.decode()
    assert "cannot be undone" in ask and client.get(f"/api/people/{pid}", headers=auth).status_code == 200
    r = client.post(f"/people/{pid}/erase", data={"csrf_token": csrf_token(ask)})
    assert r.status_code == 302 and client.get(f"/api/people/{pid}", headers=auth).status_code == 404
    erased = [e for e in client.get("/api/audit", headers=auth).get_json()["entries"] if e["action"] == "person.erase"]
    assert erased[0]["target"] == f"person {pid}" and erased[0]["actor"].startswith("operator ")


def test_snapshots_older_than_an_erase_are_swept_at_start_and_by_the_command(app, auth, ben):
    """An erase killed after its commit, before its files went: a snapshot of a generation
    before the erase is deleted by the next worker that loads the gallery, or by the command."""
    from pathlib import Path

    import numpy as np

    from app.extensions import db
    from app.faces import get_state
    from app.faces.gallery import database_id

    index = Path(app.config["INDEX_DIR"])
    with app.app_context():
        erased, model, dbid = get_state().erased_generation, get_state().active_model, database_id()
        db.session.remove()
    assert erased > 0  # the round trip above erased Ben
    stale = [index / f"{dbid}-{model}.npz", index / f"{dbid}-{model}.g{erased - 1}.npy"]

    def leave_stale_files():
        np.savez(stale[0], ids=np.zeros(1, np.int64), ranks=np.zeros(1, np.int64),
                 generation=np.int64(erased - 1), typical=np.float64(np.nan))
        np.save(stale[1], np.zeros((1, 128), np.float32))

    leave_stale_files()
    worker = support.make_app(index.parent / "faces.db", _url(app))  # a worker starting
    assert worker.test_client().post("/api/identify", headers=auth, data=photos("val", ELTON)[0].read_bytes(),
                                     content_type="image/jpeg").status_code == 200
    worker.extensions["faces"].close()
    assert not any(p.exists() for p in stale)
    leave_stale_files()
    out = app.test_cli_runner().invoke(args=["faces", "sweep-erased"])
    assert out.exit_code == 0 and "2 snapshot files deleted" in out.output, out.output
