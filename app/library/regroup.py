"""Regrouping the open groups from scratch (`flask faces regroup`): the online rule
(grouping.py) decides each face once, in the order they come; average-linkage clustering
over all of them at once can mend an early decision. Dismissed and named groups, and groups
an operator placed faces in, are left as they are. Each new group keeps the id of the old
group most of its faces came from, so that Arrivals and links still lead somewhere. Bounded: O(N^2) memory in the faces.

Groups that come together over time (`merge_close_groups`, run in the background as faces
arrive and by `flask faces regroup --merge`): open groups whose faces are close as sets
(average linkage between groups, from their sums alone: O(G) memory in blocks, no face
read) merge, one merge per short transaction, so that identify never waits long on the
state row's lock. Dismissed and named groups never merge; a group an operator placed
faces in (merged by hand, or a face moved in or taken out) may take others' faces but its
own never move, and two such groups never merge (the operator kept them apart)."""
from __future__ import annotations

import logging
import threading
import time
from collections import Counter

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..faces import get_state
from ..errors import Problem
from ..models import Sighting, UnknownGroup
from ..recognition.cluster import merge_close, regroup
from .grouping import after_commit, assigner, join_distance
from .groups import merge_into

log = logging.getLogger(__name__)
MERGE_PAUSE = 0.005  # seconds between two merge transactions
REGROUP_MAX = 5000  # sightings: their pairwise distances take ~100 MB


def _keepers(old: np.ndarray, new: np.ndarray) -> dict[int, int]:
    """new label -> the old group id it keeps: the largest overlaps first, each id once."""
    overlaps = Counter(zip(new.tolist(), old.tolist()))
    taken, out = set(), {}
    for (label, gid), _ in overlaps.most_common():
        if label not in out and gid not in taken:
            out[label] = gid
            taken.add(gid)
    return out


def regroup_open(limit: int = REGROUP_MAX) -> dict:
    """Regroup the faces of every open group of the active model that no operator placed
    faces in (`placed_at`: theirs stay where the operator put them). Returns the counts
    before and after. The caller commits."""
    model = get_state().active_model
    rows = db.session.execute(select(Sighting).join(UnknownGroup).where(
        UnknownGroup.status == "open", UnknownGroup.model == model,
        UnknownGroup.placed_at.is_(None))).scalars().all()
    if len(rows) > limit:
        raise Problem("conflict", f"{len(rows)} faces wait in open groups; regrouping more than "
                      f"{limit} at once would take too much memory. Name or dismiss some first.")
    work = assigner()
    old = np.array([s.group_id for s in rows], np.int64)
    before = len(set(old.tolist()))
    if len(rows) < 2:
        return {"faces": len(rows), "groups_before": before, "groups_after": before}
    labels = regroup(np.stack([s.vector for s in rows]).astype(np.float32), join_distance(before))
    keep = _keepers(old, labels)
    groups = {g.id: g for g in db.session.scalars(select(UnknownGroup).where(UnknownGroup.id.in_(set(old.tolist()))))}
    target: dict[int, UnknownGroup] = {}
    for label in set(labels.tolist()):
        target[label] = groups[keep[label]] if label in keep else UnknownGroup(model=model, centroid=b"", count=0)
        db.session.add(target[label])
    for s, label in zip(rows, labels.tolist()):
        s.group = target[label]
    for label, group in target.items():
        mine = [s for s, x in zip(rows, labels.tolist()) if x == label]
        total = np.sum([s.vector for s in mine], axis=0).astype(np.float32)
        group.centroid, group.count = total.tobytes(), len(mine)
        group.first_seen, group.last_seen = min(s.seen_at for s in mine), max(s.seen_at for s in mine)
    db.session.flush()
    for gid, group in groups.items():
        if group not in target.values():
            work.note(gid, None)
            db.session.delete(group)
    for group in target.values():
        work.note(group.id, np.frombuffer(group.centroid, np.float32).copy())
    log.info("regrouped %d faces: %d groups -> %d", len(rows), before, len(target))
    return {"faces": len(rows), "groups_before": before, "groups_after": len(target)}


