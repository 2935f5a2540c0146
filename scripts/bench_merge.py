"""Time and memory of merging close groups (recognition/cluster.merge_close, what
regroup.merge_close_groups runs) at a product's size: `--faces` sightings of made-up people
(5 faces each: their direction plus noise), split into groups of 1 to 3 faces as the online
rule may leave them.

Usage: python scripts/bench_merge.py [--faces 100000] [--sim 0.62]
Prints one JSON object: groups, merges, seconds, peak memory (MB, tracemalloc)."""
from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from app.recognition.cluster import merge_close  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--sim", type=float, default=0.62)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    people = args.faces // 5
    centres = rng.normal(size=(people, 128)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    faces = np.repeat(centres, 5, axis=0) + rng.normal(scale=0.045, size=(people * 5, 128)).astype(np.float32)
    faces /= np.linalg.norm(faces, axis=1, keepdims=True)
    # Each person's 5 faces in 2 or 3 groups (the splits the merge should mend).
    cuts = np.where(rng.random((people, 5)) < 0.4, 1, 0)
    cuts[:, 0] = 1
    labels = np.cumsum(cuts.ravel()) - 1
    sums = np.zeros((labels.max() + 1, 128), np.float32)
    np.add.at(sums, labels, faces)
    counts = np.bincount(labels)
    tracemalloc.start()
    started = time.monotonic()
    into = merge_close(sums, counts, args.sim)
    seconds = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    person = np.repeat(np.arange(people), 5)
    final = into[labels]
    pure = all(len(set(person[final == g].tolist())) == 1 for g in np.unique(final)[:2000])
    print(json.dumps({"faces": len(faces), "groups": len(sums), "groups_after": int(len(np.unique(into))),
                      "people": people, "first_2000_groups_pure": pure, "seconds": round(seconds, 2),
                      "peak_mb": round(peak, 1)}))


if __name__ == "__main__":
    main()
