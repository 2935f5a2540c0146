"""A face written through any path — the API, the pages, the import command, the live view,
a rename, a deletion, a model switch — is seen by a second worker's next identify. Two apps
on one database stand for two gunicorn workers (each has its own process state and gallery
cache); no write path calls anything to make it so: the gallery generation moves with the
rows themselves (app/models.py)."""
from __future__ import annotations

import shutil

import cv2
import pytest

from app.recognition.weights import write_manifest
from app.stream.demo import DemoScene
from support import SAMPLES_DIR, cli_api_key, database_url, grey_copy, make_app, photos

NEW = "facenet-copy"
ENGINES = ("sqlite", "postgresql")


@pytest.fixture
def models(tmp_path, model_dir):
    """The pretrained model and a copy of it under another name (a second "version")."""
    folder = tmp_path / "models"
    (folder / NEW).mkdir(parents=True)
    (folder / model_dir.name).symlink_to(model_dir)
    for name in ("encoder.keras", "encoder_fp32.tflite", "encoder_int8.tflite"):
        (folder / NEW / name).symlink_to(model_dir / name)
    (folder / "_mtcnn-1.0.0").symlink_to(model_dir.parent / "_mtcnn-1.0.0")
    write_manifest(folder / NEW, {"name": NEW, "base": model_dir.name, "created": "2026-01-01"})
    return folder


@pytest.fixture
def workers(tmp_path, models, request, engine):
    """Two apps on one database (a SQLite file, or PostgreSQL); the second has already built
    its gallery (warm cache)."""
    settings = {"IDENTIFY_THRESHOLD": 1.1, "MODELS_DIR": str(models)}
    url = database_url(request, engine)
    first = make_app(tmp_path / "faces.db", url, **settings)
    second = make_app(tmp_path / "faces.db", url, **settings)
    assert name_seen_by(second, "madonna") is None
    yield first, second
    for app in (first, second):
        app.extensions["faces"].close()


def identify(app, folder: str) -> dict:
    photo = photos("val", folder)[0]
    r = app.test_client().post("/api/identify", data=photo.read_bytes(), content_type="image/jpeg")
    assert r.status_code == 200, r.data[:300]
    return r.get_json()


def name_seen_by(app, folder: str) -> str | None:
    """The name the app gives the main face of a val/ photo of `folder`."""
    return max(identify(app, folder)["faces"], key=lambda f: f["box"][2] * f["box"][3])["name"]


def enrol_by_api(app, name: str, folder: str) -> int:
    key = cli_api_key(app)
    r = app.test_client().post("/api/people", headers={"Authorization": f"Bearer {key}"},
                               data={"name": name, "file": (photos("train", folder)[0].open("rb"), "p.jpg")})
    assert r.status_code == 201, r.data[:300]
    return r.get_json()["id"]


def test_enrolled_through_the_api(workers):
    first, second = workers
    enrol_by_api(first, "Madonna", "madonna")
    assert name_seen_by(second, "madonna") == "Madonna"


def test_enrolled_through_the_pages(csrf_token, sign_in, workers):
    first, second = workers
    client = first.test_client()
    sign_in(client)
    page = client.get("/enrol")
    preview = client.post("/enrol", data={"name": "Madonna", "csrf_token": csrf_token(page.data),
                                          "photo": (photos("train", "madonna")[0].open("rb"), "m.jpg")})
    token = preview.data.decode().split('name="token" type="hidden" value="')[1].split('"')[0]
    saved = client.post("/enrol/confirm", data={"token": token, "face": 1,
                                                "csrf_token": csrf_token(preview.data)})
    assert saved.status_code == 302
    assert name_seen_by(second, "madonna") == "Madonna"


def test_enrolled_by_the_import_command(workers, tmp_path):
    first, second = workers
    folder = tmp_path / "import" / "madonna"
    folder.mkdir(parents=True)
    shutil.copy(photos("train", "madonna")[0], folder)
    result = first.test_cli_runner().invoke(args=["faces", "import", str(folder.parent)])
    assert result.exit_code == 0 and "added 1 photos" in result.output, result.output
    assert name_seen_by(second, "madonna") == "Madonna"


def test_enrolled_from_the_live_view(csrf_token, sign_in, workers):
    first, second = workers
    client = first.test_client()
    sign_in(client)
    page = client.get("/live")
    token = page.data.decode().split('data-csrf="')[1].split('"')[0]
    scene = DemoScene(SAMPLES_DIR)
    frame = scene.frame(round(11.0 * scene.fps))  # madonna (left), jerry (right)
    jpeg = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))[1].tobytes()
    for _ in range(2):  # two frames: the unknown faces' tracks are confirmed
        r = client.post("/live/frame", data=jpeg, content_type="image/jpeg", headers={"X-CSRFToken": token})
    madonna = min(r.get_json()["tracks"], key=lambda t: t["box"][0])
    r = client.post("/live/enrol", data={"track": madonna["id"], "mode": "browser", "name": "Madonna",
                                         "csrf_token": csrf_token(page.data)})
    assert r.status_code == 302
    assert name_seen_by(second, "madonna") == "Madonna"


def test_renamed_and_deleted(workers):
    first, second = workers
    pid = enrol_by_api(first, "Madonna", "madonna")
    assert name_seen_by(second, "madonna") == "Madonna"
    auth = {"Authorization": f"Bearer {cli_api_key(first)}"}
    assert first.test_client().patch(f"/api/people/{pid}", json={"name": "Madonna Ciccone"},
                                     headers=auth).status_code == 200
    assert name_seen_by(second, "madonna") == "Madonna Ciccone"
    assert first.test_client().delete(f"/api/people/{pid}", headers=auth).status_code == 204
    assert name_seen_by(second, "madonna") is None


def test_a_model_switch(workers):
    first, second = workers
    enrol_by_api(first, "Madonna", "madonna")
    assert identify(second, "madonna")["model"] == "facenet-keras-v1"
    result = first.test_cli_runner().invoke(args=["faces", "use-model", NEW])
    assert result.exit_code == 0, result.output
    body = identify(second, "madonna")
    assert body["model"] == NEW
    assert max(body["faces"], key=lambda f: f["box"][2] * f["box"][3])["name"] == "Madonna"
    # ... and the second worker freed the old model's pipeline (its process state's job).
    assert {key[0] for key in second.extensions["faces"].pipelines} == {NEW}


def test_grey_vectors_made_by_the_backfill(workers):
    """The grey gallery follows the log too: faces that lose their grey embeddings, then
    get them back from `flask faces backfill-grey`, move the second worker's grey index."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Face

    first, second = workers
    enrol_by_api(first, "Madonna", "madonna")
    probe = grey_copy(photos("val", "madonna")[0])

    def seen_by_second() -> dict:
        r = second.test_client().post("/api/identify", data=probe, content_type="image/jpeg")
        return max(r.get_json()["faces"], key=lambda f: f["box"][2] * f["box"][3])
    assert seen_by_second()["conditions"]["gallery"] == "grey"
    with first.app_context():
        for face in db.session.scalars(select(Face)):
            face.grey_embedding = None
        db.session.commit()
    assert seen_by_second()["conditions"]["gallery"] == "colour"
    result = first.test_cli_runner().invoke(args=["faces", "backfill-grey"])
    assert result.exit_code == 0, result.output
    face = seen_by_second()
    assert face["conditions"]["gallery"] == "grey" and face["name"] == "Madonna"
