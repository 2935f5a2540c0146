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
    the operators' corrections ("not this person"). `committed` is False inside a
    transaction that changed the gallery: the index is then as last committed."""

    gallery: PersonIndex
    names: dict[int, str]
    model: str
    threshold: float
    negatives: Negatives = Negatives()
    committed: bool = True

    def mean_of(self, person_id: int) -> np.ndarray | None:
        """(128,) float32: the person's mean unit vector as the index holds it (None: no
        face of the model); read it only when `committed`."""
        present, vectors = self.gallery.vectors_of([person_id])
        return vectors[0] if len(present) else None

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
