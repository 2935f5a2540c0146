"""Where sightings come from: an unknown camera track (its best crops: sharp, large,
frontal) when its camera learns unknown faces, the unknown faces of an upload
(`identify?remember=1`). When they go: app/library/expiry.py."""
from __future__ import annotations

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..faces.photos import CROP_QUALITY, face_problem
from ..models import Sighting, UnknownGroup
from ..recognition.jpeg import to_jpeg
from ..recognition.quality import face_quality, sharpness
from .consent import camera_keeps_unknown
from .expiry import start_if_due
from .grouping import Seen, remember


def expire_now_and_then() -> None:
    """Expire what is past its retention at most once an hour per process, as new faces
    arrive (in a thread: app/library/expiry.py)."""
    start_if_due(current_app._get_current_object())


def _sharp(best: tuple) -> bool:
    """As sharp as an enrolment photo must be (the live detector's minimum face is the
    enrolment minimum already)."""
    return sharpness(best[1]) >= current_app.config["MIN_SHARPNESS"]


def _seen(best: tuple, camera: dict) -> Seen:
    quality, aligned, embedding = best
    camera_id = camera["id"] if camera["id"] > 0 else None  # 0 browser, -1 preview: no camera row
    return Seen(np.asarray(embedding, np.float32), to_jpeg(aligned, CROP_QUALITY), quality=quality,
                camera_id=camera_id, camera=camera["name"])


def unknown_track(camera: dict, track) -> UnknownGroup | None:
    """A track confirmed unknown: its best crop so far becomes a sighting at once (its group
    is then known to the live page and to Arrivals), when its camera learns unknown faces.
    The caller commits."""
    if not track.best or not _sharp(track.best[0]) or not camera_keeps_unknown(camera):
        return None
    expire_now_and_then()
    sighting, = remember([_seen(track.best[0], camera)])
    track.group_id = sighting.group_id
    track.written.add(id(track.best[0][2]))
    return sighting.group


def track_ended(camera: dict, track) -> None:
    """A remembered unknown track left the view: its other best crops join its group.
    The caller commits."""
    best = track.best[:current_app.config["SIGHTINGS_PER_TRACK"]]
    rest = [b for b in best if id(b[2]) not in track.written and _sharp(b)]
    if track.group_id is None or track.name is not None or not rest:
        return
    remember([_seen(b, camera) for b in rest], group_id=track.group_id)
    track.written.update(id(b[2]) for b in rest)


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


def remember_unknown(found, faces: list[dict]) -> None:
    """An identification's unknown faces kept as sightings, asked for (`remember`); each
    one's group id written into its JSON form in `faces`. Commits."""
    unknown = [i for i, f in enumerate(found.faces) if f.match.label is None]
    groups = upload_faces([found.faces[i].face for i in unknown], found.photo.sha256)
    db.session.commit()
    for i, group_id in zip(unknown, groups):
        faces[i]["group_id"] = group_id


def sightings_count() -> int:
    return db.session.scalar(select(func.count(Sighting.id)))
