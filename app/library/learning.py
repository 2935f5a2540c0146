"""Known people from the cameras (LEARN_FROM_CAMERAS, off by default): at each arrival, a
face named with a comfortable margin (LEARN_MARGIN under its threshold, and as far ahead
of the next person), as sharp and as large as an enrolment photo must be, and unlike every
face stored for that person (farther than a duplicate) is kept as a new face of theirs,
up to LEARN_MAX_FACES learned ones, through the checks at the door. Measured on LFW
(scripts/library_rules.py, docs/LIBRARY.md): one photo per person plus what a stream of
their other photos taught named 88.2 % of their last photos right instead of 79.7 %,
strangers accepted 1.12 % instead of 0.98 %; 6 of 1,794 learned faces were someone else's
(a margin of 0.05 learned more and 16 wrong, 0.15 less and as many wrong)."""
from __future__ import annotations

import hashlib
import logging

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from ..faces import NewFace, add_face, get_person, state
from ..faces.door import person_vectors
from ..faces.photos import CROP_QUALITY
from ..extensions import db
from ..errors import Problem
from ..models import Face
from ..recognition.jpeg import to_jpeg
from ..recognition.match import pairwise_distances
from ..recognition.quality import sharpness

log = logging.getLogger(__name__)


def _named_clearly(person_id: int, embedding: np.ndarray, margin: float) -> bool:
    m = state().gallery_view().identify(embedding[None], k=2)[0]
    if m.label != person_id or m.distance > m.threshold - margin:
        return False
    return len(m.candidates) < 2 or m.candidates[1].distance - m.distance >= margin


def learn_from_camera(person_id: int, aligned: np.ndarray, embedding: np.ndarray,
                      camera: str) -> Face | None:
    """Keep this arrival's face as a new face of `person_id` when it teaches something and
    is safe to (module docstring); None otherwise. `camera`: its name. The caller commits."""
    cfg = current_app.config
    if not cfg["LEARN_FROM_CAMERAS"] or sharpness(aligned) < cfg["MIN_SHARPNESS"]:
        return None
    embedding = np.asarray(embedding, np.float32)
    if not _named_clearly(person_id, embedding, cfg["LEARN_MARGIN"]):
        return None
    learned = db.session.scalar(select(func.count(Face.id)).where(
        Face.person_id == person_id, Face.origin == "learned"))
    own, _ = person_vectors(person_id, state().gallery_view().model)
    if learned >= cfg["LEARN_MAX_FACES"] or (
            len(own) and float(pairwise_distances(embedding[None], own).min()) <= cfg["DUPLICATE_FACE_DISTANCE"]):
        return None
    crop = to_jpeg(aligned, CROP_QUALITY)
    try:
        face = add_face(get_person(person_id), NewFace(embedding, crop, 1.0),
                        hashlib.sha256(crop).hexdigest(), origin="learned", camera=camera)
    except Problem as p:
        log.info("a face of person %d was not learned (%s)", person_id, p.type)
        return None
    log.info("learned a face of person %d from %s", person_id, camera)
    return face
