"""Dark scenes the night benchmark does not draw (issue 19): faces found by the product's
detection (lowlight.for_recognition, then MTCNN) against the frame as it is and against
the whole-frame stretch the product used until 2026-12-07, on LFW dev photos made into
640x480 frames (app/evaluation/degrade.py):

  night64 / night40: dim IR night, face 64 / 40 px (as bench_conditions);
  night64_lamp:      the same with a lit lamp in view (a white disc 30 px in radius, 1 %
                     of the frame: a porch or street light);
  dark_room40:       a colour face 40 px wide, lit as in its photo, in a scene at 15 % of
                     the light (the photo pasted back over the darkened scene; frames where
                     the photo covers over 5 % of the frame are not dark, and are skipped).

A face counts as found when a detection overlaps where it was put (IoU > 0.3). Also the
share of a found face's aligned crop clipped white (the crop a dark face is embedded from).

Usage: python scripts/bench_lowlight.py [--frames 150] [--json FILE]
JSON on the last line.
"""
from __future__ import annotations

import harness  # noqa: F401  (first: the repository root on sys.path)

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from app.evaluation.degrade import Condition, dark_room, degrade, lamp
from app.evaluation.pairs import photo_path
from app.recognition import lowlight
from app.recognition.decode import decode_image
from app.stream.tracker import iou
from scripts.bench_conditions_data import LFW, sample_pairs, server_pipeline
from scripts.calibrate_conditions import write_report

SCENES = ("night64", "night40", "night64_lamp", "dark_room40")


def whole_frame_stretch(rgb: np.ndarray) -> np.ndarray:
    """The lift before 2026-12-07: blurred, then one stretch of the frame's 1st..99th
    percentile grey levels to 0..255 (applied when the 99th lay under grey 100)."""
    blurred = cv2.GaussianBlur(rgb, (0, 0), 1.0)
    small = cv2.cvtColor(cv2.resize(blurred, (80, 60), interpolation=cv2.INTER_AREA),
                         cv2.COLOR_RGB2GRAY)
    low, high = np.percentile(small, (1, 99))
    if high >= lowlight.DARK:
        return rgb
    gain = 255.0 / max(high - low, 1.0)
    return cv2.convertScaleAbs(blurred, alpha=gain, beta=-low * gain)


def scene(rgb: np.ndarray, face_width: float, name: str, seed: int) -> tuple:
    """Frame `name` of the photo `rgb` ((H, W, 3) uint8, its face `face_width` px wide):
    the (480, 640, 3) uint8 frame and where the photo went (degrade.Placement)."""
    px = 40 if name.endswith("40") else 64
    if name.startswith("dark_room"):
        return dark_room(rgb, px, face_width, np.random.default_rng(seed))
    data, at = degrade(rgb, Condition(name, px, night=True), seed, face_width)
    frame = decode_image(data).copy()
    return (lamp(frame, 40 + (seed * 37) % 560) if name.endswith("lamp") else frame), at


def main() -> None:
    args = parse_args()
    pipeline = server_pipeline()
    pairs = sample_pairs(args.lfw, 1000, args.seed)[:args.frames]
    ways = {"as_is": lambda f: f, "whole_frame_stretch": whole_frame_stretch,
            "product": lowlight.for_recognition}
    report = {"frames_tried": len(pairs), "scenes": {}}
    for name in SCENES:
        found, clipped, n = {w: 0 for w in ways}, [], 0
        for i, pair in enumerate(pairs):
            rgb = pipeline.decode(photo_path(args.lfw / "images", *pair.second).read_bytes())
            faces = pipeline.detect(rgb)
            if not faces:
                continue
            frame, at = scene(rgb, faces[0].width, name, i)
            if not lowlight.is_dark(frame):
                continue
            truth = at.box(faces[0].box)[None]
            n += 1
            for way, copy in ways.items():
                found[way] += any(iou(d.box[None], truth)[0, 0] > 0.3
                                  for d in pipeline.detect(copy(frame)))
            for face in pipeline.analyze(frame).faces:
                if iou(face.detection.box[None], truth)[0, 0] > 0.3:
                    clipped.append(float((face.aligned == 255).mean()))
        report["scenes"][name] = {
            "frames": n,
            **{f"found_{w}": round(100.0 * v / max(n, 1), 1) for w, v in found.items()},
            "clipped_median": round(100 * float(np.median(clipped)), 2) if clipped else None,
            "clipped_max": round(100 * float(np.max(clipped)), 2) if clipped else None}
    write_report(report, args.json)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lfw", type=Path, default=LFW)
    ap.add_argument("--frames", type=int, default=150, help="dev photos tried per scene")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--json", type=Path, default=None)
    return ap.parse_args()


if __name__ == "__main__":
    main()
