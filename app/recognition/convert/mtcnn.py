"""The `mtcnn` package's three networks (its Keras models and weights) -> LiteRT flatbuffers.

What the flatbuffers compute is described in `mtcnn_nets.flatbuffers`, which keeps them.
"""
from __future__ import annotations

import functools
import logging
import time

from ..errors import WeightsError

log = logging.getLogger(__name__)


@functools.cache
def convert_mtcnn() -> dict[str, bytes]:
    """{"pnet"|"rnet"|"onet": flatbuffer}, converted once per process (seconds).

    Raises WeightsError when the package or TensorFlow cannot produce them.
    """
    started = time.perf_counter()
    try:
        from mtcnn.network.onet import ONet
        from mtcnn.network.pnet import PNet
        from mtcnn.network.rnet import RNet

        result = {
            "pnet": _convert(PNet, "pnet.lz4", [1, None, None, 3]),
            "rnet": _convert(RNet, "rnet.lz4", [None, 24, 24, 3]),
            "onet": _convert(ONet, "onet.lz4", [None, 48, 48, 3]),
        }
    except Exception as exc:  # any failure here means the detector cannot work at all
        raise WeightsError("The face detector's networks could not be loaded; "
                           "check that the mtcnn package is installed intact.") from exc
    log.info("MTCNN networks converted to LiteRT in %.1f s", time.perf_counter() - started)
    return result


def _convert(net_class, weights: str, input_shape: list) -> bytes:
    """One network with the package's weights, its heads concatenated into one output."""
    import tensorflow as tf
    from mtcnn.utils.tensorflow import load_weights
    from tensorflow.python.framework.convert_to_constants import (
        convert_variables_to_constants_v2)

    model = net_class()
    model.build()
    model.set_weights(load_weights(weights))

    def serve(x):
        *heads, softmax = model(x)
        # Only the "face" column of the softmax is used downstream.
        return tf.concat([*heads, softmax[..., 1:]], axis=-1)

    fn = tf.function(serve, input_signature=[tf.TensorSpec(input_shape, tf.float32)])
    # Freeze explicitly: left as resource variables, the Keras 3 weights become
    # READ_VARIABLE ops that LiteRT cannot resolve (NaN or a failed invoke).
    frozen = convert_variables_to_constants_v2(fn.get_concrete_function())
    return tf.lite.TFLiteConverter.from_concrete_functions([frozen], model).convert()
