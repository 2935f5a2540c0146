"""The encoder model registry (`instance/models/<name>/`) and switching the active model.

Embeddings of two models are not comparable, so a switch re-embeds every enrolled face from
its stored aligned crop with the new encoder, in one transaction with the change of
`AppState.active_model`: after it either every face carries the new model's embedding or,
on any error, nothing has changed.
"""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from ..recognition.decode import decode_image
from ..recognition.encode import EMBEDDING_SIZE, FACE_SIZE, FaceEncoder
from ..recognition.errors import WeightsError
from ..recognition.quality import to_grey
from ..recognition.weights import verify_model_dir

log = logging.getLogger(__name__)


def list_models(models_dir: Path) -> list[dict]:
    """Metadata (model.json) of every model folder, by name. Folders starting with "." or
    "_" (partial writes, downloads) are not models. Files are not checked here (hashing
    them costs seconds per model); `use-model` checks before switching."""
    out = []
    for folder in sorted(Path(models_dir).iterdir()):
        manifest = folder / "model.json"
        if folder.name[0] in "._" or not manifest.is_file():
            continue
        try:
            meta = json.loads(manifest.read_text())
        except (OSError, ValueError) as exc:
            meta = {"error": f"unreadable model.json: {exc}"}
        out.append({**meta, "name": folder.name})
    return out


def decode_crop(jpeg: bytes) -> np.ndarray:
    """A stored aligned crop (JPEG bytes) -> (160, 160, 3) uint8 RGB."""
    rgb = decode_image(jpeg)
    if rgb.shape != (FACE_SIZE, FACE_SIZE, 3):
        raise ValueError(f"stored crop is {rgb.shape[1]}x{rgb.shape[0]}, not {FACE_SIZE}x{FACE_SIZE}")
    return rgb


def reembed_all(session, encoder, model_name: str, batch_size: int = 64) -> int:
    """Re-embed every Face with `encoder` (its crop, and the crop made grey: the grey gallery)
    and make `model_name` the active model, atomically.

    Args:
        session: a SQLAlchemy session (e.g. `db.session`); committed on success, rolled
            back (and the error re-raised) on any failure.
        encoder: has `embed((N, 160, 160, 3) uint8) -> (N, 128) float32` (a FaceEncoder).
        model_name: stored in `Face.model` and `AppState.active_model`.
    Returns: the number of faces re-embedded. The gallery generation moves with the faces
    (models.py), so caches of the gallery built from the old embeddings are dropped.
    """
    from sqlalchemy import select

    from ..models import AppState, Face

    try:
        faces = session.scalars(select(Face).order_by(Face.id)).all()
        for start in range(0, len(faces), batch_size):
            chunk = faces[start:start + batch_size]
            crops = np.stack([decode_crop(f.crop_jpeg) for f in chunk])
            embeddings = encoder.embed(crops)
            if embeddings.shape != (len(chunk), EMBEDDING_SIZE):
                raise ValueError(f"encoder gave {embeddings.shape}, expected (N, {EMBEDDING_SIZE})")
            greys = encoder.embed(to_grey(crops))  # the grey gallery's, of the new model too
            for face, embedding, grey in zip(chunk, embeddings, greys):
                face.embedding = np.asarray(embedding, "<f4").tobytes()
                face.grey_embedding = np.asarray(grey, "<f4").tobytes()
                face.model = model_name
        state = session.get(AppState, 1)
        if state is None:
            state = AppState(id=1, active_model=model_name, gallery_generation=0)
            session.add(state)
        state.active_model = model_name
        session.commit()
    except BaseException:
        session.rollback()
        raise
    log.info("re-embedded %d faces with %s", len(faces), model_name)
    return len(faces)


class ModelError(Exception):
    """A model that cannot be switched to; the message says why (nothing was changed)."""


def use_model(session, models_dir: Path, name: str, config) -> int:
    """Check model `name` in `models_dir`, then switch to it, re-embedding every enrolled
    face (all or nothing). `config` gives ENCODER_VARIANT, ENCODER_FLIP, NUM_THREADS.
    Returns the number of faces re-embedded; ModelError when the model is missing or corrupt."""
    model_dir = Path(models_dir) / name
    if name[:1] in "._" or not (model_dir / "model.json").is_file():
        known = ", ".join(m["name"] for m in list_models(models_dir)) or "none"
        raise ModelError(f"no model named {name!r} in {models_dir} (models: {known})")
    try:
        verify_model_dir(model_dir)
    except (WeightsError, ValueError, KeyError) as exc:
        raise ModelError(f"model {name!r} is corrupt, nothing was changed: {exc}") from None
    encoder = FaceEncoder(model_dir, variant=config["ENCODER_VARIANT"], flip=config["ENCODER_FLIP"],
                          num_threads=config["NUM_THREADS"])
    return reembed_all(session, encoder, name)
