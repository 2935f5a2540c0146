"""The report folder of a run: curves, ROC before vs after, PCA map, metrics.json."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.svm import SVC

from app.evaluation import metrics
from app.evaluation.run import save_roc_png

from .data import make_pairs
from .finetune import pair_distances, people_pairs, verification


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def svm_accuracy(embeddings: np.ndarray, labels: np.ndarray) -> float | None:
    """Identification of held-out photos as the seed projects measure it: a linear SVM fitted
    on every other photo of each person (those with 2+ photos), scored on the rest."""
    keep = np.isin(labels, np.unique(labels)[np.bincount(labels)[np.unique(labels)] >= 2])
    emb, lab = embeddings[keep], labels[keep]
    if len(np.unique(lab)) < 2:
        return None
    rank = np.zeros(len(lab), np.int64)
    for person in np.unique(lab):
        members = np.flatnonzero(lab == person)
        rank[members] = np.arange(len(members))
    fit = rank % 2 == 0
    return float(SVC(kernel="linear").fit(emb[fit], lab[fit]).score(emb[~fit], lab[~fit]))


def plot_curves(history: dict, path: Path) -> None:
    """Loss and fraction of active triplets per step (thin) and their running mean."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 1, figsize=(7, 5.5), dpi=100, sharex=True)
    window = max(1, len(history["loss"]) // 50)
    for ax, name, label in [(axes[0], "loss", "triplet loss"),
                            (axes[1], "active", "active triplets (fraction)")]:
        values = np.asarray(history[name])
        ax.plot(values, lw=0.5, alpha=0.4)
        if len(values) >= window:
            ax.plot(np.arange(window - 1, len(values)),
                    np.convolve(values, np.ones(window) / window, mode="valid"), lw=2)
        for epoch in history["epochs"]:
            ax.axvline(epoch["steps"], color="grey", lw=0.5, alpha=0.5)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[1].set_xlabel("step (grey lines: end of each epoch)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_roc(before: tuple, after: tuple, path: Path, title: str) -> None:
    """ROC curves, each given as (distances, same)."""
    save_roc_png({name: metrics.roc(d, same)
                  for (d, same), name in [(before, "pretrained"), (after, "fine-tuned")]},
                 path, title)


def plot_pca(before: np.ndarray, after: np.ndarray, labels: np.ndarray, people: list[str],
             path: Path, max_people: int = 10) -> None:
    """2-D PCA of held-out embeddings, the `max_people` people with most photos coloured."""
    plt = _pyplot()
    counts = np.bincount(labels, minlength=len(people))
    shown = np.argsort(-counts, kind="stable")[:max_people]
    shown = shown[counts[shown] > 0]
    keep = np.isin(labels, shown)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), dpi=100)
    for ax, emb, name in [(axes[0], before, "pretrained"), (axes[1], after, "fine-tuned")]:
        xy = PCA(2).fit_transform(emb[keep]) if keep.sum() >= 2 else np.zeros((keep.sum(), 2))
        for person in shown:
            sel = labels[keep] == person
            ax.scatter(xy[sel, 0], xy[sel, 1], s=12, label=people[person])
        ax.set_title(f"{name}: held-out people, PCA", fontsize=10)
    axes[1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def held_out_verification(embeddings: np.ndarray, labels: np.ndarray, roles: np.ndarray,
                          seed: int, val_pairs: tuple | None = None) -> tuple[dict, tuple]:
    """Verification of held-out people ("test" when there are any, else "val"; then the
    numbers are a little optimistic, as the same people chose the epoch) at the threshold
    calibrated on training people. `val_pairs`: as given to fine_tune (indices into all
    photos). Returns (metrics, (distances, same) of the pairs)."""
    held = "test" if np.any(roles == "test") else "val"
    train_idx, held_idx = np.flatnonzero(roles == "train"), np.flatnonzero(roles == held)
    if held == "val" and val_pairs is not None:
        held_pairs = val_pairs
    else:
        # The validation pairs are those fine_tune drew (seed + 1); test people get their own.
        held_pairs = people_pairs(labels, held_idx, seed + (2 if held == "test" else 1))
    result = verification(embeddings[train_idx], make_pairs(labels[train_idx], seed),
                          embeddings, held_pairs)
    return result, (pair_distances(embeddings, held_pairs[0]), held_pairs[1])


def write_report(out: Path, result: dict, labels: np.ndarray, roles: np.ndarray,
                 people: list[str], extra: dict, seed: int, val_pairs: tuple | None = None) -> dict:
    """Write the figures and metrics.json into `out`; return the metrics."""
    out.mkdir(parents=True, exist_ok=True)
    held = "test" if np.any(roles == "test") else "val"
    held_idx = np.flatnonzero(roles == held)
    summary = {"held_out": held, "held_out_people": int(len(np.unique(labels[held_idx]))),
               "held_out_photos": int(len(held_idx))}
    dist = {}
    for when in ("before", "after"):
        emb = result[f"embeddings_{when}"]
        metrics_, dist[when] = held_out_verification(emb, labels, roles, seed, val_pairs)
        summary[when] = {**metrics_, "svm_accuracy": svm_accuracy(emb[held_idx], labels[held_idx])}
    summary["pairs"] = int(len(dist["before"][1]))
    plot_roc(dist["before"], dist["after"], out / "roc.png",
             f"{summary['held_out_people']} held-out people, {summary['pairs']} pairs")
    plot_curves(result["history"], out / "curves.png")
    plot_pca(result["embeddings_before"][held_idx], result["embeddings_after"][held_idx],
             labels[held_idx], people, out / "pca.png")
    report = {**extra, **summary, "val_before": result["val_before"],
              "val_after": result["val_after"], "epochs_run": result["epochs_run"],
              "seconds_per_epoch": result["seconds_per_epoch"],
              "trunk_seconds": result["trunk_seconds"],
              "epochs": result["history"]["epochs"]}
    (out / "metrics.json").write_text(json.dumps(report, indent=2))
    return report
