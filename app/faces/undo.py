"""Deletions and "not this person" on the pages can be undone for UNDO_SECONDS: what a
deletion removes (a person and their faces, or one face) is kept as an UndoEntry, restored
as it was (embeddings, crops, origins) on request, and forgotten after the window; a
correction's entry names the Correction row, which an undo deletes (the person is named
on those faces again at once: the row's deletion moves the gallery generation)."""
from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..errors import Problem
from ..models import Correction, Event, Face, Person, UndoEntry, name_key, utcnow

FIELDS = ("model", "det_score", "source_sha256", "origin", "origin_camera")


def _face(face: Face) -> dict:
    return {**{k: getattr(face, k) for k in FIELDS}, "created_at": face.created_at.isoformat(),
            "embedding": base64.b64encode(face.embedding).decode(),
            "grey_embedding": face.grey_embedding and base64.b64encode(face.grey_embedding).decode(),
            "crop_jpeg": base64.b64encode(face.crop_jpeg).decode()}


def keep(what: str, person: Person, faces: list[Face], whole_person: bool) -> UndoEntry:
    """Keep what is about to be deleted (call before deleting). The caller commits."""
    _prune()
    payload = {"person_id": person.id, "uid": person.uid, "name": person.name, "whole": whole_person,
               "created_at": person.created_at.isoformat(), "faces": [_face(f) for f in faces]}
    entry = UndoEntry(what=what[:200], payload=json.dumps(payload).encode())
    db.session.add(entry)
    db.session.flush()
    return entry


def keep_correction(correction: Correction, name: str) -> UndoEntry:
    """Keep a way back from a "not this person" (`name`: the person's). The caller commits."""
    _prune()
    db.session.flush()  # the correction's id
    payload = {"correction_id": correction.id, "person_id": correction.person_id, "name": name,
               "event_id": correction.event_id}
    entry = UndoEntry(what=f"not {name}"[:200], payload=json.dumps(payload).encode())
    db.session.add(entry)
    db.session.flush()
    return entry


def _undo_correction(entry: UndoEntry, data: dict) -> tuple[Person, str]:
    """Delete the correction (and name its arrival again): the person's name is back."""
    row = db.session.get(Correction, data["correction_id"])
    person = db.session.get(Person, data["person_id"])
    if row is None or person is None:
        raise Problem("conflict", f"{data['name']} or that correction was deleted since; nothing to undo.")
    db.session.delete(row)
    event = db.session.get(Event, data["event_id"]) if data.get("event_id") else None
    if event is not None and event.person_id is None:
        event.person_id, event.name, event.group_id = person.id, person.name, None
    db.session.delete(entry)
    return person, f"that face is named {person.name} again"


def _prune() -> None:
    cutoff = utcnow() - timedelta(seconds=current_app.config["UNDO_SECONDS"])
    db.session.execute(delete(UndoEntry).where(UndoEntry.created_at < cutoff))


def undo(entry_id: int) -> tuple[Person, str]:
    """Bring back what entry `entry_id` kept: the person with their faces, the face in its
    person (if they still exist), or the person's name on a face marked not them. The
    caller commits. Returns the person and what came back, in words."""
    _prune()
    entry = db.session.get(UndoEntry, entry_id)
    if entry is None:
        raise Problem("not-found", "That deletion can no longer be undone (the undo window is "
                      f"{current_app.config['UNDO_SECONDS'] / 60:.0f} minutes).")
    data = json.loads(entry.payload)
    if "correction_id" in data:
        return _undo_correction(entry, data)
    person = _bring_back(data) if data["whole"] else _still_there(data)
    db.session.info["audit_restore"] = True  # the audit log says "restore", not "enrol" (auth/audit.py)
    for f in data["faces"]:
        grey = f.get("grey_embedding")  # none in entries kept before the grey gallery
        db.session.add(Face(person=person, embedding=base64.b64decode(f["embedding"]),
                            grey_embedding=grey and base64.b64decode(grey),
                            crop_jpeg=base64.b64decode(f["crop_jpeg"]),
                            created_at=datetime.fromisoformat(f["created_at"]),
                            **{k: f[k] for k in FIELDS}))
    db.session.delete(entry)
    return person, f"{person.name} has {len(person.faces)} photo{'s' if len(person.faces) != 1 else ''} again"


def _bring_back(data: dict) -> Person:
    """The deleted person again, with the uid they had (so that the undo of one of their
    photos, kept before, finds them) and their id when nobody took it since."""
    if db.session.scalar(select(Person.id).where(Person.name_key == name_key(data["name"]))):
        raise Problem("conflict", f"Someone else is called {data['name']} now; rename them first.")
    person = Person(name=data["name"], name_key=name_key(data["name"]),
                    created_at=datetime.fromisoformat(data["created_at"]))
    if data.get("uid"):  # kept by this release on (an older entry's person gets a new uid)
        person.uid = data["uid"]
    if db.session.get(Person, data["person_id"]) is None:
        person.id = data["person_id"]
    db.session.add(person)
    return person


def _still_there(data: dict) -> Person:
    """The person a deleted photo belonged to, found by their uid: never whoever was given
    their id after them (SQLite re-uses the highest id once it is free)."""
    person = db.session.scalar(select(Person).where(Person.uid == data["uid"])) if data.get("uid") else None
    if person is None:
        raise Problem("conflict", f"{data['name']} was deleted since; the photo cannot come back "
                      "alone. Undo the deletion of the person first, if it is still offered.")
    return person
