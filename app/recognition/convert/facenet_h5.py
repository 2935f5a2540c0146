"""Rebuild the Keras 2.1 FaceNet h5 (Inception-ResNet-v1, 128-D) as a Keras 3 model.

The h5 cannot be loaded by Keras 3 directly: its `Lambda` layers hold marshalled Python 3.6
bytecode. Each of them computes `inputs[0] + inputs[1] * scale`, so the graph is rebuilt from
the h5's JSON config with `ScaleSum` in their place and the weights are set by layer name.
"""
from __future__ import annotations

import json
from pathlib import Path

import h5py
import keras
import numpy as np


@keras.saving.register_keras_serializable(package="facerec")
class ScaleSum(keras.layers.Layer):
    """Residual sum of Inception-ResNet blocks: `inputs[0] + inputs[1] * scale`."""

    def __init__(self, scale: float, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def _conv2d(c):
    return keras.layers.Conv2D(
        c["filters"], tuple(c["kernel_size"]), strides=tuple(c["strides"]),
        padding=c["padding"], activation=c["activation"], use_bias=c["use_bias"], name=c["name"])


def _batchnorm(c):
    return keras.layers.BatchNormalization(
        axis=c["axis"], momentum=c["momentum"], epsilon=c["epsilon"],
        center=c["center"], scale=c["scale"], name=c["name"])


_BUILDERS = {
    "Conv2D": _conv2d,
    "BatchNormalization": _batchnorm,
    "Activation": lambda c: keras.layers.Activation(c["activation"], name=c["name"]),
    "Concatenate": lambda c: keras.layers.Concatenate(axis=c["axis"], name=c["name"]),
    "MaxPooling2D": lambda c: keras.layers.MaxPooling2D(
        tuple(c["pool_size"]), strides=tuple(c["strides"]), padding=c["padding"], name=c["name"]),
    "GlobalAveragePooling2D": lambda c: keras.layers.GlobalAveragePooling2D(name=c["name"]),
    "Dropout": lambda c: keras.layers.Dropout(c["rate"], name=c["name"]),
    "Dense": lambda c: keras.layers.Dense(
        c["units"], activation=c["activation"], use_bias=c["use_bias"], name=c["name"]),
    "Lambda": lambda c: ScaleSum(c["arguments"]["scale"], name=c["name"]),
}


def _build_graph(config: dict) -> keras.Model:
    tensors = {}
    for layer in config["layers"]:
        cls, c = layer["class_name"], layer["config"]
        if cls == "InputLayer":
            tensors[layer["name"]] = keras.Input(shape=tuple(c["batch_input_shape"][1:]), name=c["name"])
            continue
        if cls not in _BUILDERS:
            raise ValueError(f"unexpected layer type {cls} in the FaceNet h5")
        inbound = [tensors[name] for name, *_ in layer["inbound_nodes"][0]]
        tensors[layer["name"]] = _BUILDERS[cls](c)(inbound if len(inbound) > 1 else inbound[0])
    inputs = [tensors[name] for name, *_ in config["input_layers"]]
    outputs = [tensors[name] for name, *_ in config["output_layers"]]
    return keras.Model(inputs[0], outputs[0], name="facenet")


def _load_weights(model: keras.Model, h5: h5py.File) -> None:
    group = h5["model_weights"]
    for layer in model.layers:
        if not layer.weights:
            continue
        g = group[layer.name]
        names = [n.decode() for n in g.attrs["weight_names"]]
        values = [np.asarray(g[n]) for n in names]
        layer.set_weights(values)


def load_facenet_h5(path: Path) -> keras.Model:
    """Build the Keras 3 FaceNet from the h5 at `path` and load its weights.

    Returns a model mapping (N, 160, 160, 3) float32 prewhitened faces to (N, 128)
    float32 embeddings (not yet L2-normalised).
    """
    with h5py.File(path, "r") as h5:
        config = json.loads(h5.attrs["model_config"])["config"]
        model = _build_graph(config)
        _load_weights(model, h5)
    return model
