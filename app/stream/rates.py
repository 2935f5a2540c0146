"""Rates over a sliding window (frames, recognition cycles)."""
from __future__ import annotations

from collections import deque


class RateMeter:
    """Events per second over the last `window` seconds."""

    def __init__(self, window: float = 2.0):
        self.window = window
        self._times: deque[float] = deque()

    def tick(self, now: float) -> None:
        self._times.append(now)
        while self._times and now - self._times[0] > self.window:
            self._times.popleft()

    def rate(self, now: float) -> float:
        """Read from request threads while the camera's thread ticks: the deque is copied
        first (one C call, atomic under the GIL); iterating it directly raised "deque
        mutated during iteration", a 500 from /api/cameras and /api/stream/status."""
        recent = [t for t in tuple(self._times) if now - t <= self.window]
        return len(recent) / self.window if len(recent) > 1 else 0.0
