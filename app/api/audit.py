"""The audit log for programs: who did what, newest first."""
from __future__ import annotations

from sqlalchemy import select

from ..auth import key_required
from ..extensions import db
from ..models import AuditEntry
from . import bp
from .args import AuditQuery
from .schemas import Audit
from .spec import KEY, guarded, problems

keyed = guarded(bp, key_required, KEY)


@bp.get("/audit")
@keyed
@bp.arguments(AuditQuery, location="query", as_kwargs=True)
@bp.response(200, Audit, description="The latest changes with their actor.")
@problems(bp, 400, 429)
def audit_view(limit: int, before: int | None = None):
    """Who did what: every change of people, faces, settings, the model, keys and operators"""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    return {"entries": db.session.scalars(query).all()}
