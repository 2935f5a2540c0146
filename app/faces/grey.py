"""The grey gallery (issue 19): every enrolled face embedded a second time from its stored
aligned crop made grey, so that a greyscale/IR camera's face is compared with faces as such a
camera would have seen them. On night frames of 64 px faces this named 15.2 % of the people
right where the colour gallery named 8.5 % (docs/CAMERAS.md).

Made at enrolment (people._store), again by a model switch (model_switch.reembed_all), and
for faces stored without one (those enrolled before, imported or restored) by
`flask faces backfill-grey`, which resumes where a killed run stopped."""
from __future__ import annotations

import logging
from typing import Callable

import numpy as np
from sqlalchemy import func, select

from ..extensions import db
from ..models import EMBEDDING_DTYPE, Face
from ..recognition.quality import to_grey
from .gallery import get_state
from .model_switch import decode_crop
from .runtime import state

log = logging.getLogger(__name__)
BATCH = 64  # faces embedded and committed at a time by the backfill


def grey_vectors(encoder, crops: list[bytes]) -> np.ndarray:
    """Stored aligned crops (JPEG bytes of (160, 160, 3)) -> (N, 128) float32 unit
    embeddings of the crops made grey, by `encoder` (a FaceEncoder)."""
    return encoder.embed(to_grey(np.stack([decode_crop(c) for c in crops])))


def grey_embedding(crop_jpeg: bytes) -> bytes:
    """The grey embedding of one stored crop by the active model, as stored (512 bytes)."""
    encoder = state().pipeline(get_state().active_model).encoder
    return np.asarray(grey_vectors(encoder, [crop_jpeg])[0], EMBEDDING_DTYPE).tobytes()


def missing_grey() -> int:
    """How many faces of the active model have no grey embedding yet."""
    return db.session.scalar(select(func.count(Face.id)).where(
        Face.grey_embedding.is_(None), Face.model == get_state().active_model))


def backfill_grey(batch: int = BATCH, done: Callable[[int], None] = lambda n: None) -> int:
    """Give every face of the active model that has none a grey embedding, `batch` faces per
    transaction (a killed run loses at most one batch, and the next run starts from the
    faces still without one). Each batch moves the gallery generation: every worker adds
    those people's grey vectors. `done(n)` is told the count after each batch. Returns the
    number of faces embedded."""
    model = get_state().active_model
    encoder = state().pipeline(model).encoder
    total = 0
    while True:
        faces = db.session.scalars(select(Face).where(Face.grey_embedding.is_(None), Face.model == model)
                                   .order_by(Face.id).limit(batch)).all()
        if not faces:
            return total
        for face, vector in zip(faces, grey_vectors(encoder, [f.crop_jpeg for f in faces])):
            face.grey_embedding = np.asarray(vector, EMBEDDING_DTYPE).tobytes()
        db.session.commit()
        total += len(faces)
        log.info("grey embeddings: %d faces done", total)
        done(total)
