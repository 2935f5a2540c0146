"""How the face library's rules were chosen, on the cached LFW embeddings of
scripts/open_set.py (instance/cache/open_set_int8.npz: run `make open-set` once): the
protocol of scripts/library_lfw.py (which measures the chosen rules through the REST API),
simulated in memory so that each candidate takes seconds.

- join: a face joins the nearest group centre within T, else starts a group. Fixed T, and
  the app's rule (max(0.8, the 1-in-100 identification threshold for that many groups)).
  B-cubed precision and recall over the faces of the people with two or more photos.
- regroup: average-linkage clustering of every face at once, cut at T.
- learn: one photo per person enrolled; a stream of their other photos (and passers-by)
  adds a face when named with a margin under its threshold and ahead of the next person,
  and farther than `apart` from the person's stored faces; named right and strangers
  accepted on their last photos, before and after.

Usage: python scripts/library_rules.py [--cache instance/cache/open_set_int8.npz] [--seed 0]
Prints one JSON document.
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from app.faces.thresholds import suggest
from app.recognition.cluster import regroup, unit
from app.recognition.match import Crowding
from reference_gallery import Gallery


def load(cache: Path):
    data = np.load(cache, allow_pickle=False)
    people: dict[str, list[int]] = {}
    for i, path in enumerate(data["paths"]):
        people.setdefault(Path(str(path)).parent.name, []).append(i)
    return data["embeddings"].astype(np.float32), {p: sorted(ix, key=lambda i: str(data["paths"][i]))
                                                   for p, ix in people.items()}


def online(X: np.ndarray, join) -> np.ndarray:
    """Group labels of X (in order) by the online rule; join(groups) -> distance."""
    sums, labels = np.zeros((0, X.shape[1]), np.float32), np.zeros(len(X), np.int64)
    for i, x in enumerate(X):
        if len(sums):
            d = np.sqrt(np.clip(2 - 2 * unit(sums) @ x, 0, 4))
            j = int(d.argmin())
            if d[j] <= join(len(sums)):
                sums[j] += x
                labels[i] = j
                continue
        sums = np.vstack([sums, x[None]])
        labels[i] = len(sums) - 1
    return labels


def bcubed(truth: np.ndarray, labels: np.ndarray, counted: np.ndarray) -> dict:
    precision, recall = [], []
    for i in np.flatnonzero(counted):
        mine, same = labels == labels[i], truth == truth[i]
        precision.append((mine & same).sum() / mine.sum())
        recall.append((mine & same).sum() / same.sum())
    return {"precision": round(float(np.mean(precision)), 4), "recall": round(float(np.mean(recall)), 4),
            "groups": int(len(set(labels.tolist())))}


def app_rule(groups: int) -> float:
    return max(0.8, suggest(max(groups, 1), 0.0, 0.01))


def learning(E, people, multi, passers, strangers, margin, apart, seed) -> dict:
    gallery = {p: [E[people[p][0]]] for p in multi}
    stream = [(p, i) for p in multi for i in people[p][1:-1]] + [(p, people[p][0]) for p in passers]
    stream = [stream[i] for i in np.random.default_rng(seed).permutation(len(stream))]

    def build():
        ids = list(gallery)
        return Gallery(unit(np.stack([np.sum(gallery[p], 0) for p in ids])), ids, Crowding(weight=0.7))
    g, learned, wrong = build(), 0, 0
    for n, (person, i) in enumerate(stream if margin is not None else []):
        g = build() if n % 200 == 0 else g
        m = g.identify(E[i][None], 0.8, 2)[0]
        if (m.label is None or m.distance > m.threshold - margin
                or (len(m.candidates) > 1 and m.candidates[1].distance - m.distance < margin)):
            continue
        if np.linalg.norm(np.stack(gallery[m.label]) - E[i], axis=1).min() <= apart or len(gallery[m.label]) > 10:
            continue
        gallery[m.label].append(E[i])
        learned, wrong = learned + 1, wrong + (m.label != person)
    g = build()
    probes = [p for p in multi if len(people[p]) >= 3]
    right = np.mean([m.label == p for m, p in zip(g.identify(np.stack([E[people[p][-1]] for p in probes]), 0.8, 1), probes)])
    taken = np.mean([m.label is not None for m in g.identify(np.stack([E[people[p][0]] for p in strangers]), 0.8, 1)])
    return {"margin": margin, "apart": apart, "learned": learned, "learned_wrong": wrong,
            "named_right": round(float(right), 4), "strangers_accepted": round(float(taken), 4)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=ROOT / "instance/cache/open_set_int8.npz")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    E, people = load(args.cache)
    multi = sorted(p for p, ix in people.items() if len(ix) >= 2)
    singles = sorted(p for p, ix in people.items() if len(ix) == 1)
    passers, strangers = singles[0::2], singles[1::2]
    fed = [(p, i) for p in multi for i in people[p][:-1]] + [(p, people[p][0]) for p in passers]
    fed = [fed[i] for i in np.random.default_rng(args.seed).permutation(len(fed))]
    X = np.stack([E[i] for _, i in fed])
    names = {p: k for k, p in enumerate(people)}
    truth = np.array([names[p] for p, _ in fed])
    counted = np.isin(truth, [names[p] for p in multi])
    out = {"faces": len(fed), "join": {}, "regroup": {}, "learn": []}
    for t in (0.7, 0.75, 0.8, 0.85, 0.9):
        out["join"][str(t)] = bcubed(truth, online(X, lambda _g, t=t: t), counted)
    out["join"]["app rule"] = bcubed(truth, online(X, app_rule), counted)
    for t in (0.8, 0.9):
        out["regroup"][str(t)] = bcubed(truth, regroup(X, t), counted)
    for margin, apart in ((None, 0.35), (0.05, 0.35), (0.1, 0.35), (0.15, 0.35), (0.2, 0.35), (0.15, 0.5)):
        out["learn"].append(learning(E, people, multi, passers, strangers, margin, apart, args.seed))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
