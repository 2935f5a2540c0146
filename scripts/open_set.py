"""Open-set identification on LFW-style folders: how many enrolled people are named right
and how many strangers are taken for someone, against the identification threshold.

Protocol (issue 3, item 5): people with >= 2 photos are enrolled from their first photo
(sorted by file name), their other photos are probes; people with one photo are strangers.
Each photo is embedded once (central face, as in `flask faces evaluate`) and cached.
The default threshold is the largest one at which <= TARGET of strangers are accepted.
Decisions follow the app's rule: the threshold moves with each face's crowding
(app/recognition/match.py, weight --crowding; 0 gives the plain threshold).

Combining photos: people with >= 3 photos are enrolled from their first two photos and
probed with the rest, matching by the nearest photo or by the mean embedding; the
one-photo gallery on the same probes is the baseline.

Usage: python scripts/open_set.py [--images DIR] [--target 0.01] [--encoder int8|fp32] [--flip]
                                  [--crowding 0.7] [--model NAME] [--save]
Prints one JSON document. --save keeps the tables the app reads for that model (the words
and suggested thresholds of the Settings page, the face library's join distance) in its
model.json: a model trained with `train/` is described by its own figures, not the
pretrained model's (app/faces/thresholds.py).
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import logging
import sys
from pathlib import Path

import numpy as np

from app.config import Config
from app.recognition.manifest import write_measured
from app.recognition.match import Crowding
from app.recognition.weights import PRETRAINED
from reference_gallery import Gallery

log = logging.getLogger("open_set")
THRESHOLDS = np.round(np.arange(0.60, 1.2001, 0.005), 3)


def people_photos(images: Path) -> dict[str, list[Path]]:
    """person -> sorted photo paths."""
    return {d.name: sorted(d.glob("*.jpg")) for d in sorted(images.iterdir()) if d.is_dir()}


def embed_all(paths: list[Path], cache: Path, variant: str, flip: bool, model: str | None = None) -> np.ndarray:
    """(N, 128) float32 embeddings of `paths` by `model` (default: the pretrained one),
    computed once and cached by path list."""
    keys = [str(p) for p in paths]
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        if list(data["paths"]) == keys:
            return data["embeddings"]
    from app.evaluation.run import embed_photos
    from app.recognition.pipeline import FacePipeline

    pipeline = FacePipeline(ROOT / "instance" / "models" / (model or PRETRAINED),
                            encoder_variant=variant, flip=flip)
    embeddings, no_face = embed_photos(pipeline, paths)
    log.info("%d photos had no detected face (centre embedded)", len(no_face))
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, paths=np.array(keys), embeddings=embeddings)
    return embeddings


def decision_scores(gallery: Gallery, distances: np.ndarray) -> np.ndarray:
    """(M, P) person distances -> (M,) nearest distance minus the face's threshold offset
    (app's rule): a face is named exactly when its score is <= the threshold."""
    return distances.min(1) - gallery.threshold_offsets(distances)


def curve(gallery: Gallery, labels: list, probes: np.ndarray, probe_labels: list,
          strangers: np.ndarray) -> dict:
    """Named-right share of probes and accepted share of strangers at every threshold."""
    dp = gallery.person_distances(probes)
    nearest = np.array([gallery.people[j] for j in dp.argmin(1)], dtype=object)
    right = nearest == np.array(probe_labels, dtype=object)
    dmin = decision_scores(gallery, dp)
    ds = decision_scores(gallery, gallery.person_distances(strangers))
    named = [(right & (dmin <= t)).mean() for t in THRESHOLDS]
    accepted = [(ds <= t).mean() for t in THRESHOLDS]
    return {"named_right": np.array(named), "strangers_accepted": np.array(accepted),
            "rank1": float(right.mean())}


def at_target(c: dict, target: float) -> dict:
    """The largest threshold with strangers_accepted <= target, and the figures there."""
    ok = np.nonzero(c["strangers_accepted"] <= target)[0]
    i = ok[-1] if len(ok) else 0
    return {"threshold": float(THRESHOLDS[i]), "named_right": round(float(c["named_right"][i]), 4),
            "strangers_accepted": round(float(c["strangers_accepted"][i]), 4)}


def at_threshold(c: dict, t: float) -> dict:
    i = int(np.argmin(np.abs(THRESHOLDS - t)))
    return {"threshold": float(THRESHOLDS[i]), "named_right": round(float(c["named_right"][i]), 4),
            "strangers_accepted": round(float(c["strangers_accepted"][i]), 4)}


def stranger_shares(first_photos: np.ndarray, strangers: np.ndarray, crowding: Crowding,
                    thresholds: np.ndarray) -> np.ndarray:
    """Share of strangers accepted at each threshold when every row of first_photos is
    enrolled, each stranger (row index) asked with their own photo left out."""
    gallery = Gallery(first_photos, list(range(len(first_photos))), crowding)
    d = gallery.person_distances(first_photos[strangers])
    d[np.arange(len(strangers)), strangers] = np.inf  # not enrolled: a stranger
    scores = np.sort(decision_scores(gallery, d))
    return np.searchsorted(scores, thresholds, side="right") / len(scores)


def stranger_pair_accept(first_photos: np.ndarray, lone: np.ndarray,
                         crowding: Crowding) -> dict[str, float]:
    """Per-comparison chance p that a stranger falls under each threshold, for the words on
    the Settings page (app/thresholds.py). Every person's first photo is enrolled (n people,
    and random subsets of 1,000, 250, 60 and 20), each one-photo person is asked as a stranger
    with their own photo left out; the share s accepted gives p = 1 - (1 - s)^(1/n), so that
    1 - (1 - p)^N estimates the share at N people. Each threshold takes the largest gallery
    where s < 0.5 (in a large gallery loose thresholds accept every stranger).
    lone: row indices of the one-photo people in first_photos."""
    thresholds = np.round(np.arange(0.60, 1.201, 0.05), 2)
    rng = np.random.default_rng(0)
    p = np.full(len(thresholds), np.nan)
    for n in (len(first_photos), 1000, 250, 60, 20):
        rows = np.sort(rng.choice(len(first_photos), n, replace=False))
        where = np.searchsorted(rows, lone)
        ok = (where < n) & (rows[np.minimum(where, n - 1)] == lone)
        shares = stranger_shares(first_photos[rows], where[ok], crowding, thresholds)
        shares = np.maximum(shares, 0.5 / ok.sum())  # none accepted: below half a stranger
        fill = np.isnan(p) & (shares < 0.5)
        p[fill] = 1 - (1 - shares[fill]) ** (1 / (n - 1))
    return {f"{t:.2f}": float(f"{v:.3g}") for t, v in zip(thresholds, p) if not np.isnan(v)}


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=Path, default=ROOT.parent / "shared/datasets/lfw-devtrain/images")
    ap.add_argument("--target", type=float, default=0.01, help="share of strangers accepted")
    ap.add_argument("--encoder", choices=["int8", "fp32"], default=Config.ENCODER_VARIANT)
    ap.add_argument("--flip", action=argparse.BooleanOptionalAction, default=Config.ENCODER_FLIP)
    ap.add_argument("--crowding", type=float, default=Config.IDENTIFY_CROWDING,
                    help="threshold moved by this much per unit of crowding (0: plain)")
    ap.add_argument("--cache", type=Path, default=None,
                    help="embeddings cache (default: instance/cache/open_set_[<model>_]<encoder>[_flip].npz)")
    ap.add_argument("--model", default=PRETRAINED, help="the model folder in instance/models measured")
    ap.add_argument("--save", action="store_true",
                    help="keep the tables the app's words and suggested thresholds use in the model's "
                         "model.json (\"thresholds\": \"crowding\", or \"plain\" with --crowding 0)")
    args = ap.parse_args()
    prefix = "" if args.model == PRETRAINED else f"{args.model}_"
    cache = args.cache or ROOT / "instance/cache" / (
        f"open_set_{prefix}{args.encoder}{'_flip' if args.flip else ''}.npz")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    people = people_photos(args.images)
    paths = [p for ps in people.values() for p in ps]
    emb = dict(zip(paths, embed_all(paths, cache, args.encoder, args.flip, args.model)))

    enrolled = {n: ps for n, ps in people.items() if len(ps) >= 2}
    strangers = np.stack([emb[ps[0]] for ps in people.values() if len(ps) == 1])
    crowding = Crowding(weight=args.crowding)
    gallery = Gallery(np.stack([emb[ps[0]] for ps in enrolled.values()]), list(enrolled), crowding)
    probes = [(n, p) for n, ps in enrolled.items() for p in ps[1:]]
    one = curve(gallery, list(enrolled), np.stack([emb[p] for _, p in probes]),
                [n for n, _ in probes], strangers)

    # Several photos per person: first two enrolled, the rest probed.
    multi = {n: ps for n, ps in people.items() if len(ps) >= 3}
    mprobes = [(n, p) for n, ps in multi.items() for p in ps[2:]]
    q = np.stack([emb[p] for _, p in mprobes])
    ql = [n for n, _ in mprobes]
    names = list(multi)
    g1 = Gallery(np.stack([emb[ps[0]] for ps in multi.values()]), names, crowding)
    g_near = Gallery(np.stack([emb[p] for ps in multi.values() for p in ps[:2]]),
                     [n for n in names for _ in range(2)], crowding)
    g_mean = Gallery(unit(np.stack([(emb[ps[0]] + emb[ps[1]]) / 2 for ps in multi.values()])),
                     names, crowding)
    combos = {k: at_target(curve(g, names, q, ql, strangers), args.target)
              for k, g in (("one_photo", g1), ("nearest_of_two", g_near), ("mean_of_two", g_mean))}

    lone = np.array([i for i, ps in enumerate(people.values()) if len(ps) == 1])
    pair_far = stranger_pair_accept(np.stack([emb[ps[0]] for ps in people.values()]), lone, crowding)
    report = {
        "model": args.model, "images": str(args.images), "encoder": args.encoder, "flip": args.flip,
        "crowding_weight": args.crowding,
        "enrolled_people": len(enrolled), "probe_photos": len(probes),
        "strangers": int(len(strangers)), "target_strangers_accepted": args.target,
        "rank1_closed_set": round(one["rank1"], 4),
        "default": at_target(one, args.target),
        "at_pair_threshold_1.09": at_threshold(one, 1.09),
        "combine_two_photos": {"people": len(multi), "probe_photos": len(mprobes), **combos},
        "stranger_pair_accept": pair_far,
        "curve": [{"threshold": float(t), "named_right": round(float(a), 4),
                   "strangers_accepted": round(float(b), 4)}
                  for t, a, b in zip(THRESHOLDS[::10], one["named_right"][::10],
                                     one["strangers_accepted"][::10])],
    }
    if args.save:  # what app/faces/thresholds.py reads for this model
        write_measured(ROOT / "instance/models" / args.model, "crowding" if args.crowding > 0 else "plain",
                       {k: report[k] for k in ("encoder", "flip", "crowding_weight", "stranger_pair_accept", "curve")})
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
