"""The in-memory gallery of enrolled faces, one per app and process, rebuilt when the
database's gallery generation moves (so that every worker sees an enrolment at its next
request), and the app state row that holds the generation, the active model and the
identification threshold."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import EMBEDDING_DTYPE, AppState, Face, Person
from ..recognition.match import Crowding, Gallery


@dataclass(frozen=True)
class GalleryView:
    """What one request decides with, read once: the gallery of the active model's
    embeddings, names by person id, the active model and the identification threshold."""

    gallery: Gallery
    names: dict[int, str]
    model: str
    threshold: float

    def name(self, person_id: int | None) -> str | None:
        return None if person_id is None else self.names.get(person_id)


def get_state() -> AppState:
    """The single AppState row, created with the configured defaults on first use."""
    state = db.session.get(AppState, 1)
    if state is None:
        state = AppState(id=1, identify_threshold=current_app.config["IDENTIFY_THRESHOLD"])
        db.session.add(state)
        db.session.commit()
    return state


def person_means(rows) -> tuple[np.ndarray, list[int]]:
    """One unit vector per person: the normalised mean of their photos' embeddings.

    Measured on LFW (scripts/open_set.py, two photos per person, 1 % of strangers
    accepted): the mean named 94.0 % right, the nearest photo 90.4 %, one photo 86.0 %.
    rows: (person_id, 512-byte embedding) pairs. Returns ((P, 128) float32, P person ids).
    """
    sums: dict[int, np.ndarray] = {}
    for pid, blob in rows:
        v = np.frombuffer(blob, EMBEDDING_DTYPE)
        sums[pid] = sums[pid] + v if pid in sums else v.astype(np.float32)
    if not sums:
        return np.zeros((0, 128), np.float32), []
    m = np.stack(list(sums.values()))
    return m / np.linalg.norm(m, axis=1, keepdims=True), list(sums)


def _build(model: str, crowding_weight: float) -> tuple[Gallery, dict[int, str]]:
    rows = db.session.execute(select(Face.person_id, Face.embedding)
                              .where(Face.model == model).order_by(Face.id)).all()
    names = dict(db.session.execute(select(Person.id, Person.name)).all())
    return Gallery(*person_means(rows), Crowding(weight=crowding_weight)), names


class GalleryCache:
    """The last gallery built, with the (generation, model) it was built for."""

    def __init__(self):
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._built: tuple[Gallery, dict[int, str]] | None = None

    def clear(self) -> None:
        with self._lock:
            self._key = self._built = None

    def view(self) -> GalleryView:
        """The gallery for the database as it is now: one small query (the state row),
        and a rebuild only when the generation or the model moved."""
        state = get_state()
        db.session.refresh(state)
        key = (state.gallery_generation, state.active_model)
        with self._lock:
            if self._key != key or self._built is None:
                self._built = _build(state.active_model, current_app.config["IDENTIFY_CROWDING"])
                self._key = key
            gallery, names = self._built
        return GalleryView(gallery, names, state.active_model, state.identify_threshold)
