"""The Cameras page (add, enable, change, remove) and the camera grid. The cameras' state
comes from /api/cameras, polled by the page. Webhooks: webhooks.py."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import login_required

from ..auth import admin_required
from ..extensions import db
from ..errors import Problem
from ..http.problems import status_of
from ..stream.cameras import add_camera, get_camera_row, list_cameras, remove_camera, update_camera
from ..stream.forms import flash_hidden_errors
from ..stream.sync import camera_runner
from . import bp
from .forms import ActionForm, CameraForm, CameraSettingsForm


@bp.get("/cameras")
@admin_required
def cameras_page():
    """Cameras with their state."""
    return _cameras_page()


def _cameras_page(status: int = 200, **forms):
    """The page; `forms` (camera_form, settings=(camera id, form)) are ones refused, shown
    again with their input and the error under the field."""
    camera_runner()
    cameras = list_cameras()
    settings = {c.id: CameraSettingsForm(formdata=None, obj=c, prefix=f"c{c.id}",
                                         ignore_region=c.ignore_region or "") for c in cameras}
    if "settings" in forms:
        camera_id, form = forms.pop("settings")
        settings[camera_id] = form
    for form in [*forms.values(), *settings.values()]:
        flash_hidden_errors(form)
    forms = {"camera_form": CameraForm(formdata=None), **forms}
    return render_template("cameras.html", cameras=cameras, settings=settings, action=ActionForm(),
                           **forms), status


def _refused(form, p: Problem, default: str) -> None:
    """Put the problem's sentence under the field it names ("source: ..."), else under the
    field `default`, of a form that is shown again."""
    named = p.detail.split(":", 1)[0]
    field = form._fields.get(named) or form._fields[default]
    words = p.detail.split(": ", 1)[-1] if named in form._fields else p.detail
    field.errors = [*field.errors, words[:1].upper() + words[1:]]


@bp.get("/cameras/grid")
@login_required
def grid_page():
    """Every enabled camera's stream with boxes and names; who is in view across cameras."""
    camera_runner()
    return render_template("grid.html", cameras=[c for c in list_cameras() if c.enabled])


@bp.post("/cameras")
@admin_required
def add_camera_page():
    """Add a camera from the page's form."""
    form = CameraForm()
    if not form.validate_on_submit():
        return _cameras_page(400, camera_form=form)
    try:
        camera = add_camera({"name": form.name.data, "source": form.source.data})
    except Problem as p:
        db.session.rollback()
        _refused(form, p, "name")
        return _cameras_page(status_of(p), camera_form=form)
    db.session.commit()
    flash(f"Camera {camera.name} added; it starts within a second or two.")
    return redirect(url_for("web.cameras_page"))


@bp.post("/cameras/<int:camera_id>/<any(enable, disable):action>")
@admin_required
def camera_action(camera_id: int, action: str):
    """Enable or disable a camera."""
    if not ActionForm().validate_on_submit():
        flash("The form expired; try again.")
        return redirect(url_for("web.cameras_page"))
    camera = get_camera_row(camera_id)
    update_camera(camera, {"enabled": action == "enable"})
    flash(f"Camera {camera.name} {action}d.")
    db.session.commit()
    return redirect(url_for("web.cameras_page"))


@bp.post("/cameras/<int:camera_id>/settings")
@admin_required
def camera_settings(camera_id: int):
    """Change a camera's source, detection width, smallest face, rate and ignored region."""
    camera = get_camera_row(camera_id)
    form = CameraSettingsForm(prefix=f"c{camera_id}")  # one form per camera on the page
    if not form.validate_on_submit():
        return _cameras_page(400, settings=(camera_id, form))
    try:
        update_camera(camera, {"source": form.source.data, "detect_side": form.detect_side.data,
                               "min_face": form.min_face.data,
                               "recognition_fps": form.recognition_fps.data,
                               "ignore_region": form.ignore_region.data.strip() or None,
                               "learn_unknown": form.learn_unknown.data,
                               "privacy": form.privacy.data,
                               "retain_sightings_days": form.retain_sightings_days.data,
                               "retain_arrivals_days": form.retain_arrivals_days.data})
    except Problem as p:
        db.session.rollback()
        _refused(form, p, "source")
        return _cameras_page(status_of(p), settings=(camera_id, form))
    db.session.commit()
    flash(f"Camera {camera.name} changed; it restarts within a second or two.")
    return redirect(url_for("web.cameras_page"))


@bp.route("/cameras/<int:camera_id>/remove", methods=["GET", "POST"])
@admin_required
def remove_camera_page(camera_id: int):
    """Ask, then remove a camera (its source is released within a second)."""
    camera, form = get_camera_row(camera_id), ActionForm()
    if form.validate_on_submit():
        remove_camera(camera)
        db.session.commit()
        flash(f"Camera {camera.name} removed.")
        return redirect(url_for("web.cameras_page"))
    return render_template("confirm.html", title=f"Remove the camera {camera.name}?", form=form,
                           text=f"{camera.source} stops being watched and recognised. Its arrivals "
                                "stay in the list. Add it again to bring it back.",
                           yes="Yes, remove it", back=url_for("web.cameras_page"))
