"""Fixtures shared by every layer of the tests, as flaskr's conftest does: the model and the
sample photos the project obtains itself (`make test` runs `flask faces setup` first; the
fixtures do the same if needed), an app on a fresh database, its client and CLI runner,
an API key, signing in and CSRF tokens. Plain helpers usable at import time are in
support.py."""
from __future__ import annotations

from pathlib import Path

import pytest

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


@pytest.fixture(scope="module")
def app(model_dir, tmp_path_factory):
    """A fresh app and database per test module; its cameras and models freed after."""
    app = support.make_app(tmp_path_factory.mktemp("db") / "faces.db")
    yield app
    app.extensions["faces"].close()


@pytest.fixture
def client(app):
    return app.test_client()


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
