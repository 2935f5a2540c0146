"""The whole path of a photo: decode -> detect -> align -> encode.

`FacePipeline` is what the web app, the live stream, evaluation and training call. It holds
one detector and one encoder, both loaded lazily and safe to share between threads. Its
steps are public so that nobody re-assembles them: `detect` finds faces, `embed` aligns and
encodes given detections (from `detect`, another detector or a chosen one of several),
`analyze` is both on a whole image.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .align import align_faces
from .decode import decode_image
from .detect import FaceDetector
from .encode import FaceEncoder
from .types import Detection


@dataclass(frozen=True)
class Face:
    """A detected face with its aligned crop and embedding.

    detection: box, score, landmarks in the analysed image's pixels.
    aligned: (160, 160, 3) uint8 RGB. embedding: (128,) float32, unit L2 norm.
    """

    detection: Detection
    aligned: np.ndarray
    embedding: np.ndarray


@dataclass
class Analysis:
    """Result of analysing one image: the faces (largest score first) and stage timings in ms."""

    image: np.ndarray
    faces: list[Face]
    timings_ms: dict[str, float] = field(default_factory=dict)


class FacePipeline:
    """Decode, detect, align and embed faces.

    Args:
        model_dir: converted encoder folder (see weights.py).
        detector: a FaceDetector; defaults to one with min_face_size=min_face_size.
        encoder_variant, flip: see FaceEncoder.
        max_bytes, max_pixels: decode limits.
        min_face_size: smallest face side in pixels that is looked for.
    """

    def __init__(self, model_dir: Path, detector: FaceDetector | None = None,
                 encoder_variant: str = "int8", flip: bool = False,
                 max_bytes: int = 10 * 1024 * 1024, max_pixels: int = 40_000_000,
                 min_face_size: int = 20, num_threads: int = 2):
        self.detector = detector or FaceDetector(min_face_size=min_face_size,
                                                 num_threads=num_threads,
                                                 models_dir=Path(model_dir).parent)
        self.encoder = FaceEncoder(model_dir, variant=encoder_variant, flip=flip,
                                   num_threads=num_threads)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    @property
    def model_name(self) -> str:
        return self.encoder.name

    def warm_up(self) -> None:
        """Load both networks now (for servers: the first request is then not slow)."""
        self.detector.detect(np.zeros((64, 64, 3), np.uint8))
        self.encoder.warm_up()

    def decode(self, data: bytes) -> np.ndarray:
        return decode_image(data, self.max_bytes, self.max_pixels)

    def with_detector(self, detector: FaceDetector) -> FacePipeline:
        """A pipeline that finds faces with `detector` (e.g. one tuned for live video) and
        shares everything else with this one: the encoder (its loaded network) and the limits."""
        other = copy.copy(self)
        other.detector = detector
        return other

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """The faces of an RGB image ((H, W, 3) uint8), highest score first; [] when none."""
        return self.detector.detect(rgb)

    def align(self, rgb: np.ndarray, detections: Sequence[Detection]) -> np.ndarray:
        """The faces under `detections` aligned onto the template: (N, 160, 160, 3) uint8."""
        return align_faces(rgb, [d.landmarks for d in detections])

    def embed(self, rgb: np.ndarray, detections: Sequence[Detection],
              timings_ms: dict[str, float] | None = None) -> list[Face]:
        """Align and encode the faces of `rgb` under `detections` (in that order).

        timings_ms: when given, receives the milliseconds spent, as "align" and "embed".
        """
        t0 = time.perf_counter()
        aligned = self.align(rgb, detections)
        t1 = time.perf_counter()
        embeddings = self.encoder.embed(aligned)
        t2 = time.perf_counter()
        if timings_ms is not None:
            timings_ms.update(align=(t1 - t0) * 1e3, embed=(t2 - t1) * 1e3)
        return [Face(d, a, e) for d, a, e in zip(detections, aligned, embeddings)]

    def analyze(self, rgb: np.ndarray, max_faces: int | None = None) -> Analysis:
        """Find and embed every face of an RGB image ((H, W, 3) uint8).

        max_faces: embed only the highest-scoring faces (the others are dropped).
        A photo with no face gives an Analysis with `faces == []`.
        """
        t0 = time.perf_counter()
        detections = self.detect(rgb)[:max_faces]
        timings = {"detect": (time.perf_counter() - t0) * 1e3}
        faces = self.embed(rgb, detections, timings)
        return Analysis(rgb, faces, timings)

    def analyze_bytes(self, data: bytes, max_faces: int | None = None) -> Analysis:
        """Decode then analyse; raises BadImageError / ImageTooLargeError on bad input."""
        t0 = time.perf_counter()
        rgb = self.decode(data)
        decode_ms = (time.perf_counter() - t0) * 1e3
        analysis = self.analyze(rgb, max_faces)
        analysis.timings_ms = {"decode": decode_ms, **analysis.timings_ms}
        return analysis
