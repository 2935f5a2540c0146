"""Live tracks named from all their faces (issue 19 point 4): LFW dev people walking through a
synthesised camera view (scripts/bench_tracks_video.py: moving, shrinking, at night), each
track replayed through the product's own LiveRecognizer and Tracker under every rule of
scripts/bench_tracks_rules.py.

The gallery: every dev person with two photos or more, enrolled from their first photo,
clean. Tracks: dev people with three photos or more, from their photos 2-5 (named right =
their own name), half of them strangers (taken out of the gallery for their split). The
people are drawn once (seed) and dealt into --splits disjoint splits; every figure is
pooled and given as its [min, max] over the splits.
Per rule and scenario:
  named_right:   enrolled tracks whose name at their last frame is their own, %;
  wrong_per_1000: tracks that ever showed a name not theirs (a stranger: any), per 1,000;
  wrong_confirmed_per_1000: the same, counting only confirmed names (those announced);
  first_name_s:  mean seconds from the person's first frame to their own name (tracks
                 that got it).
The frames' faces are cached in .cache/bench_tracks (a first run ~30 min on 2 busy cores; a
rerun seconds).

Usage: python scripts/bench_tracks.py [--splits 5] [--people 30] [--motion-gate SECONDS] [--json FILE]
JSON on the last line.
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import logging
import sys
from pathlib import Path

import cv2
import numpy as np

from app.evaluation.pairs import photo_path
from scripts.bench_conditions_data import LFW, clean_set, gallery_keys
from scripts.bench_tracks_score import gallery_view, score_rules, summary
from scripts.bench_tracks_video import SCENARIOS, shoot

log = logging.getLogger("bench_tracks")


def main() -> None:
    args = parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    splits = deal(args.lfw, args.splits, args.people, args.seed)
    probes = [(name, k) for split in splits for name, count, _ in split for k in shown(count)]
    clean = clean_set(args.lfw, [], args.cache, extra=probes)
    settings = (args.min_face_size, args.detect_side)
    report = {"splits": args.splits, "people_per_split": args.people, "seed": args.seed,
              "live_settings": settings, "motion_gate": args.motion_gate, "results": []}
    for s, split in enumerate(splits):
        people = [[photo(args.lfw, clean, (name, k)) for k in shown(count)] for name, count, _ in split]
        truth = [pid for _, _, pid in split]
        view = gallery_view(clean, without={name for name, _, pid in split if pid is None})
        for scenario in SCENARIOS:
            seeds = [args.seed * 1_000_003 + s * 10_007 + i for i in range(len(split))]
            video = shoot(people, scenario, seeds, args.cache, settings, args.motion_gate)
            for rule, figures in score_rules(view, video, truth).items():
                report["results"].append({"split": s, "scenario": scenario.name, "rule": rule, **figures})
    report["summary"] = summary(report["results"])
    print(json.dumps(report["summary"], indent=1), file=sys.stderr)
    text = json.dumps(report)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n")
    print(text)


def deal(lfw: Path, splits: int, people: int, seed: int) -> list[list]:
    """`splits` disjoint lists of (name, photo count, person id or None): `people` enrolled
    people (id = 1 + their row in the gallery) and `people` strangers (None: their split's
    gallery leaves them out), all with three photos or more."""
    gallery = gallery_keys(lfw)
    counts = {f[0]: int(f[1]) for f in (line.split() for line in
              (lfw / "peopleDevTrain.txt").read_text().split("\n")[1:]) if len(f) == 2}
    chosen = [(name, counts[name], i + 1) for i, (name, _) in enumerate(gallery) if counts[name] >= 3]
    chosen = [chosen[i] for i in np.random.default_rng(seed).permutation(len(chosen))]
    if splits * people * 2 > len(chosen):
        raise SystemExit(f"--splits x --people must be <= {len(chosen) // 2}")
    out = []
    for s in range(splits):
        mine = chosen[s * 2 * people:(s + 1) * 2 * people]
        out.append(mine[:people] + [(name, count, None) for name, count, _ in mine[people:]])
    return out


def shown(count: int) -> range:
    """The photo numbers a track shows: 2 to 5 (the first is the enrolled one)."""
    return range(2, min(count, 5) + 1)


def photo(lfw: Path, clean, key) -> tuple[np.ndarray, np.ndarray]:
    """(RGB photo, its face's box: the central face found, or a centred guess)."""
    bgr = cv2.imread(str(photo_path(lfw / "images", *key)))
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), clean.boxes[clean.row(key)]


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lfw", type=Path, default=LFW)
    ap.add_argument("--splits", type=int, default=5)
    ap.add_argument("--people", type=int, default=30, help="enrolled people and strangers per split")
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--min-face-size", type=int, default=40, help="as FACES_LIVE_MIN_FACE_SIZE")
    ap.add_argument("--detect-side", type=int, default=320, help="as FACES_LIVE_DETECT_SIDE")
    ap.add_argument("--motion-gate", type=float, metavar="SECONDS", help="detect behind Live's motion "
                    "gate, the whole frame every SECONDS (FACES_LIVE_FULL_DETECTION_SECONDS); default: every frame whole")
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "bench_tracks")
    ap.add_argument("--json", help="also write the report here")
    return ap.parse_args()


if __name__ == "__main__":
    main()
