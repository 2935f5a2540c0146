"""Regrouping the open groups from scratch (`flask faces regroup`): the online rule
(grouping.py) decides each face once, in the order they come; average-linkage clustering
over all of them at once can mend an early decision. Dismissed and named groups are left
as they are. Each new group keeps the id of the old group most of its faces came from,
so that Arrivals and links still lead somewhere. Bounded: O(N^2) memory in the faces."""
from __future__ import annotations

import logging
from collections import Counter

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..faces import get_state
from ..http.problems import Problem
from ..models import Sighting, UnknownGroup
from ..recognition.cluster import regroup
from .grouping import assigner, join_distance

log = logging.getLogger(__name__)
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
    """Regroup every open group's faces of the active model. Returns the counts before and
    after. The caller commits."""
    model = get_state().active_model
    rows = db.session.execute(select(Sighting).join(UnknownGroup).where(
        UnknownGroup.status == "open", UnknownGroup.model == model)).scalars().all()
    if len(rows) > limit:
        raise Problem("conflict", 409, f"{len(rows)} faces wait in open groups; regrouping more than "
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
