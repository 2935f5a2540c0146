"""Previews: a source shown in this worker that no camera row has (`?source=` of the live
page's stream and status). Not cameras: they run while watched, stop
LIVE_IDLE_SECONDS after the last viewer, and are this worker's own; the Camera table is
the list of cameras (app/stream/cameras.py)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from ..events.sink import CameraRef
from ..faces import state
from ..faces.photos import active_pipeline
from .camera import LiveCamera
from .sources import make_source
from .wiring import recognizer


def preview_camera(spec: str) -> LiveCamera:
    """The shared preview of a source spec, made on first use (inside a request)."""
    pipeline = active_pipeline()
    owner = state()
    with owner.lock:
        model, camera = owner.previews.get(spec, (None, None))
        # After a model switch, embeddings of the old model must not be compared with the
        # new gallery: its preview is made again.
        if camera is None or model != pipeline.model_name:
            if camera is not None:
                camera.stop()
            app = current_app._get_current_object()
            cfg = app.config
            live = recognizer(app, CameraRef(-1, "preview", f"preview:{spec}"), pipeline,
                              min_face_size=cfg["LIVE_MIN_FACE_SIZE"], max_side=cfg["LIVE_DETECT_SIDE"])
            size, samples = tuple(cfg["LIVE_FRAME_SIZE"]), Path(cfg["SAMPLES_DIR"])
            camera = LiveCamera(lambda: make_source(spec, samples, size), live,
                                idle_seconds=cfg["LIVE_IDLE_SECONDS"])
            owner.previews[spec] = (pipeline.model_name, camera)
        return camera
