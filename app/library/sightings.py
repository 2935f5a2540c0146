"""Where sightings come from and when they go: an unknown camera track (its best crops:
sharp, large, frontal), the unknown faces of an upload (`identify?remember=1`), and expiry
after SIGHTINGS_MAX_AGE_DAYS (never for a dismissed group, which must keep recognising the
face it was dismissed for)."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

import numpy as np
from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..faces.photos import CROP_QUALITY, face_problem
from ..models import Sighting, UnknownGroup, utcnow
from ..recognition.jpeg import to_jpeg
from ..recognition.quality import face_quality, sharpness
from .grouping import Seen, assigner, remember

log = logging.getLogger(__name__)
EXPIRE_EVERY = 3600.0  # seconds between a process's expiry passes (each is one indexed DELETE)


def expire_now_and_then() -> None:
    """Expire old sightings at most once an hour per process, as new ones arrive."""
    from ..faces import state

    centres = state().groups
    if time.monotonic() - centres.expired_at >= EXPIRE_EVERY:
        centres.expired_at = time.monotonic()
        expire_sightings()


class Crop(NamedTuple):
    """One crop of an unknown camera track: `seq` numbers it within its track, `quality`
    ranks it (recognition/quality.py), aligned (160, 160, 3) uint8, (128,) embedding."""

    seq: int
    quality: float
    aligned: np.ndarray
    embedding: np.ndarray


def _sharp(crop: Crop) -> bool:
    """As sharp as an enrolment photo must be (the live detector's minimum face is the
    enrolment minimum already)."""
    return sharpness(crop.aligned) >= current_app.config["MIN_SHARPNESS"]


def _seen(crop: Crop, camera_id: int, camera_name: str) -> Seen:
    return Seen(np.asarray(crop.embedding, np.float32), to_jpeg(crop.aligned, CROP_QUALITY),
                quality=crop.quality, camera=camera_name,
                camera_id=camera_id if camera_id > 0 else None)  # 0 browser, -1 preview: no row


@dataclass
class _Remembered:
    group_id: int
    written: set[int]  # the crops (seq) already sightings
    touched: float  # time.monotonic() of the last cycle that saw the track


class UnknownTracks:
    """The unknown camera tracks remembered as sightings, per process: for each (recognizer
    key, track id), the group its crops joined and which crops were written (a better crop
    may come after the first was). Tracks are not changed: the recognizers own them.
    Entries go when their track ends, or when no cycle saw them for `keep` seconds (a
    recognizer that stopped: a browser gone, a camera removed)."""

    def __init__(self, keep: float = 600.0):
        self.keep = keep
        self._lock = threading.Lock()  # cameras' recognition threads share it
        self._tracks: dict[tuple[str, int], _Remembered] = {}

    def group_of(self, key: str, track_id: int) -> int | None:
        entry = self._tracks.get((key, track_id))
        return None if entry is None else entry.group_id

    def seen(self, key: str, track_ids, now: float) -> None:
        """Tracks of `key` seen in a cycle at `now`; entries unseen for `keep` go."""
        with self._lock:
            for track_id in track_ids:
                if (entry := self._tracks.get((key, track_id))) is not None:
                    entry.touched = now
            for k in [k for k, e in self._tracks.items() if now - e.touched > self.keep]:
                del self._tracks[k]

    def confirmed(self, key: str, track_id: int, best, camera_id: int, camera_name: str,
                  now: float) -> UnknownGroup | None:
        """A track confirmed unknown: its best crop so far (`best`: Crops, best first)
        becomes a sighting at once (its group is then known to the live page and to
        Arrivals); None when the crop is too blurred to keep. The caller commits."""
        if not best or not _sharp(best[0]):
            return None
        expire_now_and_then()
        sighting, = remember([_seen(best[0], camera_id, camera_name)])
        with self._lock:
            self._tracks[(key, track_id)] = _Remembered(sighting.group_id, {best[0].seq}, now)
        return sighting.group

    def ended(self, key: str, track_id: int, best, camera_id: int, camera_name: str) -> None:
        """A track left the view: if it was remembered, its other best crops join its
        group. The caller commits."""
        with self._lock:
            entry = self._tracks.pop((key, track_id), None)
        if entry is None:
            return
        rest = [c for c in best[:current_app.config["SIGHTINGS_PER_TRACK"]]
                if c.seq not in entry.written and _sharp(c)]
        if rest:
            remember([_seen(c, camera_id, camera_name) for c in rest], group_id=entry.group_id)


def upload_faces(faces, sha256: str) -> list[int | None]:
    """The unknown faces of an upload (recognition Faces) as sightings; their group ids,
    None for a face too small or blurred to enrol (it would only scatter the groups).
    The caller commits."""
    keep = [f for f in faces if face_problem(f) is None]
    if keep:
        expire_now_and_then()
    seen = [Seen(np.asarray(f.embedding, np.float32), to_jpeg(f.aligned, CROP_QUALITY),
                 det_score=float(f.detection.score), quality=face_quality(f.detection, f.aligned),
                 source_sha256=sha256) for f in keep]
    groups = iter([s.group_id for s in remember(seen)] if seen else [])
    return [next(groups) if face_problem(f) is None else None for f in faces]


def expire_sightings() -> int:
    """Delete sightings older than SIGHTINGS_MAX_AGE_DAYS outside dismissed groups; groups
    left empty go too (named groups stay, for the arrivals that link to them); the others'
    sums are recomputed. Returns how many sightings went. The caller commits."""
    cutoff = utcnow() - timedelta(days=current_app.config["SIGHTINGS_MAX_AGE_DAYS"])
    kept = select(UnknownGroup.id).where(UnknownGroup.status == "dismissed")
    old = Sighting.seen_at < cutoff
    touched = list(db.session.scalars(select(Sighting.group_id).where(old, Sighting.group_id.not_in(kept))
                                      .distinct()))
    if not touched:
        return 0
    work = assigner()
    gone = db.session.execute(delete(Sighting).where(old, Sighting.group_id.in_(touched))).rowcount
    for group in db.session.scalars(select(UnknownGroup).where(UnknownGroup.id.in_(touched))):
        vectors = [s.vector for s in group.sightings]
        if not vectors and group.status == "open":
            work.note(group.id, None)
            db.session.delete(group)
            continue
        total = np.sum(vectors, axis=0).astype(np.float32) if vectors else np.zeros(128, np.float32)
        group.centroid = total.tobytes()
        work.note(group.id, total if group.status == "open" else None)
    log.info("%d sightings older than %s expired", gone, cutoff)
    return gone

