"""The Cameras page (add, enable, change, remove) and the camera grid. The cameras' state
comes from /api/cameras, polled by the page. Webhooks: webhooks.py."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import login_required

from ..auth import admin_required
from ..extensions import db
from ..http.problems import Problem
from ..stream.cameras import add_camera, get_camera_row, list_cameras, remove_camera, update_camera
from ..stream.sync import camera_runner
from . import bp
from .forms import ActionForm, CameraForm, CameraSettingsForm


def _errors(form) -> str:
    return " ".join(e for errs in form.errors.values() for e in errs)


def _cameras_page(camera_form: CameraForm | None = None):
    """Cameras with their state; `camera_form` a refused "add a camera", shown with its
    input and the sentence under the field (status 400)."""
    camera_runner()
    cameras = list_cameras()
    settings = {c.id: CameraSettingsForm(formdata=None, obj=c, prefix=f"c{c.id}",
                                         ignore_region=c.ignore_region or "") for c in cameras}
    page = render_template("cameras.html", cameras=cameras, settings=settings,
                           camera_form=camera_form or CameraForm(), action=ActionForm())
    return (page, 400) if camera_form is not None else page


@bp.get("/cameras")
@admin_required
def cameras_page():
    """Cameras with their state."""
    return _cameras_page()


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
    if form.validate_on_submit():
        try:
            camera = add_camera({"name": form.name.data, "source": form.source.data})
        except Problem as p:
            db.session.rollback()
            # The stream's sentences start with the field they are about ("source: ...").
            field = form.source if p.detail.startswith("source:") else form.name
            words = p.detail.split(": ", 1)[-1] if p.detail.startswith(("source:", "name:")) else p.detail
            field.errors = [*field.errors, words[:1].upper() + words[1:]]
            return _cameras_page(form)
        db.session.commit()
        flash(f"Camera {camera.name} added; it starts within a second or two.")
        return redirect(url_for("web.cameras_page"))
    return _cameras_page(form)


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
    if form.validate_on_submit():
        try:
            update_camera(camera, {"source": form.source.data, "detect_side": form.detect_side.data,
                                   "min_face": form.min_face.data,
                                   "recognition_fps": form.recognition_fps.data,
                                   "ignore_region": form.ignore_region.data.strip() or None,
                                   "learn_unknown": form.learn_unknown.data,
                                   "retain_sightings_days": form.retain_sightings_days.data,
                                   "retain_arrivals_days": form.retain_arrivals_days.data})
        except Problem as p:
            db.session.rollback()
            flash(f"{camera.name}: {p.detail}", "error")
        else:
            db.session.commit()
            flash(f"Camera {camera.name} changed; it restarts within a second or two.")
    else:
        flash(_errors(form), "error")
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
