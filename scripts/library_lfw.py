"""The face library's targets, measured through the REST API on LFW-style folders
(DIR/<person>/*.jpg), as issue 11 states them.

1. With nobody enrolled, the photos of the people with two or more photos, all but the last
   of each, and half of the one-photo people (passers-by) go through
   `POST /api/identify?remember=1` in a random order (seeded). The face nearest each photo's
   centre is the one counted (LFW photos are centred on their subject).
2. Grouping: B-cubed precision and recall over the remembered faces of the people with two
   or more photos (a passer-by in their group counts against precision).
3. Naming, as an operator who knows them would: every group whose counted faces are mostly
   (more than half) one such person is named after them (`POST /api/unknown/{id}/name`,
   {"name"} for the first group of a person, {"person_id", "confirm": 1} for the next).
4. Their last photos are identified (people seen at least twice: named right), and the
   other half of the one-photo people (strangers: taken for someone), at the app's
   settings, and at the threshold where 1 % of strangers are accepted.
5. The door: for sampled people, the same photo under a second name (duplicate-photo), a
   re-encoded and a 5 % cropped copy under a new name (duplicate-face), another person's
   photo added to them (face-mismatch): the share refused with the right type.

By default the app runs in this process on a temporary SQLite database, default settings;
--url and --key measure a running server with an empty database instead.

Usage: python scripts/library_lfw.py [--images DIR] [--seed 0] [--door 100] [--url U --key K]
Prints one JSON object.
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import io
import json
import logging
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
from PIL import Image

from open_set_api import InProcess, Remote, central_face

log = logging.getLogger("library_lfw")
os.environ["FACES_GROUP_MERGE_EVERY"] = "0"  # in-process: merges only where --merge says
# In-process, every photo is remembered: the upload caps (300 per key an hour) would leave
# most of them out and be counted as faces not remembered.
os.environ["FACES_REMEMBER_PER_KEY"] = "1000000 per hour"
os.environ["FACES_REMEMBER_MAX"] = "10000000"


def post_json(api, path: str, body: dict) -> tuple[int, dict]:
    if isinstance(api, InProcess):
        r = api.client.post(path, json=body, headers={"Authorization": f"Bearer {api.key}"})
        return r.status_code, r.get_json()
    r = api.session.post(api.url + path, json=body, timeout=120, headers={"Authorization": f"Bearer {api.key}"})
    return r.status_code, r.json()


def post_photo(api, path: str, data: bytes, params: dict | None = None, name: str | None = None):
    if name is not None:
        params = {**(params or {}), "name": name}
    return api.post(path, data, params)


def bcubed(labels: list[str], groups: list[int], counted: set[str]) -> tuple[float, float]:
    """B-cubed precision and recall over the items whose label is in `counted`."""
    by_group: dict[int, list[str]] = defaultdict(list)
    for label, g in zip(labels, groups):
        by_group[g].append(label)
    total = Counter(labels)
    precision, recall = [], []
    for label, g in zip(labels, groups):
        if label in counted:
            same = by_group[g].count(label)
            precision.append(same / len(by_group[g]))
            recall.append(same / total[label])
    return float(np.mean(precision)), float(np.mean(recall))


def feed(api, photos: list[tuple[str, Path]]) -> tuple[list[str], list[int], Counter]:
    """Remember every photo; (true labels, group ids) of the counted faces, and what
    was not remembered (no face, too small or blurred) by reason."""
    labels, groups, missed = [], [], Counter()
    for i, (person, path) in enumerate(photos, 1):
        status, body = api.post("/api/identify", path.read_bytes(), {"remember": 1, "k": 1})
        if status != 200:
            missed[body.get("type", str(status))] += 1
            continue
        face = central_face(body["faces"])
        if face.get("group_id") is None:
            missed["not remembered (too small or blurred)"] += 1
            continue
        labels.append(person)
        groups.append(face["group_id"])
        if i % 500 == 0:
            log.info("remembered %d/%d photos", i, len(photos))
    return labels, groups, missed


def merge_close(api, groups: list[int]) -> dict:
    """Merge close groups once (what the background step does, off here so that every run
    merges at the same point) and follow each face to its group."""
    from app.extensions import db
    from app.library.regroup import merge_close_groups

    with api.app.app_context():
        done = merge_close_groups()
        db.session.remove()
    groups[:] = [done["moved"].get(g, g) for g in groups]
    return {k: v for k, v in done.items() if k != "moved"}


def name_groups(api, labels, groups, multi: set[str]) -> tuple[dict[str, int], Counter]:
    """Name each group after its majority person (module docstring); person ids by name."""
    members: dict[int, list[str]] = defaultdict(list)
    for label, g in zip(labels, groups):
        members[g].append(label)
    ids, outcome = {}, Counter()
    for g, names in sorted(members.items(), key=lambda m: -len(m[1])):
        person, n = Counter(names).most_common(1)[0]
        if person not in multi or 2 * n <= len(names):
            continue
        body = {"person_id": ids[person], "confirm": True} if person in ids else {"name": person}
        status, answer = post_json(api, f"/api/unknown/{g}/name", body)
        outcome[answer.get("type", "named") if status != 201 else "named"] += 1
        if status == 201:
            ids.setdefault(person, answer["person"]["id"])
    return ids, outcome


def identify_all(api, photos: list[tuple[str, Path]]) -> list[tuple[int | None, int | None, float]]:
    """Each photo's central face: (person named or None, nearest person, distance minus the
    face's threshold: named exactly when <= 0, and at a base threshold moved by t when <= t)."""
    out = []
    for _, path in photos:
        status, body = api.post("/api/identify", path.read_bytes(), {"k": 1})
        if status != 200 or not body["faces"]:
            out.append((None, None, float("inf")))
            continue
        f = central_face(body["faces"])
        near = f["candidates"][0]["person_id"] if f["candidates"] else None
        margin = f["distance"] - f["threshold"] if f["distance"] is not None else float("inf")
        out.append((f["person_id"], near, margin))
    return out


