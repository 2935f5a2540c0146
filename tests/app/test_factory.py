"""The application factory, as flaskr's test_factory: configuration in, nothing heavy loaded,
each app with its own process state."""
from __future__ import annotations

import stat

from app import create_app
from app.config import Config, TestConfig


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
