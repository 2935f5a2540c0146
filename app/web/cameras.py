"""The Cameras page (cameras and webhooks: add, enable, remove, deliveries, a test event)
and the camera grid. The cameras' state comes from /api/cameras, polled by the page."""
from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_login import login_required

from ..auth import admin_required
from ..events.webhooks import (create_webhook, delete_webhook, deliveries, get_webhook,
                               list_webhooks, send_test_event)
from ..extensions import db
from ..http.problems import Problem
from ..stream.cameras import add_camera, get_camera_row, list_cameras, remove_camera, update_camera
from ..stream.sync import camera_runner
from . import bp
from .forms import ActionForm, CameraForm, CameraSettingsForm, WebhookForm


def _errors(form) -> str:
    return " ".join(e for errs in form.errors.values() for e in errs)


@bp.get("/cameras")
@admin_required
def cameras_page():
    """Cameras with their state, and the webhooks with their recent deliveries."""
    hooks = [(h, deliveries(h, 10)) for h in list_webhooks()]
    secret = session.pop("new_webhook_secret", None)
    camera_runner()
    cameras = list_cameras()
    settings = {c.id: CameraSettingsForm(formdata=None, obj=c, prefix=f"c{c.id}",
                                         ignore_region=c.ignore_region or "") for c in cameras}
    return render_template("cameras.html", cameras=cameras, hooks=hooks, secret=secret,
                           settings=settings, camera_form=CameraForm(), webhook_form=WebhookForm(),
                           action=ActionForm())


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
            flash(p.detail)
        else:
            db.session.commit()
            flash(f"Camera {camera.name} added; it starts within a second or two.")
    else:
        flash(_errors(form))
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
    if form.validate_on_submit():
        try:
            update_camera(camera, {"source": form.source.data, "detect_side": form.detect_side.data,
                                   "min_face": form.min_face.data,
                                   "recognition_fps": form.recognition_fps.data,
                                   "ignore_region": form.ignore_region.data.strip() or None})
        except Problem as p:
            db.session.rollback()
            flash(f"{camera.name}: {p.detail}")
        else:
            db.session.commit()
            flash(f"Camera {camera.name} changed; it restarts within a second or two.")
    else:
        flash(_errors(form))
    return redirect(url_for("web.cameras_page"))


@bp.post("/webhooks")
@admin_required
def add_webhook_page():
    """Add a webhook; its secret is shown once, on the next page."""
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            hook, secret = create_webhook(form.url.data, {"events": form.events.data})
        except Problem as p:
            flash(p.detail)
        else:
            db.session.commit()
            session["new_webhook_secret"] = (hook.id, secret)
    else:
        flash(_errors(form))
    return redirect(url_for("web.cameras_page"))


@bp.post("/webhooks/<int:webhook_id>/<any(test):action>")
@admin_required
def webhook_action(webhook_id: int, action: str):
    """Send a test event to a webhook."""
    if not ActionForm().validate_on_submit():
        flash("The form expired; try again.")
        return redirect(url_for("web.cameras_page"))
    hook = get_webhook(webhook_id)
    send_test_event(hook)
    flash(f"A test event is on its way to {hook.url}; its delivery appears below.")
    db.session.commit()
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


@bp.route("/webhooks/<int:webhook_id>/remove", methods=["GET", "POST"])
@admin_required
def remove_webhook_page(webhook_id: int):
    """Ask, then remove a webhook and its delivery log."""
    hook, form = get_webhook(webhook_id), ActionForm()
    if form.validate_on_submit():
        delete_webhook(hook)
        db.session.commit()
        flash(f"Webhook {hook.url} removed.")
        return redirect(url_for("web.cameras_page"))
    return render_template("confirm.html", title="Remove this webhook?", form=form,
                           text=f"{hook.url} will get no more events, and its delivery log is "
                                "deleted. This cannot be undone.",
                           yes="Yes, remove it", back=url_for("web.cameras_page"))