def at_shift(probes, truth: list[int | None], strangers, shift: float) -> dict:
    """Named right and strangers accepted with every face's threshold moved by `shift`."""
    right = np.mean([near is not None and near == t and m <= shift for (_, near, m), t in zip(probes, truth)])
    return {"threshold_shift": round(shift, 4), "named_right": round(float(right), 4),
            "strangers_accepted": round(float(np.mean([m <= shift for _, _, m in strangers])), 4)}


def at_one_percent(probes, truth: list[int | None], strangers) -> dict:
    """Named right where the threshold is moved until 1 % of strangers are accepted."""
    margins = np.sort([m for _, _, m in strangers])
    shift = float(margins[max(0, int(np.floor(0.01 * len(margins))) - 1)]) if len(margins) else 0.0
    return at_shift(probes, truth, strangers, shift)


def gallery_thresholds(api, targets=(0.005, 0.01)) -> dict[float, float]:
    """The base threshold the gallery's own faces point to for each target (in-process:
    app/library/threshold.py, what the app would set) and the one in force now."""
    from app.extensions import db
    from app.faces import get_state
    from app.library.threshold import threshold_from_gallery

    with api.app.app_context():
        out = {t: threshold_from_gallery(t) for t in targets}
        base = get_state().identify_threshold
        db.session.remove()
    return {t: v for t, v in out.items() if v is not None}, base


def copy_of(data: bytes, crop: float = 0.0, quality: int = 75) -> bytes:
    img = Image.open(io.BytesIO(data)).convert("RGB")
    w, h = img.size
    img = img.crop((round(w * crop), round(h * crop), round(w * (1 - crop)), round(h * (1 - crop))))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def door(api, ids: dict[str, int], people: dict[str, list[Path]], strangers: list[str], n: int,
         rng) -> dict:
    """The share of each kind of bad enrolment refused with its problem type: the same
    photo (the first, remembered then named) under a second name, copies of it, and a
    stranger's photo added to the person."""
    names = sorted(ids)
    chosen = [names[i] for i in rng.choice(len(names), min(n, len(names)), replace=False)]
    checks = Counter()
    for k, person in enumerate(chosen):
        first = people[person][0].read_bytes()
        other = people[strangers[k % len(strangers)]][0].read_bytes()
        cases = {"duplicate-photo": ("/api/people", first, f"second name {k}"),
                 "duplicate-face (re-encoded)": ("/api/people", copy_of(first), f"copy {k}"),
                 "duplicate-face (cropped 5 %)": ("/api/people", copy_of(first, 0.05, 90), f"crop {k}"),
                 "face-mismatch": (f"/api/people/{ids[person]}/faces", other, None)}
        for case, (path, data, name) in cases.items():
            status, body = post_photo(api, path, data, name=name)
            expected = case.split(" ")[0]
            checks[(case, body.get("type") if status >= 400 else "accepted")] += 1
            checks[(case, "right")] += body.get("type") == expected
    return {case: {"refused_right": checks[(case, "right")] / len(chosen),
                   "answers": {t: c for (k, t), c in checks.items() if k == case and t != "right"}}
            for case in ("duplicate-photo", "duplicate-face (re-encoded)", "duplicate-face (cropped 5 %)",
                         "face-mismatch")}


