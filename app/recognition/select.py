"""Which face a photo is about, when a caller needs one face of several: one rule, three ways."""
from __future__ import annotations

from typing import Literal, Sequence

import numpy as np

from .types import Detection

How = Literal["largest", "central", "dominant", "subject"]
# "subject": faces whose shorter side is at least this share of the largest one's count as
# equally large; of those, the most central is the subject.
SIMILAR = 0.8
EDGE = 2.0  # pixels: a box this close to the image's border is a face cut off by it
# Of those, faces the detector is less sure of than the surest by more than this are passed
# over: MTCNN scores a whole face 0.99 or more, part of one (cut off by something in the
# scene, turned away) less. In camera-like frames (scripts/bench_conditions.py) the face
# compared was not the frame's subject in 1.6-2.7 % of them, 0.9-1.5 % with this rule (most
# of those: part of a bystander's face); on LFW photos no choice changed.
SURE = 0.01


def side(detection: Detection) -> float:
    """The shorter side of a face's box, in pixels (what "big enough" is measured on)."""
    return min(detection.width, detection.height)


def select_face(detections: Sequence[Detection], how: How = "largest", *,
                image_shape: tuple[int, ...] | None = None, min_side: float = 0.0,
                dominance: float = 1.5) -> int | None:
    """The index of the face the photo is about, or None.

    how:
        "largest": the largest box (the subject of nearly every photo; verification).
        "central": the box whose centre is nearest the image centre (LFW-style portraits,
            centred on their subject; evaluation and training). Needs image_shape (H, W, ...).
        "subject": the face a photo or a camera frame is about: faces cut off by the
            image's border are passed over when another is whole, and of the whole faces as
            large as the largest (`SIMILAR`) and about as surely faces as the surest
            (`SURE`), the most central. Needs image_shape. (On LFW photos "largest" took a
            bystander at the photo's edge for 0.6 % of them.)
        "dominant": among faces whose shorter side is >= min_side, the only one, or the
            largest when it is >= `dominance` times the next (a face in the background does
            not make a photo ambiguous); None when several are comparable. With no face
            that big, the largest of all (for the caller to refuse as too small).
    Returns None for an empty list, and for an ambiguous photo under "dominant".
    """
    if not detections:
        return None
    if how == "largest":
        return max(range(len(detections)), key=lambda i: detections[i].width * detections[i].height)
    if how == "central":
        return _central(detections, range(len(detections)), image_shape)
    if how == "subject":
        return _subject(detections, image_shape)
    if how == "dominant":
        big = sorted((i for i, d in enumerate(detections) if side(d) >= min_side),
                     key=lambda i: -side(detections[i]))
        if len(big) > 1 and side(detections[big[0]]) >= dominance * side(detections[big[1]]):
            return big[0]
        if len(big) > 1:
            return None
        return big[0] if big else max(range(len(detections)), key=lambda i: side(detections[i]))
    raise ValueError(f"unknown way to select a face: {how!r}")


def _central(detections: Sequence[Detection], indices, image_shape) -> int:
    """Of `indices`, the face whose box centre is nearest the image's centre."""
    if image_shape is None:
        raise ValueError('how="central" needs image_shape')
    centre = np.array([image_shape[1], image_shape[0]]) / 2.0
    return min(indices, key=lambda i: float(np.linalg.norm(
        (detections[i].box[:2] + detections[i].box[2:]) / 2.0 - centre)))


def _subject(detections: Sequence[Detection], image_shape) -> int:
    """See select_face's "subject"."""
    if image_shape is None:
        raise ValueError('how="subject" needs image_shape')
    far = np.array([image_shape[1], image_shape[0]]) - 1 - EDGE
    whole = [i for i, d in enumerate(detections)
             if (d.box[:2] >= EDGE).all() and (d.box[2:] <= far).all()]
    pool = whole or list(range(len(detections)))
    big = max(side(detections[i]) for i in pool)
    large = [i for i in pool if side(detections[i]) >= SIMILAR * big]
    sure = max(detections[i].score for i in large) - SURE
    return _central(detections, [i for i in large if detections[i].score >= sure], image_shape)
