"""Speed of the recognition core on this machine. Not a test: it prints figures.

Times (median of --runs calls after warm-up) the encoder on one face and on a batch of 16,
the detector on a 640x480 frame with one face at default and live-video settings (and the
`mtcnn` package's own detect_faces on the same frame, as a ratio), and a whole photo:
JPEG bytes -> decode -> detect -> align -> embed -> match against 1,000 enrolled people,
with each stage's median (`photo_ms_stages`).
The last line printed is one JSON object with every figure.

Usage: python scripts/bench.py [--runs N] [--skip-package]
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from app.config import Config
from app.recognition import Crowding, FaceDetector, FaceEncoder, FacePipeline, ensure_pretrained
from reference_gallery import Gallery

PHOTO = ROOT / "instance/samples/train/jerry_seinfeld/httpimgtimeincnetpeopleinewsjerryseinfeldjpg.jpg"
LIVE = {"min_face_size": 40, "max_side": 320}


def frame_640x480(photo: Path) -> np.ndarray:
    """The photo scaled to cover a 640x480 RGB frame, centre-cropped (the default photo,
    320x240, becomes a frame with one ~130 px face and background everywhere)."""
    rgb = cv2.cvtColor(cv2.imread(str(photo)), cv2.COLOR_BGR2RGB)
    h, w = rgb.shape[:2]
    f = max(640 / w, 480 / h)
    rgb = cv2.resize(rgb, (max(640, round(w * f)), max(480, round(h * f))))
    top, left = (rgb.shape[0] - 480) // 2, (rgb.shape[1] - 640) // 2
    return np.ascontiguousarray(rgb[top:top + 480, left:left + 640])


def photo_jpeg(frame: np.ndarray) -> bytes:
    """The frame as the photo `bench_photo` and scripts/cpu_per_photo.py time: JPEG, quality 90."""
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def median_ms(fn, runs: int, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return round(statistics.median(times), 2)


def bench_encoder(model_dir: Path, faces16: np.ndarray, runs: int) -> dict:
    out = {}
    for variant, flip, key in [("int8", False, "embed_ms_b1"), ("fp32", False, "embed_ms_b1_fp32"),
                               ("int8", True, "embed_ms_b1_flip")]:
        encoder = FaceEncoder(model_dir, variant=variant, flip=flip)
        out[key] = median_ms(lambda: encoder.embed(faces16[:1]), runs)
    encoder = FaceEncoder(model_dir)
    out["embed_ms_b16_per_face"] = round(median_ms(lambda: encoder.embed(faces16), max(5, runs // 3)) / 16, 2)
    return out


def bench_detector(frame: np.ndarray, runs: int, with_package: bool) -> dict:
    default, live = FaceDetector(), FaceDetector(**LIVE)
    out = {"detect_ms_640x480": median_ms(lambda: default.detect(frame), runs),
           "detect_ms_640x480_live": median_ms(lambda: live.detect(frame), runs),
           "detect_live_settings": LIVE}
    if with_package:
        from mtcnn import MTCNN

        package = MTCNN()
        out["detect_ms_640x480_mtcnn_package"] = median_ms(lambda: package.detect_faces(frame),
                                                           max(5, runs // 3))
        out["detect_speedup_vs_package"] = round(
            out["detect_ms_640x480_mtcnn_package"] / out["detect_ms_640x480"], 1)
    return out


def random_gallery(people: int, crowding: Crowding) -> Gallery:
    """`people` random unit vectors (one photo each)."""
    v = np.random.default_rng(0).normal(size=(people, 128)).astype(np.float32)
    return Gallery(v / np.linalg.norm(v, axis=1, keepdims=True), list(range(people)), crowding)


def bench_match(runs: int) -> dict:
    """One face against 1,000 and 10,000 people, with the app's crowding and plain; and the
    once-per-gallery cost of the typical crowding."""
    crowding, out = Crowding(weight=Config.IDENTIFY_CROWDING), {}
    query = np.random.default_rng(1).normal(size=(1, 128)).astype(np.float32)
    query /= np.linalg.norm(query)
    for n in (1000, 10000):
        out[f"crowding_setup_ms_{n}_people"] = median_ms(
            lambda: random_gallery(n, crowding).typical_crowding(), max(3, runs // 10), warmup=1)
        for name, c in (("crowding", crowding), ("plain", Crowding())):
            g = random_gallery(n, c)
            out[f"match_ms_{n}_people_{name}"] = median_ms(lambda: g.identify(query, 0.8), runs)
    return out


def bench_photo(model_dir: Path, frame: np.ndarray, runs: int) -> dict:
    pipeline = FacePipeline(model_dir)
    data = photo_jpeg(frame)
    gallery = random_gallery(1000, Crowding(weight=Config.IDENTIFY_CROWDING))

    stages: dict[str, list[float]] = {}

    def photo():
        analysis = pipeline.analyze_bytes(data)
        gallery.identify(np.stack([f.embedding for f in analysis.faces]), threshold=0.8)
        for stage, ms in analysis.timings_ms.items():
            stages.setdefault(stage, []).append(ms)

    out = {"photo_ms_e2e": median_ms(photo, runs), "photo_jpeg_bytes": len(data),
           "photo_gallery_people": 1000}
    # Where a photo's time goes (issue 25): each stage's median, warm-up calls included.
    out["photo_ms_stages"] = {stage: round(statistics.median(v), 2) for stage, v in stages.items()}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--skip-package", action="store_true",
                        help="do not time the mtcnn package (slow) for the ratio")
    args = parser.parse_args()
    model_dir = ensure_pretrained(ROOT / "instance/models")
    frame = frame_640x480(PHOTO)
    faces16 = np.stack([cv2.resize(frame[100:420, 160:480], (160, 160))] * 16)
    figures = {"machine": {"cpus": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2)},
               "runs": args.runs}
    figures.update(bench_encoder(model_dir, faces16, args.runs))
    figures.update(bench_detector(frame, args.runs, not args.skip_package))
    figures.update(bench_photo(model_dir, frame, args.runs))
    figures.update(bench_match(args.runs))
    for key, value in figures.items():
        print(f"{key:36s} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
