"""The application factory, as flaskr's test_factory: configuration in, nothing heavy loaded,
each app with its own process state."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import text

from app import create_app
from app.config import Config, TestConfig
from app.extensions import db


def test_config_class_is_used(tmp_path):
    cfg = type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert create_app(cfg).testing
    assert not create_app(type("Prod", (Config,), {"SQLALCHEMY_DATABASE_URI": "sqlite://",
                                                   "SECRET_KEY": "k"})).testing


def test_the_factory_loads_no_model_and_opens_no_camera(tmp_path):
    app = create_app(type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"}))
    owner = app.extensions["faces"]
    assert owner.pipelines == {} and owner.previews == {} and owner.relays == {} and owner.browsers == {}


def test_each_app_owns_its_process_state():
    make = lambda: create_app(type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": "sqlite://"}))  # noqa: E731
    assert make().extensions["faces"] is not make().extensions["faces"]


def test_every_surface_is_registered(app):
    assert {"api", "web", "stream", "faces"} <= set(app.blueprints)
    assert app.url_map.converters["int"].regex == r"\d{1,18}"


def test_instance_paths_default_inside_the_instance_folder(app):
    for key in ("MODELS_DIR", "SAMPLES_DIR", "VIDEOS_DIR"):
        assert app.config[key].startswith(app.instance_path)


def test_a_secret_key_is_made_once_and_kept_private(tmp_path, monkeypatch):
    from app.http.security import secret_key

    first = secret_key(tmp_path)
    assert secret_key(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_health(client):
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok" and body["database"] is True


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_the_snapshots_are_created_owner_only(tmp_path, monkeypatch):
    """They hold crops, embeddings, password hashes and webhook secrets (0644 before)."""
    import numpy as np

    from app.faces.gallery_store import Snapshots
    from app.recognition.index import PersonIndex
    from support import make_app

    old_umask = os.umask(0o022)  # the usual one: files 0644 unless asked otherwise
    try:
        app = make_app(tmp_path / "faces.db")
        with app.app_context():
            db.session.execute(text("CREATE TABLE t (x)"))  # a write: the -wal and -shm exist
            db.session.commit()
            assert {mode(tmp_path / f"faces.db{s}") for s in ("", "-wal", "-shm")} == {0o600}
        app.extensions["faces"].close()
        index = PersonIndex()
        index.upsert([1, 2], np.eye(2, 128, dtype=np.float32), [1, 2])
        assert index.build_graph()  # the graph file too
        Snapshots(tmp_path / "index").save("db", "m", 1, index)
    finally:
        os.umask(old_umask)
    assert mode(tmp_path / "index") == 0o700
    assert {p.name: mode(p) for p in (tmp_path / "index").iterdir()} == {
        p.name: 0o600 for p in (tmp_path / "index").iterdir()}
    assert mode(Path(app.instance_path)) == 0o700


def test_files_an_earlier_version_left_readable_are_made_owner_only_at_start(tmp_path):
    (tmp_path / "index").mkdir(mode=0o755)
    for name in ("faces.db", "faces.db-wal", "faces.db-shm", "index/db-m.npz"):
        (tmp_path / name).write_bytes(b"")
        (tmp_path / name).chmod(0o644)
    create_app(type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'faces.db'}",
                                           "INDEX_DIR": str(tmp_path / "index")}))
    assert mode(tmp_path / "index") == 0o700
    for name in ("faces.db", "faces.db-wal", "faces.db-shm", "index/db-m.npz"):
        assert mode(tmp_path / name) == 0o600, name
