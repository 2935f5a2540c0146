"""Shared fixtures. The model and the sample photos are what the project itself obtains:
`make test` runs `flask faces setup` first; the fixtures below do the same if needed."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.recognition.weights import PRETRAINED, ensure_pretrained

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "instance" / "models"
SAMPLES_DIR = ROOT / "instance" / "samples"


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The converted pretrained FaceNet (instance/models/facenet-keras-v1)."""
    return ensure_pretrained(MODELS_DIR, SAMPLES_DIR)


@pytest.fixture(scope="session")
def sample_photos_dir(model_dir) -> Path:
    """The 5-person sample photos: {train,val}/<person>/*.jpg (one face each, mostly)."""
    return SAMPLES_DIR


@pytest.fixture(scope="session")
def pipeline(model_dir):
    """One FacePipeline for the whole session (the networks load once)."""
    from app.recognition.pipeline import FacePipeline

    return FacePipeline(model_dir)


# --- The web app on a temporary SQLite database -------------------------------------

import re  # noqa: E402

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def make_app(db_path: Path, **overrides):
    """A migrated app on the SQLite file `db_path` (the model is shared by the process)."""
    import flask_migrate

    from app import create_app
    from app.config import TestConfig

    cfg = type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", **overrides})
    app = create_app(cfg)
    with app.app_context():
        flask_migrate.upgrade()
    return app


@pytest.fixture(scope="module")
def app(model_dir, tmp_path_factory):
    """A fresh app and database per test module; its cameras and models freed after."""
    app = make_app(tmp_path_factory.mktemp("db") / "faces.db")
    yield app
    app.extensions["faces"].close()


@pytest.fixture
def client(app):
    return app.test_client()


def cli_api_key(app, name: str = "tests") -> str:
    result = app.test_cli_runner().invoke(args=["faces", "create-api-key", name])
    assert result.exit_code == 0, result.output
    return re.search(r"fk_\S+", result.output).group(0)


@pytest.fixture(scope="module")
def api_key(app) -> str:
    return cli_api_key(app)


def csrf_token(html: bytes | str) -> str:
    html = html.decode() if isinstance(html, bytes) else html
    return CSRF_RE.search(html).group(1)


def sign_in(client, username: str = "op", password: str = "correct horse") -> None:
    """Create the first operator through the setup form if needed, else sign in."""
    page = client.get("/setup", follow_redirects=True)
    if b"Create the first operator" in page.data:
        r = client.post("/setup", data={"username": username, "password": password,
                                        "confirm": password, "csrf_token": csrf_token(page.data)})
    else:
        page = client.get("/login")
        r = client.post("/login", data={"username": username, "password": password,
                                        "csrf_token": csrf_token(page.data)})
    assert r.status_code == 302, r.data[:500]


def photos(split: str, person: str) -> list[Path]:
    return sorted((SAMPLES_DIR / split / person).glob("*.jpg"))
