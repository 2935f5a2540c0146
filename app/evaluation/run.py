"""Evaluate face verification on an LFW-style pairs file; write JSON and an ROC curve PNG."""
from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from ..recognition import Detection, FacePipeline, select_face
from ..recognition.align import FACE_SIZE, TEMPLATE
from . import metrics
from .pairs import photo_path, read_pairs

log = logging.getLogger(__name__)

NO_FACE_HANDLING = ("no face was detected: the centre of the photo was embedded instead "
                    "(LFW photos are centred on the face), so every pair is still scored")


def central_landmarks(shape) -> np.ndarray:
    """Template landmarks placed on a centred square of 40 % of the shorter side."""
    side = 0.4 * min(shape[:2])
    offset = np.array([shape[1] - side, shape[0] - side]) / 2.0
    return TEMPLATE / FACE_SIZE * side + offset


def centre_guess(shape) -> Detection:
    """A stand-in detection for a photo without a detected face: `central_landmarks` on
    the centred square (score 0)."""
    side = 0.4 * min(shape[:2])
    x1, y1 = (shape[1] - side) / 2.0, (shape[0] - side) / 2.0
    return Detection(box=np.array([x1, y1, x1 + side, y1 + side], np.float32), score=0.0,
                     landmarks=central_landmarks(shape))


def embed_photos(pipeline: FacePipeline, paths: list[Path]) -> tuple[np.ndarray, list[str]]:
    """Embed the central face of each photo. Returns ((N, 128) float32, paths with no face)."""
    embeddings, no_face = [], []
    for i, path in enumerate(paths):
        rgb = pipeline.decode(path.read_bytes())
        detections = pipeline.detect(rgb)
        central = select_face(detections, "central", image_shape=rgb.shape)
        if central is None:
            no_face.append(str(path))
            face = centre_guess(rgb.shape)
        else:
            face = detections[central]
        embeddings.append(pipeline.embed(rgb, [face])[0].embedding)
        if (i + 1) % 500 == 0:
            log.info("embedded %d/%d photos", i + 1, len(paths))
    return np.stack(embeddings), no_face


def save_roc_png(curves: dict[str, tuple], path: Path, title: str) -> None:
    """ROC curves on a log false-accept axis. curves: label -> (fpr, tpr, auc); an empty
    label shows the AUC alone."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=110)
    for label, (fpr, tpr, auc) in curves.items():
        name = f"{label}, AUC {auc:.4f}" if label else f"AUC {auc:.4f}"
        ax.plot(np.maximum(fpr, 1e-4), tpr, lw=2, label=name)
    ax.set_xscale("log")
    ax.set_xlim(1e-4, 1)
    ax.set_ylim(0.5, 1.005)
    ax.set_xlabel("false accept rate (different people accepted)")
    ax.set_ylabel("true accept rate (same person accepted)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def evaluate(pipeline: FacePipeline, images_dir: Path, pairs_path: Path,
             out_json: Path | None = None) -> dict:
    """Embed every photo named in the pairs file once, score all pairs, return the report.

    The report (also written to out_json, with an ROC PNG beside it) holds accuracy,
    threshold, TAR at FAR 0.1 % and 1 %, AUC, counts and timing.
    """
    parsed = read_pairs(pairs_path)
    keys = sorted({p.first for p in parsed.pairs} | {p.second for p in parsed.pairs})
    paths = photo_paths(images_dir, keys, pairs_path)
    start = time.perf_counter()
    embeddings, no_face = embed_photos(pipeline, paths)
    seconds = time.perf_counter() - start
    distances = pair_distances(parsed.pairs, keys, embeddings)
    same = np.array([p.same for p in parsed.pairs])
    folds = np.array([p.fold for p in parsed.pairs])
    threshold, best_acc = metrics.best_threshold(distances, same)
    report = {"pairs_file": str(pairs_path), "model": pipeline.model_name,
              "encoder": pipeline.encoder.variant, "flip": pipeline.encoder.flip,
              **accuracy_by_protocol(distances, same, folds, parsed.folds, best_acc)}
    fpr, tpr, auc = metrics.roc(distances, same)
    report.update({
        "threshold": threshold,
        "tar_at_far_0.001": metrics.tar_at_far(distances, same, 0.001),
        "tar_at_far_0.01": metrics.tar_at_far(distances, same, 0.01),
        "auc": auc,
        "pairs": len(parsed.pairs), "same_pairs": int(same.sum()),
        "images": len(paths),
        "no_face": {"count": len(no_face), "handling": NO_FACE_HANDLING, "images": no_face},
        "seconds_per_image": seconds / len(paths),
    })
    if out_json is not None:
        write_report(report, Path(out_json), (fpr, tpr, auc))
    return report


def photo_paths(images_dir: Path, keys: list[tuple[str, int]], pairs_path: Path) -> list[Path]:
    """The photo of each (name, number); FileNotFoundError naming one if any is missing."""
    paths = [photo_path(images_dir, name, number) for name, number in keys]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} photos named in {pairs_path} are missing, "
                                f"e.g. {missing[0]}")
    return paths


def pair_distances(pairs, keys: list[tuple[str, int]], embeddings: np.ndarray) -> np.ndarray:
    """(M,) L2 distance of each pair's two photos; embeddings are in the order of `keys`."""
    index = {key: i for i, key in enumerate(keys)}
    a = embeddings[[index[p.first] for p in pairs]]
    b = embeddings[[index[p.second] for p in pairs]]
    return np.sqrt(np.clip(np.sum((a - b) ** 2, axis=1), 0, 4))


