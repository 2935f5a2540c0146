"""Match embeddings against a gallery of enrolled people by L2 distance.

Embeddings are unit vectors, so the L2 distance d is in 0..2 and cosine similarity is
1 - d^2/2. A person with several photos is as close as their nearest photo.

Crowding: a face whose neighbourhood in the gallery is crowded (the 2nd to 11th nearest
people are all close, as for faces the model tells apart less well) is close to someone
by chance more often, so its threshold tightens; a face whose neighbours are far loosens
it. The threshold applied to one face is

    threshold + weight * (crowding(face) - typical crowding of an enrolled person)

where crowding is the mean L2 distance to the k people after the nearest. Measured on LFW
(scripts/open_set.py, one photo per person, 1 % of strangers accepted): weight 0.7 named
86.4 % of enrolled people's photos right where the plain threshold named 82.6 %.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable

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
    threshold: float  # the threshold applied to this face (after crowding)
    candidates: list[Candidate] = field(default_factory=list)


@dataclass(frozen=True)
class Crowding:
    """How much a face's neighbourhood moves its threshold (see the module docstring).

    weight: 0 turns it off. k: neighbours after the nearest. min_people: below this many
    people enrolled there is no neighbourhood to speak of (and chance matches are rare),
    so the plain threshold applies. sample: enrolled people used to find the typical
    crowding (bounds the cost of a gallery rebuild to sample x people distances).
    """

    weight: float = 0.0
    k: int = 10
    min_people: int = 20
    sample: int = 1000
