"""Recognition where cameras are weak (issue 19): the second photo of each LFW dev pair made to
look like a camera frame (face 16-64 px inside 640x480, night/IR, motion blur, heavy JPEG,
combined; app/evaluation/degrade.py), compared with the first photo as it is.

Per condition: faces found, accuracy of verify's decisions at the product's threshold, TAR at
1 % FAR, best-threshold accuracy, and identify (the dev gallery: every person with >= 2 photos
enrolled from their first, clean) named-right and strangers named. Two paths:
  pipeline: the face at the place the photo was put (the best the detector gives);
  api:      what POST /api/verify and /api/identify answer: the largest face of the frame
            (`main_face`), the server's detector settings, no face = a 422 (counted as
            "not the same person", and never named).
A degraded frame's detections, embeddings and qualities are cached in .cache/bench_conditions,
so a rerun with other decision rules takes seconds. The same pairs in every condition (paired
figures); 95 % intervals by bootstrap over pairs. Plot: reports/bench_conditions.png.

Usage: python scripts/bench_conditions.py [--pairs 1000] [--conditions clean,px20,...]
                                         [--rules current|colour|baseline] [--json FILE]
JSON on the last line (also reports/bench_conditions.json with --json).
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import logging
import sys
from pathlib import Path

from app.evaluation.degrade import Condition
from scripts.bench_conditions_data import (LFW, Frames, clean_set, condition_frames,
                                           sample_pairs)
from scripts.bench_conditions_rules import baseline_rules, current_rules
from scripts.bench_conditions_score import score_condition, plot

log = logging.getLogger("bench_conditions")

CONDITIONS = [Condition("clean")] + [Condition(f"px{s}", s) for s in (64, 40, 28, 20, 16)] + [
    Condition(f"night{s}", s, night=True) for s in (64, 40, 20)] + [
    Condition(f"blur{s}", s, blur_px=7) for s in (64, 28)] + [
    Condition(f"jpeg{s}", s, jpeg=25) for s in (40, 28, 20)] + [
    Condition(f"jpeg50_{s}", s, jpeg=50) for s in (40, 20)] + [
    Condition(f"night_blur_jpeg{s}", s, night=True, blur_px=5, jpeg=40) for s in (64, 40)]


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    wanted = set(args.conditions.split(",")) if args.conditions else None
    rules = baseline_rules() if args.rules == "baseline" else current_rules(args.rules == "current")
    pairs = sample_pairs(args.lfw, args.pairs, args.seed)
    clean = clean_set(args.lfw, pairs, args.cache)
    report = {"pairs": len(pairs), "same_pairs": sum(p.same for p in pairs), "seed": args.seed,
              "rules": args.rules, "conditions": {}}
    for condition in CONDITIONS:
        if wanted and condition.name not in wanted:
            continue
        frames: Frames = condition_frames(args.lfw, pairs, clean, condition, args.cache, args.seed)
        report["conditions"][condition.name] = {
            "face_px": condition.face_px, "night": condition.night, "blur_px": condition.blur_px,
            "jpeg": condition.jpeg, **score_condition(pairs, clean, frames, condition, rules)}
        log.info("%s: %s", condition.name, json.dumps(
            {k: v["verify_accuracy"] for k, v in report["conditions"][condition.name].items()
             if isinstance(v, dict) and "verify_accuracy" in v}))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
        plot(report, args.json.with_suffix(".png"))
    print(json.dumps(report))


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lfw", type=Path, default=LFW)
    ap.add_argument("--pairs", type=int, default=1000, help="pairs used, half same person")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--conditions", default="", help="comma-separated names (default: all)")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "bench_conditions")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--rules", choices=("current", "colour", "baseline"), default="current",
                    help="the product's decisions, the same with every face matched in colour "
                         "(before the grey gallery), or those before issue 19 (same cache)")
    return ap.parse_args()


if __name__ == "__main__":
    main()
