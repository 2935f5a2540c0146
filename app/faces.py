"""Enrolment and identification on top of the recognition core, shared by the API, the
web pages and the import command. Faces are numbered left to right (as people read)."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import cv2
import numpy as np
from flask import current_app
from sqlalchemy import select

from .extensions import db
from .gallery import bump_generation, current_gallery
from .models import EMBEDDING_DTYPE, Face, Person, name_key
from .problems import Problem, no_face, not_found
from .recognition.match import similarity_from_distance
from .recognition.pipeline import Analysis
from .services import get_pipeline

MAX_NAME = 120
# Without a choice, the largest face is enrolled when it is at least this many times as wide
# as any other face big enough to enrol: the subject, with someone behind. On LFW, 7 % of
# the photos have two faces of 40 px or more; in 4 in 10 of those one is 1.5x the other.
DOMINANT_RATIO = 1.5
log = logging.getLogger(__name__)


@dataclass
class Photo:
    """An analysed upload: faces sorted left to right, and the SHA-256 of its bytes."""

    analysis: Analysis
    sha256: str

    @property
    def faces(self):
        return self.analysis.faces


def analyze(data: bytes) -> Photo:
    """Decode and analyse image bytes (BadImageError / ImageTooLargeError on bad input)."""
    analysis = get_pipeline().analyze_bytes(data)
    analysis.faces.sort(key=lambda f: float(f.detection.box[0]))
    return Photo(analysis, hashlib.sha256(data).hexdigest())


def sharpness(aligned: np.ndarray) -> float:
    """Variance of the Laplacian of the aligned 160x160 crop's grey levels (higher = sharper)."""
    grey = cv2.cvtColor(aligned, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(grey, cv2.CV_64F).var())


def _side(face) -> float:
    return min(face.detection.width, face.detection.height)


def face_problem(face) -> Problem | None:
    """Why a detected face cannot be enrolled (too small, blurred), or None."""
    cfg = current_app.config
    side = _side(face)
    if side < cfg["MIN_ENROL_FACE"]:
        return Problem("face-too-small", 422,
                       f"The face is {side:.0f} pixels wide; enrolment needs at least "
                       f"{cfg['MIN_ENROL_FACE']}. Use a closer or larger photo.")
    if sharpness(face.aligned) < cfg["MIN_SHARPNESS"]:
        return Problem("face-blurred", 422, "The face is too blurred to enrol. "
                       "Use a sharp photo (in focus, no motion blur).")
    return None


def pick_face(photo: Photo, choice: int | None):
    """The face to enrol: number `choice` (1-based, left to right), or else the only face
    big enough to enrol, or one that dominates the others (a face in the background does not
    make a photo ambiguous). Raises a Problem for no face, several candidates without a
    choice, a face too small or blurred."""
    faces = photo.faces
    if not faces:
        raise no_face()
    if choice is None:
        big = sorted((i for i, f in enumerate(faces) if _side(f) >= current_app.config["MIN_ENROL_FACE"]),
                     key=lambda i: -_side(faces[i]))
        if len(big) > 1 and _side(faces[big[0]]) >= DOMINANT_RATIO * _side(faces[big[1]]):
            big = big[:1]
        if len(big) > 1:
            raise Problem("multiple-faces", 422,
                          f"The photo has {len(big)} faces. Choose one with face=N (1 to "
                          f"{len(faces)}, counted from the left) or send a photo of this person alone.",
                          faces=[f.detection.to_dict() for f in faces])
        index = big[0] if big else max(range(len(faces)), key=lambda i: _side(faces[i]))
    elif 1 <= choice <= len(faces):
        index = choice - 1
    else:
        raise Problem("invalid-input", 400, f"face must be between 1 and {len(faces)}.")
    if problem := face_problem(faces[index]):
        raise problem
    return faces[index]


