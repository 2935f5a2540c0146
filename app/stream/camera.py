"""One capture thread per camera source, shared by every viewer.

The capture thread reads frames at the source's pace, draws the recognizer's current tracks
on each, JPEG-encodes it once and publishes it to all viewers. A second thread runs the
recognizer on the newest frame, so slow recognition never slows the video. The camera starts
with its first viewer, stops after `idle_seconds` without one, and reconnects with backoff
when its source fails.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Iterator

from ..recognition.jpeg import to_jpeg
from .annotate import annotate
from .rates import RateMeter
from .recognizer import LiveRecognizer
from .sources import SourceError

log = logging.getLogger(__name__)


class LiveCamera:
    """A shared live view of one source.

    Args:
        make_source: returns a new, unopened source (sources.VideoSource / DemoSource).
        recognizer: names the faces; None shows plain video.
        idle_seconds: stop capturing this long after the last viewer left; None: never
            (cameras of the camera runner recognise whether or not anyone watches).
        backoff: first and longest wait, in seconds, between reconnection attempts.
        budget: the recognition budget shared with other cameras (budget.py); None: this
            camera recognises in a thread of its own.
        privacy: whose faces are hidden in its frames (annotate.PRIVACY).
    """

    def __init__(self, make_source: Callable, recognizer: LiveRecognizer | None = None,
                 idle_seconds: float = 10.0, jpeg_quality: int = 80,
                 backoff: tuple[float, float] = (0.5, 8.0), budget=None, privacy: str = "off"):
        self.make_source = make_source
        self.budget = budget
        self.opened = 0  # times a source was opened since this camera was made
        self.max_rate: float | None = None  # recognition cycles per second (budget)
        self.recognizer = recognizer
        self.idle_seconds = idle_seconds
        self.jpeg_quality = jpeg_quality
        self.privacy = privacy
        self.backoff = backoff
        self.state, self.message, self.source_name = "stopped", "", ""
        self.frame_size: tuple[int, int] | None = None
        self._cond = threading.Condition()
        self._frame_id, self._jpeg = 0, b""
        self._latest = None  # (rgb, captured_at) waiting for the recognizer
        self._new_frame = threading.Event()
        self._stop = threading.Event()
        self._closed = False  # set by stop(): no restart, viewers' generators end
        self._thread: threading.Thread | None = None
        self._last_access = 0.0
        self._fps_in, self._fps_out = RateMeter(), RateMeter()

    # Viewers ---------------------------------------------------------------------------

    def touch(self) -> None:
        """Note a viewer; start the capture thread if it is not running."""
        self._last_access = time.monotonic()
        with self._cond:
            if not self._closed and (self._thread is None or not self._thread.is_alive()):
                self._stop.clear()
                self.state = "starting"
                self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
                self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the capture thread is alive (it ends idle_seconds after the last viewer)."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def next_jpeg(self, after: int, timeout: float = 2.0) -> tuple[int, bytes] | None:
        """Wait for a frame newer than id `after`; returns (id, jpeg) or None on timeout."""
        self.touch()
        with self._cond:
            if not self._cond.wait_for(lambda: self._frame_id > after, timeout):
                return None
            return self._frame_id, self._jpeg

    def frames(self) -> Iterator[bytes]:
        """JPEG frames for one viewer, as they come; every viewer shares the same bytes."""
        last = 0
        while not self._closed:
            got = self.next_jpeg(last)
            if got is not None:
                last, jpeg = got
                yield jpeg

    def status(self) -> dict:
        now = time.monotonic()
        tracks = self.recognizer.track_status() if self.recognizer else []
        return {"state": self.state, "message": self.message, "source": self.source_name,
                "frame_size": self.frame_size,
                "fps_in": round(self._fps_in.rate(now), 1),
                "fps_out": round(self._fps_out.rate(now), 1),
                "recognition_latency_ms": round(self.recognizer.latency_ms, 1)
                if self.recognizer else None,
                "recognition_fps": round(self.recognizer.rate.rate(now), 1)
                if self.recognizer else None,
                "detect_cycles": dict(self.recognizer.cycles) if self.recognizer else None,
                "opened": self.opened, "tracks": tracks}

    def stop(self, timeout: float = 5.0) -> None:
        """Stop both threads and release the source (for shutdown and tests)."""
        self._closed = True
        self._stop.set()
        self._new_frame.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    # Threads ---------------------------------------------------------------------------

    def _idle(self) -> bool:
        if self.idle_seconds is None:
            return False
        return time.monotonic() - self._last_access > self.idle_seconds

    def _run(self) -> None:
        recognition = None
        if self.recognizer is not None and self.budget is not None:
            self.budget.add(self)
        elif self.recognizer is not None:
            recognition = threading.Thread(target=self._recognize, name="recognizer", daemon=True)
            recognition.start()
        try:
            self._capture_with_reconnect()
        finally:
            self._stop.set()
            self._new_frame.set()
            if self.budget is not None:
                self.budget.remove(self)
            if recognition is not None:
                recognition.join(5)
            self.state = "stopped"
            with self._cond:
                self._thread = None
                self._cond.notify_all()

    def _capture_with_reconnect(self) -> None:
        wait = self.backoff[0]
        while not self._stop.is_set() and not self._idle():
            source = self.make_source()
            self.source_name = str(source.spec)
            try:
                source.open()
                self.opened += 1
                self.state, self.message = "live", ""
                wait = self.backoff[0]
                self._capture(source)
                if self._stop.is_set() or self._idle():
                    return
                self.message = f"{self.source_name} stopped sending frames; reconnecting"
            except SourceError as exc:
                self.message = str(exc)
                self.state = "failed"  # could not be opened: the message says why
            else:
                self.state = "reconnecting"  # was live, stopped sending frames
            finally:
                source.close()
            log.warning("camera %s: %s (retry in %.1f s)", self.source_name, self.message, wait)
            if self._stop.wait(wait):
                return
            wait = min(wait * 2, self.backoff[1])

    def _capture(self, source) -> None:
        """Read, annotate, encode, publish until the source fails, we stop or go idle."""
        while not self._stop.is_set() and not self._idle():
            rgb = source.read()
            if rgb is None:
                return
            captured_at = time.monotonic()
            self._fps_in.tick(captured_at)
            self.frame_size = (rgb.shape[1], rgb.shape[0])
            self._latest = (rgb, captured_at)
            self._new_frame.set()
            if self.budget is not None:
                self.budget.wake()
            tracks = self.recognizer.tracks() if self.recognizer else []
            lingering = self.recognizer.lingering() if self.recognizer and self.privacy != "off" else []
            jpeg = to_jpeg(annotate(rgb, tracks, self.privacy, lingering), self.jpeg_quality, bgr=True)
            with self._cond:
                self._frame_id += 1
                self._jpeg = jpeg
                self._cond.notify_all()
            self._fps_out.tick(time.monotonic())

    def take_frame(self):
        """The newest frame not yet recognised, as (rgb, captured_at), or None (the budget
        calls this; older frames were dropped)."""
        latest, self._latest = self._latest, None
        return latest

    def _recognize(self) -> None:
        while not self._stop.is_set():
            self._new_frame.wait(1.0)
            self._new_frame.clear()
            latest, self._latest = self._latest, None
            if latest is None:
                continue
            try:
                self.recognizer.process(*latest)
            except Exception:  # a bad frame must not end recognition for every viewer
                log.exception("live recognition failed on one frame")
