"""Draw boxes and names on a frame, and encode it as JPEG once for every viewer; hide the
faces a camera's privacy mode says to (docs/PRIVACY.md)."""
from __future__ import annotations

import cv2
import numpy as np

KNOWN = (60, 200, 60)  # BGR
UNKNOWN = (40, 40, 230)
PENDING = (200, 200, 200)
FONT = 0.8  # OpenCV font scale (about 18 px high on a 640 px frame)
# A camera's privacy modes: show every face, hide those of people not enrolled (a face not
# named yet counts as not enrolled), hide every face.
PRIVACY = ("off", "unknown", "all")
MARGIN = 0.25  # of the box's width and height added on each side: hair, ears, a late box
BLOCKS = 5  # a hidden face keeps 5 x 5 averaged colours: nothing to recognise or restore


def hidden(track: dict, privacy: str) -> bool:
    """Whether a track's face is hidden in `privacy` mode ("off", "unknown" or "all")."""
    return privacy == "all" or (privacy == "unknown" and track.get("name") is None)


def hide_face(image: np.ndarray, box, margin: float = MARGIN) -> None:
    """Replace the box (x1, y1, x2, y2 pixels), grown by `margin`, in `image` (H, W, 3,
    changed in place) by BLOCKS x BLOCKS mean colours smoothly spread: the averaging throws
    the face's detail away, so no filter brings it back (a Gaussian blur could be partly
    undone). Costs about 0.1 ms for a 100 px face."""
    x1, y1, x2, y2 = (int(v) for v in box)
    dx, dy = int((x2 - x1) * margin), int((y2 - y1) * margin)
    height, width = image.shape[:2]
    x1, y1, x2, y2 = max(0, x1 - dx), max(0, y1 - dy), min(width, x2 + dx), min(height, y2 + dy)
    if x2 - x1 < 2 or y2 - y1 < 2:
        return
    region = image[y1:y2, x1:x2]
    small = cv2.resize(region, (BLOCKS, BLOCKS), interpolation=cv2.INTER_AREA)
    image[y1:y2, x1:x2] = cv2.resize(small, (x2 - x1, y2 - y1), interpolation=cv2.INTER_LINEAR)


def hide_whole_jpeg(jpeg: bytes, quality: int = 80) -> bytes:
    """A face crop's JPEG (arrival thumbnails) with the whole crop hidden (hide_face)."""
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        return b""
    hide_face(image, (0, 0, image.shape[1], image.shape[0]), margin=0.0)
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()


def annotate(rgb: np.ndarray, tracks: list[dict], privacy: str = "off",
             lingering: list[dict] = ()) -> np.ndarray:
    """A BGR copy of the frame with each track's box and label ("3 Ada 81%", "4 unknown"):
    the track's number (the live page's list repeats it), the likeness as a percentage
    (cosine similarity), in letters big enough to read when a phone shows the 640 px frame
    360 px wide. The faces that `privacy` hides are hidden first (hide_face), those of
    `lingering` tracks (not drawn: their face was missed a moment) too."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    for t in [*tracks, *lingering]:
        if hidden(t, privacy):
            hide_face(bgr, t["box"])
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
