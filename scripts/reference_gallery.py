"""The plain gallery: every photo a row, a person as near as their nearest photo, crowding
computed exactly (app/recognition/match.py says how). The app serves from
app/recognition/index.py (one row per person, changed in place, a graph at scale); this is
what the index is checked against (tests/core/test_index.py, test_graph.py) and what the
offline measurements use (scripts/open_set.py, bench.py, library_rules.py,
bench_conditions_score.py), kept here because the app itself never uses it."""
from __future__ import annotations

from typing import Hashable, Sequence

import numpy as np

from app.recognition.match import Candidate, Crowding, Match, pairwise_distances


class Gallery:
    """An immutable in-memory matrix of enrolled embeddings with a label per row.

    Args:
        embeddings: (N, D) float32 unit vectors; N may be 0.
        labels: N labels (e.g. person ids); a label may repeat (several photos).
        crowding: how a face's neighbourhood moves its threshold; off by default.
    """

    def __init__(self, embeddings: np.ndarray, labels: Sequence[Hashable],
                 crowding: Crowding = Crowding()):
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
        self.crowding = crowding
        self._typical: float | None = None

    def __len__(self) -> int:
        return len(self.people)

    def person_distances(self, queries: np.ndarray) -> np.ndarray:
        """(M, D) queries -> (M, P) distance from each query to each person's nearest photo."""
        queries = np.atleast_2d(np.asarray(queries, np.float32))
        if not self.people:
            return np.zeros((len(queries), 0), np.float32)
        d = pairwise_distances(queries, self.embeddings)
        return np.minimum.reduceat(d, self._starts, axis=1)

    def _crowding_on(self) -> bool:
        c = self.crowding
        return c.weight > 0 and len(self.people) >= max(c.min_people, c.k + 2)

    def _mean_after_nearest(self, distances: np.ndarray) -> np.ndarray:
        """(M, P) person distances -> (M,) mean of the 2nd to (k+1)th smallest per row."""
        k = self.crowding.k
        part = np.partition(distances, k, axis=1)[:, :k + 1]
        return (part.sum(1) - part.min(1)) / k

    def typical_crowding(self) -> float:
        """Median over enrolled people of their mean distance to the k nearest others
        (computed once per gallery, on an evenly spaced sample of people)."""
        if self._typical is None:
            rows = np.linspace(0, len(self.people) - 1,
                               min(self.crowding.sample, len(self.people))).astype(int)
            crowds = []
            for chunk in np.array_split(rows, max(1, len(rows) // 256)):  # bounded memory
                d = self.person_distances(self.embeddings[self._starts[chunk]])
                d[np.arange(len(chunk)), chunk] = -1.0  # itself: the "nearest", skipped below
                crowds.append(self._mean_after_nearest(d))
            self._typical = float(np.median(np.concatenate(crowds)))
        return self._typical

    def threshold_offsets(self, distances: np.ndarray) -> np.ndarray:
        """(M, P) person distances -> (M,) amount added to the threshold for each query
        (zeros when crowding is off or the gallery is too small)."""
        if not self._crowding_on():
            return np.zeros(len(distances), np.float32)
        crowd = self._mean_after_nearest(distances)
        return (self.crowding.weight * (crowd - self.typical_crowding())).astype(np.float32)

    def identify(self, queries: np.ndarray, threshold: float, k: int = 3) -> list[Match]:
        """Nearest people for each query.

        Args:
            queries: (M, D) unit vectors.
            threshold: a query is the nearest person when its distance is <= threshold
                (moved by crowding, see the module docstring), otherwise unknown (None).
            k: how many candidates (distinct people, nearest first) to return per query.
        Returns: M matches; with an empty gallery every match is unknown with no candidates.
        """
        d = self.person_distances(queries)
        limits = threshold + self.threshold_offsets(d)
        k = max(0, min(k, d.shape[1]))
        matches = []
        for row, limit in zip(d, limits):
            # Stable sort: equal distances keep enrolment order.
            top = np.argsort(row, kind="stable")[:k]
            candidates = [Candidate(self.people[j], float(row[j])) for j in top]
            nearest = int(np.argmin(row)) if len(row) else None
            best = None if nearest is None else Candidate(self.people[nearest], float(row[nearest]))
            known = best is not None and best.distance <= limit
            matches.append(Match(best.label if known else None,
                                 best.distance if best else None, float(limit), candidates))
        return matches
