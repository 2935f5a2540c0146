"""The audit log for programs: who did what, newest first."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from ..auth import key_required
from ..extensions import db
from ..http.uploads import int_param
from ..models import AuditEntry
from . import bp


@bp.get("/audit")
@key_required
def audit_view():
    """The latest changes with their actor (?limit=100, at most 500; ?before=<id> pages back)."""
    limit = int_param("limit", 100, 1, 500)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if (before := int_param("before", None, 1, 2**62)) is not None:
        query = query.where(AuditEntry.id < before)
    return jsonify(entries=[e.to_dict() for e in db.session.scalars(query)])
