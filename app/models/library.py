"""The face library beyond the enrolled gallery: unknown faces remembered as *sightings*,
grouped into *unknown groups* that an operator names or dismisses; *corrections* ("not
this person"), and deletions kept for a while so that a page can undo them."""
from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .sealed import SealedImage
from .base import EMBEDDING_DTYPE, utcnow

GROUP_STATES = ("open", "dismissed", "named")  # named: its person_id says who it turned out to be


class UnknownGroup(db.Model):
    """Sightings that look like one person nobody has named yet. `centroid` is the sum of
    their unit embeddings (its direction is the group's centre; the sum, not the mean, so
    that a sighting added or removed is one addition)."""

    __tablename__ = "unknown_group"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), default=None)
    model: Mapped[str] = mapped_column(String(64), index=True)
    centroid: Mapped[bytes] = mapped_column(LargeBinary)  # 128 float32: the sum of the sightings
    count: Mapped[int] = mapped_column(default=0)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # When an operator placed faces here (merged groups, moved a face in or out): the
    # background merge never moves them, nor merges two such groups (library/regroup.py merge_close_groups).
    placed_at: Mapped[datetime | None] = mapped_column(default=None)
    sightings: Mapped[list["Sighting"]] = relationship(back_populates="group", order_by="Sighting.id",
                                                        passive_deletes=True)

    @property
    def centre(self) -> np.ndarray:
        """(128,) float32 unit vector: the direction of the sum."""
        v = np.frombuffer(self.centroid, EMBEDDING_DTYPE).astype(np.float32)
        return v / max(float(np.linalg.norm(v)), 1e-12)


class Sighting(db.Model):
    """One unknown face seen by a camera (its track's best crops) or in an upload
    (`identify?remember=1`), or a face an operator said was not the person it was named."""

    __table_args__ = (Index("ix_sighting_api_key_id", "api_key_id", "seen_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("unknown_group.id", ondelete="CASCADE"), index=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    camera_id: Mapped[int | None] = mapped_column(default=None)
    camera: Mapped[str | None] = mapped_column(String(120), default=None)  # its name then
    source_sha256: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    model: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    crop_jpeg: Mapped[bytes] = mapped_column(SealedImage)
    det_score: Mapped[float] = mapped_column(default=1.0)
    quality: Mapped[float] = mapped_column(default=0.0)  # app/library/quality.py: higher is better
    # The API key whose upload it came from (remembered faces are capped per key and window).
    api_key_id: Mapped[int | None] = mapped_column(default=None)
    group: Mapped[UnknownGroup] = relationship(back_populates="sightings")

    @property
    def vector(self) -> np.ndarray:
        return np.frombuffer(self.embedding, EMBEDDING_DTYPE)


class Correction(db.Model):
    """"Not this person": a face that was named `person_id` and is not them. Its embedding
    is a negative example for that person (a face nearer to it than to the person's own
    faces is not given their name); `train/` reads them as hard negatives."""

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    model: Mapped[str] = mapped_column(String(64))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    crop_jpeg: Mapped[bytes] = mapped_column(SealedImage)
    where: Mapped[str] = mapped_column(String(16))  # arrivals, identify, live, api
    event_id: Mapped[int | None] = mapped_column(default=None)
    sighting_id: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def vector(self) -> np.ndarray:
        return np.frombuffer(self.embedding, EMBEDDING_DTYPE)


class UndoEntry(db.Model):
    """What a deletion on the pages removed (JSON lines with base64 blobs, app/faces/undo.py),
    kept for UNDO_SECONDS so that the operator can bring it back."""

    __tablename__ = "undo_entry"
    id: Mapped[int] = mapped_column(primary_key=True)
    what: Mapped[str] = mapped_column(String(200))  # in words, for the flash message
    payload: Mapped[bytes] = mapped_column(SealedImage)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
