"""A synthetic camera built from the sample photos: people come into view and leave.

Used when no webcam opens, so the live page shows something on any machine. The scene is a
20-second loop; at any moment one to three people are in view, each drifting a little so
that tracking is exercised. Frames are a pure function of their index (reproducible tests).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

LOOP_SECONDS = 20.0
PHOTO_HEIGHT = 190  # pixels: the sample photos are face crops, so a face is ~100-130 px


@dataclass(frozen=True)
class Appearance:
    person: int  # index into the sorted people of samples/val
    slot: int  # 0, 1, 2: left, centre, right
    start: float  # seconds into the loop
    end: float


# Five people, one to three in view at a time; every person leaves and comes back.
SCHEDULE = (
    Appearance(0, 0, 0.0, 8.0), Appearance(1, 1, 2.0, 11.0), Appearance(2, 2, 5.0, 14.0),
    Appearance(3, 0, 10.0, 18.0), Appearance(4, 1, 13.0, 20.0), Appearance(0, 2, 16.0, 20.0),
)


class DemoScene:
    """Renders frame i of the loop at `fps` frames per second, size (width, height).
    `variant` k (one per camera) starts the loop 7 k seconds later and shifts who plays
    which part by k, so that several demo cameras show different people at different times."""

    def __init__(self, samples_dir: Path, size: tuple[int, int] = (640, 480), fps: float = 25.0,
                 variant: int = 0):
        self.variant = variant
        self.samples_dir = Path(samples_dir)
        self.size = size
        self.fps = fps
        self.people: list[str] = []
        self._photos: list[np.ndarray] = []
        self._background: np.ndarray | None = None

    def load(self) -> None:
        """Read one val/ photo per person (sorted by name); raises FileNotFoundError."""
        folders = sorted(p for p in (self.samples_dir / "val").iterdir() if p.is_dir())
        if not folders:
            raise FileNotFoundError(f"no sample photos in {self.samples_dir / 'val'}; "
                                    "run `flask faces setup`")
        self.people = [f.name for f in folders]
        self._photos = [self._photo(sorted(f.glob("*.jpg"))[0]) for f in folders]
        width, height = self.size
        ramp = np.linspace(60, 150, width, dtype=np.float32)[None, :, None]
        shade = np.linspace(0.8, 1.1, height, dtype=np.float32)[:, None, None]
        self._background = np.clip(ramp * shade * [0.9, 1.0, 1.15], 0, 255).astype(np.uint8)

    @staticmethod
    def _photo(path: Path) -> np.ndarray:
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        width = round(rgb.shape[1] * PHOTO_HEIGHT / rgb.shape[0])
        return cv2.resize(rgb, (width, PHOTO_HEIGHT), interpolation=cv2.INTER_AREA)

    def in_view(self, index: int) -> list[str]:
        """Names of the people visible in frame `index`."""
        t = self._t(index)
        return [self.people[(a.person + self.variant) % len(self.people)]
                for a in SCHEDULE if a.start <= t < a.end]

    def _t(self, index: int) -> float:
        return (index / self.fps + 7.0 * self.variant) % LOOP_SECONDS

    def frame(self, index: int) -> np.ndarray:
        """(height, width, 3) uint8 RGB frame number `index`."""
        if self._background is None:
            self.load()
        t = self._t(index)
        frame = self._background.copy()
        width, height = self.size
        for a in SCHEDULE:
            if not a.start <= t < a.end:
                continue
            photo = self._photos[(a.person + self.variant) % len(self._photos)]
            h, w = photo.shape[:2]
            # Slot centres at 1/6, 1/2, 5/6 of the width; a slow drift of +-12 px.
            cx = width * (1 + 2 * a.slot) / 6 + 12 * np.sin(2 * np.pi * t / 5 + a.slot)
            cy = height / 2 + 8 * np.cos(2 * np.pi * t / 7 + a.person)
            x0 = int(np.clip(cx - w / 2, 0, width - w))
            y0 = int(np.clip(cy - h / 2, 0, height - h))
            frame[y0:y0 + h, x0:x0 + w] = photo
        return frame
