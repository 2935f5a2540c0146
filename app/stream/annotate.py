"""Draw boxes and names on a frame, and encode it as JPEG once for every viewer."""
from __future__ import annotations

import cv2
import numpy as np

KNOWN = (60, 200, 60)  # BGR
UNKNOWN = (40, 40, 230)
PENDING = (200, 200, 200)
FONT = 0.8  # OpenCV font scale (about 18 px high on a 640 px frame)


def annotate(rgb: np.ndarray, tracks: list[dict]) -> np.ndarray:
    """A BGR copy of the frame with each track's box and label ("3 Ada 81%", "4 unknown"):
    the track's number (the live page's list repeats it), the likeness as a percentage
    (cosine similarity), in letters big enough to read when a phone shows the 640 px frame
    360 px wide."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    for t in tracks:
        x1, y1, x2, y2 = t["box"]
        if not t["checked"]:
            color, label = PENDING, "..."
        elif t["name"] is None:
            color, label = UNKNOWN, "unknown" + (": too poor" if t.get("reason") else "")
        else:
            color, label = KNOWN, f"{t['name']} {max(0.0, 1 - t['distance'] ** 2 / 2):.0%}"
        label = f"{t['id']} {label}"
        cv2.rectangle(bgr, (x1, y1), (x2, y2), color, 2)
        (w, h), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, FONT, 2)
        left, top = label_corner((x1, y1), (w + 8, h + 8), bgr.shape[1])
        cv2.rectangle(bgr, (left, top), (left + w + 8, top + h + 8), color, -1)
        cv2.putText(bgr, label, (left + 4, top + h + 3), cv2.FONT_HERSHEY_SIMPLEX, FONT,
                    (0, 0, 0), 2, cv2.LINE_AA)
    return bgr


def label_corner(box_corner: tuple[int, int], size: tuple[int, int], frame_width: int) -> tuple[int, int]:
    """Top-left pixel of a label of `size` (w, h) drawn above a box whose top-left is
    `box_corner`: moved left so that it ends inside the frame (a face at the right edge
    kept only the start of its name) and down when there is no room above."""
    x, y = box_corner
    w, h = size
    return max(0, min(x, frame_width - w)), max(0, y - h)
