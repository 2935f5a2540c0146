"""An operator's corrections inside the groups of unknown faces: take a wrong face out of a
group (forgotten, or moved to another group), bring a dismissed group back, and how unlike
groups ticked for a merge are."""
from __future__ import annotations

import numpy as np
from flask import current_app

from ..extensions import db
from ..errors import Problem, not_found
from ..models import Sighting, UnknownGroup, utcnow
from ..recognition.match import pairwise_distances
from .grouping import assigner
from .groups import get_group


def _sum(group: UnknownGroup) -> np.ndarray:
    return np.frombuffer(group.centroid, np.float32).astype(np.float32)


def _set_sum(group: UnknownGroup, total: np.ndarray) -> None:
    """Store a group's new sum and tell this process's centres (dismissed groups take no
    new faces there, as expire_sightings has it)."""
    group.centroid = total.astype(np.float32).tobytes()
    assigner().note(group.id, total.astype(np.float32) if group.status == "open" else None)


def take_out_face(sighting_id: int, to_group_id: int | None = None) -> UnknownGroup | None:
    """Take one face out of its group: forgotten (`to_group_id` None) or moved to another
    open or dismissed group. A group left empty goes. Returns the group it joined, or None.
    Both groups count as placed by an operator (`placed_at`): the background merge never
    brings them back together nor moves their faces (library/regroup.py). The caller commits."""
    sighting = db.session.get(Sighting, sighting_id)
    if sighting is None:
        raise not_found(f"unknown face with id {sighting_id}", "groups")
    source = sighting.group
    target = None if to_group_id is None else get_group(to_group_id)
    if source.status == "named" or (target is not None and target.status == "named"):
        raise Problem("conflict", "A named group's faces are a person's photos now; move or "
                      "delete them on the person's page.")
    if target is source:
        raise Problem("invalid-input", "The face is in that group already; choose another.")
    vector = sighting.vector.astype(np.float32)
    source.placed_at = utcnow()  # the operator kept this face apart from the others
    source.count = max(source.count - 1, len(source.sightings) - 1)
    if target is None:
        db.session.delete(sighting)
    else:
        sighting.group = target
        target.count += 1
        target.placed_at = utcnow()
        _set_sum(target, _sum(target) + vector)
    if not [s for s in source.sightings if s is not sighting]:
        assigner().note(source.id, None)
        db.session.delete(source)
    else:
        _set_sum(source, _sum(source) - vector)
    return target


def restore_group(group: UnknownGroup) -> UnknownGroup:
    """A dismissed group back on Who is this? (dismissed by mistake)."""
    if group.status != "dismissed":
        raise Problem("conflict", "Only a dismissed group can be brought back.")
    group.status = "open"
    assigner().note(group.id, _sum(group))
    return group


def unlike_groups(ids: list[int]) -> float | None:
    """The largest distance between the centres of the groups `ids` when it is beyond the
    verify threshold (they are probably not one person: the merge asks first), else None."""
    groups = [get_group(i) for i in dict.fromkeys(ids)]
    if len(groups) < 2:
        return None
    centres = np.stack([g.centre for g in groups])
    far = float(pairwise_distances(centres, centres).max())
    return far if far > current_app.config["VERIFY_THRESHOLD"] else None
