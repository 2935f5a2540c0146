"""Operators and API keys as use-cases, shared by the Access page and the CLI (the caller
commits; the audit log records each change with its actor)."""
from __future__ import annotations

from sqlalchemy import func, select

from ..extensions import db
from ..errors import Problem, not_found
from ..models import ROLES, ApiKey, Operator, utcnow


def save_operator(username: str, password: str, role: str = "admin") -> Operator:
    """Create an operator, or give an existing one a new password and role."""
    username = (username or "").strip()
    if not username or len(username) > 64:
        raise Problem("invalid-input", "Give a user name of 1 to 64 characters.")
    if role not in ROLES:
        raise Problem("invalid-input", f"The role must be one of {', '.join(ROLES)}.")
    _password(password)
    op = db.session.scalar(select(Operator).where(Operator.username == username))
    if op is None:
        op = Operator(username=username)
        db.session.add(op)
    elif role != op.role:
        _keep_an_admin(op)  # `flask faces create-operator` and the Add form reach this too
    op.set_password(password)
    op.role = role
    return op


def _password(password: str) -> str:
    if len(password or "") < 8:
        raise Problem("invalid-input", "Use a password of at least 8 characters.")
    return password


def get_operator(operator_id: int) -> Operator:
    op = db.session.get(Operator, operator_id)
    if op is None:
        raise not_found(f"operator with id {operator_id}")
    return op


def _keep_an_admin(op: Operator) -> None:
    """Refuse to take away the last admin (nobody could manage operators any more)."""
    admins = db.session.scalar(select(func.count()).select_from(Operator).where(Operator.role == "admin"))
    if op.role == "admin" and admins <= 1:
        raise Problem("conflict", f"{op.username} is the only admin: make another operator an "
                      "admin first.")


def set_role(operator_id: int, role: str) -> Operator:
    """Give an operator another role (never demoting the last admin)."""
    op = get_operator(operator_id)
    if role not in ROLES:
        raise Problem("invalid-input", f"The role must be one of {', '.join(ROLES)}.")
    if role != op.role:
        _keep_an_admin(op)
        op.role = role
    return op


def reset_password(operator_id: int, password: str) -> Operator:
    """An admin gives an operator a new password."""
    op = get_operator(operator_id)
    op.set_password(_password(password))
    return op


def change_own_password(op: Operator, current: str, new: str) -> Operator:
    """Anyone changes their own password, giving the current one first."""
    if not op.check_password(current or ""):
        raise Problem("invalid-input", "The current password is not right; type it again.")
    op.set_password(_password(new))
    return op


def remove_operator(operator_id: int) -> Operator:
    """Remove an operator (never the last admin); their sessions end with the row."""
    op = get_operator(operator_id)
    _keep_an_admin(op)
    db.session.delete(op)
    return op


def operators() -> list[Operator]:
    return db.session.scalars(select(Operator).order_by(Operator.username)).all()


def create_key(name: str) -> tuple[ApiKey, str]:
    """A new API key row and the clear key, to be shown once."""
    name = (name or "").strip()
    if not name or len(name) > 64:
        raise Problem("invalid-input", "Name the key (1 to 64 characters), e.g. after the "
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
