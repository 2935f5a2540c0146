"""Decisions that know a face's quality (issue 19): how far the verify and identify
thresholds move for a face of a given size and colour, and when a face is too poor to name.

A small, grey or blurred face's embedding is noisier: the same person lands farther away
and, more dangerous, strangers land nearer (the embeddings of poor faces crowd together).
The thresholds tuned on clean photos then name strangers. The offsets below were fitted on
LFW dev pairs made into camera frames (scripts/calibrate_conditions.py over
scripts/bench_conditions.py's conditions: faces of 16-64 px, night/IR, motion blur, heavy
JPEG), on 5 disjoint splits of the people; each is the rounded-down value that held on
every split. docs/CAMERAS.md has the figures.
"""
from __future__ import annotations

from .quality import FaceConditions


# A crop whose Laplacian variance is below this is blurred (motion, focus, or a small face
# upscaled); measured on LFW frames: 64 px faces 30 (median), blurred 7 px 11, 20 px faces 10.
BLURRED = 12.0
# Bands of face size (the box's shorter side, px), largest first; below the last one a face
# is not named. Each band: (greyscale, blurred) -> (verify offset, identify offset), added to
# FACES_VERIFY_THRESHOLD and to each face's identify threshold (after crowding).
BANDS = (
    (48, {(False, False): (0.0, 0.0), (False, True): (0.0, 0.0), (True, False): (0.0, 0.0), (True, True): (0.0, 0.0)}),
    (32, {(False, False): (0.0, 0.0), (False, True): (0.0, 0.0), (True, False): (0.0, 0.0), (True, True): (0.0, 0.0)}),
    (24, {(False, False): (0.0, 0.0), (False, True): (0.0, 0.0), (True, False): (0.0, 0.0), (True, True): (0.0, 0.0)}),
    (18, {(False, False): (0.0, 0.0), (False, True): (0.0, 0.0), (True, False): (0.0, 0.0), (True, True): (0.0, 0.0)}),
)
MIN_NAMED_PX = BANDS[-1][0]


def offsets(conditions: FaceConditions) -> tuple[float, float] | None:
    """(verify offset, identify offset) for a face; None when it is too small to name."""
    for min_px, table in BANDS:
        if conditions.face_px >= min_px:
            return table[(conditions.greyscale, conditions.sharpness < BLURRED)]
    return None


def too_poor(conditions: FaceConditions) -> str | None:
    """Why a face cannot be named ("face 14 px, too small to name"), or None."""
    if offsets(conditions) is None:
        return f"face {conditions.face_px:.0f} px, too small to name (needs {MIN_NAMED_PX:.0f} px)"
    return None


def verify_threshold(base: float, *faces: FaceConditions) -> float:
    """The verify threshold for two faces: `base` moved for the poorer of them."""
    moved = [offsets(c) for c in faces]
    return base + min((m[0] for m in moved if m is not None), default=0.0)


def identify_offset(conditions: FaceConditions) -> float:
    """What is added to a face's identify threshold (after crowding) for its quality."""
    moved = offsets(conditions)
    return 0.0 if moved is None else moved[1]
