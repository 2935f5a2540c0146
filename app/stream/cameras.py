"""Cameras as data: the use-cases behind the Cameras page, /api/cameras and
`flask faces cameras`. The camera table is the one list of cameras (its first row is made
by the migrations from FACES_CAMERA_SOURCE). Sources are checked by sources.check_source (no
arbitrary files or schemes); the camera runner follows the table within
CAMERAS_SYNC_SECONDS."""
from __future__ import annotations

import math
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..errors import Problem
from ..models import Camera
from .annotate import PRIVACY
from .sources import SourceError, check_source

FIELDS = ("name", "source", "enabled", "detect_side", "min_face", "ignore_region", "recognition_fps",
          "learn_unknown", "retain_sightings_days", "retain_arrivals_days", "privacy", "pinned_host")
RETAIN_DAYS = (0.01, 3650.0)  # a camera's own retention: about a quarter of an hour to ten years


def list_cameras() -> list[Camera]:
    return db.session.scalars(select(Camera).order_by(Camera.id)).all()


def get_camera_row(camera_id: int) -> Camera:
    camera = db.session.get(Camera, camera_id)
    if camera is None:
        raise Problem("not-found", f"There is no camera with id {camera_id}. "
                      "Check the id (GET /api/cameras lists them).")
    return camera


def checked_source(spec: str, hosts: bool = True) -> str:
    """`spec` as sources.check_source returns it, in this app's VIDEOS_DIR, its host checked
    against ALLOW_LOCAL_TARGETS (`hosts=False`: not yet, for a source that may be a camera's);
    an invalid-input Problem that says what to give otherwise."""
    cfg = current_app.config
    try:
        return check_source(spec, Path(cfg["VIDEOS_DIR"]), cfg["ALLOW_LOCAL_TARGETS"] or not hosts)
    except SourceError as e:
        raise _problem("source", str(e)) from None


def _problem(field: str, what: str) -> Problem:
    return Problem("invalid-input", f"{field}: {what}")


def _checked(data: dict, partial: bool) -> dict:
    """The fields of a camera from a form or JSON body, checked; a Problem says what is wrong."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise _problem(sorted(unknown)[0], f"not a camera field (fields: {', '.join(FIELDS)}).")
    out = {}
    if "name" in data or not partial:
        name = data.get("name")
        if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120:
            raise _problem("name", "give a name of 1 to 120 characters.")
        out["name"] = " ".join(name.split())
    if "source" in data or not partial:
        source = data.get("source")
        if not isinstance(source, str) or not source.strip() or len(source) > 500:
            raise _problem("source", "give demo, a webcam number, a video file name or an "
                                     "rtsp:// or http:// URL.")
        out["source"] = checked_source(source)
    out.update(_choices(data))
    for field, low, high in (("detect_side", 160, 1920), ("min_face", 12, 400)):
        if field in data:
            value = data[field]
            if type(value) is not int or not low <= value <= high:
                raise _problem(field, f"an integer from {low} to {high} (pixels).")
            out[field] = value
    if "recognition_fps" in data:
        value = data["recognition_fps"]
        if type(value) not in (int, float) or not math.isfinite(value) or not 0.2 <= value <= 30:
            raise _problem("recognition_fps", "a number of recognitions per second from 0.2 to 30.")
        out["recognition_fps"] = float(value)
    if "pinned_host" in data:
        out["pinned_host"] = _pinned_host(data["pinned_host"])
    out.update(_retention(data))
    if "ignore_region" in data:
        region = data["ignore_region"]
        if region in (None, "", []):
            out["ignore_region"] = None
        else:
            if isinstance(region, str):
                region = [int(v) if v.strip().isdigit() else -1 for v in region.split(",")]
            if (not isinstance(region, list) or len(region) != 4
                    or any(type(v) is not int or not 0 <= v <= 10000 for v in region)):
                raise _problem("ignore_region", "[x, y, width, height] in frame pixels, or null.")
            # A region of no width or height ignores nothing: stored as none.
            out["ignore_region"] = ",".join(str(v) for v in region) if region[2] and region[3] else None
    return out


def _choices(data: dict) -> dict:
    """A camera's on/off settings and its privacy mode, checked."""
    out = {}
    for flag in ("enabled", "learn_unknown"):
        if flag in data:
            if not isinstance(data[flag], bool):
                raise _problem(flag, "true or false.")
            out[flag] = data[flag]
    if "privacy" in data:
        if data["privacy"] not in PRIVACY:
            raise _problem("privacy", "off (show every face), unknown (blur the faces of people "
                                      "not enrolled) or all (blur every face).")
        out["privacy"] = data["privacy"]
    return out


def _retention(data: dict) -> dict:
    """A camera's own retention days, checked (None: the global default)."""
    out = {}
    for field in ("retain_sightings_days", "retain_arrivals_days"):
        if field in data:
            value = data[field]
            if value is not None and (type(value) not in (int, float) or not math.isfinite(value)
                                      or not RETAIN_DAYS[0] <= value <= RETAIN_DAYS[1]):
                raise _problem(field, f"a number of days from {RETAIN_DAYS[0]} to {RETAIN_DAYS[1]:.0f}, "
                                      "or null for the global default.")
            out[field] = None if value is None else float(value)
    return out


def _pinned_host(host) -> str | None:
    """A camera's host (PostgreSQL: docs/CLUSTER.md); a host not up is allowed, and the
    Cameras page says the camera waits for it."""
    if host in (None, ""):
        return None
    if not isinstance(host, str) or len(host.strip()) > 120:
        raise _problem("pinned_host", "a host id of up to 120 characters (GET /api/cluster lists "
                                      "them), or null for any host.")
    return host.strip()


def _name_free(name: str, camera_id: int | None = None) -> None:
    other = db.session.scalar(select(Camera.id).where(Camera.name == name))
    if other is not None and other != camera_id:
        raise Problem("conflict", f"A camera is already called {name}; choose another name.")


def add_camera(data: dict) -> Camera:
    limit = current_app.config["MAX_CAMERAS"]
    if db.session.scalar(select(func.count(Camera.id))) >= limit:
        raise Problem("conflict", f"There are already {limit} cameras, the most this server "
                      "takes (FACES_MAX_CAMERAS). Remove one first, or raise the setting.")
    fields = _checked(data, partial=False)
    _name_free(fields["name"])
    camera = Camera(**{"learn_unknown": current_app.config["CAMERAS_LEARN_UNKNOWN"], **fields})
    db.session.add(camera)
    db.session.flush()
    return camera


def update_camera(camera: Camera, data: dict) -> Camera:
    fields = _checked(data, partial=True)
    if "name" in fields:
        _name_free(fields["name"], camera.id)
    for key, value in fields.items():
        setattr(camera, key, value)
    return camera


def remove_camera(camera: Camera) -> None:
    db.session.delete(camera)


def first_camera() -> Camera | None:
    """The live page's camera: the first enabled one."""
    return db.session.scalar(select(Camera).where(Camera.enabled).order_by(Camera.id).limit(1))
