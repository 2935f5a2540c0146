"""How good a face crop is for remembering and enrolling: sharp, large, seen from the front.
Used to keep an unknown track's best few crops (app/library) and to choose what to learn."""
from __future__ import annotations

import cv2
import numpy as np

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
    sharp = min(sharpness(aligned) / SHARP, 1.0)
    large = min(side(detection) / LARGE, 1.0)
    return sharp * large * frontal(detection)
