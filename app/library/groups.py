"""The unknown groups as an operator sees them: listed largest and most recent first, named
(a new person enrolled from the group's most typical faces, or the faces added to someone
enrolled, through the checks at the door), dismissed (never suggested again), merged; a
group whose centre an enrolled person now matches is folded into them."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

import numpy as np
from flask import current_app
from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..faces import NewFace, add_face, create_person, get_person, state
from ..errors import Problem, not_found
from ..models import Event, Person, Sighting, UnknownGroup, utcnow
from ..recognition.cluster import most_typical, unit
from ..recognition.match import pairwise_distances
from .grouping import assigner

log = logging.getLogger(__name__)


@dataclass
class GroupView:
    """A group with what the list shows: its sighting ids (best first), where it was seen."""

    group: UnknownGroup
    face_ids: list[int]
    cameras: list[str]
    uploads: bool = False  # some of its faces come from uploaded photos

    def to_dict(self) -> dict:
        g = self.group
        return {"id": g.id, "status": g.status, "person_id": g.person_id, "faces": len(self.face_ids),
                "times_seen": g.count, "face_ids": self.face_ids,
                "best_face_id": self.face_ids[0] if self.face_ids else None,
                "first_seen": g.first_seen.isoformat() + "Z", "last_seen": g.last_seen.isoformat() + "Z",
                "cameras": self.cameras}


def get_group(group_id: int) -> UnknownGroup:
    group = db.session.get(UnknownGroup, group_id)
    if group is None:
        raise not_found(f"unknown group with id {group_id}", "groups")
    return group


def _views(groups: list[UnknownGroup]) -> list[GroupView]:
    """Sighting ids (best quality first) and camera names of several groups, in one query."""
    ids = [g.id for g in groups]
    rows = db.session.execute(select(Sighting.group_id, Sighting.id, Sighting.camera)
                              .where(Sighting.group_id.in_(ids))
                              .order_by(Sighting.quality.desc(), Sighting.id)).all() if ids else []
    faces: dict[int, list[int]] = {i: [] for i in ids}
    cams: dict[int, list[str]] = {i: [] for i in ids}
    uploads = set()
    for gid, sid, cam in rows:
        faces[gid].append(sid)
        if cam is None:
            uploads.add(gid)
        elif cam not in cams[gid]:
            cams[gid].append(cam)
    return [GroupView(g, faces[g.id], cams[g.id], g.id in uploads) for g in groups]


def list_groups(status: str = "open", limit: int = 50, offset: int = 0) -> tuple[list[GroupView], int]:
    """Groups of the active model with this status, largest and most recent first, and how
    many there are. Groups an enrolled person now matches are folded first."""
    fold_matching_groups()
    model = state().gallery_view().model
    query = select(UnknownGroup).where(UnknownGroup.status == status, UnknownGroup.model == model)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    groups = db.session.scalars(query.order_by(UnknownGroup.count.desc(), UnknownGroup.last_seen.desc(),
                                               UnknownGroup.id.desc()).limit(limit).offset(offset)).all()
    return _views(list(groups)), total


def group_view(group: UnknownGroup) -> GroupView:
    return _views([group])[0]


def group_faces(group: UnknownGroup) -> list[tuple[Sighting, float]]:
    """The group's sightings with their distance (L2) to its centre, nearest first."""
    faces = list(group.sightings)
    if not faces:
        return []
    d = pairwise_distances(np.stack([s.vector for s in faces]).astype(np.float32), group.centre[None])[:, 0]
    return sorted(zip(faces, (float(x) for x in d)), key=lambda p: p[1])


def _new_face(s: Sighting) -> tuple[NewFace, str]:
    sha = s.source_sha256 or hashlib.sha256(s.crop_jpeg).hexdigest()
    return NewFace(s.vector.astype(np.float32), s.crop_jpeg, s.det_score), sha


def _store(person: Person | None, name: str | None, s: Sighting, confirm: bool) -> Person:
    """One sighting becomes a face of `person` (None: a new person called `name`)."""
    face, sha = _new_face(s)
    if person is None:
        person, _ = create_person(name, face, sha, origin="group", camera=s.camera)
        db.session.flush()  # its id: the next faces are checked against this one
    else:
        add_face(person, face, sha, origin="group", camera=s.camera, confirm=confirm)
    return person


