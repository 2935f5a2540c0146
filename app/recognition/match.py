"""Match embeddings against a gallery of enrolled people by L2 distance.

Embeddings are unit vectors, so the L2 distance d is in 0..2 and cosine similarity is
1 - d^2/2. A person with several photos is as close as their nearest photo.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Sequence

import numpy as np


def similarity_from_distance(distance: float) -> float:
    """Cosine similarity of two unit vectors whose L2 distance is `distance`."""
    return 1.0 - distance * distance / 2.0


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """L2 distances between unit vectors. a (M, D), b (N, D) -> (M, N) float32 in 0..2."""
    sq = 2.0 - 2.0 * (a @ b.T)
    return np.sqrt(np.clip(sq, 0.0, 4.0)).astype(np.float32)


@dataclass(frozen=True)
class Candidate:
    label: Hashable
    distance: float

    @property
    def similarity(self) -> float:
        return similarity_from_distance(self.distance)


@dataclass(frozen=True)
class Match:
    """Who a face is. `label` is None when the nearest person is farther than the threshold."""

    label: Hashable | None
    distance: float | None
    candidates: list[Candidate] = field(default_factory=list)


class Gallery:
    """An immutable in-memory matrix of enrolled embeddings with a label per row.

    Args:
        embeddings: (N, D) float32 unit vectors; N may be 0.
        labels: N labels (e.g. person ids); a label may repeat (several photos).
    """

    def __init__(self, embeddings: np.ndarray, labels: Sequence[Hashable]):
        embeddings = np.asarray(embeddings, np.float32)
        if len(embeddings) != len(labels):
            raise ValueError(f"{len(embeddings)} embeddings but {len(labels)} labels")
        # Group rows by label in first-seen order, so that per-person minima are one
        # reduceat and ties between people resolve in enrolment order.
        order = {}
        for label in labels:
            order.setdefault(label, len(order))
        ids = np.fromiter((order[l] for l in labels), np.int64, len(labels))
        sort = np.argsort(ids, kind="stable")
        self.embeddings = embeddings[sort]
        self.people = list(order)
        self._starts = np.searchsorted(ids[sort], np.arange(len(self.people)))

    def __len__(self) -> int:
        return len(self.people)

    def person_distances(self, queries: np.ndarray) -> np.ndarray:
        """(M, D) queries -> (M, P) distance from each query to each person's nearest photo."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        if not self.people:
            return np.zeros((len(queries), 0), np.float32)
        d = pairwise_distances(queries, self.embeddings)
        return np.minimum.reduceat(d, self._starts, axis=1)

    def identify(self, queries: np.ndarray, threshold: float, k: int = 3) -> list[Match]:
        """Nearest people for each query.

        Args:
            queries: (M, D) unit vectors.
            threshold: a query is the nearest person when its distance is <= threshold,
                otherwise unknown (label None).
            k: how many candidates (distinct people, nearest first) to return per query.
        Returns: M matches; with an empty gallery every match is unknown with no candidates.
        """
        d = self.person_distances(queries)
        k = max(0, min(k, d.shape[1]))
        matches = []
        for row in d:
            # Stable sort: equal distances keep enrolment order.
            top = np.argsort(row, kind="stable")[:k]
            candidates = [Candidate(self.people[j], float(row[j])) for j in top]
            best = candidates[0] if candidates else None
            known = best is not None and best.distance <= threshold
            matches.append(Match(best.label if known else None,
                                 best.distance if best else None, candidates))
        return matches
