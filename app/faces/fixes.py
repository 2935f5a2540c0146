"""Mending the gallery: merge two people who are one, move a face to the person it really
is, and see which of a person's faces stand out (distance to their mean, worst first).
Each use-case is one transaction left to the caller's commit, so the gallery generation
moves once (app/models/changes.py)."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from flask import current_app

from ..extensions import db
from ..errors import Problem, not_found
from ..models import Face, Person, name_key
from ..recognition.match import pairwise_distances
from .door import mean_direction
from .people import check_name_free, clean_name

log = logging.getLogger(__name__)


def merge_people(source: Person, target: Person, name=None) -> Person:
    """Move every face of `source` to `target` and delete `source`; `name` (optional:
    either one's, or a new one) is the merged person's. Nothing is compared: the operator
    says they are one person. Two flushes (the name may be the deleted person's), one
    transaction: the gallery generation moves once."""
    if source.id == target.id:
        raise Problem("invalid-input", "Choose two different people to merge.")
    keep = clean_name(name) if name is not None else target.name
    if name_key(keep) not in (source.name_key, target.name_key):
        check_name_free(keep)
    for face in list(source.faces):
        face.person = target
    db.session.delete(source)
    db.session.flush()
    target.name, target.name_key = keep, name_key(keep)
    db.session.flush()
    log.info("person %d merged into %d (%s)", source.id, target.id, keep)
    return target


def move_face(face_id: int, source: Person, target: Person) -> Face:
    """Give one face of `source` to `target` (it was enrolled under the wrong name)."""
    face = db.session.get(Face, face_id)
    if face is None or face.person_id != source.id:
        raise not_found(f"face {face_id} of person {source.id}")
    if target.id == source.id:
        raise Problem("invalid-input", f"The face is {source.name}'s already; choose another person.")
    if len(source.faces) == 1:
        raise Problem("conflict", f"This is {source.name}'s only photo. If they are "
                      f"{target.name}, merge the two people instead; otherwise delete it.",
                      person_id=source.id)
    face.person = target
    return face


@dataclass
class FaceStanding:
    """A face of a person, how far it lies from their mean (L2), and whether it is unlike
    their other faces (farther than the verify threshold from the mean of the others: the
    door's face-mismatch rule, so a face that would be refused today stands out)."""

    face: Face
    distance: float
    outlier: bool

    def to_dict(self) -> dict:
        return {**self.face.to_dict(), "distance_to_mean": round(self.distance, 4), "outlier": self.outlier}


def faces_by_standing(person: Person) -> list[FaceStanding]:
    """The person's faces, the farthest from their mean first."""
    faces = list(person.faces)
    if not faces:
        return []
    vectors = np.stack([f.vector for f in faces]).astype(np.float32)
    d = pairwise_distances(vectors, mean_direction(vectors)[None])[:, 0]
    outlier = np.zeros(len(faces), bool)
    if len(faces) > 2:  # with two, either may be the wrong one: see unlike_pair
        others = vectors.sum(0)[None] - vectors  # each face's leave-one-out sum
        others /= np.maximum(np.linalg.norm(others, axis=1, keepdims=True), 1e-12)
        loo = np.sqrt(np.clip(2 - 2 * (vectors * others).sum(1), 0, 4))
        outlier = loo > current_app.config["VERIFY_THRESHOLD"]
    out = [FaceStanding(f, float(x), bool(o)) for f, x, o in zip(faces, d, outlier)]
    return sorted(out, key=lambda s: -s.distance)


def unlike_pair(standing: list[FaceStanding]) -> bool:
    """Whether a person's only two faces are unlike each other (farther apart than the
    verify threshold: the door's face-mismatch rule); which one is wrong a third face tells."""
    if len(standing) != 2:
        return False
    a, b = (s.face.vector.astype(np.float32) for s in standing)
    return float(np.linalg.norm(a - b)) > current_app.config["VERIFY_THRESHOLD"]


def person_out(person: Person) -> dict:
    """JSON form: a person with their faces, each with its distance to their mean and
    whether it is an outlier, the farthest first."""
    return {**person.to_dict(), "faces": [s.to_dict() for s in faces_by_standing(person)]}
