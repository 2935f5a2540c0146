"""Held-out people, per camera condition, before and after: `python -m train --augment camera`.

Pairs of held-out people (never trained on, never choosing the epoch when there are test
people): the first photo as it is, the second a camera view (train/camera.py) under each of
REPORT_CONDITIONS, as bench_conditions pairs a clean photo with a camera frame. Both models
embed the same views through the same frozen trunk (computed once, cached), so the figures
are paired. Thresholds: the product's verify threshold, and one calibrated on training
people's clean pairs for each model (a fine-tuned model may move the distance scale).
"""
from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import keras
import numpy as np

from app.config import Config
from app.evaluation import metrics
from app.recognition.atomic import atomic_replace

from .camera import REPORT_CONDITIONS, camera_views
from .data import make_pairs
from .finetune import embed, pair_distances, people_pairs, trunk_outputs

log = logging.getLogger(__name__)


def held_out(roles: np.ndarray) -> np.ndarray:
    """Indices of the report's people: "test" when there are any, else "val"."""
    return np.flatnonzero(roles == ("test" if np.any(roles == "test") else "val"))


def degraded_features(trunk: keras.Model, crops: np.ndarray, condition, seed: int,
                      cache: Path) -> np.ndarray:
    """(N, ...) float16 trunk outputs of `crops` as camera views under `condition`,
    seeded, cached as `cache` (its name must encode the crops, model, cut and seed)."""
    if cache.exists():
        return np.load(cache)
    views = camera_views(crops, np.random.default_rng([seed, 11]), condition)
    out = trunk_outputs(trunk, views, desc=condition.name)
    cache.parent.mkdir(parents=True, exist_ok=True)
    with atomic_replace(cache, folder=False) as partial:
        np.save(partial, out)
    return out


def scores(d: np.ndarray, same: np.ndarray, calibrated: float) -> dict:
    """Verification figures of (M,) distances: accuracy at the product's threshold and at
    the calibrated one, best-threshold accuracy, TAR at 1 % FAR, AUC."""
    _, best = metrics.best_threshold(d, same)
    return {"accuracy_product": metrics.accuracy_at(d, same, Config.VERIFY_THRESHOLD),
            "accuracy_calibrated": metrics.accuracy_at(d, same, calibrated),
            "best_threshold_accuracy": float(best),
            "tar_at_far_0.01": metrics.tar_at_far(d, same, 0.01), "auc": metrics.roc(d, same)[2]}


def condition_report(trunk: keras.Model, heads: dict[str, keras.Model], clean: dict[str, np.ndarray],
                     crops: np.ndarray, labels: np.ndarray, roles: np.ndarray, seed: int,
                     cache: Path, conditions=REPORT_CONDITIONS) -> dict:
    """{"pairs", "people", "thresholds": {model: calibrated}, "conditions": {name: {model:
    scores}}}. heads / clean: per model ("before", "after"), the head and the (N, 128)
    embeddings of every plain crop. cache: a folder that identifies data, base and cut."""
    idx = held_out(roles)
    pairs, same = people_pairs(labels, idx, seed + 3)
    train_idx = np.flatnonzero(roles == "train")
    train_pairs, train_same = make_pairs(labels[train_idx], seed)
    thresholds = {m: metrics.best_threshold(pair_distances(e[train_idx], train_pairs), train_same)[0]
                  for m, e in clean.items()}
    seconds = np.unique(pairs[:, 1])  # the photos shown as camera views
    key = hashlib.sha256(seconds.tobytes() + str(seed).encode()).hexdigest()[:12]
    out = {"pairs": int(len(same)), "same_pairs": int(same.sum()),
           "people": int(len(np.unique(labels[idx]))), "thresholds": thresholds, "conditions": {}}
    for condition in conditions:
        features = None
        if condition.face_px is not None:
            features = degraded_features(trunk, crops[seconds], condition, seed,
                                         cache / f"cond-{condition.name}-{key}.npy")
        out["conditions"][condition.name] = {}
        for model, head in heads.items():
            second = clean[model]
            if features is not None:
                second = second.copy()
                second[seconds] = embed(head, features)
            d = pair_distances(clean[model], pairs, second)
            out["conditions"][condition.name][model] = scores(d, same, thresholds[model])
    return out


def log_table(report: dict) -> None:
    """One line per condition: verify accuracy at the product's threshold, before -> after."""
    for name, row in report["conditions"].items():
        log.info("%-18s product threshold %.2f%% -> %.2f%%   best threshold %.2f%% -> %.2f%%",
                 name, 100 * row["before"]["accuracy_product"], 100 * row["after"]["accuracy_product"],
                 100 * row["before"]["best_threshold_accuracy"],
                 100 * row["after"]["best_threshold_accuracy"])
