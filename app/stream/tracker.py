"""Follow faces from one detection to the next and decide who they are.

A track is a face seen in consecutive detections (boxes overlapping by IoU). Who it is, is
decided from all its checked faces: their embeddings averaged, each weighted by its face's
quality (size x sharpness x frontal pose, 0..1), and the mean compared with the gallery at
the threshold of its best face (calibration.py) less TRACK_MARGIN. Averaging cancels what
differs from face to face (sensor noise, blur, pose), so a track is named where its single
faces are not. On synthesised camera video of LFW dev people (scripts/bench_tracks.py,
docs/CAMERAS.md) it named 60 % of enrolled people's tracks right where the former majority
vote of the last five single-face matches named 55 %, with a third of its wrong names.
Names are only shown. New or unconfirmed tracks are embedded at every detection; confirmed
ones are re-checked about once a second.
"""
from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from ..events.sink import SeenTrack
from ..library.sightings import Crop
from ..recognition.quality import FaceConditions

# A face's weight in its track's mean is its quality, at least this: a profile or a blurred
# face still counts a little, and a track's first face always gives a mean.
MIN_WEIGHT = 0.05
# A track is named only this much within its threshold: it is checked again and again (each
# time on more faces), and every check is one more chance for a stranger to be named.
# bench_tracks (900 tracks, 5 splits): wrong names per 1,000 tracks 16.7 with no margin, 8.9
# at 0.03, 5.6 at 0.04 and still 5.6 at 0.06, named right 63.6 / 61.3 / 60.0 / 56.9 %; with
# fresh tracks first (Tracker.update) 4.4 at 0.04, the 4 left enrolled people nearer a
# lookalike than their own photo (docs/CAMERAS.md).
TRACK_MARGIN = 0.04


@dataclass(frozen=True)
class LiveMatch:
    """Who a track's faces are: `person_id` (None: nobody within the threshold), the
    person's `name` for display, the L2 `distance` of the track's mean embedding; `reason`:
    why its faces are too poor to name (None: they are not)."""

    person_id: int | None
    name: str | None = None
    distance: float | None = None
    reason: str | None = None


@dataclass
class Track:
    """One face followed over time. Times are time.monotonic() seconds."""

    id: int
    box: np.ndarray  # (4,) x1, y1, x2, y2 in frame pixels
    first_seen: float
    last_seen: float
    votes: deque = field(default_factory=lambda: deque(maxlen=5))  # LiveMatch, newest last
    # Its faces' embeddings (128,), each times its weight, summed (None: no face yet); the
    # conditions and quality of its best face.
    evidence: np.ndarray | None = None
    conditions: FaceConditions | None = None
    quality: float = -1.0
    last_checked: float = float("-inf")
    named_at: float | None = None  # when it first got a person (None: never)
    face: object = None  # the last checked face: (aligned (160,160,3) uint8, embedding)
    announced: bool = False  # its confirmation has been handed on
    # While unknown: its best crops (kept as sightings, app/library), best first, numbered
    # in the order they were seen.
    best: list = field(default_factory=list)
    crops_seen: int = 0

    def keep_best(self, quality: float, aligned: np.ndarray, embedding: np.ndarray, n: int) -> None:
        """Keep this crop if it is among the n best seen of this track."""
        self.best.append(Crop(self.crops_seen, quality, aligned, embedding))
        self.crops_seen += 1
        self.best.sort(key=lambda b: -b.quality)
        del self.best[n:]

    def add(self, embedding: np.ndarray, quality: float, conditions: FaceConditions) -> None:
        """Count one more face: its (128,) unit embedding, weighted by its quality (0..1)."""
        weighted = max(quality, MIN_WEIGHT) * np.asarray(embedding, np.float32)
        self.evidence = weighted if self.evidence is None else self.evidence + weighted
        if quality > self.quality:
            self.quality, self.conditions = quality, conditions

    @property
    def embedding(self) -> np.ndarray:
        """(128,) unit vector: the quality-weighted mean of its faces' embeddings."""
        return self.evidence / max(float(np.linalg.norm(self.evidence)), 1e-12)

    @property
    def person_id(self) -> int | None:
        """Who all its faces so far are (the newest match of its mean); None = unknown (or
        not yet checked)."""
        return self.votes[-1].person_id if self.votes else None

    @property
    def name(self) -> str | None:
        """The person's name as last matched (a rename shows at the next check)."""
        return self.votes[-1].name if self.votes else None

    @property
    def distance(self) -> float | None:
        """L2 distance of its mean embedding to the nearest person (None: not checked)."""
        return self.votes[-1].distance if self.votes else None

    @property
    def confirmed(self) -> bool:
        """Its last two matches (each of all its faces until then) agree."""
        return len(self.votes) >= 2 and self.votes[-2].person_id == self.votes[-1].person_id

    def vote(self, match: LiveMatch, now: float) -> None:
        """Record the match of its faces up to a frame captured at `now`."""
        self.votes.append(match)
        self.last_checked = now
        if self.person_id is not None and self.named_at is None:
            self.named_at = time.monotonic()  # when the person became known, not the frame

    def seen(self) -> SeenTrack:
        """An immutable snapshot for the sink (app/events/sink.py)."""
        return SeenTrack(self.id, self.person_id, self.name, self.distance, self.confirmed,
                         self.face, tuple(self.best))


