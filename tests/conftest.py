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
