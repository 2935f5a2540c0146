"""The checks every new face passes before it is stored, whatever the path (the enrolment
form, the API, import, the live view, an unknown group named, a face learned from a
camera): a photo already enrolled for someone else, the same face as someone else's
(re-saved, resized or cropped), and a face unlike the person's others. Each refusal is a
Problem (duplicate-photo, duplicate-face, face-mismatch) that names the other person and
says what to do."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import null, select

from ..extensions import db
from ..errors import Problem
from ..models import EMBEDDING_DTYPE, Face, Person, Sighting, UnknownGroup
from ..recognition.match import pairwise_distances
from .gallery import get_state
from .runtime import state

DUPLICATE_CANDIDATES = 20  # nearest people (by their mean) whose faces are compared one by one


@dataclass(frozen=True)
class Nearest:
    """The nearest enrolled face of someone other than the person being added to."""

    person_id: int
    name: str
    face_id: int | None  # None: a face of an unknown group named after them
    distance: float  # L2, 0..2


def person_vectors(person_id: int, model: str) -> tuple[np.ndarray, list[int]]:
    """(n, 128) float32 unit embeddings of a person's faces of `model`, and their face ids."""
    rows = db.session.execute(select(Face.id, Face.embedding).where(
        Face.person_id == person_id, Face.model == model).order_by(Face.id)).all()
    if not rows:
        return np.zeros((0, 128), np.float32), []
    return (np.stack([np.frombuffer(e, EMBEDDING_DTYPE) for _, e in rows]).astype(np.float32),
            [i for i, _ in rows])


def mean_direction(vectors: np.ndarray) -> np.ndarray:
    """(n, 128) unit vectors -> (128,) the unit vector of their mean (the gallery's rule)."""
    m = vectors.sum(0)
    return m / max(float(np.linalg.norm(m)), 1e-12)


def nearest_other_face(embedding: np.ndarray, exclude: int | None) -> Nearest | None:
    """The nearest face of another person: the people nearest by their mean vector (the
    gallery index), then each of their faces (a face near one of someone's photos can be
    far from their mean when they have several), and the faces of the unknown groups since
    named after them (seen as theirs, though not all enrolled)."""
    view = state().gallery_view()
    _, ids = view.gallery.nearest(embedding[None], DUPLICATE_CANDIDATES + 1)
    people = [int(p) for p in ids[0] if int(p) != exclude][:DUPLICATE_CANDIDATES]
    if not people:
        return None
    rows = db.session.execute(select(Face.id, Face.person_id, Face.embedding).where(
        Face.person_id.in_(people), Face.model == view.model)).all()
    rows += db.session.execute(select(null(), UnknownGroup.person_id, Sighting.embedding)
                               .join(UnknownGroup, Sighting.group).where(
        UnknownGroup.person_id.in_(people), UnknownGroup.status == "named", Sighting.model == view.model)).all()
    if not rows:
        return None
    vectors = np.stack([np.frombuffer(e, EMBEDDING_DTYPE) for _, _, e in rows]).astype(np.float32)
    d = pairwise_distances(embedding[None].astype(np.float32), vectors)[0]
    best = int(np.argmin(d))
    face_id, person_id, _ = rows[best]
    return Nearest(person_id, view.name(person_id) or db.session.get(Person, person_id).name,
                   face_id, float(d[best]))


def check_photo(sha256: str, embedding: np.ndarray, person: Person | None) -> None:
    """duplicate-photo: these very bytes are already another person's, with this face (the
    same bytes give the same embedding; another face of a group photo is not a duplicate):
    enrolled for them, or remembered in an unknown group since named after them."""
    pid = None if person is None else person.id
    enrolled = select(Person.id, Person.name, Face.embedding).join(Face).where(Face.source_sha256 == sha256)
    seen = (select(Person.id, Person.name, Sighting.embedding).join(UnknownGroup, Sighting.group)
            .join(Person, Person.id == UnknownGroup.person_id).where(Sighting.source_sha256 == sha256))
    limit = current_app.config["DUPLICATE_FACE_DISTANCE"]
    for query in (enrolled, seen):
        for other in db.session.execute(query.where(Person.id != pid) if pid else query).all()[:100]:
            vector = np.frombuffer(other.embedding, EMBEDDING_DTYPE).astype(np.float32)
            if float(np.linalg.norm(vector - embedding)) <= limit:
                raise Problem("duplicate-photo", f"This photo is already enrolled for {other.name}. If it is of them, "
                              "there is nothing to do; if they are the same person, merge the two; if "
                              "it was enrolled under the wrong name, delete it there first.",
                              person_id=other.id, name=other.name)


def check_face(embedding: np.ndarray, person: Person | None, confirm: bool) -> None:
    """duplicate-face (the same face as another person's) and face-mismatch (unlike this
    person's other faces; `confirm` accepts it)."""
    cfg = current_app.config
    pid = None if person is None else person.id
    nearest = nearest_other_face(embedding, pid)
    if nearest is not None and nearest.distance <= cfg["DUPLICATE_FACE_DISTANCE"]:
        raise Problem("duplicate-face", f"This face is already enrolled for {nearest.name} (the same picture, re-saved, "
                      "resized or cropped). Add it to them, or merge the two people if they are one.",
                      person_id=nearest.person_id, name=nearest.name, distance=round(nearest.distance, 4),
                      **({} if nearest.face_id is None else {"face_id": nearest.face_id}))
    if pid is None or confirm:
        return
    own, _ = person_vectors(pid, get_state().active_model)
    if not len(own):
        return
    distance = float(pairwise_distances(embedding[None], mean_direction(own)[None])[0, 0])
    if distance > cfg["VERIFY_THRESHOLD"]:
        near = "" if nearest is None else (
            f" The nearest other person is {nearest.name} ({nearest.distance:.2f}).")
        said = (f"This face does not look like {person.name}'s other photos (distance "
                f"{distance:.2f} from their average; the same person is usually under "
                f"{cfg['VERIFY_THRESHOLD']:.2f}).{near} Check that it is them")
        problem = Problem("face-mismatch", said + "; to add it anyway, send it again with confirm=1.",
                          person_id=pid, distance=round(distance, 4),
                          nearest=None if nearest is None else {
                              "person_id": nearest.person_id, "name": nearest.name,
                              "distance": round(nearest.distance, 4)})
        problem.page_detail = said + "; if it is, you can still add it."
        raise problem


def check_new_face(embedding: np.ndarray, sha256: str, person: Person | None,
                   confirm: bool = False) -> None:
    """Every check of a face about to become `person`'s (None or unsaved: a new person)."""
    embedding = np.asarray(embedding, np.float32)
    check_photo(sha256, embedding, person)
    check_face(embedding, person, confirm)
