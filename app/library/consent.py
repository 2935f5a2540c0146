"""What may be kept of a face nobody enrolled: only what someone chose to keep. A camera
keeps unknown faces as sightings only when its "learn unknown faces" setting is on (off for
a new camera unless FACES_CAMERAS_LEARN_UNKNOWN says otherwise); the browser camera and the
live page's preview, which are no camera rows, follow FACES_CAMERAS_LEARN_UNKNOWN; an
upload keeps them only with `remember` (app/api/recognize.py, the Identify page)."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import Camera


def camera_keeps_unknown(camera_id: int) -> bool:
    """Whether the unknown faces seen by camera `camera_id` (0 the browser camera, -1 the
    preview) may be kept. Read from the camera's row each time, so that turning the setting
    off stops the keeping at once, without restarting the camera."""
    if camera_id <= 0:
        return bool(current_app.config["CAMERAS_LEARN_UNKNOWN"])
    return bool(db.session.scalar(select(Camera.learn_unknown).where(Camera.id == camera_id)))
