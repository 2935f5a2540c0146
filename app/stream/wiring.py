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
from .motion import MotionGate
from .recognizer import LiveRecognizer
from .tracker import TRACK_MARGIN, LiveMatch


def lookup(app: Flask):
    """embeddings (N, 128) and their faces' conditions -> N LiveMatch, by the gallery and
    threshold of the moment (`live_matches`)."""
    def match(embeddings: np.ndarray, conditions: list) -> list[LiveMatch]:
        with app.app_context():
            return live_matches(state().gallery_view(), embeddings, conditions)
    return match


def live_matches(view: GalleryView, embeddings: np.ndarray, conditions: list,
                 margin: float = TRACK_MARGIN) -> list[LiveMatch]:
    """Each track's mean embedding's match in `view` (the colour gallery, also for a grey
    track: at night the grey gallery named 23.3 % of tracks right where colour names 22.7,
    with 6.7 wrong names per 1,000 night tracks where colour has none; docs/CAMERAS.md),
    held to its best face's quality (a face too poor says why) and named only within
    `margin` less than that threshold."""
    out = []
    for match, c in zip(view.identify(embeddings, k=1), conditions):
        match, reason = held_to_quality(match, c)
        named = match.label is not None and match.distance <= match.threshold - margin
        out.append(LiveMatch(match.label if named else None, view.name(match.label) if named else None,
                             match.distance, reason=reason))
    return out


def recognizer(app: Flask, camera: CameraRef, pipeline, **settings) -> LiveRecognizer:
    """A LiveRecognizer for `camera` with `settings` (min_face_size, max_side, ...), and the
    motion gate unless FACES_LIVE_MOTION_GATE is off."""
    with app.app_context():
        bus = get_bus()
    cfg = app.config
    gate = MotionGate(cfg["LIVE_FULL_DETECTION_SECONDS"]) if cfg["LIVE_MOTION_GATE"] else None
    return LiveRecognizer(pipeline, lookup(app), sink=bus, camera=camera, gate=gate, **settings)
