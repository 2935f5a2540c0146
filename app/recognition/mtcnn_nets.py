"""MTCNN's three networks (PNet, RNet, ONet) from the `mtcnn` package, compiled to LiteRT.

The package runs its Keras networks eagerly, one op at a time, and that overhead
dominates its run time. Here each network is converted (`convert/mtcnn.py`, TensorFlow) to
a LiteRT flatbuffer (same weights, float32) and run with the XNNPACK CPU delegate.
Given a models folder, the flatbuffers are kept there (`_mtcnn-<version>/`, checked by
sha256), so later processes start without importing TensorFlow at all.
"""
from __future__ import annotations

import threading
from importlib.metadata import version
from pathlib import Path

import numpy as np

from .atomic import atomic_replace
from .errors import WeightsError
from .manifest import verify_model_dir, write_manifest

_convert_lock = threading.Lock()  # detectors created in several threads convert only once


def flatbuffers(models_dir: Path | None = None) -> dict[str, bytes]:
    """The package's networks as LiteRT; returns {"pnet"|"rnet"|"onet": flatbuffer}.

    Read from `models_dir/mtcnn-<version>/` when they are there and intact; otherwise
    converted (seconds, once per process) and, with a models_dir, saved there.

    Inputs are normalised RGB, (x - 127.5) / 128, float32, not transposed. Each network
    has a single output, its heads concatenated on the last axis (one output avoids
    relying on how the converter names and orders several):
      pnet: (1, H, W, 3)   -> (1, h, w, 5): box regression (4), face probability
      rnet: (N, 24, 24, 3) -> (N, 5): box regression (4), face probability
      onet: (N, 48, 48, 3) -> (N, 15): box regression (4), landmarks (10) as x1..x5 y1..y5,
                              face probability
    Regression and landmarks are fractions of the input box's size.
    """
    with _convert_lock:
        if models_dir is None:
            return _convert()
        # "_": not an encoder, so `flask faces models` does not list it.
        folder = Path(models_dir) / f"_mtcnn-{version('mtcnn')}"
        try:
            verify_model_dir(folder)
            return {name: (folder / f"{name}.tflite").read_bytes() for name in _NAMES}
        except WeightsError:
            nets = _convert()
            _save(nets, folder)
            return nets


_NAMES = ("pnet", "rnet", "onet")


def _convert() -> dict[str, bytes]:
    # Imported here: only a process without compiled networks imports TensorFlow.
    from .convert.mtcnn import convert_mtcnn

    return convert_mtcnn()


def _save(nets: dict[str, bytes], folder: Path) -> None:
    with atomic_replace(folder) as partial:
        for name, flatbuffer in nets.items():
            (partial / f"{name}.tflite").write_bytes(flatbuffer)
        write_manifest(partial, {"name": folder.name, "base": f"mtcnn=={version('mtcnn')}"})


class CompiledNet:
    """One network in a LiteRT interpreter, for inputs of a varying shape.

    The interpreter is re-planned only when the input shape changes. Not thread-safe:
    callers serialise access.
    """

    def __init__(self, flatbuffer: bytes, num_threads: int):
        from ai_edge_litert.interpreter import Interpreter

        self._interpreter = Interpreter(model_content=flatbuffer, num_threads=num_threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]
        self._shape: tuple[int, ...] | None = None

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """x: float32 input batch; returns the output as a fresh array."""
        if x.shape != self._shape:
            self._interpreter.resize_tensor_input(self._input, x.shape, strict=True)
            self._interpreter.allocate_tensors()
            self._shape = x.shape
        self._interpreter.set_tensor(self._input, x)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output)
