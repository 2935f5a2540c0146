"""The track rules bench_tracks compares, each run through the product's own LiveRecognizer
and Tracker on the cached video: the product's (all faces' quality-weighted mean), the
former majority vote of the last five single-frame matches, and variants of the mean."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np

from app.recognition.quality import GREY_SPREAD, FaceConditions, quality_of
from app.recognition.select import side
from app.recognition.types import Detection
from app.stream.recognizer import LiveRecognizer, Seen
from app.stream.tracker import Track, Tracker
from scripts.bench_tracks_video import Video


class _Cached:
    """What LiveRecognizer asks of a pipeline when the faces come from the cache."""

    detector = SimpleNamespace(models_dir=None)

    def with_detector(self, detector):
        return self


class Replay(LiveRecognizer):
    """The product's recognizer on track t of a cached video: process(i, now) sees frame i's
    faces as the live pipeline found and embedded them."""

    def __init__(self, lookup, video: Video, t: int, tracker: Tracker):
        super().__init__(_Cached(), lookup, tracker=tracker)
        self.video, self.t = video, t

    def find(self, frame: int, captured_at: float) -> list:
        """Frame `frame`'s faces as the live pipeline found them (the cache holds them)."""
        v, t = self.video, self.t
        found = [int(j) for j in np.flatnonzero(~np.isnan(v.scores[t, frame]))]
        detections = [Detection(v.boxes[t, frame, j], float(v.scores[t, frame, j]),
                                 v.landmarks[t, frame, j]) for j in found]
        self._slots = {id(d): j for d, j in zip(detections, found)}
        return detections

    def _embed(self, frame: int, detections: list) -> list[Seen]:
        v, t, out = self.video, self.t, []
        for d in detections:
            j = self._slots[id(d)]
            c = FaceConditions(bool(v.spread[t, frame, j] < GREY_SPREAD), side(d),
                               float(v.sharpness[t, frame, j]))
            out.append(Seen(None, v.embeddings[t, frame, j], c, quality_of(d, c.sharpness)))
        return out


@dataclass
class VoteTrack(Track):
    """The former rule: the person holding most weight among the last five single-frame
    matches (each 1.0), the earliest on a tie; confirmed when two matches or more name them."""

    window: int | None = 5
    weights: deque = field(default_factory=deque)  # each vote's weight, as votes

    def __post_init__(self):
        self.votes, self.weights = deque(maxlen=self.window), deque(maxlen=self.window)

    def _totals(self) -> dict:
        totals: dict = {}
        for v, w in zip(self.votes, self.weights):
            totals[v.person_id] = totals.get(v.person_id, 0.0) + w
        return totals

    @property
    def person_id(self):
        totals = self._totals()
        return max(totals, key=totals.get) if totals else None

    @property
    def name(self):
        pid = self.person_id
        return None if pid is None else next(v.name for v in reversed(self.votes) if v.person_id == pid)

    @property
    def confirmed(self) -> bool:
        pid = self.person_id
        return len(self.votes) >= 2 and sum(v.person_id == pid for v in self.votes) >= 2


@dataclass
class QualityVoteTrack(VoteTrack):
    """Every single-frame match of the track, each weighted by its face's quality."""

    window: int | None = None


class VoteReplay(Replay):
    """Each face matched on its own (its own conditions) and voted into its track."""

    def _check(self, tracks: list, faces: list[Seen], captured_at: float) -> list:
        matches = self.lookup(np.stack([f.embedding for f in faces]), [f.conditions for f in faces])
        for track, face, match in zip(tracks, faces, matches):
            track.weights.append(1.0 if track.window else max(face.quality, 0.05))
            track.vote(match, captured_at)
        return []


@dataclass
class UniformTrack(Track):
    """The mean of a track's faces, every face weighing the same."""

    def add(self, embedding, quality, conditions) -> None:
        self.evidence = embedding.copy() if self.evidence is None else self.evidence + embedding
        if quality > self.quality:
            self.quality, self.conditions = quality, conditions


def tracker_of(track_type):
    return type(f"{track_type.__name__}Tracker", (Tracker,), {"track_type": track_type})


# name -> (recognizer, tracker, margin: how much lower than the configured threshold)
RULES = {
    "majority_last5": (VoteReplay, tracker_of(VoteTrack), 0.0),
    "majority_last5_m03": (VoteReplay, tracker_of(VoteTrack), 0.03),
    "vote_quality_all": (VoteReplay, tracker_of(QualityVoteTrack), 0.0),
    "mean_uniform": (Replay, tracker_of(UniformTrack), 0.0),
    **{f"mean_quality_m{round(100 * m):02d}": (Replay, Tracker, m) for m in (0.0, 0.02, 0.03, 0.04, 0.06)},
}
