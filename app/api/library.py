"""The face library's API: the unknown groups (list, one, name, dismiss, merge), their face
crops, "not this person" (corrections), and mending the gallery (merge people, move a face)."""
from __future__ import annotations

from flask import Response

from ..auth import key_required
from ..extensions import db
from ..faces import get_person
from ..faces.fixes import merge_people, move_face, person_out
from ..errors import not_found
from ..library.corrections import correct_event, list_corrections
from ..library.groups import (dismiss_group, get_group, group_faces, group_view, list_groups,
                              merge_groups, name_group)
from ..models import Sighting
from . import bp
from .library_schemas import (CorrectionArgs, CorrectionOut, Corrections, CorrectionsQuery, Group,
                              GroupDetail, Groups, MergeGroupsArgs, MergePeopleArgs, MoveFaceArgs,
                              NamedGroup, NameGroupArgs, UnknownQuery)
from .schemas import Face, PersonWithFaces
from .spec import KEY, body_args, guarded, problems

keyed = guarded(bp, key_required, KEY)
DOOR_409 = ("duplicate-photo or duplicate-face (the face is already enrolled for `person_id`, "
            "`name`), face-mismatch (unlike the person's other photos: `distance`, `nearest`; "
            "send confirm=1 to add it anyway), or conflict (the name is taken, the group was named).")


@bp.get("/unknown")
@keyed
@bp.arguments(UnknownQuery, location="query", as_kwargs=True)
@bp.response(200, Groups, description="Groups of unknown faces.")
@problems(bp, 400, 429)
def list_unknown(page: int, per_page: int, status: str = "open"):
    """Who is this? The groups of unknown faces

    Faces nobody enrolled, seen by the cameras or remembered from uploads
    (`POST /api/identify?remember=1`), grouped by likeness; largest and most recent first."""
    views, total = list_groups(status, per_page, (page - 1) * per_page)
    return {"items": [v.to_dict() for v in views], "page": page, "per_page": per_page, "total": total}


@bp.get("/unknown/<int:group_id>")
@keyed
@bp.response(200, GroupDetail, description="The group and its faces.")
@problems(bp, 404, 429)
def get_unknown(group_id: int):
    """One group of unknown faces, with its faces"""
    group = get_group(group_id)
    return {**group_view(group).to_dict(),
            "items": [s.to_dict(distance=d) for s, d in group_faces(group)]}


@bp.get("/unknown/faces/<int:sighting_id>/crop")
@keyed
@bp.response(200, description="The aligned face, 160x160 JPEG.",
             content_type="image/jpeg")
@problems(bp, 404, 429)
def unknown_face_crop(sighting_id: int):
    """The crop of one unknown face"""
    sighting = db.session.get(Sighting, sighting_id)
    if sighting is None:
        raise not_found(f"unknown face with id {sighting_id}", "groups")
    return Response(sighting.crop_jpeg, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@bp.post("/unknown/<int:group_id>/name")
@keyed
@body_args(bp, NameGroupArgs, one_of=("name", "person_id"))
@bp.response(201, NamedGroup, description="Enrolled (or added to the person).")
@problems(bp, 400, 404, 409, 413, 429, e409=DOOR_409)
def name_unknown(group_id: int, name: str | None = None, person_id: int | None = None,
                 confirm: bool = False):
    """Name a group: a new person, or someone enrolled

    `{"name": ...}` enrols a new person from the group's most typical faces;
    `{"person_id": ...}` adds them to that person. Every face passes the checks of any
    enrolment (a photo or face already someone else's, a face unlike the person's others)."""
    person, added, skipped = name_group(get_group(group_id), name, person_id, confirm)
    db.session.commit()
    return {"person": person.to_dict(), "added": added, "skipped": skipped}, 201


@bp.post("/unknown/<int:group_id>/dismiss")
@keyed
@bp.response(200, Group, description="Dismissed: never suggested again.")
@problems(bp, 404, 409, 429)
def dismiss_unknown(group_id: int):
    """Dismiss a group (a face on a poster, a passer-by)

    Its faces are kept, so that the same face seen again joins it and stays quiet: no
    Arrivals row, no event."""
    group = dismiss_group(get_group(group_id))
    db.session.commit()
    return group_view(group).to_dict()


@bp.post("/unknown/merge")
@keyed
@bp.arguments(MergeGroupsArgs, location="json", as_kwargs=True)
@bp.response(200, Group, description="The merged group (the largest keeps its id).")
@problems(bp, 400, 404, 409, 413, 429)
def merge_unknown(ids: list[int]):
    """Merge groups that are one person"""
    group = merge_groups(ids)
    db.session.commit()
    return group_view(group).to_dict()


@bp.get("/corrections")
@keyed
@bp.arguments(CorrectionsQuery, location="query", as_kwargs=True)
@bp.response(200, Corrections, description="Faces marked as not the person they were named.")
@problems(bp, 400, 429)
def corrections(limit: int, person_id: int | None = None):
    """"Not this person": the corrections"""
    return {"items": [c.to_dict() for c in list_corrections(limit, person_id)]}


@bp.post("/corrections")
@keyed
@body_args(bp, CorrectionArgs)
@bp.response(201, CorrectionOut, description="Recorded; the face joined the unknown groups.")
@problems(bp, 400, 404, 409, 413, 429, e409="conflict: the arrival names nobody, or another model made it.")
def add_correction(event_id: int):
    """Say that an arrival named the wrong person

    Its face becomes a negative example of that person (a later face nearer to it than to
    their own photos is not given their name) and joins the unknown groups."""
    row = correct_event(event_id, "api")
    db.session.commit()
    return row.to_dict(), 201


@bp.post("/people/<int:person_id>/merge")
@keyed
@body_args(bp, MergePeopleArgs)
@bp.response(200, PersonWithFaces, description="Merged: the other person's faces are this one's.")
@problems(bp, 400, 404, 409, 413, 429)
def merge_person(person_id: int, from_person_id: int, name: str | None = None):
    """Merge another person into this one

    Their faces move here and they are deleted; `name` (optional) renames the result."""
    person = merge_people(get_person(from_person_id), get_person(person_id), name)
    db.session.commit()
    return person_out(person)


@bp.post("/people/<int:person_id>/faces/<int:face_id>/move")
@keyed
@body_args(bp, MoveFaceArgs)
@bp.response(200, Face, description="Moved.")
@problems(bp, 400, 404, 409, 413, 429)
def move_face_view(person_id: int, face_id: int, to_person_id: int):
    """Move a face to the person it really is"""
    face = move_face(face_id, get_person(person_id), get_person(to_person_id))
    db.session.commit()
    return face.to_dict()
