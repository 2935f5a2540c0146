"""The identification threshold read off the gallery itself: each enrolled face, with its
own person left out, is a stranger to everyone else; the threshold is set where `target`
of them would be taken for someone (crowding included, as crowding.identify applies it).
It follows what the product holds now (how many people, how far apart), where a fixed
threshold was fitted to one set. Measured (scripts/library_rules.py --splits, docs/LIBRARY.md)."""
from __future__ import annotations

import numpy as np

from .index import PersonIndex
from .ranking import mean_after_nearest


def held_out_margins(index: PersonIndex, faces: np.ndarray, owners: list[int]) -> np.ndarray:
    """(F, D) unit faces of enrolled people and their F owners (person ids) -> (F,) each
    face's distance to the nearest *other* person minus its crowding offset (taken for
    someone at threshold t exactly when margin <= t). Needs 3 people or more."""
    crowd = index.crowding_on() and index.typical is not None
    k = index.crowding.k if crowd else 1
    dist, ids = index.nearest(np.asarray(faces, np.float32), k + 2)
    others = ids != np.asarray(owners)[:, None]  # its own person drops out wherever it sorts
    d = np.stack([row[keep][:k + 1] for row, keep in zip(dist, others)])
    if not crowd:
        return d[:, 0]
    return d[:, 0] - index.crowding.weight * (mean_after_nearest(d, k) - index.typical)


def gallery_threshold(index: PersonIndex, faces: np.ndarray, owners: list[int], target: float = 0.01,
                      floor: float = 0.6, ceiling: float = 1.0) -> float | None:
    """The largest threshold at which at most `target` of the held-out faces are taken for
    someone, within [floor, ceiling]; None when fewer than 1 / target faces are held (too
    few to place a 1-in-100 point: keep the configured threshold) or fewer than 3 people."""
    if len(faces) < round(1 / target) or len(index) < 3:
        return None
    margins = np.sort(held_out_margins(index, faces, owners))
    allowed = int(np.floor(target * len(margins)))  # this many may fall at or under it
    t = float(margins[allowed]) - 1e-6
    return float(np.clip(t, floor, ceiling))
