"""Home, people, person, enrol (with a preview), identify and settings pages."""
from __future__ import annotations

import base64

import cv2
import numpy as np
from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..auth import admin_required
from ..extensions import db
from ..faces import (NewFace, add_face, analyze, create_person, face_problem, get_person,
                     get_state, identify, list_people, new_name)
from ..faces.people import ORDERS
# The views below are called rename / delete_person / delete_face (their endpoints' names).
from ..faces import delete_face as remove_face, delete_person as remove_person, rename as rename_person
from ..faces.fixes import faces_by_standing
from ..faces.undo import keep
from ..faces.thresholds import SLIDER, describe, presets, suggest, words_by_threshold
from ..http.problems import Problem
from ..models import Face, counts
from ..recognition.errors import RecognitionError
from ..recognition.jpeg import to_jpeg
from ..recognition.match import Crowding
from . import bp
from .tokens import library_actions
from .forms import ConfirmDeleteForm, ConfirmForm, EnrolForm, PhotoForm, RenameForm, SettingsForm

DISPLAY_SIDE = 960  # photos are shown at most this wide/high (pixels)
PREVIEW_MAX_AGE = 3600  # seconds a preview stays valid
PEOPLE_PAGE = 120  # people per page of the People page
NO_FACE = ("No face was found in this photo. Use a sharp, well-lit photo in which the face "
           "is seen from the front and at least 40 pixels wide.")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="enrol-preview")


def _data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()


def _display(rgb: np.ndarray) -> tuple[str, float, tuple[int, int]]:
    """The photo as a JPEG data URL at most DISPLAY_SIDE wide/high, its scale and size."""
    h, w = rgb.shape[:2]
    scale = min(1.0, DISPLAY_SIDE / max(h, w))
    if scale < 1.0:
        rgb = cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    return _data_url(to_jpeg(rgb, 85)), scale, (rgb.shape[1], rgb.shape[0])


def _boxes(faces: list[dict], scale: float) -> list[dict]:
    return [{"n": i + 1, "x": f["box"][0] * scale, "y": f["box"][1] * scale,
             "w": f["box"][2] * scale, "h": f["box"][3] * scale, **f} for i, f in enumerate(faces)]


def _analyze_upload(form):
    """Analyse the uploaded photo; a problem becomes the sentence under the photo field."""
    try:
        return analyze(form.photo.data.read())
    except (Problem, RecognitionError) as e:
        form.photo.errors.append(e.detail)
        return None


@bp.get("/")
@login_required
def home():
    """Counts and the ways in."""
    return render_template("home.html", counts=counts(), state=get_state())


@bp.get("/people")
@admin_required
def people():
    """Everyone enrolled, PEOPLE_PAGE at a time, with a thumbnail and the number of
    photos; ?q= searches names, ?order=newest puts the latest enrolled first, ?page=N."""
    q = (request.args.get("q") or "").strip()
    order = request.args.get("order") if request.args.get("order") in ORDERS else "name"
    found = list_people(q, max(request.args.get("page", 1, type=int), 1), PEOPLE_PAGE, order)
    if found.page > found.pages:  # past the end (people deleted meanwhile): the last page
        found = list_people(q, found.pages, PEOPLE_PAGE, order)
    return render_template("people.html", found=found, q=q, order=order)


