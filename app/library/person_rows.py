"""What the database holds about one person, as the statements that select it: one place
that export (person_export.py) and erase (erase.py) both read, so that what is exported is
what is erased. Their faces; the unknown groups named after them and the sightings in them,
or taken from one of their photos (same SHA-256); their arrivals (and those of their groups);
the corrections "not this person" made against them; the webhook deliveries whose event
named them; the audit entries about them; undo entries that would bring them back."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import or_, select

from ..extensions import db
from ..models import AuditEntry, Correction, Delivery, Event, Face, Sighting, UndoEntry, UnknownGroup


@dataclass(frozen=True)
class PersonRows:
    """Selects of one person's rows (each a SQLAlchemy Select of the ORM rows)."""

    person_id: int

    def faces(self):
        return select(Face).where(Face.person_id == self.person_id).order_by(Face.id)

    def groups(self):
        return select(UnknownGroup.id).where(UnknownGroup.person_id == self.person_id)

    def sightings(self):
        hashes = select(Face.source_sha256).where(Face.person_id == self.person_id)
        return select(Sighting).where(or_(Sighting.group_id.in_(self.groups()),
                                          Sighting.source_sha256.in_(hashes))).order_by(Sighting.id)

    def arrivals(self):
        return select(Event).where(or_(Event.person_id == self.person_id,
                                       Event.group_id.in_(self.groups()))).order_by(Event.id)

    def corrections(self):
        return select(Correction).where(Correction.person_id == self.person_id).order_by(Correction.id)

    def deliveries(self):
        """Deliveries whose event named them (the body is json.dumps of the event)."""
        return select(Delivery).where(Delivery.body.like(f'%"person_id": {self.person_id},%')).order_by(Delivery.id)

    def audit(self) -> list[AuditEntry]:
        """Entries whose target is the person or whose detail names them ("to person 7",
        "person 7 -> 9", "as person 7"); narrowed by LIKE, then checked word by word."""
        word = re.compile(rf"\bperson {self.person_id}\b")
        rows = db.session.scalars(select(AuditEntry).where(or_(
            AuditEntry.target == f"person {self.person_id}",
            AuditEntry.detail.like(f"%person {self.person_id}%"))).order_by(AuditEntry.id))
        return [r for r in rows if r.target == f"person {self.person_id}" or word.search(r.detail)]

    def undo_entries(self) -> list[UndoEntry]:
        """Deletions of their faces that could still be undone (a few, kept minutes)."""
        return [u for u in db.session.scalars(select(UndoEntry))
                if json.loads(u.payload).get("person_id") == self.person_id]
