"""A camera fine-tune's held-out people through real camera frames (issue 19 point 5).

`python -m train --augment camera` reports each condition on crop views (train/camera.py).
This checks the same test people's pairs the way bench_conditions does: the second photo
made a 640x480 camera frame by app/evaluation/degrade.py, its face found and aligned by the
product's pipeline (the face where the photo was put; none found = "not the same person"),
then embedded by the app's int8 encoder of each model.

Usage: python scripts/train_camera_frames.py --run .cache/train-runs/NAME --models-dir DIR
       [--conditions px20,night64,night40,blur28,jpeg20]   (JSON on the last line)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from app.config import Config  # noqa: E402
from app.evaluation import metrics  # noqa: E402
from app.evaluation.degrade import degrade  # noqa: E402
from app.recognition import FaceEncoder, FacePipeline, select_face  # noqa: E402
from scripts.bench_conditions_score import iou  # noqa: E402
from train.camera import REPORT_CONDITIONS  # noqa: E402
from train.conditions import held_out  # noqa: E402
from train.finetune import people_pairs  # noqa: E402


def test_pairs(report: dict, crops_dir: Path):
    """(photo paths, labels, pairs (M, 2), same (M,)) of the run's held-out people, as
    train/conditions.py drew them."""
    from train.__main__ import assign_roles

    manifest = json.loads((crops_dir / "manifest.json").read_text())
    people = sorted({p for _, p in manifest["photos"]})
    labels = np.array([people.index(p) for _, p in manifest["photos"]])
    s = report["settings"]
    roles = assign_roles(labels, s["val_fraction"], report["data"]["test_fraction"], s["seed"])
    pairs, same = people_pairs(labels, held_out(roles), s["seed"] + 3)
    return [Path(report["data"]["dir"]) / rel for rel, _ in manifest["photos"]], pairs, same


def frame_crop(pipeline: FacePipeline, path: Path, condition, seed: int):
    """The aligned crop the pipeline finds where the photo's face was put, or None."""
    rgb = pipeline.decode(path.read_bytes())
    found = pipeline.detect(rgb)
    pick = select_face(found, "central", image_shape=rgb.shape)
    if pick is None:
        return None
    box = found[pick].box
    data, placed = degrade(rgb, condition, seed, float(box[2] - box[0]))
    frame = pipeline.decode(data)
    hits = [d for d in pipeline.detect(frame) if iou(d.box, placed.box(box)) >= 0.3]
    return pipeline.align(frame, hits[:1])[0] if hits else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--models-dir", type=Path, required=True)
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "train")
    ap.add_argument("--conditions", default="px20,night64,night40,blur28,jpeg20")
    args = ap.parse_args()
    report = json.loads((args.run / "report" / "metrics.json").read_text())
    crops_dir = args.cache / "crops" / report["data"]["fingerprint"][:16]
    paths, pairs, same = test_pairs(report, crops_dir)
    crops = np.load(crops_dir / "crops.npy")
    pipeline = FacePipeline(args.models_dir / report["base"])
    encoders = {"before": FaceEncoder(args.models_dir / report["base"]),
                "after": FaceEncoder(args.models_dir / report["model"])}
    clean = {m: e.embed(crops) for m, e in encoders.items()}
    out = {"pairs": int(len(same)), "conditions": {}}
    for condition in (c for c in REPORT_CONDITIONS if c.name in args.conditions.split(",")):
        seconds = {int(i): frame_crop(pipeline, paths[i], condition, 1000 + int(i)) for i in np.unique(pairs[:, 1])}
        found = np.array([seconds[int(b)] is not None for b in pairs[:, 1]])
        row = {"faces_found": float(found.mean())}
        for m, e in encoders.items():
            emb = {i: e.embed(c[None])[0] for i, c in seconds.items() if c is not None}
            d = np.array([np.linalg.norm(clean[m][a] - emb[int(b)]) if int(b) in emb else 2.0 for a, b in pairs])
            row[m] = {"accuracy_product": metrics.accuracy_at(d, same, Config.VERIFY_THRESHOLD),
                      "best_threshold_accuracy": float(metrics.best_threshold(d, same)[1])}
        out["conditions"][condition.name] = row
        print(condition.name, json.dumps(row), flush=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
