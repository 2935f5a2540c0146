"""Write a trained encoder as a model folder the app loads like the pretrained one."""
from __future__ import annotations

from pathlib import Path

import keras

from app.recognition.convert.tflite_export import write_model_folder


def save_model_folder(model: keras.Model, model_dir: Path, meta: dict) -> Path:
    """Save `model` ((N, 160, 160, 3) prewhitened float32 -> (N, 128)) into `model_dir`:
    encoder.keras, encoder_fp32.tflite, encoder_int8.tflite and model.json (with `meta`,
    the creation time and each file's sha256). Written beside and renamed into place, so a
    half-written folder never looks like a model; an existing folder is never replaced.
    """
    model_dir = Path(model_dir)
    if model_dir.exists():
        raise FileExistsError(f"{model_dir} exists; choose another --name")
    return write_model_folder(model, model_dir, {"name": model_dir.name, "embedding_size": 128,
                                                 "input_size": 160, **meta}, replace=False)
