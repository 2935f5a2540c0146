"""Folder-per-person photos -> aligned 160x160 face crops, cached with a manifest.

Faces are found and aligned by the recognition core (the same detector and template as the
app), so the encoder is trained on crops made exactly as at enrolment and identification.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from app.recognition import FacePipeline, RecognitionError, select_face
from app.recognition.align import FACE_SIZE
from app.recognition.atomic import atomic_replace

log = logging.getLogger(__name__)

PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
CACHE_FORMAT = 1


@dataclass
class FaceSet:
    """Aligned faces of a folder-per-person photo collection.

    crops: (N, 160, 160, 3) uint8 RGB. labels: (N,) int64 index into `people`.
    paths: N photo paths relative to the data folder. no_face: {path: reason} for photos
    that gave no crop. fingerprint: sha256 over every photo's path and content.
    """

    crops: np.ndarray
    labels: np.ndarray
    people: list[str]
    paths: list[str]
    no_face: dict[str, str]
    fingerprint: str


def list_photos(data_dir: Path, min_photos: int = 1, people: int = 0,
                max_photos: int = 0, seed: int = 0) -> list[tuple[str, Path]]:
    """(person, path) for every photo in `data_dir/<person>/`, sorted; people with fewer
    than `min_photos` photos are left out. Sizing a run to the machine: `people` > 0 keeps
    a seeded sample of that many people, `max_photos` > 0 each one's first photos."""
    found = []
    for person_dir in sorted(p for p in Path(data_dir).iterdir() if p.is_dir()):
        photos = sorted(p for p in person_dir.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
        if len(photos) >= min_photos:
            found.append((person_dir.name, photos[:max_photos] if max_photos > 0 else photos))
    if 0 < people < len(found):
        keep = np.random.default_rng(seed).choice(len(found), people, replace=False)
        found = [found[i] for i in sorted(keep)]
    out = [(name, path) for name, photos in found for path in photos]
    if not out:
        raise ValueError(f"no photos found in {data_dir}/<person>/*.jpg")
    return out


def _crop(path: Path, pipeline: FacePipeline) -> tuple[np.ndarray | None, str]:
    """Aligned crop of the face nearest the photo's centre (the subject of a portrait),
    or None and the reason."""
    try:
        rgb = pipeline.decode(path.read_bytes())
    except RecognitionError as exc:
        return None, f"unreadable: {exc}"
    detections = pipeline.detect(rgb)
    central = select_face(detections, "central", image_shape=rgb.shape)
    if central is None:
        return None, "no face detected"
    return pipeline.align(rgb, [detections[central]])[0], ""


def load_faces(data_dir: Path, cache_dir: Path, pipeline: FacePipeline,
               min_photos: int = 1, **sizing) -> FaceSet:
    """Detect and align every photo once with `pipeline` (its detector and alignment; the
    encoder is not used); later calls read `cache_dir/<fingerprint>/`. `sizing`: people,
    max_photos, seed, as list_photos takes them."""
    data_dir = Path(data_dir)
    photos = list_photos(data_dir, min_photos, **sizing)
    digest = hashlib.sha256(f"format {CACHE_FORMAT}\n".encode())
    for person, path in photos:
        digest.update(f"{path.relative_to(data_dir)}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    fingerprint = digest.hexdigest()
    folder = Path(cache_dir) / fingerprint[:16]
    manifest_path = folder / "manifest.json"
    if manifest_path.exists():
        log.info("aligned crops from the cache %s", folder)
        manifest = json.loads(manifest_path.read_text())
        crops = np.load(folder / "crops.npy")
    else:
        crops, kept, no_face = [], [], {}
        for person, path in tqdm(photos, desc="detect + align", unit="photo"):
            crop, reason = _crop(path, pipeline)
            rel = str(path.relative_to(data_dir))
            if crop is None:
                no_face[rel] = reason
            else:
                crops.append(crop)
                kept.append([rel, person])
        crops = np.stack(crops) if crops else np.zeros((0, FACE_SIZE, FACE_SIZE, 3), np.uint8)
        manifest = {"format": CACHE_FORMAT, "data_dir": str(data_dir.resolve()),
                    "fingerprint": fingerprint, "photos": kept, "no_face": no_face}
        with atomic_replace(folder) as partial:
            np.save(partial / "crops.npy", crops)
            (partial / "manifest.json").write_text(json.dumps(manifest, indent=1))
    people = sorted({person for _, person in manifest["photos"]})
    index = {name: i for i, name in enumerate(people)}
    labels = np.array([index[person] for _, person in manifest["photos"]], np.int64)
    if manifest["no_face"]:
        log.warning("%d photos gave no face (listed in the report)", len(manifest["no_face"]))
    return FaceSet(crops, labels, people, [rel for rel, _ in manifest["photos"]],
                   manifest["no_face"], fingerprint)


def split_people(labels: np.ndarray, val_fraction: float, seed: int) -> np.ndarray:
    """(N,) bool, True for photos of validation people: a seeded share of the people, so
    that validation measures the encoder on faces it was never trained on."""
    people = np.unique(labels)
    n_val = max(1, int(round(val_fraction * len(people))))
    if n_val >= len(people) - 1:
        raise ValueError("too few people to hold some out for validation and train on 2+")
    val_people = np.random.default_rng(seed).choice(people, n_val, replace=False)
    return np.isin(labels, val_people)


def make_pairs(labels: np.ndarray, seed: int, max_same: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """Balanced verification pairs among the given photos: every same-person pair (a seeded
    sample of `max_same` when there are more) and as many random different-person pairs.

    Returns (pairs (M, 2) int64 indices into `labels`, same (M,) bool).
    """
    rng = np.random.default_rng(seed)
    pos = []
    for person in np.unique(labels):
        members = np.flatnonzero(labels == person)
        i, j = np.triu_indices(len(members), 1)
        pos.append(np.stack([members[i], members[j]], axis=1))
    pos = np.concatenate(pos)
    if len(pos) > max_same:
        pos = pos[rng.choice(len(pos), max_same, replace=False)]
    if len(pos) == 0 or len(np.unique(labels)) < 2:
        raise ValueError("verification pairs need 2+ people and someone with 2+ photos")
    # Random pairs, keeping those of two different people (most of them, for many people).
    neg = np.zeros((0, 2), np.int64)
    while len(neg) < len(pos):
        draw = rng.integers(0, len(labels), size=(4 * len(pos), 2))
        neg = np.unique(np.concatenate([neg, draw[labels[draw[:, 0]] != labels[draw[:, 1]]]]), axis=0)
    neg = neg[rng.choice(len(neg), len(pos), replace=False)]
    return np.concatenate([pos, neg]), np.repeat([True, False], len(pos))