def split_people(people: dict[str, list[Path]], splits: int, seed: int) -> list[dict[str, list[Path]]]:
    """`splits` disjoint parts of the people (the people with several photos and the
    one-photo people shuffled apart, each dealt round), so that each part is its own set."""
    rng = np.random.default_rng(seed)
    parts: list[dict[str, list[Path]]] = [{} for _ in range(splits)]
    for kind in (sorted(p for p, ph in people.items() if len(ph) >= 2),
                 sorted(p for p, ph in people.items() if len(ph) < 2)):
        for k, i in enumerate(rng.permutation(len(kind))):
            parts[k % splits][kind[i]] = people[kind[i]]
    return parts


def spread(runs: list[dict]) -> dict:
    """min / median / max over the splits of each figure the runs share."""
    keys = ("bcubed_precision", "bcubed_recall", "groups", "named_right", "strangers_accepted")
    out = {k: [r[k] for r in runs] for k in keys}
    out["named_right_at_1_percent"] = [r["at_1_percent_strangers"]["named_right"] for r in runs]
    return {k: {"min": min(v), "median": float(np.median(v)), "max": max(v)} for k, v in out.items()}


def measure(api, people: dict[str, list[Path]], seed: int, n_door: int, merge: bool) -> dict:
    """The whole protocol (module docstring) on these people."""
    multi = {p for p, ph in people.items() if len(ph) >= 2}
    singles = sorted(p for p in people if p not in multi)
    passers, strangers = singles[0::2], singles[1::2]
    rng = np.random.default_rng(seed)
    photos = [(p, f) for p in sorted(multi) for f in people[p][:-1]] + [(p, people[p][0]) for p in passers]
    photos = [photos[i] for i in rng.permutation(len(photos))]
    labels, groups, missed = feed(api, photos)
    merged = merge_close(api, groups) if merge else None
    precision, recall = bcubed(labels, groups, multi)
    ids, naming = name_groups(api, labels, groups, multi)
    seen_twice = sorted(p for p in multi if sum(1 for x in labels if x == p) >= 2)
    named = identify_all(api, [(p, people[p][-1]) for p in seen_twice])
    taken = identify_all(api, [(p, people[p][0]) for p in strangers])
    truth = [ids.get(p) for p in seen_twice]
    right = float(np.mean([n is not None and n == t for (n, _, _), t in zip(named, truth)]))
    accepted = float(np.mean([n is not None for n, _, _ in taken]))
    found, base = gallery_thresholds(api) if isinstance(api, InProcess) else ({}, 0.0)
    return {
        "people": len(people), "photos_fed": len(photos),
        "remembered": len(labels), "not_remembered": dict(missed), "merged": merged,
        "groups": len(set(groups)),
        "bcubed_precision": round(precision, 4), "bcubed_recall": round(recall, 4),
        "naming": dict(naming), "people_named": len(ids),
        "probes_seen_twice": len(seen_twice), "named_right": round(right, 4),
        "strangers": len(strangers), "strangers_accepted": round(accepted, 4),
        "at_1_percent_strangers": at_one_percent(named, truth, taken),
        "at_gallery_threshold": {str(t): {"threshold": round(v, 4), **at_shift(named, truth, taken, v - base)}
                                 for t, v in found.items()},
        "door": door(api, ids, people, strangers, n_door, rng) if n_door else None}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=Path, default=ROOT.parent / "shared/datasets/lfw-devtrain/images")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--door", type=int, default=100, help="people for the door checks (0: none)")
    ap.add_argument("--splits", type=int, default=1, help="disjoint parts of the people, each measured alone")
    ap.add_argument("--split-seed", type=int, default=0)
    ap.add_argument("--half", type=int, action="append", help="measure only these parts (repeatable)")
    ap.add_argument("--merge", action="store_true", help="merge close groups (regroup.merge_close_groups) "
                    "after feeding, as the background step would; in-process only")
    ap.add_argument("--url")
    ap.add_argument("--key")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("app").setLevel(logging.WARNING)
    people = {d.name: sorted(d.glob("*.jpg")) for d in sorted(args.images.iterdir()) if d.is_dir()}
    parts = split_people(people, args.splits, args.split_seed)
    runs = []
    for k in args.half if args.half is not None else range(args.splits):
        started = time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            api = Remote(args.url, args.key) if args.url else InProcess(Path(tmp))
            runs.append({"split": k, **measure(api, parts[k], args.seed, args.door, args.merge),
                         "seconds": round(time.monotonic() - started)})
        log.info("split %d: %s", k, json.dumps({x: runs[-1][x] for x in ("bcubed_precision", "bcubed_recall",
                                                                        "named_right", "strangers_accepted")}))
    print(json.dumps({"images": str(args.images), "seed": args.seed, "splits": args.splits,
                      "split_seed": args.split_seed, "runs": runs, "spread": spread(runs)}, indent=1))


if __name__ == "__main__":
    main()
