"""What one request decides with: the gallery as this process has it, read once."""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from ..recognition.index import PersonIndex
from ..recognition.match import Match
from .negatives import Negatives


@dataclass(frozen=True)
class GalleryView:
    """What one request decides with, read once: the gallery of the active model's
    embeddings, names by person id, the active model, the identification threshold, the
    operators' corrections ("not this person") and the grey gallery (each person's grey
    embeddings, app/faces/grey.py; None: not loaded)."""

    gallery: PersonIndex
    names: dict[int, str]
    model: str
    threshold: float
    negatives: Negatives = Negatives()
    grey: PersonIndex | None = None

    def name(self, person_id: int | None) -> str | None:
        return None if person_id is None else self.names.get(person_id)

    def uses_grey(self, greyscale: bool) -> bool:
        """Whether a face is matched in the grey gallery: it is greyscale/IR, and every
        enrolled person has a grey vector (until `flask faces backfill-grey` has given one
        to everyone enrolled before, grey faces are matched in colour: a person missing from
        the grey gallery could never be named at night)."""
        grey = self.grey
        return bool(greyscale) and grey is not None and len(grey) == len(self.gallery) > 0

    def identify(self, embeddings: np.ndarray, k: int = 3, greyscale: Sequence[bool] = ()) -> list[Match]:
        """(N, 128) unit embeddings -> N matches: nearest people within the threshold (moved
        by crowding), then the corrections' vetoes. Every front door decides through this.
        greyscale: (N,) whether each face is greyscale/IR (`uses_grey`; none: all colour)."""
        embeddings = np.atleast_2d(np.asarray(embeddings, np.float32))
        if not len(embeddings):
            return []
        grey = np.array([self.uses_grey(g) for g in greyscale] if len(greyscale) else [False] * len(embeddings))
        out: list[Match | None] = [None] * len(embeddings)
        for gallery, rows in ((self.gallery, np.flatnonzero(~grey)), (self.grey, np.flatnonzero(grey))):
            for row, match in zip(rows, self._identify_in(gallery, embeddings[rows], k) if len(rows) else ()):
                out[row] = match
        return out

    def _identify_in(self, gallery: PersonIndex, embeddings: np.ndarray, k: int) -> list[Match]:
        ask = max(k, 3) if self.negatives.people else k  # room for the next candidate
        matches = self.negatives.apply(embeddings, gallery.identify(embeddings, self.threshold, ask))
        return [replace(m, candidates=m.candidates[:k]) for m in matches]
