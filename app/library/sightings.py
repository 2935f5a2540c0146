"""Where sightings come from: an unknown camera track (its best crops: sharp, large,
frontal) when its camera learns unknown faces, the unknown faces of an upload
(`identify?remember=1`). When they go: app/library/expiry.py."""
from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

import numpy as np
from flask import current_app
from limits import parse as parse_limit
from sqlalchemy import func, select

from ..extensions import db
from ..faces.photos import CROP_QUALITY, face_problem
from ..models import Sighting, UnknownGroup, utcnow
from ..recognition.jpeg import to_jpeg
from ..recognition.quality import face_quality, sharpness
from .consent import camera_keeps_unknown
from .expiry import start_if_due
from .grouping import Seen, remember
from .regroup import merge_soon


def expire_now_and_then() -> None:
    """Expire what is past its retention at most once an hour per process, as new faces
    arrive (in a thread: app/library/expiry.py); and, once this transaction commits, let
    the background merge of close groups run (regroup.BackgroundMerge: at most every
    GROUP_MERGE_EVERY seconds, in its own thread)."""
    merge_soon()
    start_if_due(current_app._get_current_object())


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
        Arrivals); None when the crop is too blurred to keep or its camera does not learn
        unknown faces. The caller commits."""
        if not best or not _sharp(best[0]) or not camera_keeps_unknown(camera_id):
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


@dataclass
class Remembered:
    """What an upload's unknown faces became: (index of the face in the photo, its group
    id or None when it was too small or blurred), how many good faces a cap left out and
    the sentence that says which cap."""

    groups: list[tuple[int, int | None]]
    left_out: int = 0
    why: str | None = None

    @property
    def kept(self) -> int:
        """How many faces were kept as sightings."""
        return sum(g is not None for _, g in self.groups)


def remember_upload(found, api_key_id: int | None = None) -> Remembered:
    """The unknown faces of an identified upload (recognize.Identification) as sightings,
    within the caps: the best REMEMBER_PER_PHOTO of the photo, REMEMBER_PER_KEY for an API
    key, REMEMBER_MAX from uploads in all. A face too small or blurred to enrol is not
    kept (it would only scatter the groups). The caller commits."""
    unknown = [i for i, f in enumerate(found.faces) if f.match.label is None]
    good = [i for i in unknown if face_problem(found.faces[i].face) is None]
    quality = {i: face_quality(found.faces[i].face.detection, found.faces[i].face.aligned) for i in good}
    room, why = _room(len(good), api_key_id) if good else (0, None)
    kept = sorted(sorted(good, key=quality.get, reverse=True)[:room])
    if kept:
        expire_now_and_then()
    seen = [_upload_seen(found.faces[i].face, quality[i], found.photo.sha256, api_key_id) for i in kept]
    groups = dict(zip(kept, [s.group_id for s in remember(seen)] if seen else []))
    return Remembered([(i, groups.get(i)) for i in unknown], len(good) - len(kept),
                      why if len(kept) < len(good) else None)


def _upload_seen(face, quality: float, sha256: str, api_key_id: int | None) -> Seen:
    return Seen(np.asarray(face.embedding, np.float32), to_jpeg(face.aligned, CROP_QUALITY),
                det_score=float(face.detection.score), quality=quality, source_sha256=sha256,
                api_key_id=api_key_id)


def _room(wanted: int, api_key_id: int | None) -> tuple[int, str | None]:
    """How many of `wanted` faces may be remembered now, and the cap that stops the rest."""
    cfg = current_app.config
    caps = [(cfg["REMEMBER_PER_PHOTO"], f"At most {cfg['REMEMBER_PER_PHOTO']} faces of one photo "
             "are remembered, the sharpest and largest (FACES_REMEMBER_PER_PHOTO).")]
    uploads = db.session.scalar(select(func.count(Sighting.id)).where(Sighting.source_sha256.is_not(None)))
    caps.append((cfg["REMEMBER_MAX"] - uploads, f"The library holds {uploads} faces from uploads, its "
                 f"limit (FACES_REMEMBER_MAX); more are remembered once old ones expire "
                 f"({cfg['SIGHTINGS_MAX_AGE_DAYS']:g} days) or an admin raises the limit."))
    if api_key_id is not None:
        limit = parse_limit(cfg["REMEMBER_PER_KEY"])
        since = utcnow() - timedelta(seconds=limit.get_expiry())
        used = db.session.scalar(select(func.count(Sighting.id)).where(
            Sighting.api_key_id == api_key_id, Sighting.seen_at >= since))
        caps.append((limit.amount - used, f"This API key had {used} faces remembered, its limit of "
                     f"{cfg['REMEMBER_PER_KEY']} (FACES_REMEMBER_PER_KEY); try again later."))
    room, why = min(caps, key=lambda c: c[0])
    return (wanted, None) if room >= wanted else (max(room, 0), why)

