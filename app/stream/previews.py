"""Previews: a source shown in this worker that no camera row has (`?source=` of the live
page's stream and status). Not cameras: they run while watched, stop
LIVE_IDLE_SECONDS after the last viewer, and are this worker's own; the Camera table is
the list of cameras (app/stream/cameras.py).

A preview makes the server connect to the source, so it is for an admin or an API key only
(who may add that source as a camera anyway), its host is checked like a camera's
(app/events/targets.py), and at most LIVE_PREVIEWS run at once per worker (each is a capture
thread, a recognizer and a connection)."""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from flask_login import current_user

from ..auth import has_key
from ..events.sink import CameraRef
from ..faces import state
from ..faces.photos import active_pipeline
from ..errors import Problem
from .camera import LiveCamera
from .cameras import checked_source
from .feeds import shown_source
from .sources import make_source
from .wiring import recognizer


def asked_source(asked: str | None) -> str | None:
    """?source= checked like an operator's choice (a file becomes its path in VIDEOS_DIR),
    its host not yet: a camera's source is watched whatever its host."""
    return None if asked is None else checked_source(asked, hosts=False)


def preview(spec: str | None) -> LiveCamera:
    """The preview of `spec` (None: the first camera's source, shown to any viewer when no
    camera is enabled), started; a Problem when this asker or this worker may not."""
    if spec is not None:
        if not (has_key() or (current_user.is_authenticated and current_user.is_admin)):
            raise Problem("forbidden", "Only an admin (or an API key) may watch a source "
                          "that is no camera's. Ask an admin to add it as a camera on the "
                          "Cameras page, then watch /stream/<camera id>.mjpg.")
        checked_source(spec)
    return _started(shown_source(spec)[0])


def _started(spec: str) -> LiveCamera:
    """preview_camera(spec) touched, unless LIVE_PREVIEWS others run: then 429. Stopped
    previews are forgotten, so that many sources tried one after another leave nothing."""
    limit, owner = current_app.config["LIVE_PREVIEWS"], state()
    with owner.lock:
        for other, (_, camera) in list(owner.previews.items()):
            if not camera.running and other != spec:
                del owner.previews[other]
        running = [s for s, (_, c) in owner.previews.items() if c.running and s != spec]
        if len(running) >= limit:
            wait = round(current_app.config["LIVE_IDLE_SECONDS"]) + 1
            raise Problem("rate-limited", f"{len(running)} previews of sources that are no "
                          f"camera's already run in this worker (at most {limit}). Close one and "
                          f"try again in {wait} s, or add the source as a camera.",
                          retry_after=wait)
        camera = preview_camera(spec)
        camera.touch()
        return camera


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
