"""How good a face crop is: sharp, large, seen from the front, in colour or greyscale/IR.
Used to keep an unknown track's best few crops (app/library), to choose what to learn, and
(`FaceConditions`) to decide how far a face of that quality may be trusted (calibration.py)."""
from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from .select import side
from .types import Detection

SHARP = 100.0   # a Laplacian variance at which a crop counts as fully sharp
LARGE = 80.0    # pixels (shorter box side) at which a face counts as fully large


def sharpness(aligned: np.ndarray) -> float:
    """Variance of the Laplacian of the aligned (160, 160, 3) uint8 crop's grey levels
    (higher = sharper)."""
    grey = cv2.cvtColor(aligned, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def frontal(detection: Detection) -> float:
    """1 for a face seen from the front, towards 0 as it turns: how far the nose lies from
    the middle of the eyes, as a share of the distance between the eyes (yaw), and how
    level the eyes are (roll)."""
    left, right, nose = detection.landmarks[0], detection.landmarks[1], detection.landmarks[2]
    eyes = float(np.linalg.norm(right - left))
    if eyes < 1e-6:
        return 0.0
    yaw = abs(float(nose[0] - (left[0] + right[0]) / 2)) / eyes
    roll = abs(float(right[1] - left[1])) / eyes
    return float(np.clip(1.0 - 2.0 * yaw - roll, 0.0, 1.0))


def face_quality(detection: Detection, aligned: np.ndarray) -> float:
    """0..1: sharpness, size and frontal pose, each scaled to 0..1, multiplied."""
    return quality_of(detection, sharpness(aligned))


def quality_of(detection: Detection, sharp: float) -> float:
    """face_quality of a face whose crop's sharpness (Laplacian variance) is known."""
    return min(sharp / SHARP, 1.0) * min(side(detection) / LARGE, 1.0) * frontal(detection)


# A colour face crop's channels differ by 10-40 grey levels on average (skin is reddish);
# an IR or greyscale camera's are equal, up to JPEG's chroma rounding (< 2 levels).
GREY_SPREAD = 4.0


def channel_spread(aligned: np.ndarray) -> float:
    """Mean over the pixels of the aligned (160, 160, 3) uint8 crop of the largest minus the
    smallest channel value, in grey levels 0..255 (0 for a greyscale or IR image)."""
    r, g, b = cv2.split(aligned)  # cv2's per-pixel max/min: ~50x numpy's max(axis=2) here
    return float(cv2.subtract(cv2.max(cv2.max(r, g), b), cv2.min(cv2.min(r, g), b)).mean())


def is_greyscale(aligned: np.ndarray) -> bool:
    """Whether the crop comes from a greyscale/IR camera (its channels nearly equal)."""
    return channel_spread(aligned) < GREY_SPREAD


def to_grey(aligned: np.ndarray) -> np.ndarray:
    """The crop (..., 160, 160, 3) uint8 as an IR camera would see it: its grey levels in
    all three channels."""
    grey = (aligned[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32))
    return np.repeat(np.round(grey).astype(np.uint8)[..., None], 3, axis=-1)


@dataclass(frozen=True)
class FaceConditions:
    """What a camera did to a face: greyscale (an IR or greyscale camera), face_px (the
    shorter side of its box, pixels of the analysed image), sharpness (Laplacian variance
    of the aligned crop's grey levels; a small face's upscaled crop is soft too), and the
    JPEG quality its photo was saved at when known (an uploaded file's)."""

    greyscale: bool
    face_px: float
    sharpness: float
    jpeg_quality: int | None = None  # of the photo's file (jpeg_quality()); None: unknown


# libjpeg's luminance quantisation table at quality 50 (ITU T.81, Annex K); quality q
# scales it by 5000 / q % below 50 and by (200 - 2q) % above.
_LUMA_50 = np.array([16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57,
                     69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64,
                     81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99])


def jpeg_quality(data: bytes) -> int | None:
    """The quality (1-100, as libjpeg, OpenCV and Pillow number it) a JPEG was saved at,
    estimated from its luminance quantisation table (the header only, nothing decoded;
    exact for 25-100 from those encoders, lower ones read 13-25); None when `data` is not
    a JPEG or its table is not there."""
    try:
        with Image.open(io.BytesIO(data), formats=("JPEG",)) as image:
            table = getattr(image, "quantization", {}).get(0)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
    if table is None or len(table) != 64:
        return None
    scale = 100.0 * float(np.sum(table)) / float(_LUMA_50.sum())  # the order of the entries does not matter
    return int(np.clip(round(100 - scale / 2 if scale <= 100 else 5000 / scale), 1, 100))


def conditions_of(detection: Detection, aligned: np.ndarray) -> FaceConditions:
    """The conditions of a detected face and its aligned (160, 160, 3) uint8 crop."""
    return FaceConditions(is_greyscale(aligned), side(detection), sharpness(aligned))


def assess(detection: Detection, aligned: np.ndarray) -> tuple[FaceConditions, float]:
    """A face's conditions and its face_quality (0..1), its crop's sharpness measured once."""
    conditions = conditions_of(detection, aligned)
    return conditions, quality_of(detection, conditions.sharpness)
