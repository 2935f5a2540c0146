""""Not this person" as the gallery applies it: a face an operator said was not P is a
negative example of P. A later face nearer to one of P's negatives than to every face of
P's own is not given P's name: the next candidate is, when within the face's threshold,
else it is unknown. Loaded per process with the gallery (small: only the people that an
operator corrected, their negatives and their own faces)."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..models import EMBEDDING_DTYPE, Correction, Face
from ..recognition.match import Match, pairwise_distances


def _stack(blobs) -> np.ndarray:
    return np.stack([np.frombuffer(b, EMBEDDING_DTYPE) for b in blobs]).astype(np.float32)


@dataclass(frozen=True)
class Negatives:
    """person id -> (negatives (n, 128), own faces (m, 128)), unit vectors."""

    people: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def load(cls, model: str) -> "Negatives":
        rows = db.session.execute(select(Correction.person_id, Correction.embedding)
                                  .where(Correction.model == model)).all()
        if not rows:
            return cls()
        negs: dict[int, list[bytes]] = {}
        for pid, blob in rows:
            negs.setdefault(pid, []).append(blob)
        own: dict[int, list[bytes]] = {}
        for pid, blob in db.session.execute(select(Face.person_id, Face.embedding).where(
                Face.person_id.in_(list(negs)), Face.model == model)):
            own.setdefault(pid, []).append(blob)
        return cls({pid: (_stack(b), _stack(own[pid])) for pid, b in negs.items() if pid in own})

    def vetoes(self, person_id, embedding: np.ndarray) -> bool:
        """Whether the face is nearer to one of the person's negatives than to their own faces."""
        entry = self.people.get(person_id)
        if entry is None:
            return False
        negatives, own = entry
        q = embedding[None].astype(np.float32)
        return float(pairwise_distances(q, negatives).min()) < float(pairwise_distances(q, own).min())

    def apply(self, embeddings: np.ndarray, matches: list[Match]) -> list[Match]:
        """Each match with its vetoed people taken out (the next candidate within the
        face's threshold named instead, if any)."""
        if not self.people:
            return matches
        out = []
        for e, m in zip(embeddings, matches):
            if m.label is None or not self.vetoes(m.label, e):
                out.append(m)
                continue
            rest = [c for c in m.candidates if not self.vetoes(c.label, e)]
            best = next((c for c in rest if c.distance <= m.threshold and c.label != m.label), None)
            out.append(replace(m, label=None if best is None else best.label,
                               distance=m.distance if best is None else best.distance, candidates=rest))
        return out
