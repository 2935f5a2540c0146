"""One recognition budget for every camera of the runner.

Detection and embedding take most of the CPU; with several cameras, one thread per camera
would let the busiest camera (or simply the luckiest thread) take the cores. Here a fixed
number of recognition threads (`threads`, 1 by default: LiteRT already uses the cores
inside one call) serve the cameras in turn: each free thread takes the camera that has
waited longest among those with a new frame and whose own rate (`max_rate`, cycles per
second, set per camera) allows another cycle. Under overload every camera's recognition
rate drops by the same share; capture and display run in the cameras' own threads, so the
display rate does not drop.
"""
from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger(__name__)


class RecognitionBudget:
    def __init__(self, threads: int = 1):
        self._cond = threading.Condition()
        self._cameras: dict[int, dict] = {}  # id(camera) -> {"camera", "served", "busy"}
        self._stop = False
        self._threads = [threading.Thread(target=self._work, name=f"recognition-{i}", daemon=True)
                         for i in range(threads)]
        for t in self._threads:
            t.start()

    def add(self, camera) -> None:
        with self._cond:
            self._cameras[id(camera)] = {"camera": camera, "served": 0.0, "busy": False}
            self._cond.notify_all()

    def remove(self, camera) -> None:
        with self._cond:
            self._cameras.pop(id(camera), None)

    def wake(self) -> None:
        """A camera has a new frame."""
        with self._cond:
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        for t in self._threads:
            t.join(5)

    def _due(self, now: float) -> tuple[dict | None, float]:
        """The entry to serve now (the longest waiting), else how long until one may be."""
        best, wait = None, 1.0
        for entry in self._cameras.values():
            camera = entry["camera"]
            if entry["busy"] or camera._latest is None:
                continue
            rate = getattr(camera, "max_rate", None)
            next_at = entry["served"] + (1.0 / rate if rate else 0.0)
            if next_at > now:
                wait = min(wait, next_at - now)
            elif best is None or entry["served"] < best["served"]:
                best = entry
        return best, wait

    def _work(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stop:
                        return
                    entry, wait = self._due(time.monotonic())
                    if entry is not None:
                        break
                    self._cond.wait(wait)
                entry["busy"], entry["served"] = True, time.monotonic()
            camera = entry["camera"]
            try:
                latest = camera.take_frame()
                if latest is not None:
                    camera.recognizer.process(*latest)
            except Exception:  # a bad frame must not end recognition for every camera
                log.exception("live recognition failed on one frame")
            finally:
                with self._cond:
                    entry["busy"] = False
                    self._cond.notify()
