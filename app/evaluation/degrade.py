"""Camera-like degradations of a photo: its face made small inside a 640x480 frame, then
night (greyscale/IR, dark, noisy), motion blur, heavy JPEG, alone or combined.

Used by scripts/bench_conditions.py to measure recognition where cameras are weak, and
usable by train/ to make degraded training views. Every function is pure and seeded:
the same photo, condition and seed give the same frame.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

FRAME = (480, 640)  # (H, W) of the camera frame a face is placed in
# Width of the face in an LFW photo (250x250, MTCNN box of the central face), used when the
# caller does not know it: the median box width on lfw-devtrain is ~105 px.
LFW_FACE_WIDTH = 105.0


@dataclass(frozen=True)
class Condition:
    """One camera condition.

    face_px: width of the face's box in the frame (None: the photo as it is, no frame).
    night: greyscale/IR-like, dark (gain and gamma), with sensor noise.
    blur_px: length of a horizontal motion-blur streak in frame pixels (0: none).
    jpeg: JPEG quality the frame is sent at (None: lossless PNG).
    """

    name: str
    face_px: int | None = None
    night: bool = False
    blur_px: int = 0
    jpeg: int | None = None


@dataclass(frozen=True)
class Placement:
    """Where a photo went in the frame: frame pixel = scale * photo pixel + (x, y)."""

    scale: float = 1.0
    x: float = 0.0
    y: float = 0.0

    def box(self, photo_box: np.ndarray) -> np.ndarray:
        """(4,) x1, y1, x2, y2 in the photo -> the same box in the frame."""
        return np.asarray(photo_box, np.float32) * self.scale + (self.x, self.y, self.x, self.y)


def place_in_frame(rgb: np.ndarray, face_px: float, face_width: float,
                   rng: np.random.Generator,
                   at: tuple[float, float] | None = None) -> tuple[np.ndarray, Placement]:
    """The photo scaled so that its face is `face_px` wide, pasted (edges feathered) at a
    random place of a 640x480 frame of smooth random background. rgb: (H, W, 3) uint8.
    at: the place of the photo's top-left corner instead (frame pixels, clipped so the photo
    stays inside; video frames: the same rng seed gives the same background).
    Returns the (480, 640, 3) uint8 frame and where the photo went."""
    f = face_px / face_width
    small = cv2.resize(rgb, (max(1, round(rgb.shape[1] * f)), max(1, round(rgb.shape[0] * f))),
                       interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_LINEAR)
    frame = background(rng)
    h, w = min(small.shape[0], FRAME[0]), min(small.shape[1], FRAME[1])
    small = small[:h, :w]
    y = int(rng.integers(0, FRAME[0] - h + 1))
    x = int(rng.integers(0, FRAME[1] - w + 1))
    if at is not None:
        x, y = int(np.clip(at[0], 0, FRAME[1] - w)), int(np.clip(at[1], 0, FRAME[0] - h))
    alpha = feather(h, w)[..., None]
    window = frame[y:y + h, x:x + w].astype(np.float32)
    frame[y:y + h, x:x + w] = (alpha * small + (1 - alpha) * window).astype(np.uint8)
    return frame, Placement(f, float(x), float(y))


def background(rng: np.random.Generator) -> np.ndarray:
    """(480, 640, 3) uint8: a smooth random scene (low-frequency grey levels, a little
    colour, no faces)."""
    coarse = (rng.uniform(40, 200, size=(6, 8, 1))
              + rng.uniform(-25, 25, size=(6, 8, 3))).astype(np.float32)
    return cv2.resize(coarse, FRAME[::-1], interpolation=cv2.INTER_CUBIC).clip(0, 255).astype(np.uint8)


def feather(h: int, w: int, edge: float = 0.12) -> np.ndarray:
    """(h, w) float32 weights: 1 inside, falling to 0 over `edge` of each side (no hard seam)."""
    def ramp(n):
        t = np.minimum(np.arange(n) + 0.5, n - np.arange(n) - 0.5) / max(1.0, edge * n)
        return np.clip(t, 0, 1).astype(np.float32)
    return np.outer(ramp(h), ramp(w))


def night(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """IR-like night frame: grey (the three channels equal), dark (gain 0.35, gamma 1.6),
    then shot and read noise as a small sensor gives it (sigma ~ 4 + 0.6 sqrt(level))."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    dark = 255.0 * 0.35 * grey ** 1.6
    noisy = dark + rng.normal(0, 1, dark.shape) * (4.0 + 0.6 * np.sqrt(dark))
    grey8 = noisy.clip(0, 255).astype(np.uint8)
    return np.repeat(grey8[..., None], 3, axis=2)


def dark_room(rgb: np.ndarray, face_px: float, face_width: float,
              rng: np.random.Generator) -> tuple[np.ndarray, Placement]:
    """place_in_frame(), then the scene around the photo at 15 % of the light: a face lit as
    in its photo in a dark room (the photo pasted back over the darkened scene)."""
    frame, placed = place_in_frame(rgb, face_px, face_width, rng)
    room = (frame * 0.15).astype(np.uint8)
    x, y = round(placed.x), round(placed.y)
    h, w = round(rgb.shape[0] * placed.scale), round(rgb.shape[1] * placed.scale)
    room[y:y + h, x:x + w] = frame[y:y + h, x:x + w]
    return room, placed


def lamp(frame: np.ndarray, x: int) -> np.ndarray:
    """The (H, W, 3) uint8 frame with a lit lamp near its top at column `x`: a white disc
    30 px in radius (1 % of a 640x480 frame: a porch or street light), drawn in place."""
    cv2.circle(frame, (x, 40), 30, (255, 255, 255), -1, cv2.LINE_AA)
    return frame


def motion_blur(rgb: np.ndarray, length: int) -> np.ndarray:
    """A horizontal streak `length` pixels long (a person walking across the view)."""
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    return cv2.filter2D(rgb, -1, kernel, borderType=cv2.BORDER_REFLECT)


def jpeg(rgb: np.ndarray, quality: int) -> bytes:
    """The frame as JPEG bytes at `quality` (a camera's heavy compression)."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def png(rgb: np.ndarray) -> bytes:
    """The frame as lossless PNG bytes."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


def degrade(rgb: np.ndarray, condition: Condition, seed: int,
            face_width: float = LFW_FACE_WIDTH) -> tuple[bytes, Placement]:
    """The photo as a camera would send it under `condition`: encoded image bytes, and
    where the photo lies in the frame.

    rgb: (H, W, 3) uint8 photo; face_width: its face's box width in pixels.
    Order: placed in the frame (the optics), blurred (motion during exposure), made night
    (the sensor), compressed (the encoder).
    """
    rng = np.random.default_rng(seed)
    frame, placed = rgb, Placement()
    if condition.face_px is not None:
        frame, placed = place_in_frame(rgb, condition.face_px, face_width, rng)
    if condition.blur_px:
        frame = motion_blur(frame, condition.blur_px)
    if condition.night:
        frame = night(frame, rng)
    return (png(frame) if condition.jpeg is None else jpeg(frame, condition.jpeg)), placed
