"""Fixtures of the live tests."""
import numpy as np
import pytest

from reference_gallery import Gallery
from app.stream.tracker import LiveMatch
from support import cli_api_key, make_app

STRANGER = "madonna"  # a sample person nobody enrolled


@pytest.fixture(scope="module")
def lookup(pipeline, sample_photos_dir):
    """A recognizer's lookup: everyone but STRANGER enrolled from one train/ photo."""
    embeddings, labels = [], []
    for folder in sorted((sample_photos_dir / "train").iterdir()):
        if folder.name == STRANGER:
            continue
        for path in sorted(folder.iterdir()):
            faces = pipeline.analyze_bytes(path.read_bytes()).faces
            if len(faces) == 1:
                embeddings.append(faces[0].embedding)
                labels.append(folder.name)
                break
    gallery = Gallery(np.stack(embeddings), labels)
    return lambda e, conditions=None: [LiveMatch(m.label, m.label, m.distance) for m in gallery.identify(e, threshold=0.95)]


@pytest.fixture(scope="module")
def cam_app(model_dir, tmp_path_factory):
    """A module's app with a videos folder for camera sources; its first camera the demo."""
    folder = tmp_path_factory.mktemp("cams")
    (folder / "videos").mkdir()
    app = make_app(folder / "faces.db", VIDEOS_DIR=str(folder / "videos"), CAMERA_SOURCE="demo")
    yield app
    app.extensions["faces"].close()


@pytest.fixture(scope="module")
def cam_key(cam_app):
    """An API key of cam_app, as request headers."""
    return {"Authorization": f"Bearer {cli_api_key(cam_app)}"}
