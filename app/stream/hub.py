"""The live cameras of this app (one per source), wired to the database: names come from
the gallery, arrivals are written as events. Built lazily on the first viewer; kept by the
app's process state (app/faces/runtime.py), which stops them."""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from flask import Flask, current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..faces import get_state, state
from ..faces.photos import active_pipeline
from ..models import Event, Person, utcnow
from ..recognition.jpeg import to_jpeg
from .camera import LiveCamera
from .recognizer import LiveRecognizer
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
    """Names for embeddings, by the gallery and threshold of the moment."""
    def lookup(embeddings: np.ndarray):
        with app.app_context():
            view = state().gallery_view()
            matches = view.gallery.identify(embeddings, view.threshold, k=1)
            return [(view.name(m.label), m.distance) for m in matches]
    return lookup


def _on_arrival(app: Flask, camera_name: str):
    """Write an event when a track's name (or "unknown") is confirmed by its votes. A known
    person seen again on the same camera within LIVE_ARRIVAL_COOLDOWN_SECONDS is not a new
    arrival (they only stepped out of view)."""
    def record(track, crop: np.ndarray) -> None:
        jpeg = to_jpeg(crop, 85)
        with app.app_context():
            now = utcnow()
            max_age = timedelta(days=app.config["LIVE_EVENTS_MAX_AGE_DAYS"])
            db.session.execute(delete(Event).where(Event.created_at < now - max_age))
            if track.name is not None:
                cooldown = timedelta(seconds=app.config["LIVE_ARRIVAL_COOLDOWN_SECONDS"])
                if db.session.scalar(select(Event.id).where(
                        Event.camera == camera_name, Event.name == track.name,
                        Event.created_at > now - cooldown).limit(1)) is not None:
                    db.session.commit()
                    return
            person_id = None if track.name is None else db.session.scalar(
                select(Person.id).where(Person.name == track.name))
            db.session.add(Event(camera=camera_name, person_id=person_id, name=track.name,
                                 distance=track.distance, thumbnail_jpeg=jpeg))
            db.session.commit()
    return record


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
                max_side=cfg["LIVE_DETECT_SIDE"], on_arrival=_on_arrival(app, spec))
            size = tuple(cfg["LIVE_FRAME_SIZE"])
            samples = Path(cfg["SAMPLES_DIR"])
            camera = LiveCamera(lambda: make_source(spec, samples, size), recognizer,
                                idle_seconds=cfg["LIVE_IDLE_SECONDS"])
            owner.cameras[key] = camera
        return camera


BROWSER_IDLE_SECONDS = 60.0


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
                                        on_arrival=_on_arrival(app, "browser camera"))
        browsers[client] = (t, recognizer)
        return recognizer


def track_face(track_id: int, mode: str, client: str | None):
    """(aligned crop, embedding) of a track in view on the server camera or this browser."""
    if mode == "browser":
        entry = state().browsers.get(client or "")
        return entry[1].face_of(track_id) if entry else None
    camera = get_camera(resolve_source()[0])
    return camera.recognizer.face_of(track_id)
