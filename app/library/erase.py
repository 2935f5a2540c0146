"""Erase everything held about one person (person_rows.py says what): their rows go in one
transaction, so that a process killed half-way leaves them whole (nothing committed) or
gone; the gallery change log carries the erase to every worker (each drops them at its next
request); the index snapshots on disk older than the erase, which may hold their mean
vector, are deleted after the commit, and by any worker that starts (a kill between the
commit and the files leaves nothing behind for long). The audit keeps "person N erased by
X at T" with counts, nothing of the person themself."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, insert, select, text, update

from ..auth.audit import current_actor
from ..extensions import db
from ..faces import get_person
from ..faces.gallery import database_id
from ..faces.gallery_store import Snapshots
from ..models import (AppState, AuditEntry, Correction, Delivery, Event, Face, Person, Sighting, UndoEntry,
                      UnknownGroup, utcnow)
from ..models.changes import log_person_gone
from .person_rows import PersonRows
from .expiry import refit_groups

log = logging.getLogger(__name__)


def _ids(statement) -> list[int]:
    """The ids a select of ORM rows picks (its first entity's primary key)."""
    entity = statement.column_descriptions[0]["entity"]
    return list(db.session.scalars(statement.with_only_columns(entity.id).order_by(None)))


def _delete(table, ids: list[int], chunk: int = 500) -> int:
    """Delete rows by id through the table itself, not the ORM: no per-row session events
    (the gallery log and audit entries are written once, below)."""
    for i in range(0, len(ids), chunk):
        db.session.execute(delete(table).where(table.c.id.in_(ids[i:i + chunk])))
    return len(ids)


def _erase_rows(person_id: int) -> dict[str, int]:
    rows = PersonRows(person_id)
    named = list(db.session.scalars(rows.groups()))
    sightings = db.session.execute(rows.sightings().with_only_columns(Sighting.id, Sighting.group_id)
                                   .order_by(None)).all()
    done = {"sightings": _delete(Sighting.__table__, [s.id for s in sightings]),
            "arrivals": _delete(Event.__table__, _ids(rows.arrivals())),
            "corrections": _delete(Correction.__table__, _ids(rows.corrections())),
            "deliveries": _delete(Delivery.__table__, _ids(rows.deliveries())),
            "audit": _delete(AuditEntry.__table__, [a.id for a in rows.audit()]),
            "undo": _delete(UndoEntry.__table__, [u.id for u in rows.undo_entries()]),
            "groups": _delete(UnknownGroup.__table__, named)}
    refit_groups(sorted({s.group_id for s in sightings} - set(named)))  # others' groups lose a sighting
    done["faces"] = _delete(Face.__table__, _ids(rows.faces()))
    _delete(Person.__table__, [person_id])
    return done


def erase_person(person_id: int) -> dict[str, int]:
    """Erase person `person_id` and everything about them, and commit; how many rows of
    each kind went and the snapshot files deleted ("files"). not-found if no such person."""
    get_person(person_id)
    try:
        done = _erase_rows(person_id)
        generation = log_person_gone(db.session, person_id)
        db.session.execute(update(AppState.__table__).where(AppState.__table__.c.id == 1)
                           .values(erased_generation=generation))
        db.session.execute(insert(AuditEntry.__table__).values(
            created_at=utcnow(), actor=current_actor(), action="person.erase", target=f"person {person_id}",
            detail=", ".join(f"{n} {kind}" for kind, n in done.items())))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    if db.engine.dialect.name == "sqlite":  # the write-ahead log still holds their pages
        db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.commit()
    done["files"] = len(sweep_snapshots(generation))
    log.info("person %d erased: %s", person_id, done)
    return done


def sweep_snapshots(erased: int | None = None) -> list[Path]:
    """Delete the index snapshots older than the last erase (`erased`: its generation, else
    read from the state row). Returns the files deleted."""
    if erased is None:
        erased = db.session.scalar(select(AppState.erased_generation).where(AppState.id == 1)) or 0
    return Snapshots(Path(current_app.config["INDEX_DIR"])).sweep(database_id(), erased)
