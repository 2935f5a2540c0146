"""Configuration classes. Values come from the environment (FACES_*) with safe defaults;
paths default to the Flask instance folder, never the working directory."""
from __future__ import annotations

import os


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")  # None: a random key is kept in instance/
    # Folders; None means "inside the instance folder".
    MODELS_DIR = os.environ.get("FACES_MODELS_DIR")
    SAMPLES_DIR = os.environ.get("FACES_SAMPLES_DIR")
    # Encoder: "int8" (dynamic-range quantised, fastest) or "fp32"; flip averaging on/off.
    ENCODER_VARIANT = os.environ.get("FACES_ENCODER", "int8")
    ENCODER_FLIP = _env_bool("FACES_FLIP", False)
    NUM_THREADS = int(os.environ.get("FACES_THREADS", 2))
    # Pair verification: two photos are one person when their L2 distance is <= this.
    # Calibrated on LFW View 1 training pairs (README, "Accuracy").
    VERIFY_THRESHOLD = _env_float("FACES_VERIFY_THRESHOLD", 1.09)
    # Detection.
    MIN_FACE_SIZE = int(os.environ.get("FACES_MIN_FACE_SIZE", 20))
    # Uploads.
    MAX_IMAGE_BYTES = int(os.environ.get("FACES_MAX_IMAGE_BYTES", 10 * 1024 * 1024))
    MAX_IMAGE_PIXELS = int(os.environ.get("FACES_MAX_IMAGE_PIXELS", 40_000_000))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test"
