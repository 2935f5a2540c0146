"""How the face library's rules were chosen, on cached LFW embeddings (.cache/, made on
the first run from --images, as scripts/open_set.py embeds them): the
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

- splits (--splits K): the people dealt into K disjoint parts (library_lfw.split_people);
  on each, the app's joining rule, then close groups merged (average linkage between
  groups, regroup.merge_close_groups) at each mean similarity; the groups named after their
  majority person from their most typical 5 faces or all of them; the last photos and
  the strangers identified at 0.8 and at the threshold read off the gallery
  (calibrate_gallery.gallery_threshold), and the best any threshold gives with at most
  1 % of strangers (chosen knowing the answers: the ceiling of every threshold rule), also
  per crowding weight (--crowdings). Each figure per split and its spread.

Usage: python scripts/library_rules.py [--cache .cache/lfw_devtrain_int8.npz] [--seed 0]
                                      [--splits 2 --split-seed 0] [--flip]
Prints one JSON document.
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from app.faces.thresholds import suggest
from app.recognition.calibrate_gallery import gallery_threshold
from app.recognition.cluster import merge_close, most_typical, regroup, unit
from app.recognition.index import PersonIndex
from app.recognition.match import Crowding
from reference_gallery import Gallery


def load(cache: Path, images: Path, flip: bool = False):
    """(N, 128) embeddings and person -> row indices (sorted by file name); the photos of
    `images` are embedded once (open_set.embed_all, int8 encoder, averaged with the mirror
    image when `flip`) when `cache` is missing."""
    if not cache.exists():
        from open_set import embed_all, people_photos

        embed_all([p for ph in people_photos(images).values() for p in ph], cache, "int8", flip)
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


def named_gallery(X, labels, truth, counted, faces_rule: str, crowding: float = 0.7):
    """Each group mostly (more than half) one counted person named after them: (Gallery of
    one unit mean per person, the faces kept (F, D), their owners)."""
    kept, owners = [], []
    for g in set(labels.tolist()):
        rows = np.flatnonzero(labels == g)
        values, counts = np.unique(truth[rows], return_counts=True)
        person = values[counts.argmax()]
        if 2 * counts.max() <= len(rows) or not counted[rows[truth[rows] == person][0]]:
            continue
        picks = rows if faces_rule == "all" else rows[most_typical(X[rows], 5, apart=0.35)]
        kept.append(X[picks])
        owners += [int(person)] * len(picks)
    faces = np.concatenate(kept) if kept else np.zeros((0, X.shape[1]), np.float32)
    owners_arr = np.array(owners)
    people = sorted(set(owners))
    means = unit(np.stack([faces[owners_arr == p].sum(0) for p in people]))
    return Gallery(means, people, Crowding(weight=crowding)), faces, owners


def hindsight(gallery, probes, probe_truth, strangers, target: float = 0.01) -> dict:
    """The most named right that any threshold gives with at most `target` of the strangers
    taken (the threshold chosen knowing the answers: a ceiling for every rule that picks
    one). A face is named at t when its margin (nearest distance minus crowding) <= t."""
    def margins(q):
        d = gallery.person_distances(q)
        return d.min(1) - gallery.threshold_offsets(d), np.array(gallery.people)[d.argmin(1)]
    stranger, _ = margins(strangers)
    probe, nearest = margins(probes)
    right = nearest == np.asarray(probe_truth)
    best = {"threshold": None, "named_right": 0.0, "strangers_accepted": 0.0}
    for t in np.arange(0.7, 0.95, 0.0025):
        taken = float(np.mean(stranger <= t))
        named = float(np.mean(right & (probe <= t)))
        if taken <= target and named > best["named_right"]:
            best = {"threshold": round(float(t), 4), "named_right": round(named, 4),
                    "strangers_accepted": round(taken, 4)}
    return best


def naming(gallery, faces, owners, probes, probe_truth, strangers) -> dict:
    """Named right and strangers accepted at 0.8 and at the thresholds read off the gallery
    for several held-out targets."""
    out, index = {}, PersonIndex(crowding=gallery.crowding)
    index.upsert(gallery.people, gallery.embeddings, range(len(gallery)))  # one mean a person
    index.typical = index.compute_typical_crowding()
    for target in (None, 0.005, 0.0075, 0.01):
        t = 0.8 if target is None else gallery_threshold(index, faces, owners, target) or 0.8
        name = "at 0.8" if target is None else f"gallery's threshold for {target}"
        right = np.mean([m.label == p for m, p in zip(gallery.identify(probes, t, 1), probe_truth)])
        taken = np.mean([m.label is not None for m in gallery.identify(strangers, t, 1)])
        out[name] = {"threshold": round(t, 4), "named_right": round(float(right), 4),
                     "strangers_accepted": round(float(taken), 4)}
    out["best with hindsight, <= 1 %"] = hindsight(gallery, probes, probe_truth, strangers)
    return out


def one_split(E, people, seed, sims, crowdings=()) -> dict:
    multi = sorted(p for p, ix in people.items() if len(ix) >= 2)
    singles = sorted(p for p, ix in people.items() if len(ix) == 1)
    passers, strangers = singles[0::2], singles[1::2]
    fed = [(p, i) for p in multi for i in people[p][:-1]] + [(p, people[p][0]) for p in passers]
    fed = [fed[i] for i in np.random.default_rng(seed).permutation(len(fed))]
    X = np.stack([E[i] for _, i in fed])
    names = {p: k for k, p in enumerate(people)}
    truth = np.array([names[p] for p, _ in fed])
    counted = np.isin(truth, [names[p] for p in multi])
    twice = [p for p in multi if len(people[p]) >= 3]
    probes, probe_truth = np.stack([E[people[p][-1]] for p in twice]), [names[p] for p in twice]
    lone = np.stack([E[people[p][0]] for p in strangers])
    started = time.monotonic()
    first = online(X, app_rule)
    out = {"people": len(people), "faces": len(fed), "online_seconds": round(time.monotonic() - started, 2)}
    for sim in sims:
        labels = first
        if sim is not None:
            sums = np.stack([X[first == g].sum(0) for g in range(first.max() + 1)])
            into = merge_close(sums, np.bincount(first), sim)
            labels = into[first]
        row = bcubed(truth, labels, counted)
        for rule in ("typical 5", "all"):
            row["naming, " + rule] = naming(*named_gallery(X, labels, truth, counted, rule),
                                            probes, probe_truth, lone)
        for weight in crowdings:
            gallery = named_gallery(X, labels, truth, counted, "typical 5", weight)[0]
            row[f"crowding {weight}, best with hindsight, <= 1 %"] = hindsight(gallery, probes, probe_truth, lone)
        out["merge at " + str(sim)] = row
    return out


def spread_of(runs: list[dict]) -> dict:
    """min / median / max over the splits of every number the runs share (flattened)."""
    flat: dict[str, list[float]] = {}

    def walk(prefix, value):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}/{k}" if prefix else k, v)
        elif isinstance(value, (int, float)) and value is not None:
            flat.setdefault(prefix, []).append(value)
    for run in runs:
        walk("", run)
    return {k: [min(v), float(np.median(v)), max(v)] for k, v in flat.items() if len(v) == len(runs)}


def splits_main(E, people, args) -> dict:
    from library_lfw import split_people

    parts = split_people(people, args.splits, args.split_seed)
    sims = [None] + [float(x) for x in args.merge_sims.split(",")]
    crowdings = [float(x) for x in args.crowdings.split(",") if x]
    runs = [one_split(E, part, args.seed, sims, crowdings) for part in parts]
    return {"splits": args.splits, "split_seed": args.split_seed, "runs": runs,
            "spread (min, median, max)": spread_of(runs)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", type=Path, default=None,
                    help="default: .cache/lfw_devtrain_int8[_flip].npz")
    ap.add_argument("--flip", action="store_true", help="embeddings averaged with the mirror image (FACES_FLIP=1)")
    ap.add_argument("--images", type=Path, default=ROOT.parent / "shared/datasets/lfw-devtrain/images")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--splits", type=int, default=0, help="measure on K disjoint parts (0: the old tables)")
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--merge-sims", default="0.6,0.62,0.64,0.66,0.68")
    ap.add_argument("--crowdings", default="", help="crowding weights whose best naming to report (e.g. 0,0.35,1.0)")
    args = ap.parse_args()
    cache = args.cache or ROOT / f".cache/lfw_devtrain_int8{'_flip' if args.flip else ''}.npz"
    E, people = load(cache, args.images, args.flip)
    if args.splits:
        print(json.dumps(splits_main(E, people, args), indent=1))
        return
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
