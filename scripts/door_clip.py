"""A door camera's clip as an MJPG file: a still, empty hall, then a person comes in and
stands (tests/live/test_motion.py; `scripts/bench_live.py --scene door`). Real files: the
codec's noise and a sensor's noise in every frame, as a motion test meets them."""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

from pathlib import Path

import cv2
import numpy as np

SAMPLES = ROOT / "instance" / "samples"
FPS = 25
PERSON = "ben_afflek"  # one of the sample people


def hall() -> np.ndarray:
    """(480, 640, 3) uint8 RGB: an empty hall, a wall, a floor and a closed door."""
    frame = np.empty((480, 640, 3), np.uint8)
    frame[:330], frame[330:] = (178, 170, 150), (96, 84, 70)
    cv2.rectangle(frame, (430, 90), (560, 330), (120, 80, 50), -1)
    cv2.circle(frame, (450, 220), 6, (210, 190, 90), -1)
    return frame


def person() -> np.ndarray:
    """PERSON's val photo, 190 px high (a face of about 110 px), RGB."""
    rgb = cv2.cvtColor(cv2.imread(str(sorted((SAMPLES / "val" / PERSON).glob("*.jpg"))[0])), cv2.COLOR_BGR2RGB)
    return cv2.resize(rgb, (round(rgb.shape[1] * 190 / rgb.shape[0]), 190), interpolation=cv2.INTER_AREA)


def door_clip(path: Path, still: float, walk: float = 1.0, stay: float = 3.0, fade: bool = False) -> None:
    """An MJPG clip of a door camera: `still` seconds of the empty hall, then PERSON comes
    in from the left over `walk` seconds (or, `fade`, appears in place without moving) and
    stands still for `stay` seconds. Every frame has fresh sensor noise (sigma 2 levels)."""
    background, photo = hall(), person()
    h, w = photo.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (640, 480))
    rng = np.random.default_rng(0)
    for i in range(round(FPS * (still + walk + stay))):
        frame = background.astype(np.float32)
        t = i / FPS - still
        if t >= 0:
            share = min(1.0, t / walk)
            x = 200 if fade else round(-w + share * (200 + w))
            part = frame[140:140 + h, max(x, 0):x + w]
            seen = photo[:, w - part.shape[1]:] if x < 0 else photo[:, :part.shape[1]]
            alpha = share if fade else 1.0
            part[:] = (1 - alpha) * part + alpha * seen
        frame += rng.normal(0, 2, frame.shape)
        writer.write(cv2.cvtColor(np.clip(frame, 0, 255).astype(np.uint8), cv2.COLOR_RGB2BGR))
    writer.release()
