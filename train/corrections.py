"""The app's "not this person" corrections as hard negatives for training: faces an operator
said were not person P (their aligned 160x160 crops, as the app stored them), each under a
label of its own, put into the batches beside P's photos (batches.pk_batches)."""
from __future__ import annotations

import hashlib
from dataclasses import replace

import cv2
import numpy as np
from sqlalchemy import create_engine, text

from .data import FaceSet


def _key(name: str) -> str:
    """A folder name or a person's name, compared as the app compares names."""
    return " ".join(name.replace("_", " ").split()).casefold()


def database_url(database: str) -> str:
    """A SQLAlchemy URL, or the path of the app's SQLite file (instance/faces.db)."""
    return database if "://" in database else f"sqlite:///{database}"


def load_corrections(database: str, people: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(crops (M, 160, 160, 3) uint8 RGB, owners (M,) index into `people`) of the
    corrections whose person is one of `people` (folder names, matched like the app's names)."""
    index = {_key(p): i for i, p in enumerate(people)}
    with create_engine(database_url(database)).connect() as conn:
        rows = conn.execute(text("SELECT person.name, correction.crop_jpeg FROM correction "
                                 "JOIN person ON person.id = correction.person_id ORDER BY correction.id")).all()
    crops, owners = [], []
    for name, jpeg in rows:
        if _key(name) in index:
            bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
            if bgr is not None and bgr.shape[:2] == (160, 160):
                crops.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                owners.append(index[_key(name)])
    if not crops:
        return np.zeros((0, 160, 160, 3), np.uint8), np.zeros(0, np.int64)
    return np.stack(crops), np.asarray(owners, np.int64)


def with_hard_negatives(faces: FaceSet, database: str) -> tuple[FaceSet, dict[int, np.ndarray], int]:
    """The face set with the corrections appended (a label each, after the people's), the
    map person label -> indices of their negatives, and how many were added."""
    crops, owners = load_corrections(database, faces.people)
    if not len(crops):
        return faces, {}, 0
    start, first_label = len(faces.labels), len(faces.people)
    labels = np.concatenate([faces.labels, first_label + np.arange(len(crops))])
    negatives: dict[int, list[int]] = {}
    for i, owner in enumerate(owners.tolist()):
        negatives.setdefault(owner, []).append(start + i)
    digest = hashlib.sha256(faces.fingerprint.encode() + crops.tobytes()).hexdigest()
    merged = replace(faces, crops=np.concatenate([faces.crops, crops]), labels=labels,
                     people=faces.people + [f"not {faces.people[o]} #{i}" for i, o in enumerate(owners)],
                     paths=faces.paths + [f"correction:{i}" for i in range(len(crops))], fingerprint=digest)
    return merged, {k: np.asarray(v) for k, v in negatives.items()}, len(crops)
