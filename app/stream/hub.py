"""The live cameras of this app (one per source), wired to the database: names come from
the gallery, arrivals are written as events. Built lazily on the first viewer; kept by the
app's process state (app/faces/runtime.py), which stops them."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
from flask import Flask, current_app
from sqlalchemy import select

log = logging.getLogger(__name__)
from ..events import get_bus
from ..extensions import db
from ..faces import get_state, state
from ..faces.photos import active_pipeline
from ..faces.recognize import held_to_quality
from ..models import Camera
from .budget import RecognitionBudget
from .cameras import first_camera, list_cameras
from .camera import LiveCamera
from .recognizer import LiveRecognizer
from .relay import RelayCamera
from .runner import CameraRunner, ask, runner_paths
from .sources import SourceError, VideoSource, make_source


def webcam_available(index: str = "0") -> bool:
    """Whether a webcam opens here (checked once per process: opening one takes time)."""
    known = state().webcams
    if index not in known:
        source = VideoSource(int(index))
        try:
            source.open()
            known[index] = True
        except SourceError:
            known[index] = False
        finally:
            source.close()
    return known[index]


def resolve_source(configured: str | None = None) -> tuple[str, str]:
    """(source spec, note for the page). `auto` means the first webcam, or `demo` when no
    webcam opens on this machine."""
    spec = configured or get_state().camera_source or current_app.config["CAMERA_SOURCE"]
    if spec == "auto":
        if webcam_available("0"):
            return "0", ""
        return "demo", ("No webcam was found on the server, so the demo camera is shown "
                        "(people from the sample photos coming and going).")
    return spec, ""


def _lookup(app: Flask):
    """Names for embeddings, by the gallery and threshold of the moment, each held to its
    face's quality (a face too poor to name says why)."""
    def lookup(embeddings: np.ndarray, conditions: list):
        with app.app_context():
            view = state().gallery_view()
            held = [held_to_quality(m, c) for m, c in zip(view.identify(embeddings, k=1), conditions)]
            return [(view.name(m.label), m.distance, reason) for m, reason in held]
    return lookup


def _to_bus(app: Flask, camera: dict) -> dict:
    """A recognizer's callbacks, each handing its arguments to the app's event bus:
    on_arrival (a track's name or "unknown" confirmed by its votes, with the aligned crop:
    unknown faces become events there; a known person's visit starts in `cycle`, where one
    visit gives one arrival however many tracks it takes), on_cycle (the tracks seen in a
    recognition cycle: arrivals, departures) and on_track_end (a track left the view)."""
    def call(method: str):
        def handler(*args) -> None:
            with app.app_context():
                bus = get_bus()
            getattr(bus, method)(camera, *args)
        return handler
    return {"on_arrival": call("track_confirmed"), "on_cycle": call("cycle"),
            "on_track_end": call("track_ended")}


def get_camera(spec: str) -> LiveCamera:
    """The shared camera for a source spec, created on first use (inside a request)."""
    pipeline = active_pipeline()
    # Keyed by model too: after a model switch, embeddings of the old one must not be
    # compared with the new gallery (the owner stops the old model's cameras).
    key = f"{spec}|{pipeline.model_name}"
    owner = state()
    with owner.lock:
        camera = owner.cameras.get(key)
        if camera is None:
            app = current_app._get_current_object()
            cfg = app.config
            recognizer = LiveRecognizer(
                pipeline, _lookup(app), min_face_size=cfg["LIVE_MIN_FACE_SIZE"],
                max_side=cfg["LIVE_DETECT_SIDE"], **_to_bus(app, PREVIEW))
            size = tuple(cfg["LIVE_FRAME_SIZE"])
            samples = Path(cfg["SAMPLES_DIR"])
            camera = LiveCamera(lambda: make_source(spec, samples, size), recognizer,
                                idle_seconds=cfg["LIVE_IDLE_SECONDS"])
            owner.cameras[key] = camera
        return camera


BROWSER_IDLE_SECONDS = 60.0
# Event sources that are not rows of the camera table (id 0: no camera).
BROWSER = {"id": 0, "name": "browser camera"}
PREVIEW = {"id": -1, "name": "preview"}


def now() -> float:
    return time.monotonic()


def browser_recognizer(client: str) -> LiveRecognizer:
    """The recognizer (own tracker) of one browser sending its camera's frames; those idle
    for a minute are dropped."""
    app = current_app._get_current_object()
    t, pipeline, browsers = now(), active_pipeline(), state().browsers
    with state().lock:
        for key in [k for k, (seen, _) in browsers.items() if t - seen > BROWSER_IDLE_SECONDS]:
            del browsers[key]
        recognizer = browsers.get(client, (t, None))[1]
        if recognizer is None or recognizer.encoder is not pipeline.encoder:
            recognizer = LiveRecognizer(pipeline, _lookup(app),
                                        min_face_size=app.config["LIVE_MIN_FACE_SIZE"],
                                        max_side=app.config["LIVE_DETECT_SIDE"],
                                        **_to_bus(app, BROWSER))
        browsers[client] = (t, recognizer)
        return recognizer


def track_face(track_id: int, mode: str, client: str | None, camera_id: int | None = None):
    """(aligned crop, embedding) of a track in view on a camera (the first one by default)
    or this browser."""
    if mode == "browser":
        entry = state().browsers.get(client or "")
        return entry[1].face_of(track_id) if entry else None
    if camera_id is None:
        first = first_camera()
        camera_id = first.id if first else 0
    return camera_runner().face(camera_id, track_id)


