"""FaceNet encoder: aligned 160x160 RGB faces -> L2-normalised 128-D embeddings.

Runs a LiteRT (TFLite) flatbuffer with XNNPACK on the CPU. Two variants are converted from the
same weights: `fp32` and `int8` (dynamic-range quantised weights); docs/BENCHMARKS.md gives their
speed and LFW accuracy.
"""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .manifest import verify_model_dir

EMBEDDING_SIZE = 128
FACE_SIZE = 160


def prewhiten(faces: np.ndarray) -> np.ndarray:
    """Per-image standardisation, as the FaceNet weights were trained with.

    Args: faces (N, 160, 160, 3) uint8 RGB. Returns (N, 160, 160, 3) float32 with zero mean
    and unit variance per image (the std is floored at 1/sqrt(pixels), as in FaceNet).
    """
    x = faces.astype(np.float32)
    axes = (1, 2, 3)
    mean = x.mean(axis=axes, keepdims=True)
    std = np.maximum(x.std(axis=axes, keepdims=True), 1.0 / np.sqrt(x[0].size))
    return ((x - mean) / std).astype(np.float32)


def l2_normalize(v: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length. (N, D) -> (N, D) float32."""
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return (v / np.maximum(norms, 1e-12)).astype(np.float32)


class FaceEncoder:
    """Lazily loaded, thread-safe LiteRT FaceNet.

    Args:
        model_dir: a converted model folder (has model.json and encoder_<variant>.tflite).
        variant: "int8" (default, fastest) or "fp32".
        flip: average each face's embedding with that of its mirror image (costs a second
            inference per face, gains accuracy; see docs/BENCHMARKS.md).
        num_threads: CPU threads for XNNPACK.
    """

    def __init__(self, model_dir: Path, variant: str = "int8", flip: bool = False,
                 num_threads: int = 2):
        if variant not in ("int8", "fp32"):
            raise ValueError("variant must be 'int8' or 'fp32'")
        self.model_dir = Path(model_dir)
        self.variant = variant
        self.flip = flip
        self.num_threads = num_threads
        self._interpreter = None
        self._batch = 0
        self._verified = False
        self._lock = threading.Lock()
        self.name = self.model_dir.name

    def _load(self):
        from ai_edge_litert.interpreter import Interpreter

        self._verify()
        path = self.model_dir / f"encoder_{self.variant}.tflite"
        self._interpreter = Interpreter(model_path=str(path), num_threads=self.num_threads)
        self._input = self._interpreter.get_input_details()[0]["index"]
        self._output = self._interpreter.get_output_details()[0]["index"]

    def _verify(self) -> None:
        if not self._verified:  # hashing the folder takes ~0.5 s: once, not after release()
            verify_model_dir(self.model_dir)
            self._verified = True

    def check(self) -> None:
        """WeightsError unless the model's files are here and whole, without loading it."""
        with self._lock:
            self._verify()

    def _run(self, x: np.ndarray) -> np.ndarray:
        """One inference on (N, 160, 160, 3) float32; caller holds the lock."""
        if self._interpreter is None:
            self._load()
        if len(x) != self._batch:
            # Resizing re-plans XNNPACK (a few ms): only when the batch size changes.
            self._interpreter.resize_tensor_input(self._input, x.shape)
            self._interpreter.allocate_tensors()
            self._batch = len(x)
        self._interpreter.set_tensor(self._input, x)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output).copy()

    def release(self) -> None:
        """Drop the interpreter (~53 MB of weights and working memory, ~85 MB once planned
        for a batch of 16); the next `embed` loads it again (~50 ms, not verified again)."""
        with self._lock:
            self._interpreter, self._batch = None, 0

    def warm_up(self) -> None:
        """Load the model and run it once, so that the first real request is not slow."""
        self.embed(np.zeros((1, FACE_SIZE, FACE_SIZE, 3), np.uint8))

    def embed(self, faces: np.ndarray, batch_size: int = 16) -> np.ndarray:
        """Embed aligned faces.

        Args: faces (N, 160, 160, 3) uint8 RGB, aligned (see align.py).
        Returns: (N, 128) float32, each row of unit L2 norm. N = 0 gives (0, 128).
        """
        if len(faces) == 0:
            return np.zeros((0, EMBEDDING_SIZE), np.float32)
        n = len(faces)
        if self.flip:
            # Face and mirror image in one batch: one call instead of two.
            faces = np.concatenate([faces, faces[:, :, ::-1]], axis=0)
        chunks = []
        with self._lock:
            # Prewhitened batch by batch: float32 copies of every face at once would take
            # 0.3 MB x 3 per face (a photo may have a hundred).
            for start in range(0, len(faces), batch_size):
                chunks.append(self._run(prewhiten(faces[start:start + batch_size])))
        out = np.concatenate(chunks, axis=0)
        if self.flip:
            out = l2_normalize(out[:n]) + l2_normalize(out[n:])
        return l2_normalize(out)
