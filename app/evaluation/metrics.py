"""Verification metrics over pair distances: accuracy, ROC, TAR at a FAR, AUC."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve


def best_threshold(distances: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """Threshold (distance <= t means same person) that maximises accuracy.

    distances, same: (P,) float and bool. Returns (threshold, accuracy). The threshold is
    the midpoint between the two sorted distances where the split is made, so it does not
    sit exactly on a training pair.
    """
    order = np.argsort(distances, kind="stable")
    d, s = distances[order], same[order].astype(np.int64)
    # Accepting the first k pairs: correct = same among them + different among the rest.
    correct = np.concatenate([[0], np.cumsum(s)]) + np.concatenate(
        [[np.sum(1 - s)], np.sum(1 - s) - np.cumsum(1 - s)])
    k = int(np.argmax(correct))
    if k == 0:
        t = float(d[0]) - 1e-6
    elif k == len(d):
        t = float(d[-1]) + 1e-6
    else:
        t = float((d[k - 1] + d[k]) / 2)
    return t, correct[k] / len(d)


def accuracy_at(distances: np.ndarray, same: np.ndarray, threshold: float) -> float:
    return float(np.mean((distances <= threshold) == same))


def cross_validated_accuracy(distances, same, folds) -> tuple[float, float, list[float]]:
    """LFW View 2 protocol: for each fold, the threshold chosen on the other folds.

    Returns (mean accuracy, std, per-fold thresholds)."""
    accs, thresholds = [], []
    for f in np.unique(folds):
        train, test = folds != f, folds == f
        t, _ = best_threshold(distances[train], same[train])
        accs.append(accuracy_at(distances[test], same[test], t))
        thresholds.append(t)
    return float(np.mean(accs)), float(np.std(accs)), thresholds


def tar_at_far(distances, same, far: float) -> float:
    """Share of same-person pairs accepted at the strictest threshold whose false-accept rate
    on different-person pairs is <= far."""
    fpr, tpr, _ = roc_curve(same, -distances)
    return float(tpr[fpr <= far].max())


def roc(distances, same) -> tuple[np.ndarray, np.ndarray, float]:
    """(false accept rates, true accept rates, area under the curve)."""
    fpr, tpr, _ = roc_curve(same, -distances)
    return fpr, tpr, float(roc_auc_score(same, -distances))
