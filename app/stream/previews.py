"""A source named by a viewer (?source= on /stream.mjpg and /api/stream/status): the camera
that shows it, else a preview run in this worker. A preview makes the server connect to the
source, so it is for an admin or an API key only (who may add that source as a camera
anyway), its host is checked like a camera's (app/http/targets.py), and at most LIVE_PREVIEWS
run at once per worker (each is a capture thread, a recognizer and a connection)."""
from __future__ import annotations

from flask import current_app
from flask_login import current_user

from ..auth import has_key
from ..faces import state
from ..http.problems import Problem
from .camera import LiveCamera
from .cameras import checked_source
from .hub import get_camera, resolve_source


def asked_source(asked: str | None) -> str | None:
    """?source= checked like an operator's choice (a file becomes its path in VIDEOS_DIR),
    its host not yet: a camera's source is watched whatever its host."""
    return None if asked is None else checked_source(asked, hosts=False)


def preview(spec: str | None) -> LiveCamera:
    """The preview camera of `spec` (None: the configured source, shown to any viewer when
    no camera is enabled), started; a Problem when this asker or this worker may not."""
    if spec is not None:
        if not (has_key() or (current_user.is_authenticated and current_user.is_admin)):
            raise Problem("forbidden", 403, "Only an admin (or an API key) may watch a source "
                          "that is no camera's. Ask an admin to add it as a camera on the "
                          "Cameras page, then watch /stream/<camera id>.mjpg.")
        checked_source(spec)
    return _started(resolve_source(spec)[0])


def _started(spec: str) -> LiveCamera:
    """get_camera(spec) touched, unless LIVE_PREVIEWS others run: then 429. Stopped
    previews are forgotten, so that many sources tried one after another leave nothing."""
    limit, owner = current_app.config["LIVE_PREVIEWS"], state()
    with owner.lock:
        previews = {k: c for k, c in owner.cameras.items() if isinstance(c, LiveCamera)}
        mine = [k for k in previews if k.rsplit("|", 1)[0] == spec]
        for key, camera in previews.items():
            if not camera.running and key not in mine:
                del owner.cameras[key]
        running = [k for k, c in previews.items() if c.running and k not in mine]
        if len(running) >= limit:
            wait = round(current_app.config["LIVE_IDLE_SECONDS"]) + 1
            raise Problem("rate-limited", 429, f"{len(running)} previews of sources that are no "
                          f"camera's already run in this worker (at most {limit}). Close one and "
                          f"try again in {wait} s, or add the source as a camera.",
                          headers={"Retry-After": str(wait)})
        camera = get_camera(spec)
        camera.touch()
        return camera
