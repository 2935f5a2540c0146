"""The camera runner of this app (runner.py: one process per database runs every enabled
camera) and its round: the running cameras follow the Camera table."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from ..events import get_bus
from ..events.sink import CameraRef
from ..extensions import db
from ..faces import state
from ..faces.photos import active_pipeline
from ..models import Camera
from .budget import RecognitionBudget
from .camera import LiveCamera
from .runner import CameraRunner, runner_paths
from .sources import make_source
from .webcams import resolve_source
from .wiring import recognizer

log = logging.getLogger(__name__)


def camera_runner() -> CameraRunner:
    """This app's runner, started on first use (or at start with CAMERAS_AUTOSTART): it
    runs the cameras when this process holds the lock, else relays from the holder."""
    owner = state()
    with owner.lock:
        if owner.runner is None:
            app = current_app._get_current_object()
            cfg = app.config
            lock, sock = runner_paths(app.instance_path, str(cfg["SQLALCHEMY_DATABASE_URI"]))
            owner.runner = CameraRunner(lock, sock, _sync(app), period=cfg["CAMERAS_SYNC_SECONDS"],
                                        elect=cfg["CAMERAS_RUNNER"] != "off",
                                        on_release=lambda: _release(app)).start()
        return owner.runner


def _release(app: Flask) -> None:
    """The runner gave the cameras up: their visits end (with departures), events stop."""
    with app.app_context():
        bus = get_bus()
        with bus.lock:
            camera_ids = {key[0] for key in bus.visits}
        for camera_id in camera_ids:
            bus.forget_camera(camera_id)
    bus.close()


def _sync(app: Flask):
    """The runner's round: start, restart (settings or model changed) and stop cameras so
    that exactly the enabled rows run; keep the MQTT discovery in step with the people."""
    keys: dict[int, tuple] = {}

    def sync(runner: CameraRunner) -> None:
        with app.app_context():
            rows = {c.id: c for c in db.session.scalars(select(Camera).where(Camera.enabled))}
            pipeline = active_pipeline()
            bus = get_bus()
            bus.start()
            if runner.budget is None:
                runner.budget = RecognitionBudget(app.config["CAMERAS_RECOGNITION_THREADS"])
            for camera_id in list(runner.cameras):
                row = rows.get(camera_id)
                if row is None or keys.get(camera_id) != (row.settings(), row.name, pipeline.model_name):
                    runner.cameras.pop(camera_id).stop()
                    keys.pop(camera_id, None)
                    bus.forget_camera(camera_id)
            for camera_id, row in rows.items():
                if camera_id not in runner.cameras:
                    runner.cameras[camera_id] = _build(app, row, pipeline, runner.budget)
                    keys[camera_id] = (row.settings(), row.name, pipeline.model_name)
                # Privacy applies from the next frame, without a restart (no departures).
                runner.cameras[camera_id].privacy = row.privacy
            db.session.rollback()  # end the read transaction: SQLite writers are not held
        if bus.mqtt is not None:
            bus.mqtt.sync_people()
    return sync


def _build(app: Flask, row: Camera, pipeline, budget) -> LiveCamera:
    """A camera row's LiveCamera, started now: arrivals and events do not wait for a viewer."""
    cfg = app.config
    live = recognizer(app, CameraRef(row.id, row.name, f"camera:{row.id}"), pipeline,
                      min_face_size=row.min_face, max_side=row.detect_side,
                      ignore_region=row.region, best_crops=cfg["SIGHTINGS_PER_TRACK"])
    size, samples = tuple(cfg["LIVE_FRAME_SIZE"]), Path(cfg["SAMPLES_DIR"])
    spec, _ = resolve_source(row.source)  # in the app's context: the first webcam, else the demo
    variant = row.id - 1  # each camera's demo shows other people at other times
    camera = LiveCamera(lambda: make_source(spec, samples, size, variant), live,
                        idle_seconds=None, budget=budget, privacy=row.privacy)
    camera.max_rate = row.recognition_fps
    camera.touch()
    log.info("camera %d (%s) started on %s", row.id, row.name, spec)
    return camera
