"""The camera runner of this app (runner.py: one process per database runs every enabled
camera) and its round: the running cameras follow the Camera table."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from ..events import get_bus
from ..events.sink import CameraRef
from ..extensions import db
from ..faces import get_state as state_row, state
from ..faces.photos import active_pipeline
from ..models import Camera
from ..recognition.errors import WeightsError
from .budget import RecognitionBudget
from .camera import LiveCamera
from ..hosts import clustered, host_id
from .leases import cluster_token, give_up, host_url, lease_round
from .relay import HostRelay
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
            lock, sock = runner_paths(app.instance_path, str(cfg["SQLALCHEMY_DATABASE_URI"]),
                                      host_id(app) if clustered(app) else "")
            owner.runner = CameraRunner(lock, sock, _sync(app), period=cfg["CAMERAS_SYNC_SECONDS"],
                                        elect=cfg["CAMERAS_RUNNER"] != "off",
                                        on_release=lambda: _release(app),
                                        on_drop=lambda ids: _hand_over(app, ids),
                                        lease=_lease(app) if clustered(app) else None,
                                        locate=_locate(app) if clustered(app) else None).start()
        return owner.runner


def _release(app: Flask) -> None:
    """The runner gave the cameras up (this process ends): their visits go on in the
    process that takes them over, from the database (no departures); events stop here.
    With leases, the cameras are free at once instead of when the leases expire."""
    with app.app_context():
        bus = get_bus()
        with bus.lock:
            camera_ids = {key[0] for key in bus.visits}
        for camera_id in camera_ids:
            bus.hand_over(camera_id)
        if clustered(app):
            try:
                give_up(host_id(app))
            except Exception:  # noqa: BLE001 - the database is gone: the leases expire
                log.warning("could not give up this host's camera leases")
    bus.close()


def _hand_over(app: Flask, camera_ids: list[int]) -> None:
    """Cameras moved away from this process: their visits go on where they went."""
    with app.app_context():
        bus = get_bus()
        for camera_id in camera_ids:
            bus.hand_over(camera_id)


def _lease(app: Flask):
    """The runner's lease round (PostgreSQL): the cameras this host holds, and the deadline
    after which its watchdog stops them unless a later round renews it."""
    cfg = app.config
    weights = WeightsCheck()

    def lease(runner: CameraRunner) -> None:
        with app.app_context():
            cameras = db.session.execute(select(Camera.id, Camera.pinned_host).where(Camera.enabled)).all()
            stats = {cid: _brief(camera.status()) for cid, camera in list(runner.cameras.items())}
            why_not = OPTED_OUT if not cfg["HOST_RUNS_CAMERAS"] else weights.why_not()
            got = lease_round(host_id(app), why_not, [tuple(c) for c in cameras],
                              cfg["CAMERAS_LEASE_SECONDS"], stats, cfg["HOST_URL"])
            runner.held, runner.deadline = got.held, got.deadline
    return lease


OPTED_OUT = "FACES_HOST_RUNS_CAMERAS is off on this host."


class WeightsCheck:
    """Whether this host can run the active model (in an app context). A host without its
    weights would take leases and never start their cameras: it takes none, and says why.
    A failure is tried again after RETRY_S, or at once when the active model changes."""

    RETRY_S = 30.0

    def __init__(self) -> None:
        self.model: str | None = None
        self.error: str | None = None
        self.checked_at = 0.0

    def why_not(self) -> str | None:
        model = state_row().active_model
        due = self.error is not None and time.monotonic() - self.checked_at > self.RETRY_S
        if model != self.model or due:
            self.model, self.checked_at = model, time.monotonic()
            try:
                active_pipeline().encoder.check()  # its files hashed once per process
                self.error = None
            except WeightsError as exc:
                log.warning("this host takes no camera: %s", exc)
                self.error = (f"The weights of the active model {model} are not on this host: {exc} "
                              f"A model trained on another host: copy its folder instance/models/{model} here.")
        return self.error


def _locate(app: Flask):
    """A relay of a camera run by another host (None when no host runs it, or that host
    has no HOST_URL), for this host's camera process to share with its workers."""
    def locate(camera_id: int) -> HostRelay | None:
        with app.app_context():
            where = host_url(camera_id, app.config["CAMERAS_LEASE_SECONDS"])
        if where is None or where[0] == host_id(app) or not where[1]:
            return None
        return HostRelay(where[1], cluster_token(app), camera_id, app.config["LIVE_IDLE_SECONDS"])
    return locate


def _brief(status: dict) -> dict:
    """What the other hosts show of a camera run here (their status pages)."""
    return {k: status.get(k) for k in ("state", "message", "fps_in", "fps_out",
                                       "recognition_latency_ms", "opened", "frame_size")}


def _sync(app: Flask):
    """The runner's round: start, restart (settings or model changed) and stop cameras so
    that exactly the enabled rows run; keep the MQTT discovery in step with the people."""
    keys: dict[int, tuple] = {}

    def sync(runner: CameraRunner) -> None:
        with app.app_context():
            enabled = {c.id: c for c in db.session.scalars(select(Camera).where(Camera.enabled))}
            held = runner.held  # None: no leases (SQLite), every enabled camera runs here
            rows = enabled if held is None else {cid: r for cid, r in enabled.items() if cid in held}
            pipeline = active_pipeline()
            bus = get_bus()
            bus.start()
            if runner.budget is None:
                runner.budget = RecognitionBudget(app.config["CAMERAS_RECOGNITION_THREADS"])
            for camera_id in list(runner.cameras):
                row = rows.get(camera_id)
                if row is None and camera_id in enabled:
                    runner.drop_cameras([camera_id])  # its lease moved to another host
                elif row is None or keys.get(camera_id) != (row.settings(), row.name, pipeline.model_name):
                    runner.drop_cameras([camera_id], moved=False)
                    keys.pop(camera_id, None)
                    bus.forget_camera(camera_id)
            for camera_id, row in rows.items():
                if camera_id not in runner.cameras:
                    bus.adopt(CameraRef(row.id, row.name, f"camera:{row.id}"))
                    camera = _build(app, row, pipeline, runner.budget)
                    with runner.cameras_lock:
                        runner.cameras[camera_id] = camera
                    keys[camera_id] = (row.settings(), row.name, pipeline.model_name)
                camera = runner.cameras.get(camera_id)  # None: the watchdog stopped it just now
                if camera is not None:  # privacy applies from the next frame, without a restart
                    camera.privacy = row.privacy
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
