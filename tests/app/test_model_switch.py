"""`flask faces models` / `use-model` and the all-or-nothing re-embedding, on the real
database (migrated SQLite) with faces enrolled from the sample photos."""
from __future__ import annotations

import hashlib

import cv2
import numpy as np
import pytest

from app.extensions import db
from app.faces.model_switch import reembed_all
from app.models import AppState, Face, Person, name_key
from app.recognition.encode import FaceEncoder
from reference_gallery import Gallery
from app.recognition.weights import write_manifest
from support import ROOT, make_app

OLD, NEW = "old-model", "facenet-copy"


@pytest.fixture(scope="module")
def enrolled(pipeline, sample_photos_dir):
    """Two aligned crops (JPEG) per sample person from train/, one query crop from val/."""
    def crop(path):
        return pipeline.analyze(pipeline.decode(path.read_bytes())).faces[0].aligned

    people = sorted(p.name for p in (sample_photos_dir / "train").iterdir())
    gallery = [(name, crop(path)) for name in people
               for path in sorted((sample_photos_dir / "train" / name).glob("*.jpg"))[:2]]
    queries = [(name, crop(sorted((sample_photos_dir / "val" / name).glob("*.jpg"))[0]))
               for name in people]
    return gallery, queries


@pytest.fixture
def models_dir(tmp_path, model_dir):
    """The pretrained model and a copy of it under another name (a second "version")."""
    models = tmp_path / "models"
    (models / NEW).mkdir(parents=True)
    (models / model_dir.name).symlink_to(model_dir)
    for name in ("encoder.keras", "encoder_fp32.tflite", "encoder_int8.tflite"):
        (models / NEW / name).symlink_to(model_dir / name)
    write_manifest(models / NEW, {"name": NEW, "base": model_dir.name, "created": "2026-01-01"})
    return models


@pytest.fixture
def app(tmp_path, models_dir, enrolled, model_dir):
    """The app on a fresh migrated database; 10 faces embedded by an "old" model (fp32)."""
    flask_app = make_app(tmp_path / "faces.db", MODELS_DIR=str(models_dir))
    old_encoder = FaceEncoder(model_dir, variant="fp32")
    with flask_app.app_context():
        people = {}
        for name, crop in enrolled[0]:
            if name not in people:
                people[name] = Person(name=name, name_key=name_key(name))
                db.session.add(people[name])
            jpeg = cv2.imencode(".jpg", crop[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
            db.session.add(Face(person=people[name], model=OLD, crop_jpeg=jpeg, det_score=1.0,
                                source_sha256=hashlib.sha256(jpeg).hexdigest(),
                                embedding=old_encoder.embed(crop[None])[0].tobytes()))
        db.session.add(AppState(id=1, active_model=OLD, gallery_generation=3))
        db.session.commit()
    return flask_app


def _rows(app):
    faces = db.session.scalars(db.select(Face).order_by(Face.id)).all()
    state = db.session.get(AppState, 1)
    db.session.refresh(state)
    return [(f.model, f.embedding) for f in faces], (state.active_model, state.gallery_generation)


def test_use_model_reembeds_and_identify_still_names_everyone(app, models_dir, enrolled):
    with app.app_context():
        before, _ = _rows(app)
    result = app.test_cli_runner().invoke(args=["faces", "use-model", NEW])
    assert result.exit_code == 0, result.output
    assert "10 enrolled faces re-embedded" in result.output
    with app.app_context():
        after, state = _rows(app)
        assert state == (NEW, 4)
        assert all(model == NEW for model, _ in after)
        # int8 instead of fp32: every embedding was recomputed, not relabelled.
        assert all(a != b for (_, a), (_, b) in zip(before, after))
        faces = db.session.scalars(db.select(Face)).all()
        names = {p.id: p.name for p in db.session.scalars(db.select(Person))}
        gallery = Gallery(np.stack([np.frombuffer(f.embedding, "<f4") for f in faces]),
                          [names[f.person_id] for f in faces])
    encoder = FaceEncoder(models_dir / NEW)
    queries = encoder.embed(np.stack([crop for _, crop in enrolled[1]]))
    matches = gallery.identify(queries, threshold=1.1)
    assert [m.label for m in matches] == [name for name, _ in enrolled[1]]
    listing = app.test_cli_runner().invoke(args=["faces", "models"]).output
    assert f"* {NEW}" in listing and "  facenet-keras-v1" in listing
    # Through the REST API too: the app now embeds with NEW and names everyone.
    client = app.test_client()
    with app.app_context():
        db.session.get(AppState, 1).identify_threshold = 1.1
        db.session.commit()
    for name, path in [(n, sorted((ROOT / "instance/samples/val" / n).glob("*.jpg"))[0])
                       for n, _ in enrolled[1]]:
        body = client.post("/api/identify", data=path.read_bytes(), content_type="image/jpeg").get_json()
        assert body["model"] == NEW
        assert max(body["faces"], key=lambda f: f["box"][2] * f["box"][3])["name"] == name


class _FailingEncoder:
    """Embeds the first batch, then fails: the switch must leave no trace."""

    def __init__(self):
        self.calls = 0

    def embed(self, faces):
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("encoder crashed")
        return np.ones((len(faces), 128), np.float32) / np.sqrt(128)


def test_reembed_is_all_or_nothing(app):
    with app.app_context():
        before = _rows(app)
        with pytest.raises(RuntimeError, match="crashed"):
            reembed_all(db.session, _FailingEncoder(), NEW, batch_size=4)
        assert _rows(app) == before


def test_a_damaged_crop_changes_nothing(app):
    with app.app_context():
        db.session.get(Face, 5).crop_jpeg = b"not a jpeg"
        db.session.commit()
        before = _rows(app)
        with pytest.raises(Exception):
            reembed_all(db.session, FaceEncoder(app.config["MODELS_DIR"] + "/" + NEW), NEW)
        assert _rows(app) == before


@pytest.mark.parametrize("name, message", [("nobody", "no model named 'nobody'"),
                                           ("_download", "no model named"),
                                           (NEW, "is corrupt")])
def test_use_model_refuses_missing_or_corrupt(app, models_dir, name, message):
    manifest = models_dir / NEW / "model.json"
    manifest.write_text(manifest.read_text().replace('"encoder_int8.tflite": "', '"encoder_int8.tflite": "0'))
    result = app.test_cli_runner().invoke(args=["faces", "use-model", name])
    assert result.exit_code != 0 and message in result.output
    with app.app_context():
        assert _rows(app)[1] == (OLD, 3)
