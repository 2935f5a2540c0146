"""The identification threshold the gallery's own faces point to (recognition/
calibrate_gallery.py): each stored face, its person left out, plays a stranger to everyone
else, and the threshold is set where `target` of them are taken for someone.

How it combines with the per-face quality adjustment (app/recognition/quality.py,
calibration.py): this gives the *base* threshold (what the Settings slider holds); any
adjustment for a face's quality is applied on top of it, per face, as before."""
from __future__ import annotations

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..faces import state
from ..models import EMBEDDING_DTYPE, Face
from ..recognition.calibrate_gallery import gallery_threshold

SAMPLE_FACES = 5000  # held-out faces at most: a 1-in-100 point from 50 of them taken


def threshold_from_gallery(target: float = 0.01) -> float | None:
    """The base identification threshold at which about `target` of strangers are taken
    for someone in the gallery as it is now (None: fewer than 1 / target faces stored)."""
    view = state().gallery_view()
    rows = db.session.execute(select(Face.person_id, Face.embedding).where(Face.model == view.model)
                              .order_by(Face.id)).all()
    if len(rows) > SAMPLE_FACES:  # evenly spread over the stored faces
        rows = [rows[i] for i in np.linspace(0, len(rows) - 1, SAMPLE_FACES).astype(int)]
    if not rows or not len(view.gallery):
        return None
    faces = np.stack([np.frombuffer(e, EMBEDDING_DTYPE) for _, e in rows]).astype(np.float32)
    return gallery_threshold(view.gallery, faces, [p for p, _ in rows], target)
