"""The decision rules bench_conditions scores: the product's own (`current_rules`) and the
release before issue 19 (`baseline_rules`), so both can be measured on the same cache."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from app.config import Config
from app.faces.recognize import MAIN_FACE
from scripts.reference_gallery import Gallery
from app.recognition.calibration import identify_offset, too_poor, verify_threshold
from app.recognition.quality import GREY_SPREAD, FaceConditions
from app.recognition.select import select_face
from app.recognition.types import Detection


@dataclass
class Rules:
    """main_face: (k, 4) boxes, (k,) scores -> the index of the face verify compares.
    greyscale: (N,) channel spreads -> (N,) bool. grey_gallery: grey frames are compared
    with grey embeddings of the enrolled photos. verify_same: distances, px, sharpness,
    greyscale (all (N,)), the frames' JPEG quality (or None) -> (N,) bool. grey_verify: verify compares a grey frame's face with
    the other photo's face made grey. named: the gallery, (1, P) person distances, the
    qualities, greyscale, the row -> the person's column or None. bicubic: verify compares
    small colour faces aligned again with bicubic interpolation (Frames.verify_embeddings)."""

    main_face: Callable
    greyscale: Callable
    grey_gallery: bool
    grey_verify: bool
    verify_same: Callable
    named: Callable
    bicubic: bool = True


def main_face(boxes: np.ndarray, scores: np.ndarray, shape) -> int:
    """The face /api/verify compares: the product's own choice."""
    detections = [Detection(b, float(s), np.zeros((5, 2), np.float32)) for b, s in zip(boxes, scores)]
    return select_face(detections, MAIN_FACE, image_shape=shape)


def plain_named(threshold: float):
    def named(gallery: Gallery, d: np.ndarray, q, grey, i):
        limit = threshold + gallery.threshold_offsets(d)[0]
        j = int(np.argmin(d[0]))
        return j if d[0, j] <= limit else None
    return named


def baseline_rules() -> Rules:
    """Before issue 19: the largest box, one threshold for every face, colour only."""
    return Rules(main_face=lambda boxes, scores, shape: int(np.argmax(
                     (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))),
                 greyscale=lambda spread: np.zeros(len(spread), bool), grey_gallery=False,
                 grey_verify=False, verify_same=lambda d, px, sharp, grey, jpeg: d <= 1.09,
                 named=plain_named(0.8), bicubic=False)


def current_rules(grey_gallery: bool = True) -> Rules:
    """The product's rules as this checkout has them (grey_gallery False: as before the
    grey gallery, every face matched in colour)."""
    return Rules(main_face=main_face,
                 greyscale=lambda spread: np.asarray(spread) < GREY_SPREAD, grey_gallery=grey_gallery,
                 grey_verify=True, verify_same=verify_same, named=quality_named(grey_gallery))


def verify_same(d, px, sharp, grey, jpeg: int | None) -> np.ndarray:
    """The product's verify decision for each frame's face (the clean photo never the poorer;
    jpeg: the frames' JPEG quality as the product reads it from their bytes)."""
    out = []
    for di, c in zip(d, map(FaceConditions, grey, px, sharp, [jpeg] * len(d))):
        out.append(too_poor(c) is None and di <= verify_threshold(Config.VERIFY_THRESHOLD, c))
    return np.array(out, bool)


def quality_named(grey_gallery: bool):
    """The product's identify decision: crowding, then the face's quality and the gallery
    it was matched in (held_to_quality; every dev person has grey vectors)."""
    def named(gallery: Gallery, d: np.ndarray, q, grey, i):
        c = FaceConditions(bool(grey[i]), float(q["px"][i]), float(q["sharpness"][i]))
        limit = (Config.IDENTIFY_THRESHOLD + gallery.threshold_offsets(d)[0]
                 + identify_offset(c, grey_gallery and bool(grey[i])))
        j = int(np.argmin(d[0]))
        return j if too_poor(c) is None and d[0, j] <= limit else None
    return named


def raw_rules(grey_gallery: bool = True) -> Rules:
    """The product's choice of face and its greyscale handling; decisions left to the caller."""
    rules = current_rules(grey_gallery)
    rules.verify_same = lambda d, px, sharp, grey, jpeg: d <= Config.VERIFY_THRESHOLD
    return rules
