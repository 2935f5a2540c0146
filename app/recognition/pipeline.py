"""The whole path of a photo: decode -> detect -> align -> encode.

`FacePipeline` is what the web app, the live stream, evaluation and training call. It holds
one detector and one encoder, both loaded lazily and safe to share between threads. Its
steps are public so that nobody re-assembles them: `detect` finds faces, `embed` aligns and
encodes given detections (from `detect`, another detector or a chosen one of several),
`analyze` is both on a whole image.
"""
from __future__ import annotations

import contextlib
import copy
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np

from .align import align_face, align_faces
from .budget import ImageBudget, give_back_memory, memory_given_back
from .calibration import upscaled
from .decode import (DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE, decode_cost,
                     decode_image)
from .detect import FaceDetector
from .encode import FaceEncoder
from .lowlight import LIFTED_PX, denoised, face_lifted, for_recognition
from .quality import FaceConditions, conditions_of
from .select import side
from .types import Detection

# Faces are looked for on a copy whose longer side is at most this (pixels); their
# landmarks are mapped back and each face is aligned from the decoded image itself, so
# its crop keeps every pixel. 1600 finds faces of 12 px on the copy: 30 px in a 12 MP
# phone photo (4032 px wide), 45 px in a 24 MP one, while detection takes ~0.3 s and the
# detector's memory stays bounded (docs/WEBAPP.md, "Memory"). 640x480 frames, LFW and
# most web photos are smaller and detected as they are.
DEFAULT_DETECT_MAX_SIDE = 1600
# Faces analysed per image at most (the highest-scoring): each costs ~5 ms and 0.4 MB
# while embedded; a class photo has a few dozen, a mosaic of tiny faces thousands.
DEFAULT_MAX_FACES = 100
# Before an upload whose decoding holds more memory than this at once (decode_cost: a
# photo larger than about 2400x1700, 4 bytes a pixel; JPEGs count as decoded reduced, at
# most 4096 px) the interpreters planned for earlier images are dropped and the memory
# freed is given back: a worker that has seen a photo of a crowd keeps ~150 MB of them
# (the encoder planned for 16 faces, PNet for other shapes), and a large upload costs
# 150-200 MB more while decoded and detected, so it would peak far higher than in a fresh
# worker. They are planned again in ~0.1 s, small next to the second such an upload takes
# (docs/WEBAPP.md, "Bounded work per upload and memory").
LARGE_DECODE_BYTES = 16_000_000
# After an upload with more faces than this (one batch of the encoder: a crowd), what the
# detector and the encoder planned for it is dropped too, so that the next upload starts
# from a warm worker's memory: a class photo of 64 faces peaked at 388 MB after two
# crowds, 319 MB in a fresh worker (scripts/bench_memory_api.py --sequence, issue 18).
CROWD_FACES = 16


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
        max_bytes, max_pixels, max_side: decode limits (see decode_image).
        min_face_size: smallest face side in pixels that is looked for.
        detect_max_side: the default detector looks for faces on a copy whose longer side
            is at most this many pixels (None: on the image itself).
        max_faces: faces analysed per image at most, the highest-scoring.
        budget: bounds how many images analyze_bytes decodes and analyses at once (shared
            by the pipelines of a process; BusyError when none frees up); None: no bound.
    """

    def __init__(self, model_dir: Path, detector: FaceDetector | None = None,
                 encoder_variant: str = "int8", flip: bool = False,
                 max_bytes: int = DEFAULT_MAX_BYTES, max_pixels: int = DEFAULT_MAX_PIXELS,
                 min_face_size: int = 20, num_threads: int = 2,
                 max_side: int = DEFAULT_MAX_SIDE,
                 detect_max_side: int | None = DEFAULT_DETECT_MAX_SIDE,
                 max_faces: int = DEFAULT_MAX_FACES, budget: ImageBudget | None = None):
        self.detector = detector or FaceDetector(min_face_size=min_face_size,
                                                 max_side=detect_max_side,
                                                 num_threads=num_threads,
                                                 models_dir=Path(model_dir).parent)
        self.encoder = FaceEncoder(model_dir, variant=encoder_variant, flip=flip,
                                   num_threads=num_threads)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.max_side = max_side
        self.max_faces = max_faces
        self.budget = budget

    @property
    def model_name(self) -> str:
        return self.encoder.name

    def warm_up(self) -> None:
        """Load both networks now (for servers: the first request is then not slow)."""
        self.detector.detect(np.zeros((64, 64, 3), np.uint8))
        self.encoder.warm_up()

    def release_memory(self) -> None:
        """Drop the detector's and the encoder's interpreters (planned again on next use)
        and give the memory freed to the system."""
        self.detector.release()
        self.encoder.release()
        give_back_memory()

    def decode(self, data: bytes) -> np.ndarray:
        """Image bytes -> (H, W, 3) uint8 RGB within this pipeline's limits."""
        return decode_image(data, self.max_bytes, self.max_pixels, self.max_side)

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
        return self._encoded(detections, self.align(rgb, detections), t0, timings_ms)

    def _encoded(self, detections: Sequence[Detection], aligned: np.ndarray, t0: float,
                 timings_ms: dict[str, float] | None) -> list[Face]:
        """Faces of `detections` and their (N, 160, 160, 3) `aligned` crops, encoded; t0: when
        the alignment began (time.perf_counter), for timings_ms."""
        t1 = time.perf_counter()
        embeddings = self.encoder.embed(aligned)
        t2 = time.perf_counter()
        if timings_ms is not None:
            timings_ms.update(align=(t1 - t0) * 1e3, embed=(t2 - t1) * 1e3)
        return [Face(d, a, e) for d, a, e in zip(detections, aligned, embeddings)]

    def embed_lifted(self, rgb: np.ndarray, work: np.ndarray, detections: Sequence[Detection],
                     timings_ms: dict[str, float] | None = None) -> list[Face]:
        """embed() for the faces found in `work`, the lifted copy of a dark frame `rgb`
        (lowlight.for_recognition; `work is rgb` for any other frame): faces of
        lowlight.LIFTED_PX or more are aligned from the denoised frame, stretched but never
        so far that the face clips (lowlight.face_lifted), smaller ones from the frame as it
        is."""
        if work is rgb or not detections:
            return self.embed(rgb, detections, timings_ms)
        t0 = time.perf_counter()
        smooth = denoised(rgb)
        aligned = np.concatenate([self.align(face_lifted(smooth, d.box) if side(d) >= LIFTED_PX
                                             else rgb, [d]) for d in detections])
        return self._encoded(detections, aligned, t0, timings_ms)

    def embed_bicubic(self, rgb: np.ndarray, face: Face) -> Face:
        """`face` of `rgb` aligned again with bicubic interpolation and embedded (one more
        encoder run, ~10 ms): for a small face upscaled 5-10x onto the 160 px crop, linear
        interpolation's staircase costs the encoder (docs/CAMERAS.md)."""
        aligned = align_face(rgb, face.detection.landmarks, interpolation=cv2.INTER_CUBIC)
        return replace(face, aligned=aligned, embedding=self.encoder.embed(aligned[None])[0])

    def as_verified(self, rgb: np.ndarray, face: Face) -> tuple[Face, FaceConditions]:
        """`face` of `rgb` as verify compares it, and its conditions: a small colour face
        (calibration.upscaled) aligned again bicubic; the conditions stay those of the
        plain crop, as they were calibrated. The API and bench_conditions both use this."""
        conditions = conditions_of(face.detection, face.aligned)
        return (self.embed_bicubic(rgb, face) if upscaled(conditions) else face), conditions

    def analyze(self, rgb: np.ndarray, max_faces: int | None = None) -> Analysis:
        """Find and embed every face of an RGB image ((H, W, 3) uint8).

        max_faces: embed only the highest-scoring faces (the others are dropped); None:
            the pipeline's max_faces.
        A photo with no face gives an Analysis with `faces == []`. A dark frame's faces are
        found in its denoised, equalised copy (lowlight.py; see embed_lifted).
        """
        t0 = time.perf_counter()
        work = for_recognition(rgb)
        detections = self.detect(work)[:self.max_faces if max_faces is None else max_faces]
        timings = {"detect": (time.perf_counter() - t0) * 1e3}
        faces = self.embed_lifted(rgb, work, detections, timings)
        return Analysis(rgb, faces, timings)

    def analyze_bytes(self, data: bytes, max_faces: int | None = None) -> Analysis:
        """Decode then analyse; raises BadImageError / ImageTooLargeError on bad input,
        BusyError when the budget has no slot free in time."""
        with self.budget.slot() if self.budget else contextlib.nullcontext(), memory_given_back():
            t0 = time.perf_counter()
            large = decode_cost(data, self.max_pixels, self.max_side) > LARGE_DECODE_BYTES
            if large:
                self.release_memory()
            rgb = self.decode(data)
            if large:
                give_back_memory()  # the decoder's full-size pixels, freed by now
            decode_ms = (time.perf_counter() - t0) * 1e3
            analysis = self.analyze(rgb, max_faces)
            if len(analysis.faces) > CROWD_FACES:
                self.release_memory()
        analysis.timings_ms = {"decode": decode_ms, **analysis.timings_ms}
        return analysis
