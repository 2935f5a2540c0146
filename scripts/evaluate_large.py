"""Verification accuracy on LFW pairs whose photos are upscaled to phone-photo size, against
the same pairs at their own size. Not a test: it prints figures.

Each photo of the first --pairs pairs (half same person, half different) is embedded as it
is (250x250) and after a bicubic upscale to --megapixels, saved as JPEG (quality 90), the
bytes going through the app's decode and detection limits (a 12 MP photo is decoded as it
is, detected on a 1,600 px copy and aligned from the decoded image). The face nearest the
centre is embedded, as `flask faces evaluate` does. The last line printed is one JSON
object.

Usage: python scripts/evaluate_large.py --images DIR --pairs FILE [--pairs-count 300]
       [--megapixels 12]
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import io
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from app.config import Config
from app.evaluation import metrics
from app.evaluation.pairs import photo_path, read_pairs
from app.evaluation.run import centre_guess
from app.recognition import select_face
from app.recognition.pipeline import FacePipeline
from app.recognition.weights import ensure_pretrained


def upscaled_jpeg(data: bytes, megapixels: float) -> bytes:
    rgb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    f = (megapixels * 1e6 / (rgb.shape[0] * rgb.shape[1])) ** 0.5
    big = cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def embed(pipeline: FacePipeline, data: bytes) -> tuple[np.ndarray, bool]:
    """(128,) embedding of the central face, and whether a face was found."""
    rgb = pipeline.decode(data)
    detections = pipeline.detect(rgb)
    central = select_face(detections, "central", image_shape=rgb.shape)
    face = centre_guess(rgb.shape) if central is None else detections[central]
    return pipeline.embed(rgb, [face])[0].embedding, central is not None


def scores(embeddings: dict, pairs) -> dict:
    a = np.stack([embeddings[p.first] for p in pairs])
    b = np.stack([embeddings[p.second] for p in pairs])
    distances = np.linalg.norm(a - b, axis=1)
    same = np.array([p.same for p in pairs])
    threshold, accuracy = metrics.best_threshold(distances, same)
    return {"accuracy": round(accuracy, 4), "threshold": round(threshold, 3),
            "accuracy_at_1.09": round(metrics.accuracy_at(distances, same, 1.09), 4),
            "auc": round(metrics.roc(distances, same)[2], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True)
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--pairs-count", type=int, default=300)
    parser.add_argument("--megapixels", type=float, default=12)
    args = parser.parse_args()
    everything = read_pairs(args.pairs).pairs
    half = args.pairs_count // 2
    pairs = [p for p in everything if p.same][:half] + [p for p in everything if not p.same][:half]
    pipeline = FacePipeline(ensure_pretrained(ROOT / "instance/models"),
                            max_side=Config.MAX_DECODE_SIDE, detect_max_side=Config.DETECT_MAX_SIDE)
    small, large, found, moved, seconds = {}, {}, {"small": 0, "large": 0}, [], 0.0
    for key in sorted({p.first for p in pairs} | {p.second for p in pairs}):
        data = photo_path(args.images, *key).read_bytes()
        small[key], ok_small = embed(pipeline, data)
        big = upscaled_jpeg(data, args.megapixels)
        start = time.perf_counter()
        large[key], ok_large = embed(pipeline, big)
        seconds += time.perf_counter() - start
        found["small"] += ok_small
        found["large"] += ok_large
        moved.append(float(np.linalg.norm(small[key] - large[key])))
    print(json.dumps({
        "pairs": len(pairs), "photos": len(small), "megapixels": args.megapixels,
        "detect_max_side": Config.DETECT_MAX_SIDE, "max_decode_side": Config.MAX_DECODE_SIDE,
        "own_size": scores(small, pairs), "upscaled": scores(large, pairs),
        "faces_found": found,
        "embedding_moved_l2": {"median": round(float(np.median(moved)), 3),
                               "p95": round(float(np.percentile(moved, 95)), 3),
                               "max": round(max(moved), 3)},
        "seconds_per_upscaled_photo": round(seconds / len(small), 3),
    }))


if __name__ == "__main__":
    main()
