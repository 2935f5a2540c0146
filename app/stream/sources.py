"""Where live frames come from: a webcam index, a video file, an RTSP/HTTP URL, or `demo`.

Every source yields RGB frames ((H, W, 3) uint8) at its own pace; `read()` returns None when
the source has failed or ended, and the capture thread then reconnects.
"""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from ..events.targets import TargetError, check_host, split_url
from .demo import DemoScene


class SourceError(Exception):
    """The source cannot be opened; the message says what to check."""


class VideoSource:
    """cv2.VideoCapture over a webcam index, a file (looped) or a stream URL.

    Files are paced at their own frame rate (a file read as fast as possible would play
    in fast-forward); cameras and streams block in read() at theirs.
    """

    def __init__(self, spec: str | int, size: tuple[int, int] | None = None):
        self.spec = spec
        self.size = size
        self.is_file = isinstance(spec, str) and Path(spec).is_file()
        self._capture: cv2.VideoCapture | None = None
        self._next_at = 0.0

    @property
    def fps(self) -> float:
        fps = self._capture.get(cv2.CAP_PROP_FPS) if self._capture else 0
        return fps if 1 <= fps <= 120 else 25.0

    def open(self) -> None:
        if isinstance(self.spec, str) and not self.is_file and "://" not in self.spec:
            raise SourceError(f"No video file at {self.spec}. Check the camera's source (or FACES_CAMERA_SOURCE).")
        capture = cv2.VideoCapture(self.spec)
        if not capture.isOpened():
            capture.release()
            what = f"camera {self.spec}" if isinstance(self.spec, int) else self.spec
            raise SourceError(f"Could not open {what}. Check that it is connected and not "
                              "used by another program.")
        self._capture = capture
        self._next_at = time.monotonic()

    def read(self) -> np.ndarray | None:
        if self._capture is None:
            return None
        ok, bgr = self._capture.read()
        if not ok and self.is_file:  # loop a file: rewind once
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, bgr = self._capture.read()
        if not ok:
            return None
        if self.is_file:
            self._next_at = paced(self._next_at, self.fps)
        if self.size and (bgr.shape[1], bgr.shape[0]) != self.size:
            bgr = cv2.resize(bgr, self.size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def paced(due_at: float, fps: float) -> float:
    """Sleep until the frame after the one due at `due_at` (monotonic seconds) is due, and
    return when that was. A source that fell behind (its process starved of CPU) goes on
    from now: it skips the time it lost, as a live camera does, instead of catching up in
    a burst faster than `fps` (viewers counted up to 38 frames a second of a 25 fps demo)."""
    due = max(due_at + 1.0 / fps, time.monotonic())
    time.sleep(max(0.0, due - time.monotonic()))
    return due


class DemoSource:
    """Frames of a DemoScene at a fixed rate, for machines without a camera."""

    def __init__(self, samples_dir: Path, size: tuple[int, int] = (640, 480), fps: float = 25.0,
                 variant: int = 0):
        self.spec = "demo"
        self.fps = fps
        self._scene = DemoScene(samples_dir, size, fps, variant)
        self._index = 0
        self._next_at = 0.0

    def open(self) -> None:
        self._scene.load()
        self._next_at = time.monotonic()

    def read(self) -> np.ndarray | None:
        self._next_at = paced(self._next_at, self.fps)
        frame = self._scene.frame(self._index)
        self._index += 1
        return frame

    def close(self) -> None:
        pass


STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")


def check_source(spec: str, videos_dir: Path, allow_local: bool = True) -> str:
    """A source that an operator or a viewer may choose: `auto`, `demo`, a webcam index,
    an rtsp:// or http(s):// URL (one of a loopback or link-local host only with
    `allow_local`: app/events/targets.py), or a video file inside `videos_dir` (a bare name is
    looked for there). Returns the spec (a file as its full path); SourceError otherwise,
    so that nobody can make the server open an arbitrary file or address scheme."""
    spec = spec.strip()
    if spec in ("auto", "demo") or (spec.isdigit() and len(spec) <= 2):
        return spec
    if any(not c.isprintable() or c.isspace() for c in spec):
        raise SourceError("The source holds spaces or control characters; give a webcam "
                          "number, a video file name or an rtsp:// or http:// URL.")
    try:
        parts = split_url(spec)
        if parts.scheme in STREAM_SCHEMES and parts.netloc:
            check_host(spec, allow_local)
            return spec
    except TargetError as e:
        raise SourceError(str(e)) from None
    if parts.scheme and len(parts.scheme) > 1:  # not a Windows drive letter
        raise SourceError(f"Sources with {parts.scheme}: are not allowed; give an rtsp://, "
                          "http:// or https:// URL, a webcam number or a video file name.")
    folder = Path(videos_dir).resolve()
    path = (folder / spec).resolve()
    if not path.is_relative_to(folder):
        raise SourceError(f"Video files must be in {folder}; copy the file there and give "
                          "its name.")
    return str(path)


def make_source(spec: str, samples_dir: Path, size: tuple[int, int] = (640, 480),
                variant: int = 0):
    """A source from FACES_CAMERA_SOURCE: "demo", a webcam index ("0"), a file path or a URL.
    `variant` picks the demo's people and timing (each camera's demo differs)."""
    spec = str(spec).strip()
    if spec == "demo":
        return DemoSource(samples_dir, size, variant=variant)
    if spec.isdigit():
        return VideoSource(int(spec), size)
    return VideoSource(spec, size)
