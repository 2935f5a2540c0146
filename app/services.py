"""One FacePipeline per process, built lazily from the app's config and shared by threads."""
from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from .recognition.budget import shared_budget
from .recognition.pipeline import FacePipeline
from .recognition.weights import PRETRAINED, ensure_pretrained

_lock = threading.Lock()
_pipelines: dict[tuple, FacePipeline] = {}


def pipeline_settings(config) -> dict:
    """FacePipeline's keyword arguments (but the budget) from the config's limits."""
    return {"min_face_size": config["MIN_FACE_SIZE"], "max_bytes": config["MAX_IMAGE_BYTES"],
            "max_pixels": config["MAX_IMAGE_PIXELS"],
            "max_side": config["MAX_DECODE_SIDE"], "detect_max_side": config["DETECT_MAX_SIDE"],
            "max_faces": config["MAX_FACES_PER_IMAGE"],
            "num_threads": config["NUM_THREADS"]}


def pipeline_from_config(config, variant: str | None = None, flip: bool | None = None) -> FacePipeline:
    """Build (once per process and settings) the pipeline that the config describes.

    Every pipeline of the process shares one budget (MAX_CONCURRENT_IMAGES images decoded
    and analysed at once, IMAGE_WAIT_SECONDS to wait for a turn), whatever its model."""
    settings = pipeline_settings(config)
    slots, wait = config["MAX_CONCURRENT_IMAGES"], config["IMAGE_WAIT_SECONDS"]
    key = (config["MODELS_DIR"], config.get("ACTIVE_MODEL", PRETRAINED), variant or config["ENCODER_VARIANT"],
           config["ENCODER_FLIP"] if flip is None else flip, slots, wait, *sorted(settings.items()))
    with _lock:
        if key not in _pipelines:
            models_dir = Path(config["MODELS_DIR"])
            model_dir = models_dir / config.get("ACTIVE_MODEL", PRETRAINED)
            if not (model_dir / "model.json").exists():
                ensure_pretrained(models_dir, Path(config["SAMPLES_DIR"]))
            _pipelines[key] = FacePipeline(model_dir, encoder_variant=key[2], flip=key[3],
                                           budget=shared_budget(slots, wait), **settings)
        return _pipelines[key]


def get_pipeline() -> FacePipeline:
    """The pipeline of the active model (AppState.active_model), so that new embeddings are
    always comparable with the gallery, which holds only that model's embeddings."""
    from .gallery import get_state

    return pipeline_from_config({**current_app.config, "ACTIVE_MODEL": get_state().active_model})


def pipeline_loaded() -> bool:
    """Whether this process has built a pipeline (for /api/health)."""
    return bool(_pipelines)