def clean_name(name) -> str:
    """The name with its spaces tidied; a Problem for no name, a name that is not text or
    one too long."""
    if name is not None and not isinstance(name, str):
        raise Problem("invalid-input", 400, "The name must be text, e.g. \"Ada Lovelace\".")
    name = " ".join((name or "").split())
    if not name:
        raise Problem("invalid-input", 400, "Give the person's name.")
    if len(name) > MAX_NAME:
        raise Problem("invalid-input", 400, f"The name is longer than {MAX_NAME} characters; shorten it.")
    return name


def check_name_free(name: str, person_id: int | None = None) -> None:
    other = db.session.scalar(select(Person).where(Person.name_key == name_key(name)))
    if other is not None and other.id != person_id:
        raise Problem("conflict", 409, f"The name “{other.name}” is already taken. Add the photo to "
                      "that person, or use another name (e.g. with a middle initial).",
                      person_id=other.id)


def get_person(person_id: int) -> Person:
    person = db.session.get(Person, person_id)
    if person is None:
        raise not_found(f"person with id {person_id}")
    return person


def encode_crop(aligned: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(aligned, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, 92])
    return buf.tobytes()


@dataclass
class NewFace:
    """What is stored for one face: (128,) float32 embedding, crop JPEG, detector score."""

    embedding: np.ndarray
    crop_jpeg: bytes
    det_score: float

    @classmethod
    def of(cls, face) -> "NewFace":
        return cls(np.asarray(face.embedding, EMBEDDING_DTYPE), encode_crop(face.aligned),
                   float(face.detection.score))


def add_face(person: Person, face: NewFace, sha256: str) -> Face:
    """Store one face of `person` (the caller commits). A photo already enrolled for this
    person is refused, so that importing twice adds nothing twice."""
    if person.id is not None and db.session.scalar(select(Face.id).where(
            Face.person_id == person.id, Face.source_sha256 == sha256)):
        raise Problem("conflict", 409, f"This photo is already enrolled for {person.name}.")
    row = Face(person=person, embedding=np.asarray(face.embedding, EMBEDDING_DTYPE).tobytes(),
               model=get_pipeline().model_name, crop_jpeg=face.crop_jpeg,
               det_score=face.det_score, source_sha256=sha256)
    db.session.add(row)
    bump_generation()
    log.info("face added to %r (photo %s...)", person.name, sha256[:12])
    return row


def create_person(name: str, face: NewFace, sha256: str) -> tuple[Person, Face]:
    """A new person enrolled from one face (the caller commits)."""
    name = clean_name(name)
    check_name_free(name)
    person = Person(name=name, name_key=name_key(name))
    db.session.add(person)
    return person, add_face(person, face, sha256)


def delete_person(person: Person) -> None:
    """Delete a person and their faces (the caller commits)."""
    log.info("person %d (%r) deleted with %d faces", person.id, person.name, len(person.faces))
    db.session.delete(person)
    bump_generation()


def delete_face(person_id: int, face_id: int) -> None:
    """Delete one face of a person (the caller commits); not-found if it is not theirs."""
    face = db.session.get(Face, face_id)
    if face is None or face.person_id != person_id:
        raise not_found(f"face {face_id} of person {person_id}")
    log.info("face %d of person %d deleted", face_id, person_id)
    db.session.delete(face)
    bump_generation()


def identify(photo: Photo, k: int = 3) -> list[dict]:
    """Every face of the photo with its name (None when unknown), distance and top-k."""
    gallery, names, state = current_gallery()
    if not photo.faces:
        return []
    queries = np.stack([f.embedding for f in photo.faces])
    out = []
    for face, match in zip(photo.faces, gallery.identify(queries, state.identify_threshold, k)):
        d = match.distance
        out.append({
            **face.detection.to_dict(),
            "name": names.get(match.label) if match.label is not None else None,
            "person_id": match.label,
            "distance": None if d is None else round(d, 4),
            "similarity": None if d is None else round(similarity_from_distance(d), 4),
            "threshold": round(match.threshold, 4),
            "candidates": [{"person_id": c.label, "name": names.get(c.label),
                            "distance": round(c.distance, 4),
                            "similarity": round(c.similarity, 4)} for c in match.candidates],
        })
    return out
