"""The identification threshold read off the gallery itself: each enrolled face, with its
own person left out, is a stranger to everyone else; the threshold is set where `target`
of them would be taken for someone (crowding included). It follows what the product holds
now (how many people, how far apart), where a fixed threshold was fitted to one set.
Measured (scripts/library_rules.py --splits, docs/LIBRARY.md)."""
from __future__ import annotations

import numpy as np

from .match import Gallery


def held_out_margins(gallery: Gallery, faces: np.ndarray, owners: list) -> np.ndarray:
    """(F, D) unit faces of enrolled people and their F owners -> (F,) each face's distance
    to the nearest *other* person minus its crowding offset (taken for someone at
    threshold t exactly when margin <= t)."""
    d = gallery.person_distances(faces)
    column = {p: j for j, p in enumerate(gallery.people)}
    own = np.array([column.get(o, -1) for o in owners])
    rows = np.flatnonzero(own >= 0)
    d, own = d[rows], own[rows]
    d[np.arange(len(rows)), own] = np.inf  # its own person is not there for a stranger
    return d.min(1) - gallery.threshold_offsets(d)


def gallery_threshold(gallery: Gallery, faces: np.ndarray, owners: list, target: float = 0.01,
                      floor: float = 0.6, ceiling: float = 1.0) -> float | None:
    """The largest threshold at which at most `target` of the held-out faces are taken for
    someone, within [floor, ceiling]; None when fewer than 1 / target faces are held (too
    few to place a 1-in-100 point: keep the configured threshold)."""
    margins = np.sort(held_out_margins(gallery, faces, owners))
    if len(margins) < round(1 / target) or len(gallery) < 3:
        return None
    allowed = int(np.floor(target * len(margins)))  # this many may fall at or under it
    t = float(margins[allowed]) - 1e-6
    return float(np.clip(t, floor, ceiling))
