"""Cameras: list with their state and figures, add, change, remove."""
from __future__ import annotations

from flask import jsonify, url_for

from ..auth import key_required, viewer_required
from ..extensions import db
from ..http.uploads import json_body
from ..stream import hub
from ..stream.cameras import add_camera, get_camera_row, list_cameras, remove_camera, update_camera
from . import bp


@bp.get("/cameras")
@viewer_required
def list_cameras_view():
    """Every camera with its state (running, reconnecting, failed with the reason, disabled),
    fps in and out, recognition time, times opened and the tracks in view."""
    return jsonify(items=hub.cameras_status(list_cameras()))


@bp.post("/cameras")
@key_required
def create_camera_view():
    """Add a camera: JSON {"name", "source", optional "enabled", "detect_side", "min_face",
    "ignore_region", "recognition_fps"}."""
    camera = add_camera(json_body())
    db.session.commit()
    return (jsonify(camera.to_dict()), 201,
            {"Location": url_for("api.get_camera_view", camera_id=camera.id)})


@bp.get("/cameras/<int:camera_id>")
@viewer_required
def get_camera_view(camera_id: int):
    """One camera with its state."""
    return jsonify(hub.cameras_status([get_camera_row(camera_id)])[0])


@bp.patch("/cameras/<int:camera_id>")
@key_required
def update_camera_view(camera_id: int):
    """Change some fields of a camera (the runner restarts it within a second)."""
    camera = update_camera(get_camera_row(camera_id), json_body())
    db.session.commit()
    return jsonify(camera.to_dict())


@bp.delete("/cameras/<int:camera_id>")
@key_required
def delete_camera_view(camera_id: int):
    """Remove a camera (its source is released within a second)."""
    remove_camera(get_camera_row(camera_id))
    db.session.commit()
    return "", 204
