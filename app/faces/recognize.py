"""Identification (every face of a photo against everyone enrolled) and verification (are
two photos one person?), as whole use-cases with typed results."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np
from flask import current_app

from ..errors import Problem
from ..recognition.calibration import identify_offset, too_poor, verify_threshold
from ..recognition.match import Match, pairwise_distances, similarity_from_distance
from ..recognition.quality import FaceConditions, conditions_of, jpeg_quality, to_grey
from ..recognition.pipeline import Face
from ..recognition.select import select_face
from .view import GalleryView
from .photos import Photo, active_pipeline, analyze
from .runtime import state

# The face verify compares in each photo: the whole face as large as the largest, most
# central (select_face). "largest" took a bystander cut off at the photo's edge for 0.6 % of
# LFW photos: 1.0 point of /api/verify's accuracy on clean pairs (scripts/bench_conditions.py).
MAIN_FACE = "subject"


@dataclass(frozen=True)
class NamedCandidate:
    """One of the people nearest a face: L2 distance (0..2), cosine similarity."""

    person_id: int
    name: str
    distance: float
    similarity: float


@dataclass(frozen=True)
class JudgedConditions:
    """A face's conditions (recognition.quality.FaceConditions) and the gallery it was
    matched in ("colour" or "grey")."""

    conditions: FaceConditions
    gallery: str


@dataclass
class IdentifiedFace:
    """One face of a photo and who it is (name None: unknown), with the nearest people, its
    conditions, why it was not named when it is too poor to be (`reason`), and the gallery
    it was matched in ("grey" for a greyscale/IR face once every person has grey vectors,
    app/faces/grey.py; else "colour"). With remember=1 (`remembered`), an unknown face's
    group (`group_id`, None: not kept)."""

    face: Face
    match: Match
    view: GalleryView
    conditions: FaceConditions | None = None
    reason: str | None = None
    gallery: str = "colour"
    group_id: int | None = None
    remembered: bool = False

    @property
    def detection(self):
        return self.face.detection

    @property
    def person_id(self):
        return self.match.label

    @property
    def name(self) -> str | None:
        return self.view.name(self.match.label)

    @property
    def distance(self) -> float | None:
        """L2 to the nearest person (0..2); None with nobody enrolled."""
        return self.match.distance

    @property
    def similarity(self) -> float | None:
        d = self.match.distance
        return None if d is None else similarity_from_distance(d)

    @property
    def threshold(self) -> float:
        return self.match.threshold

    @property
    def judged_conditions(self) -> JudgedConditions | None:
        """Its conditions with the gallery it was matched in (None: not judged)."""
        return None if self.conditions is None else JudgedConditions(self.conditions, self.gallery)

    @property
    def candidates(self) -> list[NamedCandidate]:
        """The k nearest people, nearest first."""
        return [NamedCandidate(c.label, self.view.name(c.label), c.distance, c.similarity)
                for c in self.match.candidates]


@dataclass
class Identification:
    """Every face of a photo, left to right; the threshold and model they were judged by;
    the time each stage took (ms); with remember=1 what was kept (library.sightings.Remembered)."""

    photo: Photo
    faces: list[IdentifiedFace]
    threshold: float
    model: str
    timings_ms: dict[str, float] = field(default_factory=dict)
    remembered: object | None = None

    def remembering(self, kept) -> Identification:
        """This identification with what remember=1 kept (`kept.groups`: (face index,
        group id or None) for each unknown face)."""
        faces = list(self.faces)
        for i, group_id in kept.groups:
            faces[i] = replace(faces[i], group_id=group_id, remembered=True)
        return replace(self, faces=faces, remembered=kept)


def identify_faces(faces: list[Face], view: GalleryView, k: int = 3,
                   jpeg: int | None = None) -> list[IdentifiedFace]:
    """Each face's match against the gallery of `view` (k nearest people as candidates; a
    greyscale/IR face in the grey gallery, GalleryView.uses_grey), judged for its quality
    (jpeg: the photo's JPEG quality, shown with the conditions)."""
    if not faces:
        return []
    conditions = [replace(conditions_of(f.detection, f.aligned), jpeg_quality=jpeg) for f in faces]
    greyscale = [c.greyscale for c in conditions]
    matches = view.identify(np.stack([f.embedding for f in faces]), k, greyscale)
    out = []
    for face, match, c in zip(faces, matches, conditions):
        grey = view.uses_grey(c.greyscale)
        match, reason = held_to_quality(match, c, grey)
        out.append(IdentifiedFace(face, match, view, c, reason, "grey" if grey else "colour"))
    return out


def held_to_quality(match: Match, conditions: FaceConditions,
                    grey_gallery: bool = False) -> tuple[Match, str | None]:
    """A face too poor to name is unknown, with the reason why; a poorer face must be
    nearer (its threshold moved by calibration.py, for the gallery it was matched in).
    Returns the match and the reason."""
    reason = too_poor(conditions)
    limit = match.threshold + identify_offset(conditions, grey_gallery)
    if reason or (match.label is not None and match.distance > limit):
        match = replace(match, label=None)
    return replace(match, threshold=limit), reason


def identify(data: bytes, k: int = 3) -> Identification:
    """Who is in the photo: every face with its name (None when unknown) and top-k. The
    gallery, the threshold and the model are read once, so they agree with each other."""
    t0 = time.perf_counter()
    view = state().gallery_view()
    photo = analyze(data, state().pipeline(view.model))
    faces = identify_faces(photo.faces, view, k, jpeg_quality(data))
    timings = {n: round(v, 1) for n, v in photo.analysis.timings_ms.items()}
    timings["total"] = round((time.perf_counter() - t0) * 1e3, 1)
    return Identification(photo, faces, view.threshold, view.model, timings)


@dataclass
class Verification:
    """Whether the main faces of two photos are one person (distance <= the threshold for
    their quality, and neither too poor to tell); each face's conditions; in_grey: a
    greyscale/IR face was compared with the other face made grey."""

    faces: tuple[Face, Face]
    faces_found: tuple[int, int]
    distance: float
    threshold: float
    model: str
    conditions: tuple[FaceConditions, FaceConditions]
    in_grey: bool = False

    @property
    def reason(self) -> str | None:
        """Why no "same person" can be said (a face too poor), or None."""
        return too_poor(self.conditions[0]) or too_poor(self.conditions[1])

    @property
    def same_person(self) -> bool:
        return self.reason is None and self.distance <= self.threshold

    @property
    def similarity(self) -> float:
        return similarity_from_distance(self.distance)


def _main_face(data: bytes, which: str, pipeline) -> tuple[Face, int, FaceConditions]:
    """The face a photo is about (MAIN_FACE) as verify compares it
    (FacePipeline.as_verified), how many it has, and its conditions."""
    photo = analyze(data, pipeline)
    index = select_face([f.detection for f in photo.faces], MAIN_FACE,
                        image_shape=photo.analysis.image.shape)
    if index is None:
        raise Problem("no-face", f"No face was found in {which}. Send a sharp, well-lit "
                      "photo in which the face is at least 40 pixels wide.")
    face, conditions = pipeline.as_verified(photo.analysis.image, photo.faces[index])
    return face, len(photo.faces), replace(conditions, jpeg_quality=jpeg_quality(data))


def comparable(pipeline, a: Face, b: Face, grey: tuple[bool, bool]) -> tuple[np.ndarray, np.ndarray, bool]:
    """The two faces' embeddings as they are compared: when one is greyscale/IR and the
    other in colour, the colour one is embedded again from its crop made grey (on night
    frames this halves verify's errors, docs/CAMERAS.md). Returns (a, b, made grey)."""
    if grey[0] == grey[1]:
        return a.embedding, b.embedding, False
    colour = b if grey[0] else a
    again = pipeline.encoder.embed(to_grey(colour.aligned[None]))[0]
    return (a.embedding, again, True) if grey[0] else (again, b.embedding, True)


def verify(first: bytes, second: bytes) -> Verification:
    """Compare the main face of each photo (VERIFY_THRESHOLD, moved for their quality)."""
    pipeline = active_pipeline()
    a, na, ca = _main_face(first, "the first photo (file1/image1)", pipeline)
    b, nb, cb = _main_face(second, "the second photo (file2/image2)", pipeline)
    conditions = (ca, cb)
    ea, eb, in_grey = comparable(pipeline, a, b, (conditions[0].greyscale, conditions[1].greyscale))
    d = float(pairwise_distances(ea[None], eb[None])[0, 0])
    threshold = verify_threshold(current_app.config["VERIFY_THRESHOLD"], *conditions)
    return Verification((a, b), (na, nb), d, threshold, pipeline.model_name, conditions, in_grey)
