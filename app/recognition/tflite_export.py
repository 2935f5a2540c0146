"""Export a Keras encoder to a LiteRT (TFLite) flatbuffer for fast CPU inference."""
from __future__ import annotations

import contextlib
import io
from pathlib import Path

import tensorflow as tf


def export_tflite(model, path: Path, quantize: bool = False) -> Path:
    """Write `model` ((N, 160, 160, 3) float32 -> (N, D)) as a flatbuffer at `path`.

    quantize: dynamic-range quantisation (int8 weights, float activations); about 2x
    faster on CPU with XNNPACK, the accuracy cost is measured on LFW (see README).
    """
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    # The converter prints every captured variable of the intermediate SavedModel.
    with contextlib.redirect_stdout(io.StringIO()):
        flatbuffer = converter.convert()
    Path(path).write_bytes(flatbuffer)
    return Path(path)
