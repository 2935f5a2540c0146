"""The face library's pages: Who is this? (the unknown groups: name, add to someone,
dismiss and bring back, merge; a wrong face taken out), one group, their face crops, and
undoing a deletion."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..auth import admin_required
from ..extensions import db
from ..faces.people import find_person
from ..faces.undo import undo as undo_deletion
from ..errors import Problem
from ..http.security import same_site_path
from ..library.group_edits import restore_group, take_out_face, unlike_groups
from ..library.groups import (dismiss_group, get_group, group_faces, group_view, list_groups,
                              merge_groups, name_group)
from ..models import Sighting, UnknownGroup
from ..stream.privacy import crop_privacy, shown_crop
from . import bp
from .forms import ConfirmDeleteForm

PAGE = 24  # groups per page


@bp.get("/unknown")
@admin_required
def who_is_this():
    """One card per group of unknown faces, largest and most recent first; ?status=dismissed."""
    status = request.args.get("status", "open")
    status = status if status in ("open", "dismissed") else "open"
    page = max(request.args.get("page", 1, type=int), 1)
    views, total = list_groups(status, PAGE, (page - 1) * PAGE)
    return render_template("unknown.html", groups=views, total=total, page=page, status=status,
                           pages=max(1, -(-total // PAGE)), form=ConfirmDeleteForm())


@bp.get("/unknown/<int:group_id>")
@admin_required
def group_page(group_id: int):
    """A group's faces, nearest its centre first, with the same actions as its card."""
    group = get_group(group_id)
    others = [v for v in list_groups("open", PAGE)[0] if v.group.id != group_id]  # where a face may go
    return render_template("group.html", view=group_view(group), faces=group_faces(group),
                           others=others, form=ConfirmDeleteForm())


def _crop(sighting: Sighting) -> Response:
    return Response(sighting.crop_jpeg, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


@bp.get("/unknown/faces/<int:sighting_id>.jpg")
@admin_required
def sighting_crop(sighting_id: int):
    """An unknown face's crop (160x160 JPEG), for those who may see its group's page."""
    return _crop(db.session.get(Sighting, sighting_id) or abort(404))


@bp.get("/unknown/<int:group_id>/face.jpg")
@login_required
def group_crop(group_id: int):
    """A group's best face (the live page shows it beside an unknown face in view). A
    viewer sees only faces the cameras saw (as they could on the live page), never one
    remembered from an uploaded photo."""
    group = db.session.get(UnknownGroup, group_id) or abort(404)
    shown = [s for s in group.sightings if current_user.is_admin or s.camera is not None]
    best = max(shown, key=lambda s: s.quality, default=None) or abort(404)
    # An unknown face in view: blurred as its camera's stream blurs it.
    jpeg = shown_crop(best.crop_jpeg, crop_privacy(camera_id=best.camera_id), known=False)
    return Response(jpeg, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})


def _back() -> str:
    """Where a group action returns: the page it came from on this site, else Who is this?."""
    return same_site_path(request.form.get("next"), url_for("web.who_is_this"))


@bp.post("/unknown/<int:group_id>/name")
@admin_required
def name_group_page(group_id: int):
    """Name a group: a new person (`name`) or someone enrolled (`person`, by name)."""
    if not ConfirmDeleteForm().validate_on_submit():
        flash("The form expired; try again.")
        return redirect(_back())
    name, existing = (request.form.get(k, "").strip() for k in ("name", "person"))
    confirm = request.form.get("confirm") == "1"
    try:
        person_id = None
        if existing:
            person = find_person(existing)
            if person is None:
                raise Problem("not-found", f"Nobody called “{existing}” is enrolled; check the "
                              "name, or give it as a new name instead.")
            person_id, name = person.id, None
        person, added, skipped = name_group(get_group(group_id), name or None, person_id, confirm)
        db.session.commit()
    except Problem as p:
        db.session.rollback()
        if p.type == "face-mismatch":  # a second click that says what it means
            return render_template("mismatch.html", detail=p.detail, name=existing,
                                   crop=url_for("web.group_crop", group_id=group_id),
                                   action=url_for("web.name_group_page", group_id=group_id),
                                   fields={"person": existing, "next": _back()}, back=_back()), 409
        flash(p.detail)
        return redirect(_back())
    left = f" ({skipped} left out: unlike the others or someone else's)" if skipped else ""
    flash(f"{person.name} now has {added} more photo{'s' if added != 1 else ''} from this group{left}; "
          "the group has left Who is this? (its faces are their photos now, listed here).")
    return redirect(url_for("web.person", person_id=person.id))


@bp.post("/unknown/<int:group_id>/dismiss")
@admin_required
def dismiss_group_page(group_id: int):
    """Never suggest this group again."""
    if ConfirmDeleteForm().validate_on_submit():
        try:
            dismiss_group(get_group(group_id))
            db.session.commit()
            flash("Dismissed: this face will not be suggested again (Who is this? → dismissed lists it).")
        except Problem as p:
            flash(p.detail)
    return redirect(_back())


@bp.post("/unknown/merge")
@admin_required
def merge_groups_page():
    """Merge the groups ticked on Who is this?."""
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    if ConfirmDeleteForm().validate_on_submit():
        try:
            far = None if request.form.get("confirmed") == "1" else unlike_groups(ids)
            if far is not None:  # probably two people: ask first
                return render_template("merge_groups_confirm.html", ids=ids, distance=far, back=_back(),
                                       form=ConfirmDeleteForm()), 409
            group = merge_groups(ids)
            db.session.commit()
            flash(f"Merged into one group of {len(group.sightings)} faces.")
        except Problem as p:
            flash("Tick two groups or more to merge." if p.type == "invalid-input" else p.detail)
    return redirect(_back())


@bp.post("/unknown/faces/<int:sighting_id>/out")
@admin_required
def take_out_face_page(sighting_id: int):
    """A face that is not this group's person: forgotten, or moved to group `to`."""
    if not ConfirmDeleteForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(_back())
    to = request.form.get("to", type=int)
    try:
        target = take_out_face(sighting_id, to)
        db.session.commit()
    except Problem as p:
        db.session.rollback()
        flash(p.detail, "error")
        return redirect(_back())
    flash(f"The face is in group {target.id} now." if target else "The face was taken out and forgotten.")
    back = _back()
    return redirect(back if db.session.get(UnknownGroup, _group_of(back)) else url_for("web.who_is_this"))


def _group_of(path: str) -> int:
    """The group id of a group page's path (/unknown/12), else 0."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return int(last) if last.isdigit() else 0


@bp.post("/unknown/<int:group_id>/restore")
@admin_required
def restore_group_page(group_id: int):
    """Bring a dismissed group back to the groups to name."""
    if ConfirmDeleteForm().validate_on_submit():
        try:
            restore_group(get_group(group_id))
            db.session.commit()
            flash(f"Group {group_id} is back among the groups to name.")
        except Problem as p:
            flash(p.detail, "error")
    return redirect(_back())


@bp.post("/undo/<int:entry_id>")
@admin_required
def undo(entry_id: int):
    """Bring back what a deletion or a "not this person" removed (within the undo window)."""
    if not ConfirmDeleteForm().validate_on_submit():
        flash("The form expired; try again.")
        return redirect(url_for("web.people"))
    try:
        person, words = undo_deletion(entry_id)
        db.session.commit()
    except Problem as p:
        db.session.rollback()
        flash(p.detail)
        return redirect(url_for("web.people"))
    flash(f"Undone: {words}.")
    return redirect(url_for("web.person", person_id=person.id))
