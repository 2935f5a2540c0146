"""`flask faces models` / `use-model` and the all-or-nothing re-embedding.

The database branch's `app.extensions` / `app.models` are stood in for by a minimal schema
with the agreed column names (Face: person_id, embedding, model, crop_jpeg; AppState:
active_model, gallery_generation), injected as those modules.
"""
from __future__ import annotations

import sys
import types

import cv2
import numpy as np
import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from app.cli import bp
from app.model_switch import reembed_all
from app.recognition.encode import FaceEncoder
from app.recognition.match import Gallery
from app.recognition.weights import write_manifest

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
def app(tmp_path, models_dir, enrolled, model_dir, monkeypatch):
    db = SQLAlchemy()

    class Person(db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(100))

    class Face(db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
        embedding: Mapped[bytes] = mapped_column(LargeBinary)
        model: Mapped[str] = mapped_column(String(100))
        crop_jpeg: Mapped[bytes] = mapped_column(LargeBinary)

    class AppState(db.Model):
        id: Mapped[int] = mapped_column(primary_key=True)
        active_model: Mapped[str] = mapped_column(String(100))
        gallery_generation: Mapped[int] = mapped_column(default=0)

    monkeypatch.setitem(sys.modules, "app.extensions", types.SimpleNamespace(db=db))
    monkeypatch.setitem(sys.modules, "app.models", types.SimpleNamespace(
        Person=Person, Face=Face, AppState=AppState))
    flask_app = Flask("test")
    flask_app.config.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'faces.db'}",
                            MODELS_DIR=str(models_dir), ENCODER_VARIANT="int8",
                            ENCODER_FLIP=False, NUM_THREADS=2)
    db.init_app(flask_app)
    flask_app.register_blueprint(bp)
    old_encoder = FaceEncoder(model_dir, variant="fp32")
    with flask_app.app_context():
        db.create_all()
        ids = {}
        for name, crop in enrolled[0]:
            if name not in ids:
                person = Person(name=name)
                db.session.add(person)
                db.session.flush()
                ids[name] = person.id
            jpeg = cv2.imencode(".jpg", crop[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()
            db.session.add(Face(person_id=ids[name], model=OLD, crop_jpeg=jpeg,
                                embedding=old_encoder.embed(crop[None])[0].tobytes()))
        db.session.add(AppState(id=1, active_model=OLD, gallery_generation=3))
        db.session.commit()
    flask_app.db, flask_app.schema = db, (Person, Face, AppState)
    yield flask_app


def _rows(app):
    _, Face, AppState = app.schema
    faces = app.db.session.scalars(app.db.select(Face).order_by(Face.id)).all()
    state = app.db.session.get(AppState, 1)
    return [(f.model, f.embedding) for f in faces], (state.active_model, state.gallery_generation)


def test_use_model_reembeds_and_identify_still_names_everyone(app, models_dir, enrolled):
    with app.app_context():
        before, _ = _rows(app)
    result = app.test_cli_runner().invoke(args=["faces", "use-model", NEW])
    assert result.exit_code == 0, result.output
    assert "10 enrolled faces re-embedded" in result.output
    Person, Face, _ = app.schema
    with app.app_context():
        after, state = _rows(app)
        assert state == (NEW, 4)
        assert all(model == NEW for model, _ in after)
        # int8 instead of fp32: every embedding was recomputed, not relabelled.
        assert all(a != b for (_, a), (_, b) in zip(before, after))
        faces = app.db.session.scalars(app.db.select(Face)).all()
        names = {p.id: p.name for p in app.db.session.scalars(app.db.select(Person))}
        gallery = Gallery(np.stack([np.frombuffer(f.embedding, "<f4") for f in faces]),
                          [names[f.person_id] for f in faces])
    encoder = FaceEncoder(models_dir / NEW)
    queries = encoder.embed(np.stack([crop for _, crop in enrolled[1]]))
    matches = gallery.identify(queries, threshold=1.1)
    assert [m.label for m in matches] == [name for name, _ in enrolled[1]]
    listing = app.test_cli_runner().invoke(args=["faces", "models"]).output
    assert f"* {NEW}" in listing and "  facenet-keras-v1" in listing


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
            reembed_all(app.db.session, _FailingEncoder(), NEW, batch_size=4)
        assert _rows(app) == before


def test_a_damaged_crop_changes_nothing(app):
    _, Face, _ = app.schema
    with app.app_context():
        app.db.session.get(Face, 5).crop_jpeg = b"not a jpeg"
        app.db.session.commit()
        before = _rows(app)
        with pytest.raises(Exception):
            reembed_all(app.db.session, FaceEncoder(app.config["MODELS_DIR"] + "/" + NEW), NEW)
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