# --- The camera runner: every enabled camera once per database --------------------------

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
    with app.app_context():
        bus = get_bus()
    for camera_id in list(bus_camera_ids(bus)):
        bus.forget_camera(camera_id)
    bus.close()


def bus_camera_ids(bus) -> set[int]:
    with bus.lock:
        return {key[0] for key in bus.visits}


def _sync(app: Flask):
    """The runner's round: start, restart (settings or model changed) and stop cameras so
    that exactly the enabled rows run; keep the MQTT discovery in step with the people."""
    keys: dict[int, tuple] = {}

    def sync(runner: CameraRunner) -> None:
        with app.app_context():
            from .cameras import ensure_first_camera
            ensure_first_camera()
            rows = {c.id: c for c in db.session.scalars(select(Camera).where(Camera.enabled))}
            pipeline = active_pipeline()
            bus = get_bus()
            bus.start()
            if runner.budget is None:
                runner.budget = RecognitionBudget(app.config["CAMERAS_RECOGNITION_THREADS"])
            budget = runner.budget
            for camera_id in list(runner.cameras):
                row = rows.get(camera_id)
                if row is None or keys.get(camera_id) != (row.settings(), row.name, pipeline.model_name):
                    runner.cameras.pop(camera_id).stop()
                    keys.pop(camera_id, None)
                    bus.forget_camera(camera_id)
            for camera_id, row in rows.items():
                if camera_id not in runner.cameras:
                    runner.cameras[camera_id] = _build(app, row, pipeline, budget)
                    keys[camera_id] = (row.settings(), row.name, pipeline.model_name)
            db.session.rollback()  # end the read transaction: SQLite writers are not held
        if bus.mqtt is not None:
            bus.mqtt.sync_people()
    return sync


def _build(app: Flask, row: Camera, pipeline, budget) -> LiveCamera:
    cfg = app.config
    info = {"id": row.id, "name": row.name}
    recognizer = LiveRecognizer(pipeline, _lookup(app), min_face_size=row.min_face,
                                max_side=row.detect_side, ignore_region=row.region,
                                best_crops=cfg["SIGHTINGS_PER_TRACK"], **_to_bus(app, info))
    size, samples, spec = tuple(cfg["LIVE_FRAME_SIZE"]), Path(cfg["SAMPLES_DIR"]), row.source
    if spec == "auto":  # resolved here, in the app's context: the first webcam, else the demo
        spec = "0" if webcam_available("0") else "demo"
    variant = row.id - 1  # each camera's demo shows other people at other times
    camera = LiveCamera(lambda: make_source(spec, samples, size, variant), recognizer,
                        idle_seconds=None, budget=budget)
    camera.max_rate = row.recognition_fps
    camera.touch()  # start now: arrivals and events do not wait for a viewer
    log.info("camera %d (%s) started on %s", row.id, row.name, spec)
    return camera


def camera_feed(camera_id: int):
    """What a viewer of this process reads: the camera itself in the process that runs it,
    else this process's relay of it (one per camera, shared by its viewers)."""
    runner = camera_runner()
    local = runner.cameras.get(camera_id) if runner.holding else None
    if local is not None:
        return local
    key = f"relay:{camera_id}"
    owner = state()
    with owner.lock:
        relay = owner.cameras.get(key)
        if relay is None or relay._closed or relay.missing:
            relay = owner.cameras[key] = RelayCamera(
                runner.socket_path, camera_id, current_app.config["LIVE_IDLE_SECONDS"])
        return relay


def runner_status(start: bool = True) -> dict:
    """{camera id (str): status} from the process that runs the cameras; `start=False`
    (the CLI) asks without starting a runner in this process."""
    if start:
        return camera_runner().status()
    owner = state()
    if owner.runner is not None:
        return owner.runner.status()
    app = current_app
    _, sock = runner_paths(app.instance_path, str(app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        return json.loads(ask(sock, "status"))
    except (OSError, ValueError):
        return {}


def cameras_status(rows: list[Camera], start: bool = True) -> list[dict]:
    """Each camera's row with its state in the runner: running (live), reconnecting,
    failed (with the reason), disabled or waiting (no runner yet); fps in and out, the
    recognition time and rate, how often its source was opened, the tracks in view."""
    live = runner_status(start)
    out = []
    for row in rows:
        s = live.get(str(row.id))
        if not row.enabled:
            run = {"state": "disabled", "message": ""}
        elif s is None:
            run = {"state": "waiting", "message": "No process runs the cameras yet; they start "
                   "within seconds of the server."}
        else:
            run = {"state": "running" if s["state"] == "live" else s["state"],
                   "message": s["message"], "fps_in": s["fps_in"], "fps_out": s["fps_out"],
                   "recognition_ms": s["recognition_latency_ms"],
                   "detect_fps": s.get("recognition_fps"), "opened": s["opened"],
                   "frame_size": s["frame_size"], "tracks": s["tracks"]}
        out.append({**row.to_dict(), **run})
    return out


def camera_for(spec: str | None) -> int | None:
    """The camera (row id) that shows `spec` (None: the first camera); None when no camera
    row has that source (then it is a preview in this worker, stopped when idle)."""
    first = first_camera()
    if spec is None:
        return first.id if first else None
    for row in list_cameras():
        if row.enabled and (row.source == spec or
                            (row.source == "auto" and resolve_source("auto")[0] == spec)):
            return row.id
    return None
