"""Time and memory of merging close groups (recognition/cluster.merge_close, what
regroup.merge_close_groups runs) at a product's size: `--faces` sightings of made-up people
(5 faces each: their direction plus noise), split into groups of 1 to 3 faces as the online
rule may leave them.

--db N: instead, an app on a temporary SQLite database holding N such faces in their
groups; merge_close_groups runs in a thread while this one remembers one face at a time
(what identify?remember=1 writes, waiting on the same lock): the latency of each, during
the merge and after it. --arrivals M: the database also holds M Arrivals rows (3 kB
thumbnails) of those groups, as a product with a history does.

--grouping N: N faces remembered one at a time, each its own transaction, on a fresh
database (the online grouping's rate through the database: faces a minute, ms a face).

Usage: python scripts/bench_merge.py [--faces 100000] [--sim 0.64] [--db 5000 [--arrivals 50000]]
                                     [--grouping 10000]
Prints one JSON object: groups, merges, seconds, peak memory (MB, tracemalloc)."""
from __future__ import annotations

import harness  # noqa: F401  (first: the repository root on sys.path)

import argparse
import json
import time
import tracemalloc
from pathlib import Path

import numpy as np

from app.recognition.cluster import merge_close


def made_up(n: int, rng) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n faces of n // 5 made-up people (5 each), and the group of each: every person's
    faces in 1 to 5 groups. Returns (faces (n, 128), labels (n,), person of each face)."""
    people = n // 5
    centres = rng.normal(size=(people, 128)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    faces = np.repeat(centres, 5, axis=0) + rng.normal(scale=0.045, size=(people * 5, 128)).astype(np.float32)
    faces /= np.linalg.norm(faces, axis=1, keepdims=True)
    cuts = np.where(rng.random((people, 5)) < 0.4, 1, 0)
    cuts[:, 0] = 1
    return faces, np.cumsum(cuts.ravel()) - 1, np.repeat(np.arange(people), 5)


def add_arrivals(group_ids: list[int], m: int) -> None:
    """m Arrivals rows spread over the groups (each merge moves those of the groups it deletes)."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models import Event

    for start in range(0, m, 5000):
        db.session.execute(insert(Event), [{"camera": "bench", "group_id": group_ids[i % len(group_ids)],
                                            "thumbnail_jpeg": b"\xff\xd8" + bytes(3000)}
                                           for i in range(start, min(m, start + 5000))])


def through_db(n: int, arrivals: int = 0) -> dict:
    """The --db measurement (module docstring)."""
    import tempfile
    import threading

    from open_set_api import InProcess

    from app.extensions import db
    from app.faces import get_state
    from app.library.grouping import Seen, remember
    from app.library.regroup import merge_close_groups
    from app.models import UnknownGroup

    faces, labels, _ = made_up(n, np.random.default_rng(1))
    with tempfile.TemporaryDirectory() as tmp:
        app = InProcess(Path(tmp)).app
        with app.app_context():
            model, ids = get_state().active_model, []
            for _ in range(labels.max() + 1):  # apart, as the online rule may have left them
                ids.append(UnknownGroup(model=model, centroid=np.zeros(128, np.float32).tobytes(), count=0))
            db.session.add_all(ids)
            db.session.flush()
            for g in range(labels.max() + 1):
                remember([Seen(f, b"\xff\xd8") for f in faces[labels == g]], group_id=ids[g].id)
            add_arrivals([g.id for g in ids], arrivals)
            db.session.commit()
        done: dict = {}

        def merge():
            with app.app_context():
                done.update(merge_close_groups())
        thread = threading.Thread(target=merge)
        probe = np.random.default_rng(2).normal(size=(400, 128)).astype(np.float32)
        during, after = [], []
        thread.start()
        with app.app_context():
            for v in probe:
                started = time.monotonic()
                remember([Seen(v / np.linalg.norm(v), b"\xff\xd8")])
                db.session.commit()
                (during if thread.is_alive() else after).append(1000 * (time.monotonic() - started))
        thread.join()
    p99 = lambda x: round(float(np.percentile(x, 99)), 1) if x else None  # noqa: E731
    return {"faces": n, "groups": int(labels.max() + 1), "arrivals": arrivals, **{k: v for k, v in done.items() if k != "moved"},
            "remember_ms_during_merge": {"n": len(during), "p50": round(float(np.median(during)), 1) if during else None,
                                         "p99": p99(during), "max": round(max(during), 1) if during else None},
            "remember_ms_after": {"n": len(after), "p99": p99(after)}}


def grouping_rate(n: int) -> dict:
    """The --grouping measurement: n faces of made-up people remembered one at a time, each
    its own transaction (as identify?remember=1 writes them) on a temporary SQLite database."""
    import tempfile

    from open_set_api import InProcess

    from app.extensions import db
    from app.library.grouping import Seen, remember

    faces, _, _ = made_up(n, np.random.default_rng(3))
    faces = faces[np.random.default_rng(4).permutation(len(faces))]
    with tempfile.TemporaryDirectory() as tmp:
        app, each = InProcess(Path(tmp)).app, []
        with app.app_context():
            started = time.monotonic()
            for f in faces:
                begun = time.monotonic()
                remember([Seen(f, b"\xff\xd8")])
                db.session.commit()
                each.append(1000 * (time.monotonic() - begun))
            seconds = time.monotonic() - started
    return {"faces": n, "seconds": round(seconds, 1), "per_minute": round(60 * n / seconds),
            "ms_p50": round(float(np.median(each)), 1), "ms_p99": round(float(np.percentile(each, 99)), 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--faces", type=int, default=100_000)
    ap.add_argument("--sim", type=float, default=0.64)
    ap.add_argument("--db", type=int, default=0, help="measure through a database of this many faces")
    ap.add_argument("--arrivals", type=int, default=0, help="with --db: Arrivals rows held beside them")
    ap.add_argument("--grouping", type=int, default=0, help="instead: remember this many faces, one a transaction")
    args = ap.parse_args()
    if args.grouping:
        print(json.dumps(grouping_rate(args.grouping)))
        return
    if args.db:
        print(json.dumps(through_db(args.db, args.arrivals)))
        return
    faces, labels, person = made_up(args.faces, np.random.default_rng(0))
    sums = np.zeros((labels.max() + 1, 128), np.float32)
    np.add.at(sums, labels, faces)
    counts = np.bincount(labels)
    tracemalloc.start()
    started = time.monotonic()
    into = merge_close(sums, counts, args.sim)
    seconds = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    final = into[labels]
    pure = all(len(set(person[final == g].tolist())) == 1 for g in np.unique(final)[:2000])
    print(json.dumps({"faces": len(faces), "groups": len(sums), "groups_after": int(len(np.unique(into))),
                      "people": args.faces // 5, "first_2000_groups_pure": pure, "seconds": round(seconds, 2),
                      "peak_mb": round(peak, 1)}))


if __name__ == "__main__":
    main()