def name_group(group: UnknownGroup, name=None, person_id: int | None = None,
               confirm: bool = False) -> tuple[Person, int, int]:
    """Enrol `name` from the group's most typical faces (at most GROUP_ENROL_FACES), or add
    them to person `person_id`. The first face passes every check or the whole naming is
    refused (it names who the group already is); a later face that fails one is skipped.
    Returns (the person, faces added, faces skipped)."""
    if group.status == "named":
        whose = {} if group.person_id is None else {"person_id": group.person_id}
        raise Problem("conflict", "This group was named already; its faces are its person's "
                      "now (GET /api/people/{id}).", **whose)
    if (name is None) == (person_id is None):
        raise Problem("invalid-input", "Give either a name (a new person) or person_id (someone enrolled).")
    faces = list(group.sightings)
    if not faces:
        raise Problem("conflict", "This group has no faces left (they expired); nothing to name.")
    cfg = current_app.config
    picks = most_typical(np.stack([s.vector for s in faces]).astype(np.float32),
                         cfg["GROUP_ENROL_FACES"], apart=cfg["DUPLICATE_FACE_DISTANCE"])
    person = None if person_id is None else get_person(person_id)
    person = _store(person, name, faces[picks[0]], confirm)
    added, skipped = 1, 0
    for i in picks[1:]:
        try:
            _store(person, None, faces[i], confirm)
            added += 1
        except Problem as p:  # one unlike the others, or already someone's: leave it out
            log.info("group %d: face %d not added to %s (%s)", group.id, faces[i].id, person.name, p.type)
            skipped += 1
    group.status, group.person_id = "named", person.id
    assigner().note(group.id, None)
    return person, added, skipped


def dismiss_group(group: UnknownGroup) -> UnknownGroup:
    """Never suggest this group again (a face on a poster, a delivery driver): its faces are
    kept, so that the same face seen again joins it instead of a new group."""
    if group.status == "named":
        raise Problem("conflict", "This group was named already; delete the person's faces instead.")
    group.status = "dismissed"
    return group


def merge_groups(ids: list[int]) -> UnknownGroup:
    """One group of several (the largest keeps its id): their faces are one person, as an
    operator placed them (the background merge never moves them again)."""
    groups = [get_group(i) for i in dict.fromkeys(ids)]
    if len(groups) < 2:
        raise Problem("invalid-input", "Give the ids of two groups or more to merge.")
    if any(g.status == "named" for g in groups):
        raise Problem("conflict", "A named group cannot be merged; add the others to its person instead.")
    keep = max(groups, key=lambda g: (g.count, -g.id))
    merge_into(keep, [g for g in groups if g is not keep])
    keep.placed_at = utcnow()
    return keep


def merge_into(keep: UnknownGroup, others: list[UnknownGroup]) -> None:
    """Every face (and Arrivals row) of `others` moves to `keep`, which sums them; the
    others are deleted. Bulk statements: a merge of big groups stays one short transaction."""
    work = assigner()
    gone = [g.id for g in others]
    total = np.sum([np.frombuffer(g.centroid, np.float32) for g in [keep, *others]], axis=0).astype(np.float32)
    db.session.execute(update(Sighting).where(Sighting.group_id.in_(gone)).values(group_id=keep.id)
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Event).where(Event.group_id.in_(gone)).values(group_id=keep.id)
                       .execution_options(synchronize_session=False))
    keep.count += sum(g.count for g in others)
    keep.first_seen = min(g.first_seen for g in [keep, *others])
    keep.last_seen = max(g.last_seen for g in [keep, *others])
    keep.centroid = total.tobytes()
    if any(g.status == "open" for g in others):
        keep.status = "open"
    for g in others:
        work.note(g.id, None)
        db.session.expunge(g)
    db.session.execute(delete(UnknownGroup).where(UnknownGroup.id.in_(gone))
                       .execution_options(synchronize_session=False))
    db.session.expire(keep, ["sightings"])
    work.note(keep.id, total)


def fold_matching_groups() -> int:
    """Open groups whose centre the gallery now names (someone enrolled them another way)
    become that person's: status named, person_id set. Returns how many."""
    view = state().gallery_view()
    groups = db.session.scalars(select(UnknownGroup).where(
        UnknownGroup.status == "open", UnknownGroup.model == view.model)).all()
    if not groups or not len(view.gallery):
        return 0
    centres = unit(np.stack([np.frombuffer(g.centroid, np.float32) for g in groups]))
    matches = view.identify(centres, k=1)
    folded = [(g, m.label) for g, m in zip(groups, matches) if m.label is not None]
    if folded:
        work = assigner()
        for g, person_id in folded:
            g.status, g.person_id = "named", int(person_id)
            work.note(g.id, None)
        db.session.commit()
        log.info("%d unknown groups folded into enrolled people", len(folded))
    return len(folded)
