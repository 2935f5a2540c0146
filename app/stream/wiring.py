"""A recognizer of this app: matches from the gallery of the moment, cycles to the event
bus (the sink, app/events/sink.py). Cameras, previews and browser cameras are built with it."""
from __future__ import annotations

import numpy as np
from flask import Flask

from ..events import get_bus
from ..events.sink import CameraRef
from ..faces import state
from ..faces.recognize import held_to_quality
from ..faces.view import GalleryView
from .recognizer import LiveRecognizer
from .tracker import LiveMatch


def lookup(app: Flask):
    """embeddings (N, 128) and their faces' conditions -> N LiveMatch, by the gallery and
    threshold of the moment (`live_matches`)."""
    def match(embeddings: np.ndarray, conditions: list) -> list[LiveMatch]:
        with app.app_context():
            return live_matches(state().gallery_view(), embeddings, conditions)
    return match


def live_matches(view: GalleryView, embeddings: np.ndarray, conditions: list) -> list[LiveMatch]:
    """Each embedding's match in `view`, held to its face's quality (a face too poor says why)."""
    held = [held_to_quality(m, c) for m, c in zip(view.identify(embeddings, k=1), conditions)]
    return [LiveMatch(m.label, view.name(m.label), m.distance, reason=reason) for m, reason in held]


def recognizer(app: Flask, camera: CameraRef, pipeline, **settings) -> LiveRecognizer:
    """A LiveRecognizer for `camera` with `settings` (min_face_size, max_side, ...)."""
    with app.app_context():
        bus = get_bus()
    return LiveRecognizer(pipeline, lookup(app), sink=bus, camera=camera, **settings)
