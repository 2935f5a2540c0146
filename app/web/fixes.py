"""Pages that mend the gallery: merge two people, move a face to the person it is, say that
a face is "not this person" (from Arrivals, Identify or the live page), and the map of the
enrolled faces."""
from __future__ import annotations

import base64

import numpy as np
from flask import flash, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature

from ..auth import admin_required
from ..extensions import db
from ..faces import get_person
from ..faces.fixes import merge_people, move_face
from ..faces.people import find_person
from ..faces.undo import keep_correction
from ..faces.photos import CROP_QUALITY
from ..errors import Problem
from ..http.security import same_site_path
from ..library.corrections import correct_event, not_this_person
from ..library.facemap import face_map
from ..models import Correction, Event
from ..recognition.jpeg import to_jpeg
from ..stream.feeds import track_face
from . import bp
from .forms import ConfirmDeleteForm
from .tokens import TOKEN_AGE, correction_serializer

def _other(field: str):
    """The enrolled person named in a form field, or a Problem that says so."""
    name = (request.form.get(field) or "").strip()
    person = find_person(name) if name else None
    if person is None:
        raise Problem("not-found", f"Nobody called “{name}” is enrolled; check the name." if name
                      else "Give the name of the other person.")
    return person


@bp.route("/people/<int:person_id>/merge", methods=["POST"])
@admin_required
def merge_page(person_id: int):
    """Merge another person (by name) into this one, after a confirmation."""
    target, form = get_person(person_id), ConfirmDeleteForm()
    back = url_for("web.person", person_id=person_id)
    try:
        other = _other("other")
        if not form.validate_on_submit():
            raise Problem("invalid-input", "The form expired; try again.")
        if request.form.get("confirmed") != "1":
            return render_template("merge_confirm.html", target=target, other=other, form=form)
        faces = len(other.faces)
        merge_people(other, target, request.form.get("name") or None)
        db.session.commit()
    except Problem as p:
        db.session.rollback()
        flash(p.detail)
        return redirect(back)
    flash(f"{faces} photo{'s' if faces != 1 else ''} moved to {target.name}; the other person is gone.")
    return redirect(back)


@bp.post("/people/<int:person_id>/faces/<int:face_id>/move")
@admin_required
def move_face_page(person_id: int, face_id: int):
    """Give one face to the person it really is."""
    try:
        if not ConfirmDeleteForm().validate_on_submit():
            raise Problem("invalid-input", "The form expired; try again.")
        target = _other("to")
        move_face(face_id, get_person(person_id), target)
        db.session.commit()
        flash(f"The photo is {target.name}'s now.")
    except Problem as p:
        db.session.rollback()
        flash(p.detail)
    return redirect(url_for("web.person", person_id=person_id))


def _noted(row: Correction, name: str) -> None:
    """Commit the correction and say so, with an Undo button (the flash category)."""
    entry = keep_correction(row, name)
    db.session.commit()
    flash(f"Noted: this face is not {name}; such faces will not be named {name} again. "
          "It is on Who is this? now, to name if you know them.", f"undo-{entry.id}")


@bp.post("/events/<int:event_id>/not-this-person")
@admin_required
def not_this_person_arrival(event_id: int):
    """Arrivals: this arrival named the wrong person."""
    if ConfirmDeleteForm().validate_on_submit():
        event = db.session.get(Event, event_id)
        name = event.name if event is not None else None
        try:
            _noted(correct_event(event_id), name)
        except Problem as p:
            db.session.rollback()
            flash(p.detail)
    back = request.referrer or ""  # the Arrivals page as filtered, when it is this site's
    back = "/" + back[len(request.host_url):] if back.startswith(request.host_url) else None
    return redirect(same_site_path(back, url_for("web.events_page")))


@bp.post("/identify/not-this-person")
@admin_required
def not_this_person_identify():
    """Identify: a face of the uploaded photo was given the wrong name."""
    if not ConfirmDeleteForm().validate_on_submit():
        flash("The form expired; identify the photo again.")
        return redirect(url_for("web.identify_page"))
    try:
        data = correction_serializer().loads(request.form.get("token", ""), max_age=TOKEN_AGE)
    except BadSignature:
        flash("This result has expired; identify the photo again.")
        return redirect(url_for("web.identify_page"))
    person = get_person(data["p"])
    _noted(not_this_person(person.id, np.frombuffer(base64.b64decode(data["e"]), "<f4"),
                           base64.b64decode(data["c"]), "identify"), person.name)
    return redirect(url_for("web.identify_page"))


@bp.post("/live/not-this-person")
@admin_required
def not_this_person_live():
    """The live page: the face of a track in view was given the wrong name."""
    track, mode = request.form.get("track", type=int), request.form.get("mode", "server")
    person = find_person(request.form.get("name") or "")
    face = None if track is None else track_face(track, mode, session.get("live_client"))
    if not ConfirmDeleteForm().validate_on_submit() or person is None or face is None:
        flash("That face has left the view, or its name changed; try again while it is in view.")
        return redirect(url_for("stream.live"))
    aligned, embedding = face
    _noted(not_this_person(person.id, np.asarray(embedding), to_jpeg(aligned, CROP_QUALITY), "live"),
           person.name)
    return redirect(url_for("stream.live"))


@bp.get("/people/map")
@admin_required
def people_map():
    """The enrolled faces on a 2-D map, coloured by person; odd ones listed."""
    points, total = face_map()
    legend = {p.person_id: p for p in points}  # one entry per person, in the colours' order
    return render_template("people_map.html", points=points, total=total,
                           odd=[p for p in points if p.odd], legend=sorted(legend.values(), key=lambda p: p.name))
