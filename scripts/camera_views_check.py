"""How close train/camera.py's crop-space views are to real camera frames (issue 19 point 5).

For lfw-devtrain photos: the photo made a camera frame by app/evaluation/degrade.py and
analysed by the pipeline (detector, alignment: the face at the place it was put), against
the clean photo's aligned crop made a camera view by train/camera.py. For each, the
distance of its embedding (the app's int8 encoder) from the clean photo's. Similar
distances mean the training views are as hard as real frames.

Usage: python scripts/camera_views_check.py [--photos 60]   (JSON on the last line)
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

from app.evaluation.degrade import degrade  # noqa: E402
from scripts.bench_conditions_data import LFW  # noqa: E402
from scripts.bench_conditions_score import iou  # noqa: E402
from train.camera import REPORT_CONDITIONS, camera_view  # noqa: E402


def distances(pipeline, path: Path, seed: int) -> dict[str, tuple[float, float]]:
    """condition -> (real frame's distance, camera view's distance) from the clean face;
    NaN for a real frame whose face was not found."""
    from app.recognition import select_face

    rgb = pipeline.decode(path.read_bytes())
    found = pipeline.detect(rgb)
    pick = select_face(found, "central", image_shape=rgb.shape)
    if pick is None:
        return {}
    clean = pipeline.embed(rgb, [found[pick]])[0]
    box = clean.detection.box
    out = {}
    for k, condition in enumerate(c for c in REPORT_CONDITIONS if c.face_px is not None):
        data, placed = degrade(rgb, condition, seed * 1000 + k, float(box[2] - box[0]))
        faces = [f for f in pipeline.analyze_bytes(data).faces
                 if iou(f.detection.box, placed.box(box)) >= 0.3]
        real = np.linalg.norm(faces[0].embedding - clean.embedding) if faces else np.nan
        view = camera_view(clean.aligned, condition, np.random.default_rng([seed, k]))
        simulated = np.linalg.norm(pipeline.encoder.embed(view[None])[0] - clean.embedding)
        out[condition.name] = (float(real), float(simulated))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=60)
    ap.add_argument("--seed", type=int, default=5)
    args = ap.parse_args()
    from scripts.bench_conditions_data import server_pipeline

    pipeline = server_pipeline()
    paths = sorted((LFW / "images").glob("*/*.jpg"))
    rng = np.random.default_rng(args.seed)
    rows: dict[str, list] = {}
    for i in rng.choice(len(paths), args.photos, replace=False):
        for name, pair in distances(pipeline, paths[i], int(i)).items():
            rows.setdefault(name, []).append(pair)
    report = {name: {"real_found": round(float(np.mean(~np.isnan(np.array(v)[:, 0]))), 3),
                     "real_mean_distance": round(float(np.nanmean(np.array(v)[:, 0])), 3),
                     "view_mean_distance": round(float(np.mean(np.array(v)[:, 1])), 3)}
              for name, v in rows.items()}
    for name, r in report.items():
        print(f"{name:18s} real frames {r['real_mean_distance']:.3f} (found {r['real_found']:.0%})"
              f"   camera views {r['view_mean_distance']:.3f}")
    print(json.dumps({"photos": args.photos, "conditions": report}))


if __name__ == "__main__":
    main()
