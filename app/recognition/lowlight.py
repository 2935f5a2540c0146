"""Dark frames (a dim IR or night camera, an unlit room): faces are found in a denoised,
stretched copy, and embedded from it where that helps (FacePipeline.embed_lifted).

A dark frame uses a small part of the grey range and its sensor noise is large beside that:
MTCNN's first stage misses a quarter of the faces of 64 px in the benchmark's night frames
(scripts/bench_conditions.py: dim IR, mean grey level ~30), and the noise moves the
embeddings. Blurring by one pixel (sigma) takes out most of the noise, and stretching the
grey levels to the whole range gives the detector the contrast it was trained on. On 400 dev
pairs at night (verify through the pipeline at 1.14): faces found 77 -> 98 % at 64 px, 71 ->
96 % at 40 px; decisions right 83 -> 94 % and 76 -> 87 % (docs/CAMERAS.md has the benchmark).

Frames that are not dark are left as they are: the brightest 1 % of LFW photos and of the
benchmark's day frames lie at grey level 123 or more, of its night frames at 88 or less.
"""
from __future__ import annotations

import cv2
import numpy as np

DARK = 100  # grey level: a frame whose brightest 1 % of pixels lie below it is dark
_PROBE = (80, 60)  # the copy the levels are read from (a frame's levels, not its details)
_SIGMA = 1.0  # pixels: the blur that takes the sensor noise out
# Faces this large (box's shorter side, px) or larger are aligned and embedded from the
# lifted copy, smaller ones from the frame as it is: a pixel's blur takes detail a 20 px
# face cannot spare (night, 20 px: verify 53.5 % from the copy, 57.9 % from the frame; at
# 40 px and more the copy is better, 88 %).
LIFTED_PX = 32
# Frames up to this long side (a camera's, 1080p and 2K included) are lifted; a larger photo
# is no night camera's, and two more copies of it would cost up to 100 MB.
MAX_SIDE = 2048


def _levels(rgb: np.ndarray) -> tuple[float, float]:
    """(1st, 99th) percentile of the grey levels of a small copy of `rgb` (H, W, 3) uint8."""
    small = cv2.cvtColor(cv2.resize(rgb, _PROBE, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    low, high = np.percentile(small, (1, 99))
    return float(low), float(high)


def is_dark(rgb: np.ndarray) -> bool:
    """Whether the (H, W, 3) uint8 frame is dark (DARK)."""
    return _levels(rgb)[1] < DARK


def lifted(rgb: np.ndarray) -> np.ndarray:
    """The frame blurred by _SIGMA and stretched so its 1st..99th percentile grey levels span
    0..255 (the same map for every channel: colours keep their balance). (H, W, 3) uint8."""
    blurred = cv2.GaussianBlur(rgb, (0, 0), _SIGMA)
    low, high = _levels(blurred)
    gain = 255.0 / max(high - low, 1.0)
    return cv2.convertScaleAbs(blurred, alpha=gain, beta=-low * gain)


def for_recognition(rgb: np.ndarray) -> np.ndarray:
    """The copy faces are found and embedded in: lifted() for a dark frame of at most
    MAX_SIDE pixels, else `rgb` itself."""
    return lifted(rgb) if max(rgb.shape[:2]) <= MAX_SIDE and is_dark(rgb) else rgb
