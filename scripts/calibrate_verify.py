"""Verify's own cells (issue 19): the threshold offsets of colour faces that verify sees
differently from identify, fitted from bench_conditions' cache like calibrate_conditions.py.

- upscaled: colour faces of calibration.MIN_NAMED_PX up to UPSCALED_PX, aligned again with
  bicubic interpolation (the cache's verify embeddings), per band and blurred; fitted on the
  frames that are not JPEG-compressed (their own cells below).
- compressed: colour faces under CLEAN_PX from a JPEG of quality 25 or 50 (as the product
  reads it from the file, quality.jpeg_quality), per band and blurred (VERIFY_BLURRED from
  32 px, BLURRED under): on such frames the same person lands much farther away (at 20 px
  and quality 25 the best threshold is 1.29, against 1.10 for the uncompressed face).

Each cell: the best-accuracy threshold less FACES_VERIFY_THRESHOLD, within +-CAP; a cell with
fewer than MIN_PAIRS pairs takes its band's pairs, blurred or not. Fitted on 4 of 5 disjoint
splits of the dev people and tested on the 5th (per condition: accuracy before and after,
min/median/max of the splits), then on all ("all": the values in calibration.py).

Usage: python scripts/calibrate_verify.py [--pairs 1000] [--json FILE]  (run bench_conditions first)
JSON on the last line.
"""
from __future__ import annotations

import harness  # noqa: F401  (first: the repository root on sys.path)

import argparse

import numpy as np

from app.config import Config
from app.evaluation import metrics
from app.recognition.calibration import (BLURRED, CLEAN_PX, MIN_NAMED_PX, UPSCALED_PX, VERIFY_BLURRED,
                                         too_poor, verify_threshold)
from app.recognition.quality import FaceConditions
from scripts.bench_conditions import CONDITIONS
from scripts.bench_conditions_data import LFW, cached_frames, clean_set, sample_pairs
from scripts.bench_conditions_rules import raw_rules
from scripts.bench_conditions_score import pooled
from scripts.calibrate_conditions import SPLITS, cache_args, split_of, write_report

CAP = 0.15  # the most a cell moves the threshold (at 20 px and quality 25 the fit is 0.196)
MIN_PAIRS = 60
KINDS = {  # cell kind -> (px band edges, the frames' JPEG quality it is fitted on; 0: none)
    "upscaled": ((MIN_NAMED_PX, 18, UPSCALED_PX), 0),
    "compressed 25": ((MIN_NAMED_PX, 18, 24, 32, CLEAN_PX), 25),
    "compressed 50": ((MIN_NAMED_PX, 18, 24, 32, CLEAN_PX), 50),
}


def cells(rows: dict) -> dict:
    """kind -> (N,) band index of each row (-1: not in that kind), and (N,) blurred."""
    colour = (rows["grey"] == 0) & rows["found"]
    blurred = np.where(rows["px"] >= 32, rows["sharpness"] < VERIFY_BLURRED, rows["sharpness"] < BLURRED)
    out = {}
    for kind, (edges, quality) in KINDS.items():
        band = np.digitize(rows["px"], edges) - 1
        inside = colour & (rows["jpeg"] == quality) & (band >= 0) & (band < len(edges) - 1)
        out[kind] = np.where(inside, band, -1)
    return out, blurred


def cell_name(edges: tuple, b: int, blur: bool) -> str:
    """"lo-hi px[ blurred]": band b of `edges`, blurred or not."""
    return f"{edges[b]}-{edges[b + 1]}px{' blurred' if blur else ''}"


def fit(rows: dict, train: np.ndarray, where: dict, blurred: np.ndarray) -> dict:
    """kind -> "lo-hi px[ blurred]" -> offset, fitted on the rows of `train`."""
    base, out = Config.VERIFY_THRESHOLD, {}
    for kind, (edges, _) in KINDS.items():
        out[kind] = {}
        for b in range(len(edges) - 1):
            band = train & (where[kind] == b)
            for blur in (False, True):
                m = band & (blurred == blur)
                m = m if m.sum() >= MIN_PAIRS else band
                if m.sum() < MIN_PAIRS:
                    continue
                t, _ = metrics.best_threshold(rows["d"][m], rows["same"][m])
                out[kind][cell_name(edges, b, blur)] = round(float(np.clip(t - base, -CAP, CAP)), 3)
    return out


def product(rows: dict) -> tuple[np.ndarray, np.ndarray]:
    """(N,) each row's verify threshold as calibration.py has it now, and (N,) whether its
    face is too poor to be judged (verify then says "no")."""
    conditions = [FaceConditions(bool(g), float(p), float(s))
                  for g, p, s in zip(rows["grey"], rows["px"], rows["sharpness"])]
    return (np.array([verify_threshold(Config.VERIFY_THRESHOLD, c) for c in conditions]),
            np.array([too_poor(c) is not None for c in conditions]))


def thresholds(now: np.ndarray, fitted: dict, where: dict, blurred: np.ndarray) -> np.ndarray:
    """(N,) the thresholds `now` (product()), replaced by a fitted cell's where a row is in one."""
    t = now.copy()
    for kind, (edges, _) in KINDS.items():
        for b in range(len(edges) - 1):
            for blur in (False, True):
                name = cell_name(edges, b, blur)
                if name in fitted[kind]:
                    t[(where[kind] == b) & (blurred == blur)] = Config.VERIFY_THRESHOLD + fitted[kind][name]
    return t


def accuracy(rows: dict, t: np.ndarray, poor: np.ndarray) -> np.ndarray:
    """(N,) whether verify's decision at thresholds `t` is right (a face too poor: "no")."""
    return ((rows["d"] <= t) & ~poor & rows["found"]) == rows["same"]


def main() -> None:
    args = parse_args()
    pairs = sample_pairs(LFW, args.pairs, args.seed)
    clean = clean_set(LFW, pairs, args.cache)
    rows, _ = pooled(pairs, clean, cached_frames(pairs, CONDITIONS, args.cache, args.seed), raw_rules())
    split = np.array([split_of(n) for n in rows["person"]])
    where, blurred = cells(rows)
    today, poor = product(rows)
    now = accuracy(rows, today, poor)
    held = np.zeros(len(now), bool)
    for k in range(SPLITS):
        fitted = fit(rows, split != k, where, blurred)
        held[split == k] = accuracy(rows, thresholds(today, fitted, where, blurred), poor)[split == k]
    report = {"all": fit(rows, np.ones(len(now), bool), where, blurred), "held_out": {}}
    for name in np.unique(rows["condition"]):
        m = rows["condition"] == name
        gains = [100 * (held[m & (split == k)].mean() - now[m & (split == k)].mean()) for k in range(SPLITS)]
        report["held_out"][str(name)] = {"now": round(100 * float(now[m].mean()), 1),
                                         "fitted": round(100 * float(held[m].mean()), 1),
                                         "gain_by_split": [round(float(g(gains)), 1) for g in (np.min, np.median, np.max)]}
    write_report(report, args.json)


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cache_args(ap)
    return ap.parse_args()


if __name__ == "__main__":
    main()