def plan_merges(model: str, min_sim: float) -> list[list[int]]:
    """Which open groups of `model` to merge: lists of group ids, the one to keep first.
    Reads only each group's sum and face count (the sums are of the faces it holds)."""
    rows = db.session.execute(select(UnknownGroup.id, UnknownGroup.centroid, UnknownGroup.placed_at).where(
        UnknownGroup.status == "open", UnknownGroup.model == model).order_by(UnknownGroup.id)).all()
    if len(rows) < 2:
        return []
    held = dict(db.session.execute(select(Sighting.group_id, func.count(Sighting.id)).join(UnknownGroup).where(
        UnknownGroup.status == "open", UnknownGroup.model == model).group_by(Sighting.group_id)).all())
    ids = np.array([r[0] for r in rows], np.int64)
    sums = np.stack([np.frombuffer(r[1], np.float32) for r in rows])
    counts = np.array([held.get(int(i), 0) for i in ids], np.float64)
    into = merge_close(sums, counts, min_sim, np.array([r[2] is not None for r in rows]))
    clusters: dict[int, list[int]] = {}
    for row, target in enumerate(into.tolist()):
        if row != target:
            clusters.setdefault(target, [int(ids[target])]).append(int(ids[row]))
    return list(clusters.values())


def merge_close_groups(min_sim: float | None = None) -> dict:
    """Merge the open groups of the active model that are close as sets (module docstring),
    each merge in its own transaction (committed here). Returns counts, seconds, the
    longest transaction (how long a writer, e.g. identify?remember=1, could wait on the
    lock) and `moved` (group id -> the id of the group it was merged into)."""
    started = time.monotonic()
    min_sim = current_app.config["GROUP_MERGE_SIMILARITY"] if min_sim is None else min_sim
    model = get_state().active_model
    plan = plan_merges(model, min_sim)
    db.session.commit()  # the reads end here: nothing is locked while planning
    merged, moved, longest = 0, {}, 0.0
    for ids in plan:
        begun = time.monotonic()  # the state row's lock is held from merge_into to commit
        groups = db.session.scalars(select(UnknownGroup).where(
            UnknownGroup.id.in_(ids), UnknownGroup.status == "open")).all()
        keep = next((g for g in groups if g.id == ids[0]), None)
        if keep is not None and len(groups) > 1:  # named or dismissed since: left as they are
            merge_into(keep, [g for g in groups if g is not keep])
            merged += len(groups) - 1
            moved.update({g.id: keep.id for g in groups if g is not keep})
        db.session.commit()
        longest = max(longest, time.monotonic() - begun)
        time.sleep(MERGE_PAUSE)  # a writer waiting on the lock (identify?remember=1) goes first
    if merged:
        log.info("%d groups merged into %d close ones", merged, len(plan))
    return {"merges": len(plan), "groups_merged": merged, "moved": moved,
            "seconds": round(time.monotonic() - started, 3), "longest_transaction_ms": round(1000 * longest, 1)}


class BackgroundMerge:
    """At most one merge pass per process every `every` seconds, in a thread of its own
    (off the request path), started as faces are remembered."""

    def __init__(self, every: float):
        self.every, self.last, self.lock = every, float("-inf"), threading.Lock()
        self.thread: threading.Thread | None = None

    def poke(self, app) -> None:
        if time.monotonic() - self.last < self.every or not self.lock.acquire(blocking=False):
            return
        self.last = time.monotonic()
        self.thread = threading.Thread(target=self._run, args=(app,), name="merge-groups", daemon=True)
        self.thread.start()

    def _run(self, app) -> None:
        try:
            with app.app_context():
                merge_close_groups()
        except Exception:  # a pass that failed is tried again at the next poke
            log.exception("background merge of close groups failed")
        finally:
            self.lock.release()


def merge_soon() -> None:
    """Poke this process's background merge once the current transaction commits (the
    faces it remembers are then visible to the merge's own session)."""
    every = current_app.config["GROUP_MERGE_EVERY"]
    if every <= 0:
        return
    app = current_app._get_current_object()
    merges = app.extensions.setdefault("faces_background_merge", BackgroundMerge(every))
    after_commit(lambda: merges.poke(app))
