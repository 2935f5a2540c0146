"""Fixtures of the live tests."""
import numpy as np
import pytest

from reference_gallery import Gallery
from app.stream.tracker import LiveMatch

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
