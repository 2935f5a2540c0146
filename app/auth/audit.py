"""The audit log: every change of people, faces, settings, the model, keys and operators is
written with its actor in the same transaction, by a session event — as the gallery
generation is — so that no write path (API, page, CLI, live view) can forget it."""
from __future__ import annotations

from flask import g, has_request_context
from flask_login import current_user
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from ..models import ApiKey, AppState, AuditEntry, Correction, Face, Operator, Person, UnknownGroup, utcnow

AUDITED_SETTINGS = {"identify_threshold": "settings.threshold", "active_model": "model.switch"}
RESTORED = {"person.enrol": "person.restore", "face.add": "face.restore"}  # rows an undo brings back


def current_actor() -> str:
    """Who is making the change: an API key, a signed-in operator, or the command line."""
    if not has_request_context():
        return "command line"
    key = g.get("api_key")
    if key is not None:
        return f"key {key.id} ({key.name})"
    if current_user.is_authenticated:
        return f"operator {current_user.username}"
    return "signed-out visitor"  # the first operator, made on the setup page


def _changed(obj, attr: str) -> tuple | None:
    """(old, new) when the attribute changed in this flush, else None."""
    history = inspect(obj).attrs[attr].history
    if not history.has_changes():
        return None
    return (history.deleted[0] if history.deleted else None,
            history.added[0] if history.added else None)


def _created(obj) -> tuple[str, str, str] | None:
    if isinstance(obj, Person):
        return "person.enrol", f"person {obj.id}", obj.name
    if isinstance(obj, Face):
        return "face.add", f"face {obj.id}", f"to person {obj.person_id}"
    if isinstance(obj, ApiKey):
        return "key.create", f"key {obj.id}", f"{obj.name} ({obj.prefix}...)"
    if isinstance(obj, Operator):
        return "operator.create", f"operator {obj.username}", obj.role
    if isinstance(obj, Correction):
        return "correction.add", f"person {obj.person_id}", f"a face is not them ({obj.where})"
    return None


def _deleted(obj, gone: set) -> tuple[str, str, str] | None:
    if isinstance(obj, Person):
        return "person.delete", f"person {obj.id}", obj.name
    if isinstance(obj, Face) and obj.person not in gone:  # not each face of a deleted person
        return "face.delete", f"face {obj.id}", f"of person {obj.person_id}"
    if isinstance(obj, UnknownGroup):
        return "group.merge", f"group {obj.id}", "merged into another group"
    if isinstance(obj, Correction):
        return "correction.undo", f"person {obj.person_id}", f"a face is them after all ({obj.where})"
    if isinstance(obj, Operator):
        return "operator.remove", f"operator {obj.username}", obj.role
    return None


def _updated(obj) -> list[tuple[str, str, str]]:
    out = []
    if isinstance(obj, Person) and (c := _changed(obj, "name")):
        out.append(("person.rename", f"person {obj.id}", f"{c[0]} -> {c[1]}"))
    elif isinstance(obj, Face) and (c := _changed(obj, "person")):
        out.append(("face.move", f"face {obj.id}", f"person {getattr(c[0], 'id', c[0])} -> "
                                                   f"{getattr(c[1], 'id', c[1])}"))
    elif isinstance(obj, AppState):
        out += [(action, "settings", f"{c[0]} -> {c[1]}") for attr, action in AUDITED_SETTINGS.items()
                if (c := _changed(obj, attr))]
    elif isinstance(obj, UnknownGroup) and (c := _changed(obj, "status")) and c[0] != c[1]:
        named = f"as person {obj.person_id}" if c[1] == "named" else ""
        action = {"named": "name", "dismissed": "dismiss", "open": "restore"}[c[1]]
        out.append((f"group.{action}", f"group {obj.id}", named))
    elif isinstance(obj, ApiKey) and (c := _changed(obj, "revoked_at")) and c[1] is not None:
        out.append(("key.revoke", f"key {obj.id}", obj.name))
    elif isinstance(obj, Operator):
        if c := _changed(obj, "role"):
            out.append(("operator.role", f"operator {obj.username}", f"{c[0]} -> {c[1]}"))
        if _changed(obj, "password_hash"):
            out.append(("operator.password", f"operator {obj.username}", "new password"))
    return out


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, _context) -> None:
    """After the rows are written (ids known), in the same transaction."""
    gone = set(session.deleted)
    entries = [e for o in session.new if (e := _created(o))]
    if entries and session.info.pop("audit_restore", False):  # an undo brings rows back
        entries = [(RESTORED.get(a, a), t, "undo: " + d) for a, t, d in entries]
    entries += [e for o in session.deleted if (e := _deleted(o, gone))]
    entries += [e for o in session.dirty for e in _updated(o)]
    if entries:
        actor, now = current_actor(), utcnow()
        session.connection().execute(insert(AuditEntry.__table__), [
            {"created_at": now, "actor": actor, "action": a, "target": t, "detail": (d or "")[:500]}
            for a, t, d in entries])
