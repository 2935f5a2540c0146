"""What the face library's routes take and answer (args.py and schemas.py hold the rest)."""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from .args import MISMATCH, Args, Whole, confirm_field, name_field, text, whole
from .dumping import Rounded, Utc, Wrapping
from .schemas import DATE, Person, _d, nullable


class UnknownQuery(Args):
    status = text("open (default): waiting for a name; dismissed; named (folded into a person).",
                  validators=(validate.OneOf(("open", "dismissed", "named"),
                                             error="must be open, dismissed or named."),))
    page = whole(1, 10**6, 1, "Page number, from 1.")
    per_page = whole(1, 500, 50, "Groups per page.")


class NameGroupArgs(Args):
    class Meta:
        unknown = RAISE

    name = name_field(required=False)
    person_id = whole(1, 10**18 - 1, None, "Add the group's faces to this enrolled person instead.")
    confirm = confirm_field(MISMATCH)


def _each_once(ids) -> None:
    if len(set(ids)) < len(ids):
        raise ValidationError("must list each group id once.")


class MergeGroupsArgs(Args):
    class Meta:
        unknown = RAISE

    ids = fields.List(Whole(validate=validate.Range(1, 10**18 - 1)), required=True,
                      validate=[validate.Length(2, 100, error="must list 2 to 100 group ids."), _each_once],
                      metadata={"description": "The groups that are one person (2 to 100, each once).",
                                "uniqueItems": True},
                      error_messages={"required": "is missing; give the group ids, e.g. [3, 7]."})


def required_id(description: str, missing: str) -> Whole:
    msg = "must be a whole number from 1 to 999999999999999999."
    return Whole(required=True, validate=validate.Range(1, 10**18 - 1, error=msg),
                 metadata={"description": description},
                 error_messages={"required": "is missing; " + missing, "invalid": msg, "null": msg})


class MergePeopleArgs(Args):
    class Meta:
        unknown = RAISE

    from_person_id = required_id("The other person, whose faces move here and who is then deleted.",
                                 "give the id of the person to merge in.")
    name = name_field(required=False)


class MoveFaceArgs(Args):
    class Meta:
        unknown = RAISE

    to_person_id = required_id("The person the face really is.", "give the id of the person it is.")


class CorrectionArgs(Args):
    class Meta:
        unknown = RAISE

    event_id = required_id("The arrival (GET /api/events) that named the wrong person.",
                           "give the arrival's id (GET /api/events).")


class CorrectionsQuery(Args):
    limit = whole(1, 500, 100, "How many, newest first.")
    person_id = whole(1, 10**18 - 1, None, "Only this person's.")


class Group(Wrapping):
    """A library.groups.GroupView (the row in its `group`)."""

    wraps = "group"
    id = fields.Integer(required=True)
    status = fields.String(required=True, **_d("open, dismissed or named."))
    person_id = nullable(fields.Integer, "Who it turned out to be, once named.", required=True)
    faces = fields.Integer(required=True, attribute="faces_kept",
                           **_d("Faces kept (an unknown track keeps its best few)."))
    times_seen = fields.Integer(required=True, attribute="count", **_d("Sightings ever added."))
    face_ids = fields.List(fields.Integer(), required=True, **_d("Its faces, best first."))
    best_face_id = nullable(fields.Integer, "Its sharpest, largest, most frontal face.", required=True)
    first_seen = Utc(required=True, metadata={**DATE, "description": "UTC."})
    last_seen = Utc(required=True, metadata={**DATE, "description": "UTC."})
    cameras = fields.List(fields.String(), required=True, **_d("Where it was seen; uploads have none."))


class Groups(Schema):
    items = fields.List(fields.Nested(Group), required=True, **_d("Largest, then most recently seen, first."))
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)


class SightingOut(Wrapping):
    """A library.groups.PlacedSighting (the row in its `sighting`)."""

    wraps = "sighting"
    id = fields.Integer(required=True)
    group_id = fields.Integer(required=True)
    seen_at = Utc(required=True, metadata={**DATE, "description": "UTC."})
    camera = nullable(fields.String, "The camera's name; null for an upload.", required=True)
    camera_id = nullable(fields.Integer, "null for an upload or the browser camera.", required=True)
    source_sha256 = nullable(fields.String, "SHA-256 of the uploaded photo; null for a camera.", required=True)
    quality = Rounded(3, required=True, **_d("0 to 1: sharp, large, frontal."))
    distance = nullable(Rounded, "L2 distance to the group's centre.", required=True)


class GroupDetail(Group):
    items = fields.List(fields.Nested(SightingOut), required=True, **_d("Its faces, nearest the centre first."))


class NamedGroup(Schema):
    person = fields.Nested(Person, required=True)
    added = fields.Integer(required=True, **_d("Faces given to the person."))
    skipped = fields.Integer(required=True, **_d("Faces left out: unlike the first, or already someone's."))


class CorrectionOut(Schema):
    id = fields.Integer(required=True)
    person_id = fields.Integer(required=True, **_d("Who the face is not."))
    model = fields.String(required=True)
    where = fields.String(required=True, **_d("arrivals, identify, live or api."))
    event_id = nullable(fields.Integer, "The arrival it corrected.", required=True)
    sighting_id = nullable(fields.Integer, "The face, now among the unknown groups.", required=True)
    created_at = Utc(required=True, metadata={**DATE, "description": "UTC."})


class Corrections(Schema):
    items = fields.List(fields.Nested(CorrectionOut), required=True, **_d("Newest first."))
