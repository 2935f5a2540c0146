"""Rates over a sliding window (frames, recognition cycles)."""
from __future__ import annotations

import threading
from collections import deque


class RateMeter:
    """Events per second over the last `window` seconds. A camera's thread ticks it while
    status requests read it: the lock keeps a read from iterating a deque being changed
    (a 500 on GET /api/cameras before)."""

    def __init__(self, window: float = 2.0):
        self.window = window
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self, now: float) -> None:
        with self._lock:
            self._times.append(now)
            while self._times and now - self._times[0] > self.window:
                self._times.popleft()

    def rate(self, now: float) -> float:
        with self._lock:
            recent = sum(1 for t in self._times if now - t <= self.window)
        return recent / self.window if recent > 1 else 0.0
