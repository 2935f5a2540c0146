"""A 2-D map of the enrolled faces (PCA of their embeddings), coloured by person, on which a
face far from its own person's faces, or among another person's, stands out: the People
page's map. Faces are sampled to at most MAX_FACES (the page stays light at any size)."""
from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..faces import state
from ..models import EMBEDDING_DTYPE, Face, Person
from ..recognition.cluster import unit
from ..recognition.match import pairwise_distances

MAX_FACES = 2000


@dataclass
class Point:
    face_id: int
    person_id: int
    name: str
    x: float  # 0..1 across the map
    y: float  # 0..1 down the map
    colour: str
    odd: str | None  # why it stands out, or None


# Ten colours told apart also by most colour-blind readers (Okabe-Ito, then Tableau), given
# to the map's people in order; past ten, hues a golden angle apart at two lightnesses.
PALETTE = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#6a3d9a",
           "#8c564b", "#7f7f7f", "#bcbd22")


def colour(index: int) -> str:
    """The colour of the map's `index`-th person (0-based): distinct from its neighbours in
    the list, so a legend can name each."""
    if index < len(PALETTE):
        return PALETTE[index]
    hue = (index * 0.618034) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.38 if index % 2 else 0.55, 0.7)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def _why_odd(v: np.ndarray, own_mean: np.ndarray, nearest_other: tuple[str, float] | None,
             limit: float) -> str | None:
    d_own = float(np.linalg.norm(v - own_mean))
    if nearest_other is not None and nearest_other[1] < d_own:
        return f"nearer to {nearest_other[0]} ({nearest_other[1]:.2f}) than to their own average ({d_own:.2f})"
    if d_own > limit:
        return f"far from their own average ({d_own:.2f})"
    return None


def face_map(seed: int = 0) -> tuple[list[Point], int]:
    """The map's points and how many faces there are in all (of the active model)."""
    model = state().gallery_view().model
    total = db.session.scalar(select(func.count(Face.id)).where(Face.model == model))
    query = select(Face.id, Face.person_id, Face.embedding, Person.name).join(Person).where(Face.model == model)
    if total > MAX_FACES:  # an even sample of the faces, by id
        step = total // MAX_FACES
        query = query.where(Face.id % step == 0)
    rows = db.session.execute(query.order_by(Face.id).limit(MAX_FACES)).all()
    if len(rows) < 3:
        return [], total
    vectors = np.stack([np.frombuffer(r[2], EMBEDDING_DTYPE) for r in rows]).astype(np.float32)
    people = np.array([r[1] for r in rows])
    ids = sorted(set(people.tolist()))
    means = unit(np.stack([vectors[people == p].sum(0) for p in ids]))
    dist = pairwise_distances(vectors, means)  # (faces, people)
    col = {p: i for i, p in enumerate(ids)}
    centred = vectors - vectors.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    xy = centred @ vt[:2].T
    xy = (xy - xy.min(0)) / np.maximum(xy.max(0) - xy.min(0), 1e-9)
    names = {r[1]: r[3] for r in rows}
    limit = current_app.config["VERIFY_THRESHOLD"]
    points = []
    for i, (face_id, pid, _, name) in enumerate(rows):
        others = dist[i].copy()
        others[col[pid]] = np.inf
        j = int(np.argmin(others)) if len(ids) > 1 else None
        nearest = None if j is None else (names[ids[j]], float(others[j]))
        points.append(Point(face_id, pid, name, float(xy[i, 0]), float(xy[i, 1]), colour(col[pid]),
                            _why_odd(vectors[i], means[col[pid]], nearest, limit)))
    return points, total
