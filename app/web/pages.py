"""Home, people, person, identify and settings pages (enrolment: enrol.py)."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth import admin_required
from ..events.presence import last_seen
from ..extensions import db
from ..faces import get_person, get_state, identify, list_people
from ..faces.people import ORDERS
# The views below are called rename / delete_person / delete_face (their endpoints' names).
from ..faces import delete_face as remove_face, delete_person as remove_person, rename as rename_person
from ..faces.undo import keep
from ..faces.photos import active_model_dir
from ..faces.thresholds import SLIDER, describe, measured_on, presets, suggest, words_by_threshold
from ..errors import Problem
from ..library.expiry import rules_and_holdings
from ..models import Face, counts
from ..recognition.errors import RecognitionError
from ..recognition.match import Crowding
from . import bp
from .tokens import library_actions
from .forms import ConfirmDeleteForm, IdentifyForm, PhotoForm, RenameForm, SettingsForm
from .shown import NO_FACE, boxes, display, person_page, why_unknown

PEOPLE_PAGE = 120  # people per page of the People page


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
    seen = last_seen([row.person.id for row in found.items])
    return render_template("people.html", found=found, q=q, order=order, seen=seen)


@bp.get("/faces/<int:face_id>.jpg")
@admin_required
def face_crop(face_id: int):
    """A stored face crop (160x160 JPEG)."""
    face = db.session.get(Face, face_id) or abort(404)
    return Response(face.crop_jpeg, mimetype="image/jpeg",
                    headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/people/<int:person_id>")
@admin_required
def person(person_id: int):
    """A person's photos, rename, add a photo, delete."""
    return person_page(get_person(person_id))


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
    return person_page(p, rename=form), 400


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


@bp.route("/identify", methods=["GET", "POST"])
@login_required
def identify_page():
    """Upload a photo; see it with boxes, names and distances."""
    form, result = IdentifyForm(), None
    if form.validate_on_submit():
        try:
            found = identify(form.photo.data.read())
        except (Problem, RecognitionError) as e:
            form.photo.errors.append(e.detail)
        else:
            url, scale, size = display(found.photo.analysis.image)
            result = {"url": url, "size": size, "threshold": found.threshold,
                      "faces": boxes([f.to_dict() for f in found.faces], scale, size)}
            why_unknown(found, result["faces"])
            if current_user.is_admin:  # unknown faces to name, named ones to correct
                result["not_remembered"] = library_actions(found, result["faces"], form.remember.data)
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
    model = active_model_dir()  # the words are those measured on it (thresholds.py)
    return render_template("settings.html", form=form, state=state, people=n, crowding=crowding,
                           crowding_from=Crowding.min_people, measured_on=measured_on(model),
                           words=describe(state.identify_threshold, max(n, 1), crowding, model),
                           suggested=suggest(max(n, 1), crowding, model_dir=model), slider=SLIDER,
                           presets=presets(max(n, 1), crowding, current_app.config["IDENTIFY_THRESHOLD"], model),
                           all_words=words_by_threshold(max(n, 1), crowding, model),
                           verify_threshold=current_app.config["VERIFY_THRESHOLD"], data=rules_and_holdings())