@bp.get("/faces/<int:face_id>.jpg")
@admin_required
def face_crop(face_id: int):
    """A stored face crop (160x160 JPEG)."""
    face = db.session.get(Face, face_id) or abort(404)
    return Response(face.crop_jpeg, mimetype="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})


def _person_page(p, rename=None, photo_form=None) -> str:
    """The person page: their faces, the farthest from their mean first, and the forms."""
    return render_template("person.html", person=p, standing=faces_by_standing(p),
                           rename=rename or RenameForm(), photo_form=photo_form or PhotoForm(),
                           delete_form=ConfirmDeleteForm())


@bp.get("/people/<int:person_id>")
@admin_required
def person(person_id: int):
    """A person's photos, rename, add a photo, delete."""
    return _person_page(get_person(person_id))


@bp.post("/people/<int:person_id>/rename")
@admin_required
def rename(person_id: int):
    """Rename a person."""
    p, form = get_person(person_id), RenameForm()
    if form.validate_on_submit():
        try:
            rename_person(p, form.name.data)
            db.session.commit()
            flash(f"Renamed to {p.name}.")
            return redirect(url_for("web.person", person_id=p.id))
        except Problem as e:
            form.name.errors.append(e.detail)
    return _person_page(p, rename=form), 400


@bp.route("/people/<int:person_id>/delete", methods=["GET", "POST"])
@admin_required
def delete_person(person_id: int):
    """Ask, then delete a person and all their photos."""
    p, form = get_person(person_id), ConfirmDeleteForm()
    if form.validate_on_submit():
        name = p.name
        entry = keep(f"{name} and their photos", p, list(p.faces), whole_person=True)
        remove_person(p)
        db.session.commit()
        flash(f"{name} and their photos were deleted.", f"undo-{entry.id}")
        return redirect(url_for("web.people"))
    return render_template("confirm_delete.html", person=p, form=form)


@bp.route("/people/<int:person_id>/faces/<int:face_id>/delete", methods=["GET", "POST"])
@admin_required
def delete_face(person_id: int, face_id: int):
    """Ask, then delete one photo of a person."""
    p, form = get_person(person_id), ConfirmDeleteForm()
    if form.validate_on_submit():
        entry = keep(f"a photo of {p.name}", p, [f for f in p.faces if f.id == face_id], whole_person=False)
        remove_face(person_id, face_id)
        db.session.commit()
        flash("The photo was deleted.", f"undo-{entry.id}")
        return redirect(url_for("web.person", person_id=person_id))
    if not any(f.id == face_id for f in p.faces):
        abort(404)
    back = url_for("web.person", person_id=person_id)
    return render_template("confirm.html", title=f"Delete this photo of {p.name}?", form=form,
                           image=url_for("web.face_crop", face_id=face_id), back=back,
                           text=f"{p.name} keeps {len(p.faces) - 1} other photo"
                                f"{'' if len(p.faces) == 2 else 's'}. You can undo it for a few minutes.",
                           yes="Yes, delete this photo")


def _preview(photo, name: str, person_id: int | None):
    """The confirmation page: the photo with numbered boxes and each face's crop."""
    found = []
    for i, f in enumerate(photo.faces):
        problem = face_problem(f)
        new = NewFace.of(f)
        found.append({"n": i + 1, "crop": _data_url(new.crop_jpeg),
                      "problem": problem.detail if problem else None, "new": new})
    payload = {"name": name, "person_id": person_id, "sha": photo.sha256,
               "faces": [None if f["problem"] else {
                   "e": base64.b64encode(f["new"].embedding.tobytes()).decode(),
                   "c": base64.b64encode(f["new"].crop_jpeg).decode(),
                   "s": f["new"].det_score} for f in found]}
    usable = [f["n"] for f in found if not f["problem"]]
    form = ConfirmForm(token=_serializer().dumps(payload), face=usable[0] if len(usable) == 1 else None)
    url, scale, size = _display(photo.analysis.image)
    boxes = _boxes([f.detection.to_dict() for f in photo.faces], scale)
    return render_template("enrol_preview.html", form=form, faces=found, usable=usable, name=name,
                           photo_url=url, size=size, boxes=boxes, person_id=person_id)


@bp.route("/enrol", methods=["GET", "POST"])
@admin_required
def enrol():
    """Step 1: a name and a photo; the next page shows the faces found."""
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            name = new_name(form.name.data)
        except Problem as e:
            form.name.errors.append(e.detail)
        else:
            photo = _analyze_upload(form)
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
        photo = _analyze_upload(form)
        if photo is not None:
            if photo.faces:
                return _preview(photo, p.name, p.id)
            form.photo.errors.append(NO_FACE)
    return _person_page(p, photo_form=form), 400


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
        flash("Choose one of the faces marked as usable, then save.")
        return redirect(url_for("web.enrol"))
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
            return render_template("mismatch.html", detail=e.detail, name=payload["name"],
                                   crop=_data_url(new.crop_jpeg), action=url_for("web.enrol_confirm"),
                                   fields={"token": form.token.data, "face": chosen},
                                   back=url_for("web.person", person_id=payload["person_id"])), 409
        flash(e.detail)
        return redirect(url_for("web.enrol"))
    flash(f"{p.name} is enrolled with {len(p.faces)} photo{'s' if len(p.faces) != 1 else ''}.")
    return redirect(url_for("web.person", person_id=p.id))


@bp.route("/identify", methods=["GET", "POST"])
@login_required
def identify_page():
    """Upload a photo; see it with boxes, names and distances."""
    form, result = PhotoForm(), None
    if form.validate_on_submit():
        try:
            found = identify(form.photo.data.read())
        except (Problem, RecognitionError) as e:
            form.photo.errors.append(e.detail)
        else:
            url, scale, size = _display(found.photo.analysis.image)
            result = {"url": url, "size": size, "threshold": found.threshold,
                      "faces": _boxes([f.to_dict() for f in found.faces], scale)}
            if current_user.is_admin:  # unknown faces to name, named ones to correct
                result["not_remembered"] = library_actions(found, result["faces"])
            if not found.faces:
                form.photo.errors.append(NO_FACE)
    return render_template("identify.html", form=form, result=result)


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings():
    """The identification threshold, explained in words."""
    state = get_state()
    form = SettingsForm(threshold=round(state.identify_threshold, 3))
    if form.validate_on_submit():
        state.identify_threshold = float(form.threshold.data)
        db.session.commit()
        flash(f"The identification threshold is now {state.identify_threshold:.3f}.")
        return redirect(url_for("web.settings"))
    n = counts()["people"]
    crowding = current_app.config["IDENTIFY_CROWDING"]
    return render_template("settings.html", form=form, state=state, people=n, crowding=crowding,
                           crowding_from=Crowding.min_people,
                           words=describe(state.identify_threshold, max(n, 1), crowding),
                           suggested=suggest(max(n, 1), crowding), slider=SLIDER,
                           presets=presets(max(n, 1), crowding),
                           all_words=words_by_threshold(max(n, 1), crowding),
                           verify_threshold=current_app.config["VERIFY_THRESHOLD"])
