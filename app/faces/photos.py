"""A photo as the use-cases see it: analysed by the active model's pipeline, faces numbered
left to right (as people read), each face checked for what enrolment needs."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from flask import current_app

from ..errors import Problem, no_face
from ..extensions import db
from ..models import EMBEDDING_DTYPE, AppState
from ..recognition.jpeg import to_jpeg
from ..recognition.pipeline import Analysis, Face, FacePipeline
from ..recognition.quality import sharpness
from ..recognition.select import select_face, side
from ..recognition.weights import PRETRAINED
from .gallery import get_state
from .runtime import state

CROP_QUALITY = 92  # stored crops are re-embedded when the model changes: keep them close


@dataclass
class Photo:
    """An analysed upload: faces sorted left to right, and the SHA-256 of its bytes."""

    analysis: Analysis
    sha256: str

    @property
    def faces(self) -> list[Face]:
        return self.analysis.faces


def active_pipeline() -> FacePipeline:
    """The pipeline of the active model, so that new embeddings are always comparable with
    the gallery, which holds only that model's embeddings."""
    return state().pipeline(get_state().active_model)


def active_model_dir() -> Path:
    """The active model's folder (MODELS_DIR/<name>): its weights and model.json. Reads the
    state row without making it (callers may be inside a transaction)."""
    row = db.session.get(AppState, 1)
    return Path(current_app.config["MODELS_DIR"]) / (row.active_model if row else PRETRAINED)


def analyze(data: bytes, pipeline: FacePipeline | None = None) -> Photo:
    """Decode and analyse image bytes (BadImageError / ImageTooLargeError on bad input)."""
    analysis = (pipeline or active_pipeline()).analyze_bytes(data)
    analysis.faces.sort(key=lambda f: float(f.detection.box[0]))
    return Photo(analysis, hashlib.sha256(data).hexdigest())


def face_problem(face: Face) -> Problem | None:
    """Why a detected face cannot be enrolled (too small, blurred), or None."""
    cfg = current_app.config
    width = side(face.detection)
    if width < cfg["MIN_ENROL_FACE"]:
        return Problem("face-too-small", f"The face is {width:.0f} pixels wide; enrolment needs at least "
                       f"{cfg['MIN_ENROL_FACE']}. Use a closer or larger photo.")
    if sharpness(face.aligned) < cfg["MIN_SHARPNESS"]:
        return Problem("face-blurred", "The face is too blurred to enrol. "
                       "Use a sharp photo (in focus, no motion blur).")
    return None


def pick_face(photo: Photo, choice: int | None) -> Face:
    """The face to enrol: number `choice` (1-based, left to right), or else the one the
    photo is about (select_face "dominant": the only face big enough to enrol, or one that
    dominates the others). Raises a Problem for no face, several candidates without a
    choice, a face too small or blurred."""
    faces = photo.faces
    if not faces:
        raise no_face()
    if choice is None:
        index = select_face([f.detection for f in faces], "dominant",
                            min_side=current_app.config["MIN_ENROL_FACE"])
        if index is None:
            big = sum(side(f.detection) >= current_app.config["MIN_ENROL_FACE"] for f in faces)
            raise Problem("multiple-faces", f"The photo has {big} faces. Choose one with face=N (1 to "
                          f"{len(faces)}, counted from the left) or send a photo of this person alone.",
                          faces=[f.detection.to_dict() for f in faces])
    elif 1 <= choice <= len(faces):
        index = choice - 1
    else:
        raise Problem("invalid-input", f"face must be between 1 and {len(faces)}.")
    if problem := face_problem(faces[index]):
        raise problem
    return faces[index]


@dataclass
class NewFace:
    """What is stored for one face: (128,) float32 embedding, crop JPEG, detector score."""

    embedding: np.ndarray
    crop_jpeg: bytes
    det_score: float

    @classmethod
    def of(cls, face: Face) -> "NewFace":
        return cls(np.asarray(face.embedding, EMBEDDING_DTYPE), to_jpeg(face.aligned, CROP_QUALITY),
                   float(face.detection.score))
