"""People, their faces (embeddings and crops) and the app state row."""
from __future__ import annotations

import uuid
from datetime import datetime

import numpy as np
from sqlalchemy import ForeignKey, LargeBinary, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..config import PRETRAINED
from ..extensions import db
from .sealed import SealedImage
from .base import EMBEDDING_DTYPE, utcnow


class Person(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # Who this is for good: SQLite gives a deleted person's id to the next one enrolled, so
    # whatever must still mean this person later (an undo entry) holds `uid` instead, and
    # an undone deletion brings the person back with it.
    uid: Mapped[str | None] = mapped_column(String(32), unique=True, index=True,
                                            default=lambda: uuid.uuid4().hex)
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    faces: Mapped[list["Face"]] = relationship(
        back_populates="person", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Face.id")

    def to_dict(self, faces: bool = False, faces_count: int | None = None) -> dict:
        """JSON form; `faces_count` saves loading the faces when the caller counted them."""
        count = len(self.faces) if faces_count is None else faces_count
        out = {"id": self.id, "name": self.name, "faces_count": count,
               "created_at": self.created_at.isoformat() + "Z"}
        if faces:
            out["faces"] = [f.to_dict() for f in self.faces]
        return out


class Face(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    # The same aligned crop made grey, embedded by the same model (app/faces/grey.py): what
    # a greyscale/IR camera's face is compared with. None until made (old faces: `flask
    # faces backfill-grey`).
    grey_embedding: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    model: Mapped[str] = mapped_column(String(64), index=True)
    crop_jpeg: Mapped[bytes] = mapped_column(SealedImage)
    det_score: Mapped[float]
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where it came from: upload (page or API), import, camera (the live view), group (an
    # unknown group named), learned (kept from a camera by itself, app/library/learning.py).
    origin: Mapped[str] = mapped_column(String(16), default="upload", server_default="upload")
    origin_camera: Mapped[str | None] = mapped_column(String(120), default=None)
    person: Mapped[Person] = relationship(back_populates="faces")

    @property
    def vector(self) -> np.ndarray:
        """(128,) float32 unit vector."""
        return np.frombuffer(self.embedding, EMBEDDING_DTYPE)

    def to_dict(self) -> dict:
        return {"id": self.id, "person_id": self.person_id, "model": self.model,
                "det_score": round(self.det_score, 4), "source_sha256": self.source_sha256,
                "origin": self.origin, "origin_camera": self.origin_camera,
                "created_at": self.created_at.isoformat() + "Z"}


class AppState(db.Model):
    """One row (id 1): the active encoder, the gallery generation (moved by every change of
    people or faces, in the same transaction, by the session events below, so each worker
    knows when to reload) and the identify threshold."""

    id: Mapped[int] = mapped_column(primary_key=True)
    active_model: Mapped[str] = mapped_column(String(64), default=PRETRAINED)
    gallery_generation: Mapped[int] = mapped_column(default=0)
    identify_threshold: Mapped[float] = mapped_column(default=0.8)
    # Moved by every change of unknown groups, so that a process assigning a sighting
    # knows when its copy of the groups is stale (app/library/grouping.py).
    library_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The gallery generation of the last erase of a person (app/library/erase.py): an index
    # snapshot on disk older than it may hold them and is deleted, never loaded.
    erased_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # sealed.CHECK sealed with the data key that sealed the images; None: none ever set.
    data_key_check: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)


def counts() -> dict:
    """Numbers of people and faces."""
    return {"people": db.session.scalar(select(func.count(Person.id))),
            "faces": db.session.scalar(select(func.count(Face.id)))}
