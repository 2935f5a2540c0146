"""Operators and API keys as use-cases, shared by the Access page and the CLI (the caller
commits; the audit log records each change with its actor)."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..http.problems import Problem, not_found
from ..models import ROLES, ApiKey, Operator, utcnow


def save_operator(username: str, password: str, role: str = "admin") -> Operator:
    """Create an operator, or give an existing one a new password and role."""
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise Problem("invalid-input", 400, "Give a user name of 1 to 64 characters.")
    if role not in ROLES:
        raise Problem("invalid-input", 400, f"The role must be one of {', '.join(ROLES)}.")
    if len(password or "") < 8:
        raise Problem("invalid-input", 400, "Use a password of at least 8 characters.")
    op = db.session.scalar(select(Operator).where(Operator.username == username))
    if op is None:
        op = Operator(username=username)
        db.session.add(op)
    op.set_password(password)
    op.role = role
    return op


def operators() -> list[Operator]:
    return db.session.scalars(select(Operator).order_by(Operator.username)).all()


def create_key(name: str) -> tuple[ApiKey, str]:
    """A new API key row and the clear key, to be shown once."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise Problem("invalid-input", 400, "Name the key (1 to 64 characters), e.g. after the "
                      "program that will use it.")
    return ApiKey.create(name)


def api_keys() -> list[ApiKey]:
    return db.session.scalars(select(ApiKey).order_by(ApiKey.id)).all()


def get_key(key_id: int) -> ApiKey:
    row = db.session.get(ApiKey, key_id)
    if row is None:
        raise not_found(f"API key with id {key_id}", "keys")
    return row


def revoke_key(key_id: int) -> ApiKey:
    """Revoke a key (it answers 401 from then on); revoking twice changes nothing."""
    row = get_key(key_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
    return row
