""""Not this person": an operator marks a face that was given a wrong name (on Arrivals,
Identify, the live page or through the API). The face becomes a negative example of that
person (app/faces/negatives.py applies it to every later face) and joins the unknown
groups as a sighting, so that whoever it really is can be named from Who is this?."""
from __future__ import annotations

import logging

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..faces import get_person, get_state
from ..errors import Problem, not_found
from ..models import Correction, Event, Sighting
from .grouping import Seen, remember

log = logging.getLogger(__name__)
PLACES = ("arrivals", "identify", "live", "api")


def not_this_person(person_id: int, embedding: np.ndarray, crop_jpeg: bytes, where: str,
                    event_id: int | None = None, camera: str | None = None) -> Correction:
    """Record that this face (128 floats, its aligned crop) is not `person_id`. The caller commits."""
    person = get_person(person_id)
    sighting, = remember([Seen(np.asarray(embedding, np.float32), crop_jpeg, camera=camera)], keep=True)
    row = Correction(person_id=person.id, model=get_state().active_model,
                     embedding=np.asarray(embedding, np.float32).tobytes(), crop_jpeg=crop_jpeg,
                     where=where, event_id=event_id, sighting_id=sighting.id)
    db.session.add(row)
    log.info("a face was marked as not %s (%s)", person.name, where)
    return row


def correct_event(event_id: int, where: str = "arrivals") -> Correction:
    """An arrival was someone else: its face is a negative of the person it named, the row
    becomes an unknown face of the group the face joins."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise not_found(f"arrival with id {event_id}", "arrivals")
    if event.person_id is None or event.embedding is None:
        raise Problem("conflict", "This arrival names nobody (or is older than the face library): "
                      "there is no name to correct.")
    if event.model != get_state().active_model:
        raise Problem("conflict", "This arrival was recognised by another model; it cannot teach this one.")
    row = not_this_person(event.person_id, np.frombuffer(event.embedding, np.float32),
                          event.thumbnail_jpeg, where, event_id=event.id, camera=event.camera)
    event.person_id, event.name, event.distance = None, None, None
    event.group_id = db.session.scalar(select(Sighting.group_id).where(Sighting.id == row.sighting_id))
    return row


def list_corrections(limit: int = 100, person_id: int | None = None) -> list[Correction]:
    """The newest corrections first (of one person when given)."""
    query = select(Correction).order_by(Correction.id.desc()).limit(limit)
    if person_id is not None:
        query = query.where(Correction.person_id == person_id)
    return list(db.session.scalars(query))
