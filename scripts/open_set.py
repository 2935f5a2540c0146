"""Open-set identification on LFW-style folders: how many enrolled people are named right
and how many strangers are taken for someone, against the identification threshold.

Protocol (issue 3, item 5): people with >= 2 photos are enrolled from their first photo
(sorted by file name), their other photos are probes; people with one photo are strangers.
Each photo is embedded once (central face, as in `flask faces evaluate`) and cached.
The default threshold is the largest one at which <= TARGET of strangers are accepted.

Combining photos: people with >= 3 photos are enrolled from their first two photos and
probed with the rest, matching by the nearest photo or by the mean embedding; the
one-photo gallery on the same probes is the baseline.

Usage: python scripts/open_set.py [--images DIR] [--target 0.01] [--encoder int8|fp32] [--flip]
Prints one JSON document.
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from app.config import Config  # noqa: E402
from app.recognition.match import Gallery, pairwise_distances  # noqa: E402

log = logging.getLogger("open_set")
THRESHOLDS = np.round(np.arange(0.60, 1.2001, 0.005), 3)


def people_photos(images: Path) -> dict[str, list[Path]]:
    """person -> sorted photo paths."""
    return {d.name: sorted(d.glob("*.jpg")) for d in sorted(images.iterdir()) if d.is_dir()}


def embed_all(paths: list[Path], cache: Path, variant: str, flip: bool) -> np.ndarray:
    """(N, 128) float32 embeddings of `paths`, computed once and cached by path list."""
    keys = [str(p) for p in paths]
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        if list(data["paths"]) == keys:
            return data["embeddings"]
    from app.evaluation.run import embed_photos
    from app.recognition.pipeline import FacePipeline
    from app.recognition.weights import PRETRAINED

    pipeline = FacePipeline(ROOT / "instance" / "models" / PRETRAINED,
                            encoder_variant=variant, flip=flip)
    embeddings, no_face = embed_photos(pipeline, paths)
    log.info("%d photos had no detected face (centre embedded)", len(no_face))
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, paths=np.array(keys), embeddings=embeddings)
    return embeddings


def curve(gallery: Gallery, labels: list, probes: np.ndarray, probe_labels: list,
          strangers: np.ndarray) -> dict:
    """Named-right share of probes and accepted share of strangers at every threshold."""
    dp = gallery.person_distances(probes)
    nearest = np.array([gallery.people[j] for j in dp.argmin(1)], dtype=object)
    right = nearest == np.array(probe_labels, dtype=object)
    dmin = dp.min(1)
    ds = gallery.person_distances(strangers).min(1)
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


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=Path, default=ROOT.parent / "shared/datasets/lfw-devtrain/images")
    ap.add_argument("--target", type=float, default=0.01, help="share of strangers accepted")
    ap.add_argument("--encoder", choices=["int8", "fp32"], default=Config.ENCODER_VARIANT)
    ap.add_argument("--flip", action=argparse.BooleanOptionalAction, default=Config.ENCODER_FLIP)
    ap.add_argument("--cache", type=Path, default=None,
                    help="embeddings cache (default: instance/cache/open_set_<encoder>[_flip].npz)")
    args = ap.parse_args()
    cache = args.cache or ROOT / "instance/cache" / (
        f"open_set_{args.encoder}{'_flip' if args.flip else ''}.npz")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    people = people_photos(args.images)
    paths = [p for ps in people.values() for p in ps]
    emb = dict(zip(paths, embed_all(paths, cache, args.encoder, args.flip)))

    enrolled = {n: ps for n, ps in people.items() if len(ps) >= 2}
    strangers = np.stack([emb[ps[0]] for ps in people.values() if len(ps) == 1])
    gallery = Gallery(np.stack([emb[ps[0]] for ps in enrolled.values()]), list(enrolled))
    probes = [(n, p) for n, ps in enrolled.items() for p in ps[1:]]
    one = curve(gallery, list(enrolled), np.stack([emb[p] for _, p in probes]),
                [n for n, _ in probes], strangers)

    # Several photos per person: first two enrolled, the rest probed.
    multi = {n: ps for n, ps in people.items() if len(ps) >= 3}
    mprobes = [(n, p) for n, ps in multi.items() for p in ps[2:]]
    q = np.stack([emb[p] for _, p in mprobes])
    ql = [n for n, _ in mprobes]
    names = list(multi)
    g1 = Gallery(np.stack([emb[ps[0]] for ps in multi.values()]), names)
    g_near = Gallery(np.stack([emb[p] for ps in multi.values() for p in ps[:2]]),
                     [n for n in names for _ in range(2)])
    g_mean = Gallery(unit(np.stack([(emb[ps[0]] + emb[ps[1]]) / 2 for ps in multi.values()])), names)
    combos = {k: at_target(curve(g, names, q, ql, strangers), args.target)
              for k, g in (("one_photo", g1), ("nearest_of_two", g_near), ("mean_of_two", g_mean))}

    # Impostor pairs (two different strangers): the chance that one comparison falls under
    # the threshold. With N people enrolled a stranger is accepted with about 1-(1-p)^N;
    # app/thresholds.py keeps this table for the words on the Settings page.
    d = pairwise_distances(strangers, strangers)[np.triu_indices(len(strangers), 1)]
    pair_far = {f"{t:.2f}": float((d <= t).mean()) for t in np.arange(0.60, 1.201, 0.05)}
    report = {
        "images": str(args.images), "encoder": args.encoder, "flip": args.flip,
        "enrolled_people": len(enrolled), "probe_photos": len(probes),
        "strangers": int(len(strangers)), "target_strangers_accepted": args.target,
        "rank1_closed_set": round(one["rank1"], 4),
        "default": at_target(one, args.target),
        "at_pair_threshold_1.09": at_threshold(one, 1.09),
        "combine_two_photos": {"people": len(multi), "probe_photos": len(mprobes), **combos},
        "impostor_pair_accept": {k: float(f"{v:.3g}") for k, v in pair_far.items()},
        "curve": [{"threshold": float(t), "named_right": round(float(a), 4),
                   "strangers_accepted": round(float(b), 4)}
                  for t, a, b in zip(THRESHOLDS[::10], one["named_right"][::10],
                                     one["strangers_accepted"][::10])],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
