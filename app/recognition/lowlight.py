"""Dark frames (a dim IR or night camera, an unlit room, a porch lamp in a dark yard): faces
are looked for in a denoised copy whose contrast is lifted tile by tile, and faces of
LIFTED_PX or more embedded from the denoised frame, stretched (FacePipeline.embed_lifted).

A dark frame uses a small part of the grey range and its sensor noise is large beside that:
MTCNN's first stage misses a quarter of the faces of 64 px in the benchmark's night frames
(scripts/bench_conditions.py: dim IR, mean grey level ~30), and the noise moves the
embeddings. Blurring by one pixel (sigma) takes out most of the noise. Contrast-limited
adaptive histogram equalisation (CLAHE, 8x8 tiles) then gives each part of the frame the
contrast the detector was trained on; one stretch for the whole frame would not: a lamp in
view (1 % of the frame) left it as dark as it was, and a face lit in a dark room was
stretched white (`make bench-lowlight`, ~150 dev frames each: faces found 78.0 / 95.2 % with
the whole-frame stretch, 98.7 / 99.3 % with the tiles; docs/CAMERAS.md). A face found is
cut from the blurred frame stretched as a whole (1st..99th percentile to 0..255, as the
decisions at night were calibrated), with its colours, but never so far that the face
itself clips.

Frames that are not dark are left as they are: a frame is dark when 95 % of its pixels lie
under grey level 100 (a lamp or a lit window over the other 5 % does not make it light). Of
the 9,525 LFW dev photos one is that dark (its 95th percentile at 99); the benchmark's night
frames lie at 88 or less.
"""
from __future__ import annotations

import cv2
import numpy as np

DARK = 100  # grey level: a frame with 95 % of its pixels below it is dark
_BRIGHTEST = 95  # percentile of the grey levels compared with DARK
_PROBE = (80, 60)  # the copy the levels are read from (a frame's levels, not its details)
_SIGMA = 1.0  # pixels: the blur that takes the sensor noise out
_CLIP, _TILES = 2.0, (8, 8)  # CLAHE's contrast limit and grid (each tile 80x60 at 640x480)
# Faces this large (box's shorter side, px) or larger are aligned and embedded from the
# denoised frame (face_lifted), smaller ones from the frame as it is: a pixel's blur takes
# detail a 20 px face cannot spare (night, 20 px: verify 53.5 % from the copy, 57.9 % from
# the frame; at 40 px and more the copy is better, 88 %).
LIFTED_PX = 32
# Frames up to this long side (a camera's, 1080p and 2K included) are lifted; a larger photo
# is no night camera's, and two more copies of it would cost up to 100 MB.
MAX_SIDE = 2048


def _levels(rgb: np.ndarray, percentiles) -> np.ndarray:
    """Percentiles of the grey levels of a small copy of `rgb` (H, W, 3) uint8."""
    small = cv2.cvtColor(cv2.resize(rgb, _PROBE, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    return np.percentile(small, percentiles)


def is_dark(rgb: np.ndarray) -> bool:
    """Whether the (H, W, 3) uint8 frame is dark (DARK)."""
    return float(_levels(rgb, _BRIGHTEST)) < DARK


def denoised(image: np.ndarray) -> np.ndarray:
    """The image ((H, W, 3) or (H, W) uint8) blurred by _SIGMA, as it is shaped."""
    return cv2.GaussianBlur(image, (0, 0), _SIGMA)


def face_lifted(smooth: np.ndarray, box: np.ndarray) -> np.ndarray:
    """The denoised frame `smooth` stretched so that its 1st..99th percentile grey levels
    span 0..255 (one map for every channel), but never so far that the face clips: the 99th
    percentile about the face's `box` ((4,) x1, y1, x2, y2 frame pixels; the box grown by
    half, as much as an aligned crop holds) stays at 255 or under. What a dark face is
    aligned and embedded from: a lit face in a dark room keeps its contrast. (H, W, 3) uint8."""
    low, high = _levels(smooth, (1, 99))
    h, w = smooth.shape[:2]
    (cx, cy), (rx, ry) = (box[:2] + box[2:]) / 2, (box[2:] - box[:2]) * 0.75
    region = smooth[max(0, int(cy - ry)):min(h, int(cy + ry) + 1),
                    max(0, int(cx - rx)):min(w, int(cx + rx) + 1)]
    if region.size:
        high = max(float(high), float(np.percentile(region, 99)))
    gain = 255.0 / max(float(high - low), 1.0)
    return cv2.convertScaleAbs(smooth, alpha=gain, beta=-float(low) * gain)


def lifted(rgb: np.ndarray) -> np.ndarray:
    """The denoised frame in grey, its contrast equalised tile by tile (CLAHE), as three equal
    channels: what a dark frame's faces are looked for in. (H, W, 3) uint8."""
    grey = denoised(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))  # blurred in grey: a third of the work
    equalised = cv2.createCLAHE(clipLimit=_CLIP, tileGridSize=_TILES).apply(grey)
    return cv2.cvtColor(equalised, cv2.COLOR_GRAY2RGB)


def for_recognition(rgb: np.ndarray) -> np.ndarray:
    """The copy faces are looked for in: lifted() for a dark frame of at most MAX_SIDE
    pixels, else `rgb` itself."""
    return lifted(rgb) if max(rgb.shape[:2]) <= MAX_SIDE and is_dark(rgb) else rgb