def accuracy_by_protocol(distances: np.ndarray, same: np.ndarray, folds: np.ndarray,
                         n_folds: int, best_acc: float) -> dict:
    """The protocol and its accuracy: cross-validated over the file's folds (View 2), or
    `best_acc` (at the best threshold) with a 10-fold figure beside it (no folds in the file)."""
    if n_folds > 1:
        acc, std, _ = metrics.cross_validated_accuracy(distances, same, folds)
        return {"protocol": f"{n_folds}-fold cross-validation (LFW View 2)",
                "accuracy": acc, "accuracy_std": std}
    # Also an honest figure: the threshold chosen on 9 tenths, tested on the rest.
    cv_acc, _, _ = metrics.cross_validated_accuracy(distances, same, np.arange(len(same)) % 10)
    return {"protocol": "best threshold on all pairs (no folds in the file)",
            "accuracy": best_acc, "accuracy_cv10": cv_acc}


def write_report(report: dict, out_json: Path, roc: tuple) -> None:
    """The report as JSON at out_json and its ROC curve ((fpr, tpr, auc)) as a PNG beside
    it; adds the PNG's path to the report as "roc_png"."""
    out_json.parent.mkdir(parents=True, exist_ok=True)
    roc_png = out_json.with_suffix(".roc.png")
    save_roc_png({"": roc}, roc_png, f"{Path(report['pairs_file']).name}: "
                 f"accuracy {report['accuracy']:.2%}")
    report["roc_png"] = str(roc_png)
    out_json.write_text(json.dumps(report, indent=2))


def summary(report: dict) -> str:
    """A few readable lines for the terminal."""
    return "\n".join([
        f"pairs: {report['pairs']} ({report['same_pairs']} same person), "
        f"photos: {report['images']}, no face found: {report['no_face']['count']}",
        f"accuracy: {report['accuracy']:.2%}  ({report['protocol']})",
        f"threshold (L2): {report['threshold']:.3f}   AUC: {report['auc']:.4f}",
        f"TAR @ FAR 0.1%: {report['tar_at_far_0.001']:.2%}   "
        f"TAR @ FAR 1%: {report['tar_at_far_0.01']:.2%}",
        f"time: {report['seconds_per_image'] * 1e3:.0f} ms per photo",
    ])
