"""The one owner of what this process keeps between requests, per app: the face pipelines
(one per model and settings), the gallery cache, the live previews, relays and browser-camera
recognizers, the camera runner and the event bus. `Runtime` is a Flask extension, created unbound in `app.extensions` and bound
in `create_app`; `state()` is the current app's. A model switch frees the other models'
pipelines and cameras; `close()` (app teardown, tests, process exit) frees everything."""
from __future__ import annotations

import atexit
import threading
import weakref
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from ..recognition.budget import ImageBudget
from ..recognition.pipeline import FacePipeline
from ..recognition.weights import PRETRAINED, ensure_pretrained
from .gallery import GalleryCache
from .view import GalleryView


class ProcessState:
    """Everything one app keeps in this process. Thread-safe: `lock` guards the dicts."""

    def __init__(self, app: Flask):
        self.config = app.config
        self.lock = threading.RLock()
        self.pipelines: dict[tuple, FacePipeline] = {}
        self.gallery = GalleryCache()
        # app/library/centres.GroupCentres, made by the library on first use (group_centres).
        self.groups: Any = None
        # app/stream: source -> (model, LiveCamera) of the previews, camera id -> RelayCamera.
        self.previews: dict[str, tuple[str, Any]] = {}
        self.relays: dict[int, Any] = {}
        self.browsers: dict[str, tuple[float, Any]] = {}  # client -> (last seen, LiveRecognizer)
        self.webcams: dict[str, bool] = {}  # webcam index -> whether it opened
        self.model: str | None = None  # the active model last seen
        # One bound on images decoded at once for every pipeline of the process, whatever
        # its model (memory, docs/WEBAPP.md).
        self.budget = ImageBudget(app.config["MAX_CONCURRENT_IMAGES"], app.config["IMAGE_WAIT_SECONDS"])
        # MJPEG responses served at once (app/stream/mjpeg.py): each holds a server thread.
        self.streams = threading.BoundedSemaphore(app.config["STREAMS_PER_WORKER"])
        self.runner: Any = None  # app/stream/runner.CameraRunner: runs or relays the cameras
        self.events: Any = None  # app/events.EventBus: every recognition on its way out

    def gallery_view(self) -> GalleryView:
        """The gallery as the database has it now. When another process switched the
        model, this one's pipelines and cameras of the old model are freed here."""
        view = self.gallery.view()
        if self.model not in (None, view.model):
            self.keep_only_model(view.model)
        self.model = view.model
        return view

    def pipeline(self, model: str = PRETRAINED, variant: str | None = None,
                 flip: bool | None = None) -> FacePipeline:
        """The pipeline of `model` with the configured settings (variant, flip override),
        built on first use and shared by threads."""
        cfg = self.config
        key = (model, variant or cfg["ENCODER_VARIANT"], cfg["ENCODER_FLIP"] if flip is None else flip)
        with self.lock:
            if key not in self.pipelines:
                self.pipelines[key] = build_pipeline(cfg, *key, budget=self.budget)
            return self.pipelines[key]

    def keep_only_model(self, model: str) -> None:
        """After a model switch: drop the other models' pipelines and stop their cameras
        (embeddings of two models are never compared)."""
        with self.lock:
            for key in [k for k in self.pipelines if k[0] != model]:
                del self.pipelines[key]
            # Relays carry the camera process's frames: it restarts its own cameras.
            for spec in [s for s, (m, _) in self.previews.items() if m != model]:
                self.previews.pop(spec)[1].stop()
            self.browsers.clear()

    def close(self) -> None:
        """Stop every camera (their sources are released), the camera runner (its lock
        goes to another process), the event senders, and drop every model."""
        with self.lock:
            runner, self.runner = self.runner, None
        if runner is not None:
            runner.close()
        with self.lock:
            events, self.events = self.events, None
        if events is not None:
            events.close()
        with self.lock:
            for camera in [c for _, c in self.previews.values()] + list(self.relays.values()):
                camera.stop()
            self.previews.clear()
            self.relays.clear()
            self.browsers.clear()
            self.pipelines.clear()
            self.gallery.clear()
            self.groups = None


def build_pipeline(cfg, model: str, variant: str, flip: bool,
                   budget: ImageBudget | None = None) -> FacePipeline:
    """A FacePipeline for `model` from the app's config (the pretrained model is fetched
    and converted first if this machine has not done it yet)."""
    models_dir = Path(cfg["MODELS_DIR"])
    model_dir = models_dir / model
    if not (model_dir / "model.json").exists():
        ensure_pretrained(models_dir, Path(cfg["SAMPLES_DIR"]))
    return FacePipeline(model_dir, encoder_variant=variant, flip=flip,
                        min_face_size=cfg["MIN_FACE_SIZE"], max_bytes=cfg["MAX_IMAGE_BYTES"],
                        max_pixels=cfg["MAX_IMAGE_PIXELS"], num_threads=cfg["NUM_THREADS"],
                        max_side=cfg["MAX_DECODE_SIDE"], detect_max_side=cfg["DETECT_MAX_SIDE"],
                        max_faces=cfg["MAX_FACES_PER_IMAGE"],
                        budget=budget)


def _close_if_alive(ref: weakref.ref) -> None:
    if (owner := ref()) is not None:
        owner.close()


class Runtime:
    """Flask extension: `runtime.init_app(app)` gives the app its ProcessState."""

    def init_app(self, app: Flask) -> None:
        owner = ProcessState(app)
        app.extensions["faces"] = owner
        # Camera threads must release their sources when the process ends; a weak
        # reference, so that an app that is dropped (tests) is not kept alive by it.
        atexit.register(_close_if_alive, weakref.ref(owner))


def state() -> ProcessState:
    """The current app's process state."""
    return current_app.extensions["faces"]


runtime = Runtime()
