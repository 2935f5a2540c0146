"""Identification (every face of a photo against everyone enrolled) and verification (are
two photos one person?), as whole use-cases with typed results."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from flask import current_app

from ..http.problems import Problem
from ..recognition.match import Match, pairwise_distances, similarity_from_distance
from ..recognition.pipeline import Face
from ..recognition.select import select_face
from .view import GalleryView
from .photos import Photo, active_pipeline, analyze
from .runtime import state


@dataclass
class IdentifiedFace:
    """One face of a photo and who it is (name None: unknown), with the nearest people."""

    face: Face
    match: Match
    view: GalleryView

    def to_dict(self) -> dict:
        """JSON form: the detection (box, score, landmarks), name, distances, candidates."""
        m, d = self.match, self.match.distance
        return {**self.face.detection.to_dict(), "name": self.view.name(m.label), "person_id": m.label,
                "distance": None if d is None else round(d, 4),
                "similarity": None if d is None else round(similarity_from_distance(d), 4),
                "threshold": round(m.threshold, 4),
                "candidates": [{"person_id": c.label, "name": self.view.name(c.label),
                                "distance": round(c.distance, 4), "similarity": round(c.similarity, 4)}
                               for c in m.candidates]}


@dataclass
class Identification:
    """Every face of a photo, left to right; the threshold and model they were judged by;
    the time each stage took (ms)."""

    photo: Photo
    faces: list[IdentifiedFace]
    threshold: float
    model: str
    timings_ms: dict[str, float] = field(default_factory=dict)


def identify_faces(faces: list[Face], view: GalleryView, k: int = 3) -> list[Match]:
    """Each face's match against the gallery of `view` (k nearest people as candidates)."""
    if not faces:
        return []
    return view.identify(np.stack([f.embedding for f in faces]), k)


def identify(data: bytes, k: int = 3) -> Identification:
    """Who is in the photo: every face with its name (None when unknown) and top-k. The
    gallery, the threshold and the model are read once, so they agree with each other."""
    t0 = time.perf_counter()
    view = state().gallery_view()
    photo = analyze(data, state().pipeline(view.model))
    matches = identify_faces(photo.faces, view, k)
    timings = {n: round(v, 1) for n, v in photo.analysis.timings_ms.items()}
    timings["total"] = round((time.perf_counter() - t0) * 1e3, 1)
    return Identification(photo, [IdentifiedFace(f, m, view) for f, m in zip(photo.faces, matches)],
                          view.threshold, view.model, timings)


@dataclass
class Verification:
    """Whether the main faces of two photos are one person (distance <= threshold)."""

    faces: tuple[Face, Face]
    faces_found: tuple[int, int]
    distance: float
    threshold: float
    model: str

    @property
    def same_person(self) -> bool:
        return self.distance <= self.threshold

    def to_dict(self) -> dict:
        return {"same_person": self.same_person, "distance": round(self.distance, 4),
                "similarity": round(similarity_from_distance(self.distance), 4),
                "threshold": self.threshold, "faces_found": list(self.faces_found),
                "model": self.model, "faces": [f.detection.to_dict() for f in self.faces]}


def _main_face(data: bytes, which: str, pipeline) -> tuple[Face, int]:
    """The largest face of a photo (its subject in nearly every photo) and how many it has."""
    photo = analyze(data, pipeline)
    index = select_face([f.detection for f in photo.faces], "largest")
    if index is None:
        raise Problem("no-face", 422, f"No face was found in {which}. Send a sharp, well-lit "
                      "photo in which the face is at least 40 pixels wide.")
    return photo.faces[index], len(photo.faces)


def verify(first: bytes, second: bytes) -> Verification:
    """Compare the main face of each photo (VERIFY_THRESHOLD decides)."""
    pipeline = active_pipeline()
    a, na = _main_face(first, "the first photo (file1/image1)", pipeline)
    b, nb = _main_face(second, "the second photo (file2/image2)", pipeline)
    d = float(pairwise_distances(a.embedding[None], b.embedding[None])[0, 0])
    return Verification((a, b), (na, nb), d, current_app.config["VERIFY_THRESHOLD"], pipeline.model_name)
