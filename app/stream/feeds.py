"""What a viewer of this worker reads: a camera's frames (its own or relayed), which
camera shows a source, and a face in view (for the live enrolment)."""
from __future__ import annotations

from flask import current_app

from ..faces import state
from .cameras import first_camera, list_cameras
from ..hosts import clustered, host_id
from .leases import host_url
from .relay import RelayCamera
from .sync import camera_runner
from .webcams import resolve_source


def camera_feed(camera_id: int):
    """The camera itself in the process that runs it, else this process's relay of it
    (one per camera, shared by its viewers)."""
    runner = camera_runner()
    local = runner.cameras.get(camera_id) if runner.holding else None
    if local is not None:
        return local
    owner = state()
    with owner.lock:
        relay = owner.relays.get(camera_id)
        if relay is None or relay._closed or relay.missing:
            relay = owner.relays[camera_id] = RelayCamera(
                runner.socket_path, camera_id, current_app.config["LIVE_IDLE_SECONDS"])
        return relay


def host_feed(camera_id: int):
    """A camera that this host runs, for another host to relay (None: not run here)."""
    app = current_app
    if not clustered(app):
        return None
    where = host_url(camera_id, app.config["CAMERAS_LEASE_SECONDS"])
    if where is None or where[0] != host_id(app):
        return None
    runner = camera_runner()
    if runner.holding:
        return runner.cameras.get(camera_id)
    return RelayCamera(runner.socket_path, camera_id, app.config["LIVE_IDLE_SECONDS"], command="local")


def camera_for(spec: str | None) -> int | None:
    """The camera (row id) that shows `spec` (None: the first camera); None when no camera
    row has that source (then it is a preview in this worker, app/stream/previews.py)."""
    first = first_camera()
    if spec is None:
        return first.id if first else None
    for row in list_cameras():
        if row.enabled and (row.source == spec or
                            (row.source == "auto" and resolve_source("auto")[0] == spec)):
            return row.id
    return None


def track_face(track_id: int, mode: str, client: str | None, camera_id: int | None = None):
    """(aligned crop, embedding) of a track in view on a camera (the first one by default)
    or this browser."""
    if mode == "browser":
        entry = state().browsers.get(client or "")
        return entry[1].face_of(track_id) if entry else None
    if camera_id is None:
        first = first_camera()
        camera_id = first.id if first else 0
    return camera_runner().face(camera_id, track_id)


def shown_source(asked: str | None = None) -> tuple[str, str]:
    """(source spec, note for the page) that the live page shows: `asked`, else the first
    camera's source (`auto` resolved to this machine's webcam or the demo)."""
    if asked is None:
        first = first_camera()
        asked = first.source if first else "auto"
    return resolve_source(asked)
