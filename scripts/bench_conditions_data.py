"""bench_conditions' data: the pairs sampled, the clean photos embedded (colour and grey) and
each condition's degraded frames analysed by the server's own pipeline, all cached."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.evaluation.degrade import Condition, degrade
from app.evaluation.pairs import Pair, photo_path, read_pairs
from app.evaluation.run import centre_guess
from app.recognition.quality import channel_spread, jpeg_quality, sharpness, to_grey
from app.recognition.select import select_face

ROOT = Path(__file__).resolve().parents[1]
# ../shared beside the main checkout (a worktree may lie one folder deeper)
LFW = next((p / "shared" / "datasets" / "lfw-devtrain" for p in ROOT.parents[:2]
            if (p / "shared").is_dir()), ROOT.parent / "shared" / "datasets" / "lfw-devtrain")
K = 4  # faces kept per frame (highest detector score first)
VERSION = "v2"  # of the degradations and what is cached: a change makes new cache files
log = logging.getLogger("bench_conditions")


def sample_pairs(lfw: Path, n: int, seed: int) -> list[Pair]:
    """n pairs of pairsDevTrain.txt, half of the same person, drawn with `seed`."""
    pairs = read_pairs(lfw / "pairsDevTrain.txt").pairs
    rng = np.random.default_rng(seed)
    same = [p for p in pairs if p.same]
    diff = [p for p in pairs if not p.same]
    pick = lambda ps, k: [ps[i] for i in sorted(rng.choice(len(ps), min(k, len(ps)), replace=False))]
    return pick(same, n // 2) + pick(diff, n - n // 2)


def gallery_keys(lfw: Path) -> list[tuple[str, int]]:
    """The dev gallery: (name, 1) for every person with two photos or more."""
    keys = []
    for line in (lfw / "peopleDevTrain.txt").read_text().split("\n")[1:]:
        fields = line.split()
        if len(fields) == 2 and int(fields[1]) >= 2:
            keys.append((fields[0], 1))
    return keys


@dataclass
class Clean:
    """Photos as they are, keys (name, number) -> row. frames: every face as the server
    sees it (truth: the central face, a centred guess when none was found, stored as face 0
    with score NaN: the pipeline's path still embeds it, the API's finds no face there);
    grey: (N, K, 128) the same faces' embeddings made from grey crops; central: (N,) index."""

    keys: list[tuple[str, int]]
    frames: "Frames"
    grey: np.ndarray
    central: np.ndarray
    gallery: list[tuple[str, int]]

    def row(self, key) -> int:
        return self._rows[key]

    def __post_init__(self):
        self._rows = {k: i for i, k in enumerate(self.keys)}

    @property
    def boxes(self) -> np.ndarray:
        return self.frames.truth


def server_pipeline():
    """The pipeline with the server's own settings (the app's config as it starts)."""
    import os
    os.environ.setdefault("FACES_DATABASE_URL", "sqlite://")
    from app import create_app
    from app.faces.runtime import build_pipeline
    cfg = create_app().config
    return build_pipeline(cfg, "facenet-keras-v1", cfg["ENCODER_VARIANT"], cfg["ENCODER_FLIP"])


def clean_set(lfw: Path, pairs: list[Pair], cache: Path, extra=()) -> Clean:
    """Every photo the pairs, the gallery and the `extra` keys (name, number) need,
    embedded once (cached)."""
    gallery = gallery_keys(lfw)
    keys = sorted({p.first for p in pairs} | {p.second for p in pairs} | set(gallery) | set(extra))
    path = cache / f"clean-{VERSION}-{digest(keys)}.npz"
    if path.exists():
        z = dict(np.load(path))
        grey, central = z.pop("grey"), z.pop("central")
        return Clean(keys, Frames(**z), grey, central, gallery)
    pipeline = server_pipeline()
    frames, grey, central = empty_frames(len(keys)), np.zeros((len(keys), K, 128), np.float32), []
    for i, key in enumerate(keys):
        rgb = pipeline.decode(photo_path(lfw / "images", *key).read_bytes())
        found = pipeline.detect(rgb)[:K]
        pick = select_face(found, "central", image_shape=rgb.shape)
        faces = pipeline.embed(rgb, found or [centre_guess(rgb.shape)])
        record(frames, i, faces, pipeline, rgb)
        grey[i, :len(faces)] = pipeline.encoder.embed(to_grey(np.stack([f.aligned for f in faces])))
        frames.truth[i] = faces[pick or 0].detection.box
        frames.scores[i, :len(found)] = [f.score for f in found]
        frames.scores[i, len(found):] = np.nan
        central.append(pick or 0)
        if (i + 1) % 500 == 0:
            log.info("clean photos: %d/%d", i + 1, len(keys))
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, grey=grey, central=np.array(central), **frames.__dict__)
    return Clean(keys, frames, grey, np.array(central), gallery)


