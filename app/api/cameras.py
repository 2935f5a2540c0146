"""Cameras: list with their state and figures, add, change, remove."""
from __future__ import annotations

from flask import url_for

from ..auth import key_required, viewer_required
from ..extensions import db
from ..stream.status import cameras_status, cluster_status
from ..stream.cameras import add_camera, get_camera_row, list_cameras, remove_camera, update_camera
from . import bp
from .args import CameraFields, NewCamera
from .cluster_schemas import Cluster
from .schemas import Camera, Cameras, CameraStatus
from .spec import KEY, VIEWER, guarded, no_content, problems

keyed = guarded(bp, key_required, KEY)
viewer = guarded(bp, viewer_required, VIEWER)
LOCATION = {"Location": {"schema": {"type": "string"}, "description": "/api/cameras/{id}"}}


@bp.get("/cameras")
@viewer
@bp.response(200, Cameras, description="Every camera with its state.")
@problems(bp, 429)
def list_cameras_view():
    """Every camera with its state and figures

    State: running, reconnecting, failed (with the reason), disabled or waiting; fps in and
    out, recognition time and rate, times its source was opened, the tracks in view."""
    return {"items": cameras_status(list_cameras())}


@bp.get("/cluster")
@viewer
@bp.response(200, Cluster, description="The hosts sharing this database, with their cameras.")
@problems(bp, 429)
def cluster_view():
    """The hosts that run cameras, with their cameras and heartbeats

    With PostgreSQL each enabled camera is leased to one host (docs/CLUSTER.md); with
    SQLite one host runs them all and `hosts` is empty."""
    return cluster_status()


@bp.post("/cameras")
@keyed
@bp.arguments(NewCamera, location="json")
@bp.response(201, Camera, description="Added; the camera process starts it within a second.", headers=LOCATION)
@problems(bp, 400, 409, 413, 429)
def create_camera_view(fields: dict):
    """Add a camera"""
    camera = add_camera(fields)
    db.session.commit()
    return camera, 201, {"Location": url_for("api.get_camera_view", camera_id=camera.id)}


@bp.get("/cameras/<int:camera_id>")
@viewer
@bp.response(200, CameraStatus, description="The camera with its state.")
@problems(bp, 404, 429)
def get_camera_view(camera_id: int):
    """One camera with its state"""
    return cameras_status([get_camera_row(camera_id)])[0]


@bp.patch("/cameras/<int:camera_id>")
@keyed
@bp.arguments(CameraFields, location="json", required=False)  # no body: nothing changes
@bp.response(200, Camera, description="Changed; the camera process restarts it within a second.")
@problems(bp, 400, 404, 409, 413, 429)
def update_camera_view(fields: dict, camera_id: int):
    """Change some fields of a camera"""
    camera = update_camera(get_camera_row(camera_id), fields)
    db.session.commit()
    return camera


@bp.delete("/cameras/<int:camera_id>")
@keyed
@bp.response(204, description="Removed; its source is released within a second.")
@problems(bp, 404, 429)
def delete_camera_view(camera_id: int):
    """Remove a camera"""
    remove_camera(get_camera_row(camera_id))
    db.session.commit()
    return no_content()
