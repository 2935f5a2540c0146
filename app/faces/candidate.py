"""A face about to be enrolled, whatever the path (an upload, a face in the live view, an
unknown group named, a face learned from a camera): built once, with the photo's SHA-256
taken once and the model that embedded it read once; the door (door.py) checks it and
people.py stores it."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ..models import EMBEDDING_DTYPE, Sighting
from ..recognition.jpeg import to_jpeg
from ..recognition.pipeline import Face
from .photos import CROP_QUALITY, NewFace, Photo


@dataclass(frozen=True)
class EnrolCandidate:
    """What is stored (`face`: embedding, crop, detector score), the SHA-256 of the photo
    it came from (for a camera's face: of its crop), the model that embedded it, and where
    it came from (`origin`: upload, import, camera, group, learned; `camera`: its name)."""

    face: NewFace
    sha256: str
    model: str
    origin: str = "upload"
    camera: str | None = None

    @property
    def embedding(self) -> np.ndarray:
        """(128,) float32 unit vector."""
        return self.face.embedding

    @classmethod
    def from_upload(cls, photo: Photo, face: Face, origin: str = "upload") -> EnrolCandidate:
        """Face `face` of an analysed photo."""
        return cls(NewFace.of(face), photo.sha256, photo.model, origin)

    @classmethod
    def from_live_face(cls, aligned: np.ndarray, embedding: np.ndarray, model: str,
                       origin: str = "camera", camera: str | None = None) -> EnrolCandidate:
        """A face of a camera's track: its (160, 160, 3) uint8 crop and (128,) embedding of
        `model` (no photo: the crop's JPEG is hashed; no detector score kept: 1.0)."""
        crop = to_jpeg(aligned, CROP_QUALITY)
        return cls(NewFace(np.asarray(embedding, EMBEDDING_DTYPE), crop, 1.0),
                   hashlib.sha256(crop).hexdigest(), model, origin, camera)

    @classmethod
    def from_sighting(cls, s: Sighting) -> EnrolCandidate:
        """An unknown face of a group being named (its upload's SHA-256, else its crop's)."""
        sha = s.source_sha256 or hashlib.sha256(s.crop_jpeg).hexdigest()
        return cls(NewFace(s.vector.astype(np.float32), s.crop_jpeg, s.det_score), sha, s.model,
                   "group", s.camera)
