"""Browser cameras: one recognizer (own tracker) per browser sending its camera's frames
(POST /live/frame); those idle for a minute are dropped."""
from __future__ import annotations

import time

from flask import current_app

from ..events.sink import CameraRef
from ..faces import state
from ..faces.photos import active_pipeline
from .recognizer import LiveRecognizer
from .wiring import recognizer

IDLE_SECONDS = 60.0


def now() -> float:
    return time.monotonic()


def browser_recognizer(client: str) -> LiveRecognizer:
    """The recognizer of browser `client` (a random id kept in its session)."""
    app = current_app._get_current_object()
    t, pipeline, browsers = now(), active_pipeline(), state().browsers
    with state().lock:
        for key in [k for k, (seen, _) in browsers.items() if t - seen > IDLE_SECONDS]:
            del browsers[key]
        live = browsers.get(client, (t, None))[1]
        if live is None or live.encoder is not pipeline.encoder:
            # Camera id 0: no camera row; the key keeps each browser's track ids apart.
            live = recognizer(app, CameraRef(0, "browser camera", f"browser:{client}"), pipeline,
                              min_face_size=app.config["LIVE_MIN_FACE_SIZE"],
                              max_side=app.config["LIVE_DETECT_SIDE"])
        browsers[client] = (t, live)
        return live
