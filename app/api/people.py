"""People and their faces: list, enrol, rename, delete."""
from __future__ import annotations

from flask import url_for

from ..auth import key_required
from ..extensions import db
from ..faces import add_photo, enrol_photo, get_person, new_name, rename
from ..faces.fixes import person_out
# The views below are called list_people / delete_person / delete_face (their endpoints' names).
from ..faces import delete_face as remove_face, delete_person as remove_person, list_people as find_people
from ..http.uploads import read_image
from . import bp
from .args import AddFaceArgs, EnrolArgs, PeopleQuery, RenameArgs
from .schemas import Face, PeoplePage, PersonWithFaces
from .spec import KEY, body_args, guarded, no_content, photo_args, problems

keyed = guarded(bp, key_required, KEY)
PHOTO_400 = ("missing-image (no photo), bad-image (not a decodable image, or bad base64) or "
             "invalid-input (`detail` names the field, e.g. the name or face).")
DOOR_409 = ("conflict (the name is taken, or the photo is this person's already), duplicate-photo or "
            "duplicate-face (already enrolled for `person_id`, `name`), face-mismatch (unlike the "
            "person's other photos: `distance`, `nearest`; confirm=1 adds it anyway).")
ENROL_422 = ("no-face, multiple-faces (`faces` lists them: choose one with face=N), "
             "face-too-small or face-blurred.")


LOCATION = {"Location": {"schema": {"type": "string"}, "description": "/api/people/{id}"}}


@bp.get("/people")
@keyed
@bp.arguments(PeopleQuery, location="query", as_kwargs=True)
@bp.response(200, PeoplePage, description="A page of people, by name.")
@problems(bp, 400, 429)
def list_people(page: int, per_page: int, q: str = ""):
    """List the people enrolled"""
    found = find_people(q, page, per_page)
    return found


@bp.post("/people")
@keyed
@photo_args(bp, EnrolArgs)
@bp.response(201, PersonWithFaces, description="Enrolled.", headers=LOCATION)
@problems(bp, 400, 409, 413, 422, 429, 503, e400=PHOTO_400, e409=DOOR_409, e422=ENROL_422)
def create_person_view(name: str | None = None, face: int | None = None):
    """Enrol a person from a name and one photo

    Without `face`, the only face big enough to enrol (40 px) is taken, or the largest when
    it is at least 1.5 times as wide as the next. The name is checked before the photo."""
    person = enrol_photo(new_name(name), read_image(), face)
    db.session.commit()
    return (person, 201,
            {"Location": url_for("api.get_person_view", person_id=person.id)})


@bp.get("/people/<int:person_id>")
@keyed
@bp.response(200, PersonWithFaces, description="The person.")
@problems(bp, 404, 429)
def get_person_view(person_id: int):
    """One person with their faces

    Each face with where it came from and its distance to the person's mean, the farthest
    first, so that an outlier (perhaps someone else) stands out."""
    return person_out(get_person(person_id))


@bp.patch("/people/<int:person_id>")
@keyed
@body_args(bp, RenameArgs)
@bp.response(200, PersonWithFaces, description="Renamed.")
@problems(bp, 400, 404, 409, 413, 429)
def rename_person(person_id: int, name: str):
    """Rename a person"""
    person = rename(get_person(person_id), name)
    db.session.commit()
    return person


@bp.delete("/people/<int:person_id>")
@keyed
@bp.response(204, description="Deleted, with their faces.")
@problems(bp, 404, 429)
def delete_person(person_id: int):
    """Delete a person and all their faces"""
    remove_person(get_person(person_id))
    db.session.commit()
    return no_content()


@bp.post("/people/<int:person_id>/faces")
@keyed
@photo_args(bp, AddFaceArgs)
@bp.response(201, Face, description="Added.")
@problems(bp, 400, 404, 409, 413, 422, 429, 503, e400=PHOTO_400, e409=DOOR_409, e422=ENROL_422)
def add_face_view(person_id: int, face: int | None = None, confirm: bool = False):
    """Add a photo of an enrolled person

    A face unlike the person's other photos is refused (face-mismatch) unless confirm=1."""
    row = add_photo(get_person(person_id), read_image(), face, confirm)
    db.session.commit()
    return row, 201


@bp.delete("/people/<int:person_id>/faces/<int:face_id>")
@keyed
@bp.response(204, description="Deleted.")
@problems(bp, 404, 429)
def delete_face(person_id: int, face_id: int):
    """Delete one face of a person"""
    remove_face(person_id, face_id)
    db.session.commit()
    return no_content()
