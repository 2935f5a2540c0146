"""What one request decides with: the gallery as this process has it, read once."""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..recognition.index import PersonIndex
from ..recognition.match import Match
from .negatives import Negatives


@dataclass(frozen=True)
class GalleryView:
    """What one request decides with, read once: the gallery of the active model's
    embeddings, names by person id, the active model, the identification threshold and
    the operators' corrections ("not this person")."""

    gallery: PersonIndex
    names: dict[int, str]
    model: str
    threshold: float
    negatives: Negatives = Negatives()

    def name(self, person_id: int | None) -> str | None:
        return None if person_id is None else self.names.get(person_id)

    def identify(self, embeddings: np.ndarray, k: int = 3) -> list[Match]:
        """(N, 128) unit embeddings -> N matches: nearest people within the threshold (moved
        by crowding), then the corrections' vetoes. Every front door decides through this."""
        embeddings = np.atleast_2d(np.asarray(embeddings, np.float32))
        if not len(embeddings):
            return []
        ask = max(k, 3) if self.negatives.people else k  # room for the next candidate
        matches = self.negatives.apply(embeddings, self.gallery.identify(embeddings, self.threshold, ask))
        return [replace(m, candidates=m.candidates[:k]) for m in matches]
