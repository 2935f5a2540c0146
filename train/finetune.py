"""Fine-tune a pretrained encoder with triplet loss: the frozen trunk, the trained head.

The model is cut after a named layer. Everything up to it (the trunk) stays frozen; the
layers above it (the head) are trained. The trunk's output of the unaugmented crops never
changes, so it is computed once and serves every validation pass. Two modes:
    head:     the trunk's outputs of `views` augmented copies of each crop are cached on
              disk too, and each step only runs the head: an epoch costs seconds on a CPU.
    unfreeze: each step augments its crops afresh and runs the frozen trunk on them;
              slower, but the augmentation never repeats.
"""
from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

import keras
import numpy as np
from tqdm import tqdm

from app.evaluation import metrics
from app.recognition.atomic import atomic_replace
from app.recognition.encode import l2_normalize, prewhiten

from .batches import augment, pk_batches
from .camera import camera_views
from .checkpoint import Checkpoint, score
from .data import make_pairs
from .loop import make_train_step
from .settings import Settings

log = logging.getLogger(__name__)

def split_model(model: keras.Model, cut: str) -> tuple[keras.Model, keras.Model]:
    """(trunk: input -> output of layer `cut`, head: that output -> embedding). The head
    shares its layers with `model`, so training it trains `model`."""
    boundary = model.get_layer(cut).output
    trunk = keras.Model(model.input, boundary, name="trunk")
    head = keras.Model(boundary, model.output, name="head")
    trunk.trainable = False
    return trunk, head


def trunk_outputs(trunk: keras.Model, crops: np.ndarray, batch_size: int = 64,
                  desc: str = "trunk") -> np.ndarray:
    """(N, 160, 160, 3) uint8 aligned crops -> (N, ...) float16 trunk outputs (float16
    halves the cache; the head computes in float32)."""
    out = []
    for start in tqdm(range(0, len(crops), batch_size), desc=desc, unit="batch"):
        x = prewhiten(crops[start:start + batch_size])
        out.append(keras.ops.convert_to_numpy(trunk(x, training=False)).astype(np.float16))
    return np.concatenate(out)


def cached_views(trunk: keras.Model, crops: np.ndarray, views: int, seed: int,
                 cache: Path, camera: bool = False) -> np.ndarray:
    """(views, N, ...) float16 trunk outputs: view 0 of the plain crops, the others of
    seeded augmented copies (`camera`: camera views of them). Read from `cache` when it
    exists (its name must encode what it depends on: data, model, cut, views, seed, camera)."""
    if cache.exists():
        log.info("trunk outputs from the cache %s", cache)
        return np.load(cache, mmap_mode="r")
    rng = np.random.default_rng([seed, 7])
    views_of = augmenter(camera)
    out = [trunk_outputs(trunk, crops if v == 0 else views_of(crops, rng), desc=f"trunk view {v}")
           for v in range(views)]
    out = np.stack(out)
    with atomic_replace(cache, folder=False) as partial:
        np.save(partial, out)
    return out


def augmenter(camera: bool):
    """(crops, rng) -> augmented crops: light augmentation, then camera views if `camera`."""
    if camera:
        return lambda crops, rng: camera_views(augment(crops, rng), rng)
    return augment


