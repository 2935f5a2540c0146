"""Measure the alignment template (app/recognition/align.py TEMPLATE) on LFW photos.

For each photo: MTCNN finds the central face; its five landmarks are expressed in the crop
the FaceNet weights were trained on (the box grown by 16 px on each side, resized to
160x160). The template is their mean, spread by --spread about the crop's centre
(1.1 scored best on LFW View 1 training pairs; see docs/BENCHMARKS.md).

Usage: python scripts/derive_template.py [--lfw ../shared/datasets/lfw-devtrain] [--spread 1.1]
"""
from __future__ import annotations

import harness  # noqa: F401  (first: the repository root on sys.path)

import argparse
import sys
from pathlib import Path

import numpy as np

from app.evaluation.pairs import photo_path, read_pairs
from app.recognition import FaceDetector, decode_image, select_face

MARGIN = 32  # pixels added to the box, half on each side, as in FaceNet's training crops
SIZE = 160


def crop_landmarks(detection) -> np.ndarray:
    """Landmarks (5, 2) in the 160x160 training-style crop of this detection."""
    x1, y1, x2, y2 = detection.box
    origin = np.array([x1 - MARGIN / 2, y1 - MARGIN / 2])
    scale = np.array([SIZE / (x2 - x1 + MARGIN), SIZE / (y2 - y1 + MARGIN)])
    return (detection.landmarks - origin) * scale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lfw", type=Path, default=Path("../shared/datasets/lfw-devtrain"))
    parser.add_argument("--spread", type=float, default=1.1)
    args = parser.parse_args()
    pairs = read_pairs(args.lfw / "pairsDevTrain.txt").pairs
    keys = sorted({p.first for p in pairs} | {p.second for p in pairs})
    detector = FaceDetector()
    points = []
    for name, number in keys:
        rgb = decode_image(photo_path(args.lfw / "images", name, number).read_bytes())
        detections = detector.detect(rgb)
        central = select_face(detections, "central", image_shape=rgb.shape)
        if central is not None:
            points.append(crop_landmarks(detections[central]))
    mean = np.mean(points, axis=0)
    template = (mean - SIZE / 2) * args.spread + SIZE / 2
    print(f"{len(points)} faces; mean landmarks in the training crop:\n{np.round(mean, 1)}")
    print(f"template (spread {args.spread}):\n{np.round(template, 1)}")


if __name__ == "__main__":
    main()
