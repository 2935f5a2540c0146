"""People and their faces: list, enrol, rename, delete."""
from __future__ import annotations

from flask import jsonify, request, url_for

from ..auth import key_required
from ..extensions import db
from ..faces import add_photo, enrol_photo, get_person, new_name, rename
# The views below are called list_people / delete_person / delete_face (their endpoints' names).
from ..faces import delete_face as remove_face, delete_person as remove_person, list_people as find_people
from ..http.uploads import form_value, int_param, json_body, read_image
from . import bp


@bp.get("/people")
@key_required
def list_people():
    """People by name, paged (?page=1&per_page=50&q=part-of-name)."""
    found = find_people(request.args.get("q", ""), int_param("page", 1, 1, 10**6),
                        int_param("per_page", 50, 1, 500))
    return jsonify(items=[row.to_dict() for row in found.items], page=found.page,
                   per_page=found.per_page, total=found.total)


@bp.post("/people")
@key_required
def create_person_view():
    """Enrol a new person from a name and one photo (face=N picks one of several faces)."""
    name = new_name(form_value("name"))  # before reading the photo: a taken name is a 409
    person = enrol_photo(name, read_image(), int_param("face", None, 1, 100))
    db.session.commit()
    return (jsonify(person.to_dict(faces=True)), 201,
            {"Location": url_for("api.get_person_view", person_id=person.id)})


@bp.get("/people/<int:person_id>")
@key_required
def get_person_view(person_id: int):
    """One person with their faces."""
    return jsonify(get_person(person_id).to_dict(faces=True))


@bp.patch("/people/<int:person_id>")
@key_required
def rename_person(person_id: int):
    """Rename: JSON {"name": "..."}."""
    person = rename(get_person(person_id),
                          json_body().get("name") or request.form.get("name"))
    db.session.commit()
    return jsonify(person.to_dict(faces=True))


@bp.delete("/people/<int:person_id>")
@key_required
def delete_person(person_id: int):
    """Delete a person and all their faces."""
    remove_person(get_person(person_id))
    db.session.commit()
    return "", 204


@bp.post("/people/<int:person_id>/faces")
@key_required
def add_face_view(person_id: int):
    """Add a photo of an enrolled person."""
    row = add_photo(get_person(person_id), read_image(), int_param("face", None, 1, 100))
    db.session.commit()
    return jsonify(row.to_dict()), 201


@bp.delete("/people/<int:person_id>/faces/<int:face_id>")
@key_required
def delete_face(person_id: int, face_id: int):
    """Delete one face of a person."""
    remove_face(person_id, face_id)
    db.session.commit()
    return "", 204
