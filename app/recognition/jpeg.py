"""RGB arrays -> JPEG bytes (face crops, thumbnails, photos shown on pages, live frames)."""
from __future__ import annotations

import cv2
import numpy as np


def to_jpeg(image: np.ndarray, quality: int = 90, bgr: bool = False) -> bytes:
    """(H, W, 3) uint8, RGB (or BGR when `bgr`, as OpenCV draws) -> JPEG bytes."""
    ok, data = cv2.imencode(".jpg", image if bgr else cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return data.tobytes()
