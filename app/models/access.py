"""Operators and their roles, API keys, failed sign-ins and the audit log."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import utcnow


ROLES = ("admin", "viewer")  # admin: everything; viewer: live, arrivals, identify


class Operator(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16), default="admin", server_default="admin")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of what the session cookie holds (get_id): a new one, on sign-out or a new
    # password, makes every copy of the operator's earlier cookies worthless.
    session_token: Mapped[str | None] = mapped_column(String(32), default=lambda: secrets.token_hex(16))

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the current session token."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Sign out every browser this operator signed in with (the caller commits)."""
        self.session_token = secrets.token_hex(16)

    def set_password(self, password: str) -> None:
        """A new password also ends the sessions opened with the old one."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

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