def embed(head: keras.Model, features: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Trunk outputs (N, ...) -> (N, 128) float32 L2-normalised embeddings."""
    out = [keras.ops.convert_to_numpy(head(np.asarray(features[s:s + batch_size], np.float32),
                                           training=False))
           for s in range(0, len(features), batch_size)]
    return l2_normalize(np.concatenate(out))


def pair_distances(embeddings: np.ndarray, pairs: np.ndarray,
                   second: np.ndarray | None = None) -> np.ndarray:
    """(M,) plain L2 distances of (M, 2) index pairs, in the units of the app's threshold.
    `second`: the embeddings the pairs' second photos are taken from (default: the same)."""
    other = embeddings if second is None else second
    return np.linalg.norm(embeddings[pairs[:, 0]] - other[pairs[:, 1]], axis=1)


def verification(train_emb, train_pairs, val_emb, val_pairs, train_second=None,
                 val_second=None) -> dict:
    """Threshold calibrated on training people's pairs, applied to held-out people's.
    `*_second`: embeddings of the pairs' second photos (camera views), if not the same."""
    threshold, _ = metrics.best_threshold(pair_distances(train_emb, train_pairs[0], train_second),
                                          train_pairs[1])
    d, same = pair_distances(val_emb, val_pairs[0], val_second), val_pairs[1]
    _, oracle = metrics.best_threshold(d, same)
    _, _, auc = metrics.roc(d, same)
    return {"threshold": threshold, "accuracy": metrics.accuracy_at(d, same, threshold),
            "best_threshold_accuracy": float(oracle), "auc": auc,
            "tar_at_far_0.001": metrics.tar_at_far(d, same, 0.001),
            "tar_at_far_0.01": metrics.tar_at_far(d, same, 0.01)}


def people_pairs(labels: np.ndarray, members: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`make_pairs` among the photos `members` (indices), as indices into all photos."""
    pairs, same = make_pairs(labels[members], seed)
    return members[pairs], same


def fine_tune(model: keras.Model, crops: np.ndarray, labels: np.ndarray, roles: np.ndarray,
              settings: Settings, checkpoint_dir: Path, trunk_cache: Path,
              val_pairs: tuple[np.ndarray, np.ndarray] | None = None,
              negatives: dict[int, np.ndarray] | None = None) -> dict:
    """Train `model`'s head in place; on return it holds the weights of the epoch with the
    best validation accuracy, or the pretrained weights when no epoch beat them.

    Args:
        crops: (N, 160, 160, 3) uint8 aligned faces. labels: (N,) int person ids.
        roles: (N,) str "train", "val" (early stopping) or "test" (only for the report).
        val_pairs: (pairs (M, 2) indices into all photos, same (M,) bool), e.g. from an
            LFW pairs file; default: balanced pairs drawn among the "val" photos.
        checkpoint_dir: where the resumable state goes. trunk_cache: trunk outputs are cached
        as `trunk_cache/<key>.npy`; the caller's path must identify the data and base model.
        negatives: person label -> indices of their hard negatives (train/corrections.py).
    Returns: {"val_before", "val_after": verification dicts, "history", "epochs_run",
        "seconds_per_epoch", "trunk_seconds", "embeddings_before"/"_after": (N, 128) of the plain crops,
        "trunk", "head": the model's two parts (the report embeds camera views with them)}.
    """
    s = settings
    keras.utils.set_random_seed(s.seed)
    trunk, head = split_model(model, s.cut)
    features, views, trunk_seconds = trunk_features(trunk, crops, s, trunk_cache)
    train_idx = np.flatnonzero(roles == "train")
    evaluate = validation(head, features, labels, roles, s, val_pairs)
    emb_before, before = evaluate()
    log.info("before: validation accuracy %.2f%% at threshold %.3f, AUC %.4f%s",
             100 * before["accuracy"], before["threshold"], before["auc"],
             f", camera views {100 * before['camera']['accuracy']:.2f}%" if "camera" in before else "")
    steps = s.steps or max(1, len(train_idx) // (s.p * s.k))
    optimizer = keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(s.lr, s.epochs * steps))
    ckpt = Checkpoint(checkpoint_dir)
    ckpt.start(head, optimizer, s, score(before))
    step = make_train_step(head, optimizer, s.strategy, s.margin, training=False)
    inputs = batch_inputs(s.mode, features, views, trunk, crops, s.augment == "camera")
    while ckpt.epoch < s.epochs and ckpt.stale < s.patience:
        seconds = train_epoch(step, inputs, labels, train_idx, steps, s, ckpt, negatives)
        _, result = evaluate()
        ckpt.end_epoch(result, seconds, head, optimizer, s)
    head.load_weights(ckpt.best_weights)
    emb_after, after = evaluate()
    return {"val_before": before, "val_after": after, "history": ckpt.history,
            "epochs_run": ckpt.epoch, "trunk_seconds": trunk_seconds,
            "seconds_per_epoch": float(np.mean([e["seconds"] for e in ckpt.history["epochs"]]))
            if ckpt.history["epochs"] else None,
            "embeddings_before": emb_before, "embeddings_after": emb_after,
            "trunk": trunk, "head": head}


def validation(head: keras.Model, features: np.ndarray, labels: np.ndarray, roles: np.ndarray,
               s: Settings, val_pairs=None):
    """() -> ((N, 128) embeddings of the plain crops, the validation figures): pairs of
    "val" photos (or `val_pairs`), the threshold calibrated on training people's pairs;
    with camera views also the same pairs, the second photo a camera view."""
    train_idx, val_idx = np.flatnonzero(roles == "train"), np.flatnonzero(roles == "val")
    train_pairs = make_pairs(labels[train_idx], s.seed)
    val_pairs = people_pairs(labels, val_idx, s.seed + 1) if val_pairs is None else val_pairs

    def evaluate():
        emb = embed(head, features[0])
        result = verification(emb[train_idx], train_pairs, emb, val_pairs)
        if s.augment == "camera" and len(features) > 1:
            result = with_camera_score(result, head, features[1], emb, train_idx, train_pairs, val_pairs)
        return emb, result

    return evaluate


def with_camera_score(result: dict, head: keras.Model, camera_features: np.ndarray,
                      emb: np.ndarray, train_idx: np.ndarray, train_pairs, val_pairs) -> dict:
    """`result` (clean pairs) with `camera`: the same pairs, the second photo a camera view
    (the cached view 1), and `score`: the mean of both accuracies, which early stopping
    follows (a camera model must not buy camera accuracy with clean accuracy)."""
    cam = embed(head, camera_features)
    camera = verification(emb[train_idx], train_pairs, emb, val_pairs, cam[train_idx], cam)
    return {**result, "camera": camera, "score": (result["accuracy"] + camera["accuracy"]) / 2}


def trunk_features(trunk: keras.Model, crops: np.ndarray, s: Settings,
                   trunk_cache: Path) -> tuple[np.ndarray, int, float]:
    """(cached_views of the crops, the number of views, the seconds they took: a one-time
    cost, 0 when read from the cache, reported beside the seconds per epoch)."""
    views = s.views if s.mode == "head" else 1
    start = time.perf_counter()
    camera = s.augment == "camera"
    key = hashlib.sha256(f"{s.cut} {views} {s.seed}{' camera' if camera else ''}".encode()).hexdigest()[:16]
    features = cached_views(trunk, crops, views, s.seed, trunk_cache / f"{key}.npy", camera)
    return features, views, time.perf_counter() - start


def batch_inputs(mode: str, features: np.ndarray, views: int, trunk: keras.Model,
                 crops: np.ndarray, camera: bool = False):
    """(photo indices, rng) -> the head's input for those photos: in head mode the cached
    trunk output of a random view of each, in unfreeze mode the trunk run on freshly
    augmented crops (`camera`: made camera views as well)."""
    views_of = augmenter(camera)

    def inputs(idx: np.ndarray, rng: np.random.Generator):
        if mode == "head":
            return features[rng.integers(0, views, len(idx)), idx].astype(np.float32)
        return trunk(prewhiten(views_of(crops[idx], rng)), training=False)

    return inputs


def train_epoch(step, inputs, labels: np.ndarray, train_idx: np.ndarray, steps: int,
                s: Settings, ckpt: Checkpoint, negatives: dict | None = None) -> float:
    """One epoch of `steps` P x K batches of the training photos; each step's loss and
    statistics go into the checkpoint's history. Returns the epoch's seconds."""
    # One generator per epoch, seeded by the epoch: a resumed run draws what it would have.
    rng = np.random.default_rng([s.seed, ckpt.epoch])
    start = time.perf_counter()
    where = {int(i): j for j, i in enumerate(train_idx)}  # photo index -> position in train_idx
    local = {label: np.array([where[i] for i in idx if i in where]) for label, idx in (negatives or {}).items()}
    bar = tqdm(pk_batches(labels[train_idx], s.p, s.k, steps, rng, local), total=steps,
               desc=f"epoch {ckpt.epoch + 1}/{s.epochs}", unit="step")
    for batch in bar:
        idx = train_idx[batch]
        loss, stats = step(inputs(idx, rng), labels[idx])
        for name, value in [("loss", loss), *stats.items()]:
            ckpt.history[name].append(float(value))
        bar.set_postfix(loss=f"{float(loss):.4f}", active=f"{float(stats['active']):.0%}")
    return time.perf_counter() - start
