"""Follow faces from one detection to the next and vote on their names.

A track is a face seen in consecutive detections (boxes overlapping by IoU). Its name is the
majority of its recent matches, so one bad frame does not flip the label. New or unconfirmed
tracks are embedded at every detection; confirmed ones are re-checked about once a second.
"""
from __future__ import annotations

import itertools
import time
from collections import Counter, deque
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Track:
    """One face followed over time. Times are time.monotonic() seconds."""

    id: int
    box: np.ndarray  # (4,) x1, y1, x2, y2 in frame pixels
    first_seen: float
    last_seen: float
    votes: deque = field(default_factory=lambda: deque(maxlen=5))  # (name | None, distance)
    last_checked: float = float("-inf")
    named_at: float | None = None  # when it first got a name (None: never)
    reason: str | None = None  # why its last face was too poor to name (None: it was not)
    face: object = None  # the last checked face: (aligned (160,160,3) uint8, embedding)
    announced: bool = False  # its arrival has been reported
    # While unknown: its best crops, (quality, aligned, embedding), best first (kept as
    # sightings, app/library), the group they joined and which were written (id() of the
    # embedding: a better crop may come after the first was written).
    best: list = field(default_factory=list)
    group_id: int | None = None
    written: set = field(default_factory=set)

    def keep_best(self, quality: float, aligned: np.ndarray, embedding: np.ndarray, n: int) -> None:
        """Keep this crop if it is among the n best seen of this track."""
        self.best.append((quality, aligned, embedding))
        self.best.sort(key=lambda b: -b[0])
        del self.best[n:]

    @property
    def name(self) -> str | None:
        """Majority of the recent matches; None = unknown (or not yet checked)."""
        if not self.votes:
            return None
        (name, _), = Counter(v[0] for v in self.votes).most_common(1)
        return name

    @property
    def distance(self) -> float | None:
        ds = [d for n, d in self.votes if n == self.name and d is not None]
        return float(np.mean(ds)) if ds else None

    @property
    def confirmed(self) -> bool:
        """At least two matches, and the current name holds most of them."""
        return len(self.votes) >= 2 and Counter(v[0] for v in self.votes)[self.name] >= 2

    def vote(self, name: str | None, distance: float | None, now: float) -> None:
        """Add a match made on a frame captured at `now`."""
        self.votes.append((name, distance))
        self.last_checked = now
        if self.name is not None and self.named_at is None:
            self.named_at = time.monotonic()  # when the name became known, not the frame


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes a (M, 4) and b (N, 4) -> (M, N)."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / np.maximum(area_a[:, None] + area_b[None, :] - inter, 1e-9)


class Tracker:
    """Greedy IoU association of each detection round with the live tracks.

    Args:
        min_iou: a detection continues a track when their boxes overlap at least this much.
        max_age: a track survives this many seconds without its face (in seconds, not
            rounds: detection runs 30-60 times a second, and a face the detector misses for
            a few frames must keep its track, its votes and its arrival).
        recheck_seconds: confirmed tracks are embedded again after this long.
    """

    def __init__(self, min_iou: float = 0.3, max_age: float = 1.0, recheck_seconds: float = 1.0):
        self.min_iou = min_iou
        self.max_age = max_age
        self.recheck_seconds = recheck_seconds
        self.tracks: list[Track] = []
        self.ended: list[Track] = []  # the tracks the last update dropped
        self._ids = itertools.count(1)

    def update(self, boxes: np.ndarray, now: float) -> list[Track]:
        """Associate this round's boxes ((N, 4)) with tracks; returns the track of each box."""
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        assigned: list[Track | None] = [None] * len(boxes)
        if self.tracks and len(boxes):
            overlap = iou(np.stack([t.box for t in self.tracks]), boxes)
            # Best overlaps first; each track and each box used once.
            for flat in np.argsort(overlap, axis=None)[::-1]:
                ti, bi = divmod(int(flat), len(boxes))
                if overlap[ti, bi] < self.min_iou:
                    break
                track = self.tracks[ti]
                if assigned[bi] is None and all(a is not track for a in assigned):
                    assigned[bi] = track
        for bi, box in enumerate(boxes):
            if assigned[bi] is None:
                assigned[bi] = Track(next(self._ids), box, now, now)
                self.tracks.append(assigned[bi])
            track = assigned[bi]
            track.box, track.last_seen = box, now
        self.ended = [t for t in self.tracks if now - t.last_seen > self.max_age]
        self.tracks = [t for t in self.tracks if now - t.last_seen <= self.max_age]
        return assigned

    def needs_check(self, track: Track, now: float) -> bool:
        return not track.confirmed or now - track.last_checked >= self.recheck_seconds
