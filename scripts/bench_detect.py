"""Time face detection on a 640x480 frame with one face: the mtcnn package's
detect_faces against FaceDetector at default and live-video settings.

Usage: python scripts/bench_detect.py [--runs N] [--photo PATH] [--threads T]
Prints the median wall time of N runs (after warm-up) for each.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from app.recognition.detect import FaceDetector  # noqa: E402

DEFAULT_PHOTO = (Path(__file__).resolve().parent.parent / "instance/samples/train/jerry_seinfeld"
                 / "httpimgtimeincnetpeopleinewsjerryseinfeldjpg.jpg")


def frame_640x480(photo: Path) -> np.ndarray:
    """The photo scaled to cover a 640x480 RGB frame, centre-cropped (the default photo,
    320x240, becomes a frame with one ~130 px face and background everywhere)."""
    rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    f = max(640 / w, 480 / h)
    rgb = cv2.resize(rgb, (max(640, round(w * f)), max(480, round(h * f))),
                     interpolation=cv2.INTER_LINEAR)
    top, left = (rgb.shape[0] - 480) // 2, (rgb.shape[1] - 640) // 2
    return np.ascontiguousarray(rgb[top:top + 480, left:left + 640])


def median_ms(fn, image: np.ndarray, runs: int, warmup: int = 3) -> tuple[float, int]:
    """Median wall time of fn(image) in ms over runs calls, and the number of faces."""
    for _ in range(warmup):
        faces = fn(image)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(image)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), len(faces)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--photo", type=Path, default=DEFAULT_PHOTO)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-package", action="store_true")
    args = parser.parse_args()
    image = frame_640x480(args.photo)

    cases = []
    if not args.skip_package:
        from mtcnn import MTCNN
        cases.append(("mtcnn package detect_faces", MTCNN().detect_faces))
    cases += [
        ("FaceDetector default", FaceDetector(num_threads=args.threads).detect),
        ("FaceDetector live (min_face_size=40, max_side=320)",
         FaceDetector(min_face_size=40, max_side=320, num_threads=args.threads).detect),
    ]
    print(f"640x480 frame, one face; median of {args.runs} runs after warm-up")
    for name, fn in cases:
        ms, faces = median_ms(fn, image, args.runs)
        print(f"{name:52s} {ms:7.1f} ms  ({faces} face{'s' * (faces != 1)})")


if __name__ == "__main__":
    main()
