"""How genuine and stranger distances move with a face's quality (issue 19, point 3), from
bench_conditions' cache: every cached condition's frames pooled, binned by what the product
measures (face px, greyscale, sharpness), on 5 disjoint splits of the dev people.

Per bin: the verify offset (best threshold), and the identify offset (the largest threshold
at which <= 1 % of strangers are named, less a margin), each within +-CAP, none for colour
sharp faces of 32 px or more; per split (fitted on 4 splits, tested on the 5th: per condition,
min/mean/max). app/recognition/calibration.py holds the table fitted on all ("all").

Usage: python scripts/calibrate_conditions.py [--pairs 1000] [--gallery grey|colour]
       (run bench_conditions first)
JSON on the last line (also reports/conditions_calibration.json with --json).
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import sys
import zlib
from pathlib import Path

import numpy as np

from app.config import Config
from app.evaluation import metrics
from app.recognition.calibration import BLURRED
from scripts.bench_conditions import CONDITIONS
from scripts.bench_conditions_data import LFW, cached_frames, clean_set, sample_pairs
from scripts.bench_conditions_rules import raw_rules
from scripts.bench_conditions_score import pooled

SPLITS = 5
PX_EDGES = [0, 18, 24, 32, 48, 10_000]  # calibration.py's bands
STRANGERS = 0.01
CAP = 0.05  # the most a threshold moves: larger moves fitted on the pool cost the plain small faces
MARGIN = 0.02  # identify: kept below the fitted 1 %-strangers threshold (it varies by split)


def split_of(name: str) -> int:
    return zlib.crc32(name.encode()) % SPLITS


def bins(rows: dict) -> np.ndarray:
    """(N,) bin index: px bin * 4 + greyscale * 2 + blurred (calibration.BLURRED)."""
    blurred = rows["sharpness"] < BLURRED
    return (np.digitize(rows["px"], PX_EDGES[1:-1]) * 4 + rows["grey"] * 2 + blurred).astype(int)


def bin_name(b: int) -> str:
    lo, hi = PX_EDGES[b // 4], PX_EDGES[b // 4 + 1]
    return f"{lo}-{hi}px{' grey' if b % 4 >= 2 else ''}{' blurred' if b % 2 else ''}"


def identify_limit(genuine: np.ndarray, stranger: np.ndarray) -> float:
    """The largest threshold at which <= STRANGERS of `stranger` scores are named."""
    s = np.sort(stranger)
    k = int(np.floor(STRANGERS * len(s)))
    return float(s[k] - 1e-4) if k < len(s) else float(s[-1])


def fit(rows: dict, ident: dict, train: np.ndarray, itrain: np.ndarray, base: tuple) -> dict:
    """Per bin, fitted on `train`: the verify offset (best threshold minus the base) and the
    identify offset (the threshold naming 1 % of strangers, less MARGIN, minus the base),
    each within +-CAP; 0 for GOOD bins (the thresholds were tuned on such faces)."""
    out = {}
    vb, ib = bins(rows), bins(ident)
    for b in range(4 * (len(PX_EDGES) - 1)):
        v, i = train & (vb == b), itrain & (ib == b)
        if v.sum() < 60 or i.sum() < 150 or good(b):
            continue
        t, _ = metrics.best_threshold(rows["d"][v], rows["same"][v])
        limit = identify_limit(ident["genuine"][i], ident["stranger"][i]) - MARGIN
        out[bin_name(b)] = {"verify": round(float(np.clip(t - base[0], -CAP, CAP)), 3),
                            "identify": round(float(np.clip(limit - base[1], -CAP, CAP)), 3),
                            "pairs": int(v.sum()), "probes": int(i.sum())}
    return out


def good(b: int) -> bool:
    """A bin of colour, sharp faces of 32 px or more."""
    return b // 4 >= PX_EDGES.index(32) and b % 4 == 0


def held_out(rows: dict, ident: dict, fitted: dict, k: int, base: tuple[float, float]) -> dict:
    """Split k judged by a rule fitted without it: per condition verify accuracy, strangers
    named and named right (bins with no fitted value keep the base thresholds)."""
    tv = base[0] + np.array([fitted.get(bin_name(b), {}).get("verify", 0.0) for b in bins(rows)])
    ti = base[1] + np.array([fitted.get(bin_name(b), {}).get("identify", 0.0) for b in bins(ident)])
    out = {}
    for name in np.unique(rows["condition"]):
        v = (rows["split"] == k) & (rows["condition"] == name)
        i = (ident["split"] == k) & (ident["condition"] == name)
        e = i & ident["enrolled"]
        out[str(name)] = {
            "verify": float(((rows["d"][v] <= tv[v]) == rows["same"][v]).mean()),
            "strangers_named": float((ident["stranger"][i] <= ti[i]).mean()),
            "named_right": float((ident["genuine"][e] <= ti[e]).mean())}
    return out


def spread(per_split: list[dict]) -> dict:
    """condition -> figure -> [min, mean, max] over the splits."""
    out = {}
    for name in per_split[0]:
        out[name] = {f: [round(float(g(x[name][f] for x in per_split)), 4) for g in
                         (min, lambda v: np.mean(list(v)), max)] for f in per_split[0][name]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=19)
    ap.add_argument("--cache", type=Path, default=ROOT / ".cache" / "bench_conditions")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--gallery", choices=("grey", "colour"), default="grey",
                    help="where grey faces are matched: the grey gallery's offsets are "
                         "calibration.GREY_GALLERY, the colour one's the grey cells of BANDS")
    args = ap.parse_args()
    pairs = sample_pairs(LFW, args.pairs, args.seed)
    clean = clean_set(LFW, pairs, args.cache)
    frames = cached_frames(pairs, CONDITIONS, args.cache, args.seed)
    rows, ident = pooled(pairs, clean, frames, raw_rules(args.gallery == "grey"))
    rows["split"] = np.array([split_of(n) for n in rows["person"]])
    ident["split"] = np.array([split_of(n) for n in ident["person"]])
    report = {"conditions": list(frames), "px_edges": PX_EDGES, "splits": {}}
    base = (Config.VERIFY_THRESHOLD, Config.IDENTIFY_THRESHOLD)
    tested = []
    for k in range(SPLITS):
        report["splits"][k] = fit(rows, ident, rows["split"] != k, ident["split"] != k, base)
        tested.append(held_out(rows, ident, report["splits"][k], k, base))
    report["held_out"] = spread(tested)
    report["all"] = fit(rows, ident, np.ones(len(rows["d"]), bool), np.ones(len(ident["genuine"]), bool), base)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    print(json.dumps(report))


if __name__ == "__main__":
    main()
