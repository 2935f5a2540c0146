"""Database models: people, their faces (embeddings and crops), the app state, operators
and API keys. Embeddings are stored as 128 float32 little-endian (512-byte BLOB)."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

import numpy as np
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import ForeignKey, LargeBinary, String, event, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db
from .recognition.weights import PRETRAINED

EMBEDDING_DTYPE = np.dtype("<f4")


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def name_key(name: str) -> str:
    """The case-insensitive form under which names are unique."""
    return " ".join(name.split()).casefold()


class Person(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
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
    model: Mapped[str] = mapped_column(String(64), index=True)
    crop_jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    det_score: Mapped[float]
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    person: Mapped[Person] = relationship(back_populates="faces")

    @property
    def vector(self) -> np.ndarray:
        """(128,) float32 unit vector."""
        return np.frombuffer(self.embedding, EMBEDDING_DTYPE)

    def to_dict(self) -> dict:
        return {"id": self.id, "person_id": self.person_id, "model": self.model,
                "det_score": round(self.det_score, 4), "source_sha256": self.source_sha256,
                "created_at": self.created_at.isoformat() + "Z"}


class AppState(db.Model):
    """One row (id 1): the active encoder, the gallery generation (moved by every change of
    people or faces, in the same transaction, by the session events below, so each worker
    knows when to reload) and the identify threshold."""

    id: Mapped[int] = mapped_column(primary_key=True)
    active_model: Mapped[str] = mapped_column(String(64), default=PRETRAINED)
    gallery_generation: Mapped[int] = mapped_column(default=0)
    identify_threshold: Mapped[float] = mapped_column(default=0.8)
    # The live page's source, chosen by an operator; None = the configured CAMERA_SOURCE.
    camera_source: Mapped[str | None] = mapped_column(String(500), default=None)


ROLES = ("admin", "viewer")  # admin: everything; viewer: live, arrivals, identify


class Operator(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


class AuditEntry(db.Model):
    """Who (an operator, an API key, the command line) did what to whom, when. Written by
    session events (app/auth/audit.py), so that no write path can forget it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(String(500), default="")

    def to_dict(self) -> dict:
        return {"id": self.id, "at": self.created_at.isoformat() + "Z", "actor": self.actor,
                "action": self.action, "target": self.target, "detail": self.detail}


class LoginFailure(db.Model):
    """A failed sign-in, kept for the rate limit's window so that every worker (and host)
    counts the same failures; rows older than the window are removed as new ones come."""

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ApiKey(db.Model):
    """A key is shown once at creation; only its SHA-256 is kept (keys are 256-bit random,
    so a fast hash is enough: there is nothing to brute-force)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    prefix: Mapped[str] = mapped_column(String(12))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def create(cls, name: str) -> tuple["ApiKey", str]:
        """A new key row (not yet committed) and the clear key to hand out."""
        key = "fk_" + secrets.token_urlsafe(32)
        row = cls(name=name, prefix=key[:8], key_hash=cls.hash(key))
        db.session.add(row)
        return row, key

    @classmethod
    def find(cls, key: str) -> "ApiKey | None":
        return db.session.scalar(select(cls).where(cls.key_hash == cls.hash(key)))


class Event(db.Model):
    """An arrival on a camera: a known person first recognised in a track, or an unknown
    face. Pruned after LIVE_EVENTS_MAX_AGE_DAYS."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    camera: Mapped[str] = mapped_column(String(500))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None)
    name: Mapped[str | None] = mapped_column(String(120), default=None)  # None: unknown
    distance: Mapped[float | None] = mapped_column(default=None)
    thumbnail_jpeg: Mapped[bytes] = mapped_column(LargeBinary)

    def to_dict(self) -> dict:
        return {"id": self.id, "created_at": self.created_at.isoformat() + "Z",
                "camera": self.camera, "person_id": self.person_id, "name": self.name,
                "known": self.name is not None,
                "distance": None if self.distance is None else round(self.distance, 4)}


# --- The gallery generation follows every change of people and faces by itself ----------
# (as microblog's SearchableMixin keeps its index in step): no write path has to remember it.
GALLERY_MODELS = (Person, Face)


def bump_generation(session: Session) -> None:
    """Add one to the gallery generation in the session's transaction (one UPDATE ... + 1,
    so concurrent writers never lose a bump); creates the state row if there is none. A
    state row being created in this very flush is new to every worker: nothing to bump."""
    if any(isinstance(o, AppState) for o in session.new):
        return
    table = AppState.__table__
    done = session.connection().execute(update(table).where(table.c.id == 1).values(
        gallery_generation=table.c.gallery_generation + 1))
    if done.rowcount == 0:
        threshold = current_app.config["IDENTIFY_THRESHOLD"] if has_app_context() else 0.8
        session.add(AppState(id=1, gallery_generation=1, identify_threshold=threshold))


@event.listens_for(Session, "before_flush")
def _people_or_faces_flushed(session: Session, _context, _instances) -> None:
    dirty = (o for o in session.dirty if session.is_modified(o, include_collections=False))
    if any(isinstance(o, GALLERY_MODELS) for o in (*session.new, *session.deleted, *dirty)):
        bump_generation(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_change_of_people_or_faces(orm_state) -> None:
    """`update(Face)...` / `delete(Person)...` statements bypass the flush."""
    if (orm_state.is_update or orm_state.is_delete) and any(
            m.class_ in GALLERY_MODELS for m in orm_state.all_mappers):
        bump_generation(orm_state.session)


def counts() -> dict:
    """Numbers of people and faces."""
    return {"people": db.session.scalar(select(func.count(Person.id))),
            "faces": db.session.scalar(select(func.count(Face.id)))}
