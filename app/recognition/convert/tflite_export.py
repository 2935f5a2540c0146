"""Export a Keras encoder to LiteRT (TFLite) flatbuffers for fast CPU inference, and write
the model folder the app loads (the pretrained encoder's and trained ones)."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import tensorflow as tf

from ..atomic import atomic_replace
from ..manifest import write_manifest


def export_tflite(model, path: Path, quantize: bool = False) -> Path:
    """Write `model` ((N, 160, 160, 3) float32 -> (N, D)) as a flatbuffer at `path`.

    quantize: dynamic-range quantisation (int8 weights, float activations); about 2x
    faster on CPU with XNNPACK, the accuracy cost is measured on LFW (docs/BENCHMARKS.md).
    """
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    # The converter prints every captured variable of the intermediate SavedModel.
    with contextlib.redirect_stdout(io.StringIO()):
        flatbuffer = converter.convert()
    Path(path).write_bytes(flatbuffer)
    return Path(path)


def save_encoder_files(model, folder: Path) -> None:
    """The files of a model folder: encoder.keras (for training), encoder_fp32.tflite and
    encoder_int8.tflite (for the app). model.json is written after them (write_model_folder)."""
    folder = Path(folder)
    model.save(folder / "encoder.keras")
    export_tflite(model, folder / "encoder_fp32.tflite", quantize=False)
    export_tflite(model, folder / "encoder_int8.tflite", quantize=True)


def write_model_folder(model, folder: Path, meta: dict, replace: bool = True) -> Path:
    """Save `model` ((N, 160, 160, 3) prewhitened float32 -> (N, 128)) as a model folder:
    the encoder files and model.json (`meta`, the creation time and each file's sha256).
    Written beside and renamed into place, so a half-written folder never looks like a
    model. replace: whether an existing folder is replaced (else FileExistsError)."""
    with atomic_replace(folder, replace=replace) as partial:
        save_encoder_files(model, partial)
        write_manifest(partial, meta)
    return Path(folder)
