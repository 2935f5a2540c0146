"""One FacePipeline per process, built lazily from the app's config and shared by threads."""
from __future__ import annotations

import threading
from pathlib import Path

from flask import current_app

from .recognition.pipeline import FacePipeline
from .recognition.weights import PRETRAINED, ensure_pretrained

_lock = threading.Lock()
_pipelines: dict[tuple, FacePipeline] = {}


def pipeline_from_config(config, variant: str | None = None, flip: bool | None = None) -> FacePipeline:
    """Build (once per process and settings) the pipeline that the config describes."""
    key = (config["MODELS_DIR"], config.get("ACTIVE_MODEL", PRETRAINED), variant or config["ENCODER_VARIANT"],
           config["ENCODER_FLIP"] if flip is None else flip, config["MIN_FACE_SIZE"])
    with _lock:
        if key not in _pipelines:
            models_dir = Path(config["MODELS_DIR"])
            model_dir = models_dir / config.get("ACTIVE_MODEL", PRETRAINED)
            if not (model_dir / "model.json").exists():
                ensure_pretrained(models_dir, Path(config["SAMPLES_DIR"]))
            _pipelines[key] = FacePipeline(
                model_dir, encoder_variant=key[2], flip=key[3], min_face_size=key[4],
                max_bytes=config["MAX_IMAGE_BYTES"], max_pixels=config["MAX_IMAGE_PIXELS"],
                num_threads=config["NUM_THREADS"])
        return _pipelines[key]


def get_pipeline() -> FacePipeline:
    """The pipeline of the active model (AppState.active_model), so that new embeddings are
    always comparable with the gallery, which holds only that model's embeddings."""
    from .gallery import get_state

    return pipeline_from_config({**current_app.config, "ACTIVE_MODEL": get_state().active_model})


def pipeline_loaded() -> bool:
    """Whether this process has built a pipeline (for /api/health)."""
    return bool(_pipelines)