def _intersections(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes a (M, 4) and b (N, 4) -> their intersections' areas (M, N), a's areas (M, 1)
    and b's (1, N)."""
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter, area_a[:, None], area_b[None, :]


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes a (M, 4) and b (N, 4) -> (M, N)."""
    inter, area_a, area_b = _intersections(a, b)
    return inter / np.maximum(area_a + area_b - inter, 1e-9)


def inside(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M, N) share of the smaller of each pair of boxes a (M, 4), b (N, 4) that lies in
    the other (1: one is inside the other)."""
    inter, area_a, area_b = _intersections(a, b)
    return inter / np.maximum(np.minimum(area_a, area_b), 1e-9)


class Tracker:
    """Greedy IoU association of each detection round with the live tracks.

    Args:
        min_iou: a detection continues a track when their boxes overlap at least this much.
        max_age: a track survives this many seconds without its face (in seconds, not
            rounds: detection runs 30-60 times a second, and a face the detector misses for
            a few frames must keep its track, its votes and its arrival).
        recheck_seconds: confirmed tracks are embedded again after this long.
    """

    track_type = Track  # what a new face starts (scripts/bench_tracks.py: the former rule's)

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
            latest = max(t.last_seen for t in self.tracks)
            # Tracks seen in the last round first, then those the detector lost a moment ago:
            # a face that moved into the place of a lost one is the face its own track was
            # following (bench_tracks: a bystander's named track, lost for five rounds, took
            # the passer-by's face that had walked into its place, and showed its name).
            for fresh in (True, False):
                self._associate(overlap, assigned, lambda t: (t.last_seen == latest) == fresh)
        for bi, box in enumerate(boxes):
            if assigned[bi] is None:
                assigned[bi] = self.track_type(next(self._ids), box, now, now)
                self.tracks.append(assigned[bi])
            track = assigned[bi]
            track.box, track.last_seen = box, now
        self.ended = [t for t in self.tracks if now - t.last_seen > self.max_age]
        self.tracks = [t for t in self.tracks if now - t.last_seen <= self.max_age]
        return assigned

    def _associate(self, overlap: np.ndarray, assigned: list, eligible) -> None:
        """Give each box (column of `overlap`, tracks x boxes) the `eligible` track it
        overlaps most, best overlaps first, each track and box used once (in `assigned`)."""
        for flat in np.argsort(overlap, axis=None)[::-1]:
            ti, bi = divmod(int(flat), overlap.shape[1])
            if overlap[ti, bi] < self.min_iou:
                break
            track = self.tracks[ti]
            if eligible(track) and assigned[bi] is None and all(a is not track for a in assigned):
                assigned[bi] = track

    def needs_check(self, track: Track, now: float) -> bool:
        return not track.confirmed or now - track.last_checked >= self.recheck_seconds
