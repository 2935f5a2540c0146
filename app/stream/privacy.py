"""Privacy mode for viewers: which camera streams and face crops a viewer may see, and the
crops blurred as the camera's privacy mode says (the frames themselves are blurred where
they are drawn, annotate.py). docs/PRIVACY.md."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db
from ..errors import Problem
from ..models import Camera
from .annotate import hide_whole_jpeg


def blurred_for_viewer() -> bool:
    """Whether this request must see only blurred faces: VIEWERS_SEE_BLURRED is on and it
    is not a signed-in admin's (a viewer, an API key, anyone on an open live page)."""
    admin = current_user.is_authenticated and current_user.is_admin
    return bool(current_app.config["VIEWERS_SEE_BLURRED"]) and not admin


def check_stream(privacy: str | None) -> None:
    """Refuse a stream whose faces are shown (privacy "off", None: a preview of a source no
    camera has) to a request that must see only blurred faces (one encoding per frame is
    shared by every viewer, so there is no blurred copy of such a stream)."""
    if privacy in (None, "off") and blurred_for_viewer():
        raise Problem("forbidden", "Viewers see only blurred streams here; an admin sets this "
                      "camera's privacy on the Cameras page (or turns FACES_VIEWERS_SEE_BLURRED off).")


def crop_privacy(camera_id: int | None = None, camera_name: str | None = None) -> str:
    """The privacy mode that a crop from a camera (by id, else by name; neither or a camera
    gone: "off") is shown with to this request: raised to "unknown" for one that must
    see only blurred faces."""
    if camera_id is not None:
        privacy = db.session.scalar(select(Camera.privacy).where(Camera.id == camera_id))
    elif camera_name is not None:
        privacy = db.session.scalar(select(Camera.privacy).where(Camera.name == camera_name))
    else:
        privacy = None
    privacy = privacy or "off"
    return "unknown" if privacy == "off" and blurred_for_viewer() else privacy


def shown_crop(jpeg: bytes, privacy: str, known: bool) -> bytes:
    """A face crop's JPEG as this request may see it: hidden whole when `privacy` hides it
    ("all", or "unknown" for a face not `known`)."""
    if privacy == "all" or (privacy == "unknown" and not known):
        return hide_whole_jpeg(jpeg)
    return jpeg
