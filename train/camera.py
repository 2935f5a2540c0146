"""Camera degradations of aligned face crops: training views and the held-out report.

app/evaluation/degrade.py makes a whole photo a camera frame (the face N px wide in 640x480,
blur, night, JPEG) and the detector then finds and aligns the face again: faithful, but a
detection per view (~0.1-0.2 s on this machine). Training needs thousands of views, so here
the same steps act on the aligned crop itself: shrunk to the size the face would have in
the frame, blurred, made night and JPEG-compressed at that size (degrade.py's own
functions), then brought back to 160x160 by a slightly jittered similarity warp, as
alignment does with the landmarks a detector finds on a poor face. Seeded like degrade.py.
"""
from __future__ import annotations

import cv2
import numpy as np

from app.evaluation import degrade
from app.evaluation.degrade import Condition
from app.recognition.align import FACE_SIZE

# Width of the detector's face box inside an aligned 160x160 crop: the median on 40
# lfw-devtrain photos (box width x alignment scale), so that `face_px` means what it means
# in degrade.py and in the product's `conditions.face_px`.
FACE_IN_CROP = 113.0

# The held-out report's conditions: bench_conditions' names and meanings.
REPORT_CONDITIONS = (
    Condition("clean"), Condition("px40", 40), Condition("px28", 28), Condition("px20", 20),
    Condition("px16", 16), Condition("night64", 64, night=True), Condition("night40", 40, night=True),
    Condition("blur64", 64, blur_px=7), Condition("blur28", 28, blur_px=7),
    Condition("jpeg40", 40, jpeg=25), Condition("jpeg20", 20, jpeg=25),
    Condition("night_blur_jpeg64", 64, night=True, blur_px=5, jpeg=40))


def random_condition(rng: np.random.Generator) -> Condition:
    """A training view's condition: face 16-90 px (log-uniform), and independently night
    (30 %), motion blur of 3-9 px (30 %), JPEG quality 20-60 (40 %)."""
    return Condition("train", face_px=int(round(np.exp(rng.uniform(np.log(16), np.log(90))))),
                     night=bool(rng.random() < 0.3),
                     blur_px=int(rng.integers(3, 10)) if rng.random() < 0.3 else 0,
                     jpeg=int(rng.integers(20, 61)) if rng.random() < 0.4 else None)


def camera_view(crop: np.ndarray, condition: Condition, rng: np.random.Generator,
                jitter: float = 0.03) -> np.ndarray:
    """(160, 160, 3) uint8 aligned crop -> the crop alignment would give of that face in a
    camera frame under `condition` (uint8, same shape). `jitter`: the landmarks' error as a
    share of the crop (shift, and scale/rotation of the same order); 0 for none."""
    if condition.face_px is None:
        return crop
    side = max(4, int(round(FACE_SIZE * condition.face_px / FACE_IN_CROP)))
    small = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA if side < FACE_SIZE
                       else cv2.INTER_LINEAR)
    if condition.blur_px:
        small = degrade.motion_blur(small, condition.blur_px)
    if condition.night:
        small = degrade.night(small, rng)
    if condition.jpeg is not None:
        data = np.frombuffer(degrade.jpeg(small, condition.jpeg), np.uint8)
        small = cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    return cv2.warpAffine(small, _back_to_crop(side, rng, jitter), (FACE_SIZE, FACE_SIZE),
                          flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def _back_to_crop(side: int, rng: np.random.Generator, jitter: float) -> np.ndarray:
    """(2, 3) warp from the shrunk face (side x side) back to 160x160, off by a random
    similarity of size `jitter` (rotation in radians, scale and shift as shares)."""
    angle, scale = rng.normal(0, jitter), FACE_SIZE / side * (1 + rng.normal(0, jitter))
    shift = rng.normal(0, jitter * FACE_SIZE, 2)
    centre = side / 2.0
    matrix = cv2.getRotationMatrix2D((centre, centre), np.degrees(angle), scale)
    matrix[:, 2] += FACE_SIZE / 2.0 - centre + shift
    return matrix


def camera_views(crops: np.ndarray, rng: np.random.Generator,
                 condition: Condition | None = None) -> np.ndarray:
    """(N, 160, 160, 3) uint8 -> the same faces as camera views: each under `condition`, or
    under a condition of its own drawn by `random_condition` (training)."""
    return np.stack([camera_view(c, condition or random_condition(rng), rng) for c in crops]) \
        if len(crops) else crops.copy()
