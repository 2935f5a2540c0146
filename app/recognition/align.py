"""Align a face: a similarity transform maps its five landmarks onto a fixed template.

The template is where the landmarks fall, on average, in the crops the FaceNet weights were
trained on (an MTCNN box with a 32-pixel margin, resized to 160x160), so that aligned faces
look like training faces but with eyes and mouth always in the same place.
"""
from __future__ import annotations

import cv2
import numpy as np

FACE_SIZE = 160

# (5, 2) x, y in a 160x160 crop: left eye, right eye, nose, mouth left, mouth right.
# The mean landmark positions in LFW View 1 training crops (MTCNN box + 32 px margin,
# resized to 160), spread by 1.1 about the centre: a slightly tighter crop than training
# scored best on LFW (docs/BENCHMARKS.md, "How the alignment template and the defaults were chosen";
# scripts/derive_template.py measures it).
TEMPLATE = np.array([
    [51.5, 64.1],
    [110.6, 63.0],
    [81.4, 91.0],
    [55.8, 115.4],
    [108.6, 114.5],
], np.float32)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) taking src to dst.

    Umeyama's method. src, dst: (K, 2) float. Returns the (2, 3) float64 matrix for
    cv2.warpAffine.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    u, sigma, vt = np.linalg.svd(cov)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1  # a reflection would be a better fit, but faces are not mirrored
    rotation = u @ sign @ vt
    scale = np.trace(np.diag(sigma) @ sign) / s.var(0).sum()
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = mu_d - scale * rotation @ mu_s
    return matrix


def align_face(rgb: np.ndarray, landmarks: np.ndarray, size: int = FACE_SIZE,
               interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Warp the face whose landmarks are given onto the template.

    Args:
        rgb: (H, W, 3) uint8 image.
        landmarks: (5, 2) float, pixels in `rgb` (order as in types.Detection).
        size: output side in pixels; the template scales with it.
        interpolation: cv2's; verify's small faces use INTER_CUBIC (calibration.UPSCALED).
    Returns: (size, size, 3) uint8 RGB. Parts outside the image are filled by replicating
    the border, which disturbs the embedding less than black corners.
    """
    matrix = similarity_transform(landmarks, TEMPLATE * (size / FACE_SIZE))
    return cv2.warpAffine(rgb, matrix, (size, size), flags=interpolation,
                          borderMode=cv2.BORDER_REPLICATE)


def align_faces(rgb: np.ndarray, landmarks: list[np.ndarray], size: int = FACE_SIZE) -> np.ndarray:
    """Align several faces of one image. Returns (N, size, size, 3) uint8."""
    if not landmarks:
        return np.zeros((0, size, size, 3), np.uint8)
    return np.stack([align_face(rgb, lm, size) for lm in landmarks])
