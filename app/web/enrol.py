"""Enrol a person or add a photo to one: the faces found are shown first (the preview), each
with what the door would say of it, and saved on a second click."""
from __future__ import annotations

import base64

import numpy as np
from flask import current_app, flash, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..auth import admin_required
from ..extensions import db
from ..faces import NewFace, add_face, create_person, face_problem, get_person, new_name
from ..faces.people import door_problem
from ..errors import Problem
from . import bp
from .forms import ConfirmForm, EnrolForm, PhotoForm
from .shown import NO_FACE, analyze_upload, boxes, data_url, display, person_page

PREVIEW_MAX_AGE = 3600  # seconds a preview stays valid


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="enrol-preview")


def _face_found(n: int, face, sha256: str, person) -> dict:
    """Face number `n` of the photo as the preview shows it: its crop, why it cannot be saved
    (too small, blurred, already enrolled for someone) or a warning that can be overridden
    (unlike the person's other photos), in words for a page."""
    new = NewFace.of(face)
    problem = face_problem(face) or door_problem(new, sha256, person)
    warning = problem if problem is not None and problem.type == "face-mismatch" else None
    return {"n": n, "crop": data_url(new.crop_jpeg), "new": new,
            "problem": None if problem is None or warning else problem.page_detail,
            "warning": warning.page_detail if warning else None}


def _preview(photo, name: str, person_id: int | None):
    """The confirmation page: the photo with numbered boxes and each face's crop."""
    person = None if person_id is None else get_person(person_id)
    found = [_face_found(i + 1, f, photo.sha256, person) for i, f in enumerate(photo.faces)]
    payload = {"name": name, "person_id": person_id, "sha": photo.sha256,
               "faces": [None if f["problem"] else {
                   "e": base64.b64encode(f["new"].embedding.tobytes()).decode(),
                   "c": base64.b64encode(f["new"].crop_jpeg).decode(),
                   "s": f["new"].det_score} for f in found]}
    usable = [f["n"] for f in found if not f["problem"]]
    form = ConfirmForm(token=_serializer().dumps(payload), face=usable[0] if len(usable) == 1 else None)
    url, scale, size = display(photo.analysis.image)
    drawn = boxes([f.detection.to_dict() for f in photo.faces], scale, size)
    return render_template("enrol_preview.html", form=form, faces=found, usable=usable, name=name,
                           photo_url=url, size=size, boxes=drawn, person_id=person_id)


@bp.route("/enrol", methods=["GET", "POST"])
@admin_required
def enrol():
    """Step 1: a name and a photo; the next page shows the faces found."""
    form = EnrolForm(name=request.args.get("name"))
    if form.validate_on_submit():
        try:
            name = new_name(form.name.data)
        except Problem as e:
            form.name.errors.append(e.detail)
        else:
            photo = analyze_upload(form)
            if photo is not None:
                if not photo.faces:
                    form.photo.errors.append(NO_FACE)
                else:
                    return _preview(photo, name, None)
    return render_template("enrol.html", form=form), 400 if form.errors else 200


@bp.post("/people/<int:person_id>/photos")
@admin_required
def add_photo(person_id: int):
    """Add a photo to a person: the same preview as enrolment."""
    p, form = get_person(person_id), PhotoForm()
    if form.validate_on_submit():
        photo = analyze_upload(form)
        if photo is not None:
            if photo.faces:
                return _preview(photo, p.name, p.id)
            form.photo.errors.append(NO_FACE)
    return person_page(p, photo_form=form), 400


def _back_to_form(payload: dict, message: str):
    """A refusal after Save (the preview warned, or someone enrolled the face meanwhile):
    the sentence, and the form it came from with the name kept."""
    flash(message)
    if payload.get("person_id"):
        return redirect(url_for("web.person", person_id=payload["person_id"]))
    return redirect(url_for("web.enrol", name=payload.get("name")))


@bp.post("/enrol/confirm")
@admin_required
def enrol_confirm():
    """Step 2: save the chosen face."""
    form = ConfirmForm()
    try:
        payload = _serializer().loads(form.token.data or "", max_age=PREVIEW_MAX_AGE)
    except BadSignature:
        flash("This preview has expired or was altered; upload the photo again.")
        return redirect(url_for("web.enrol"))
    chosen = form.face.data if form.validate_on_submit() else None
    offered = payload["faces"]
    if chosen is None or not 1 <= chosen <= len(offered) or offered[chosen - 1] is None:
        return _back_to_form(payload, "Choose one of the faces marked as usable, then save.")
    f = offered[chosen - 1]
    new = NewFace(np.frombuffer(base64.b64decode(f["e"]), "<f4"), base64.b64decode(f["c"]), f["s"])
    try:
        if payload["person_id"] is None:
            p, _ = create_person(payload["name"], new, payload["sha"])
        else:
            p = get_person(payload["person_id"])
            add_face(p, new, payload["sha"], confirm=request.form.get("confirm") == "1")
        db.session.commit()
    except Problem as e:
        db.session.rollback()
        if e.type == "face-mismatch":  # a second click that says what it means
            return render_template("mismatch.html", detail=e.page_detail, name=payload["name"],
                                   crop=data_url(new.crop_jpeg), action=url_for("web.enrol_confirm"),
                                   fields={"token": form.token.data, "face": chosen},
                                   back=url_for("web.person", person_id=payload["person_id"])), 409
        return _back_to_form(payload, e.page_detail)
    flash(f"{p.name} is enrolled with {len(p.faces)} photo{'s' if len(p.faces) != 1 else ''}.")
    return redirect(url_for("web.person", person_id=p.id))