def condition_jpeg(condition: Condition) -> int | None:
    """The JPEG quality the product reads from a frame of `condition` (jpeg_quality of its
    bytes; the tables depend only on the encoder's setting, so one frame tells for all)."""
    if condition.jpeg is None:
        return None
    photo = np.random.default_rng(0).integers(0, 256, (250, 250, 3), dtype=np.uint8)
    return jpeg_quality(degrade(photo, condition, 0)[0])


def empty_frames(n: int) -> "Frames":
    return Frames(np.zeros((n, K, 4), np.float32), np.full((n, K), np.nan, np.float32),
                  np.zeros((n, K, 128), np.float32), np.zeros((n, K), np.float32),
                  np.zeros((n, K), np.float32), np.zeros((n, 4), np.float32),
                  np.zeros((n, K, 128), np.float32))


def record(frames: "Frames", i: int, faces, pipeline, rgb: np.ndarray) -> None:
    """Faces (pipeline Face values of `rgb`, at most K) into row i of `frames`; `verify_embeddings`:
    as verify compares them (a small colour face aligned again, bicubic)."""
    for j, face in enumerate(faces[:K]):
        frames.boxes[i, j], frames.scores[i, j] = face.detection.box, face.detection.score
        frames.embeddings[i, j] = face.embedding
        frames.sharpness[i, j] = sharpness(face.aligned)
        frames.spread[i, j] = channel_spread(face.aligned)
        frames.verify_embeddings[i, j] = pipeline.as_verified(rgb, face)[0].embedding


def digest(items) -> str:
    return hashlib.sha256(repr(items).encode()).hexdigest()[:12]


@dataclass
class Frames:
    """The second photo of each pair under one condition, as the server's pipeline saw it.
    Up to K faces per frame, by detector score; missing faces have score NaN.

    boxes (N, K, 4), scores (N, K), embeddings (N, K, 128), sharpness (N, K) (Laplacian
    variance of the aligned crop), spread (N, K) (channel spread, grey levels), truth (N, 4)
    (where the face was put), verify_embeddings (N, K, 128) (as verify compares them)."""

    boxes: np.ndarray
    scores: np.ndarray
    embeddings: np.ndarray
    sharpness: np.ndarray
    spread: np.ndarray
    truth: np.ndarray
    verify_embeddings: np.ndarray


def condition_frames(lfw: Path, pairs: list[Pair], clean: Clean, condition: Condition,
                     cache: Path, seed: int) -> Frames:
    """Degrade each pair's second photo under `condition` and analyse it (cached)."""
    path = cache / f"{condition.name}-{VERSION}-{digest((pairs, condition, seed))}.npz"
    if path.exists():
        return Frames(**np.load(path))
    pipeline = server_pipeline()
    n = len(pairs)
    out = empty_frames(n)
    for i, pair in enumerate(pairs):
        rgb = pipeline.decode(photo_path(lfw / "images", *pair.second).read_bytes())
        box = clean.boxes[clean.row(pair.second)]
        data, placed = degrade(rgb, condition, seed * 100_003 + i, float(box[2] - box[0]))
        out.truth[i] = placed.box(box)
        analysis = pipeline.analyze_bytes(data)
        record(out, i, analysis.faces, pipeline, analysis.image)
        if (i + 1) % 250 == 0:
            log.info("%s: %d/%d frames", condition.name, i + 1, n)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **out.__dict__)
    return out


def cached_frames(pairs: list[Pair], conditions, cache: Path, seed: int) -> dict:
    """name -> (condition, Frames) of the conditions bench_conditions has cached."""
    out = {}
    for condition in conditions:
        path = cache / f"{condition.name}-{VERSION}-{digest((pairs, condition, seed))}.npz"
        if path.exists():
            out[condition.name] = (condition, Frames(**np.load(path)))
    return out
