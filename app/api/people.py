"""People and their faces: list, enrol, rename, delete."""
from __future__ import annotations

from flask import jsonify, request, url_for
from sqlalchemy import func, select

from ..extensions import db
from ..faces import (NewFace, add_face, analyze, check_name_free, clean_name, create_person,
                     get_person, pick_face)
# The views below are called delete_person / delete_face (their endpoints' names).
from ..faces import delete_face as remove_face, delete_person as remove_person
from ..gallery import bump_generation
from ..models import Face, Person, name_key
from . import bp
from .auth import key_required
from .images import form_value, int_param, json_body, read_image


@bp.get("/people")
@key_required
def list_people():
    """People by name, paged (?page=1&per_page=50&q=part-of-name)."""
    page = int_param("page", 1, 1, 10**6)
    per_page = int_param("per_page", 50, 1, 500)
    query = select(Person)
    if q := (request.args.get("q") or "").strip():
        query = query.where(Person.name_key.contains(name_key(q)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    # Count faces in the query: loading them would load every crop.
    rows = db.session.execute(query.add_columns(func.count(Face.id)).outerjoin(Face)
                              .group_by(Person.id).order_by(Person.name_key)
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return jsonify(items=[p.to_dict(faces_count=n) for p, n in rows], page=page,
                   per_page=per_page, total=total)


@bp.post("/people")
@key_required
def create_person_view():
    """Enrol a new person from a name and one photo (face=N picks one of several faces)."""
    name = clean_name(form_value("name"))
    check_name_free(name)  # before the slow analysis
    photo = analyze(read_image())
    face = pick_face(photo, int_param("face", None, 1, 100))
    person, row = create_person(name, NewFace.of(face), photo.sha256)
    db.session.commit()
    body = person.to_dict(faces=True)
    return jsonify(body), 201, {"Location": url_for("api.get_person_view", person_id=person.id)}


@bp.get("/people/<int:person_id>")
@key_required
def get_person_view(person_id: int):
    """One person with their faces."""
    return jsonify(get_person(person_id).to_dict(faces=True))


@bp.patch("/people/<int:person_id>")
@key_required
def rename_person(person_id: int):
    """Rename: JSON {"name": "..."}."""
    person = get_person(person_id)
    name = clean_name(json_body().get("name") or request.form.get("name"))
    check_name_free(name, person.id)
    person.name, person.name_key = name, name_key(name)
    bump_generation()  # the names are cached with the gallery
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
    person = get_person(person_id)
    photo = analyze(read_image())
    face = pick_face(photo, int_param("face", None, 1, 100))
    row = add_face(person, NewFace.of(face), photo.sha256)
    db.session.commit()
    return jsonify(row.to_dict()), 201


@bp.delete("/people/<int:person_id>/faces/<int:face_id>")
@key_required
def delete_face(person_id: int, face_id: int):
    """Delete one face of a person."""
    remove_face(person_id, face_id)
    db.session.commit()
    return "", 204
