"""The app's own faces as training data (`--from-library`, `--hard-negatives`).

The library: every enrolled person's faces (aligned 160x160 crops as the app stored them:
uploads, imports, named unknown groups, camera faces), one label per person. Corrections:
faces an operator said were "not this person" P, each under a label of its own, put into
the batches beside P's photos (batches.pk_batches) as hard negatives."""
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


def decode_crop(jpeg: bytes) -> np.ndarray | None:
    """A stored crop -> (160, 160, 3) uint8 RGB, or None when it is not one."""
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    return None if bgr is None or bgr.shape[:2] != (160, 160) else cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def load_library(database: str, min_faces: int = 2) -> FaceSet:
    """Every enrolled person with `min_faces` or more faces, as a FaceSet (paths
    `library:<face id>:<origin>`; people by their names in the app)."""
    with create_engine(database_url(database)).connect() as conn:
        rows = conn.execute(text("SELECT person.id, person.name, face.id, face.origin, face.crop_jpeg "
                                 "FROM face JOIN person ON person.id = face.person_id "
                                 "ORDER BY person.id, face.id")).all()
    by_person: dict[int, list] = {}
    for person_id, name, face_id, origin, jpeg in rows:
        crop = decode_crop(jpeg)
        if crop is not None:
            by_person.setdefault(person_id, []).append((name, f"library:{face_id}:{origin}", crop))
    kept = [faces for faces in by_person.values() if len(faces) >= min_faces]
    if not kept:
        raise ValueError(f"no one in {database} has {min_faces} faces or more to train on")
    crops = np.stack([c for faces in kept for _, _, c in faces])
    return FaceSet(crops, np.repeat(np.arange(len(kept)), [len(f) for f in kept]),
                   [faces[0][0] for faces in kept], [p for faces in kept for _, p, _ in faces], {},
                   hashlib.sha256(crops.tobytes()).hexdigest())


def merge_faces(first: FaceSet | None, second: FaceSet) -> FaceSet:
    """Two face sets as one, the second's people after the first's (labels shifted)."""
    if first is None:
        return second
    return FaceSet(np.concatenate([first.crops, second.crops]),
                   np.concatenate([first.labels, second.labels + len(first.people)]),
                   first.people + second.people, first.paths + second.paths,
                   {**first.no_face, **second.no_face},
                   hashlib.sha256((first.fingerprint + second.fingerprint).encode()).hexdigest())


def load_corrections(database: str, people: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(crops (M, 160, 160, 3) uint8 RGB, owners (M,) index into `people`) of the
    corrections whose person is one of `people` (folder names, matched like the app's names)."""
    index = {_key(p): i for i, p in enumerate(people)}
    with create_engine(database_url(database)).connect() as conn:
        rows = conn.execute(text("SELECT person.name, correction.crop_jpeg FROM correction "
                                 "JOIN person ON person.id = correction.person_id ORDER BY correction.id")).all()
    crops, owners = [], []
    for name, jpeg in rows:
        crop = decode_crop(jpeg) if _key(name) in index else None
        if crop is not None:
            crops.append(crop)
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
