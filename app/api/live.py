"""The live video's API: the camera's status and the arrivals (the pages are in app/stream
and app/web)."""
from __future__ import annotations

from datetime import date

from ..auth import viewer_required
from ..events.arrivals import Filters, arrivals
from ..stream.feeds import camera_for, shown_source
from ..stream.previews import asked_source, preview
from ..stream.sync import camera_runner
from . import bp
from .args import StatusQuery
from .presence_schemas import EventsQuery
from .schemas import Events, StreamStatus
from .spec import VIEWER, guarded, problems

viewer = guarded(bp, viewer_required, VIEWER)  # a key, a signed-in operator, or LIVE_OPEN


@bp.get("/stream/status")
@viewer
@bp.arguments(StatusQuery, location="query", as_kwargs=True)
@bp.response(200, StreamStatus, description="The camera's state and the faces in view.")
@problems(bp, 400, 403, 429, 503)
def stream_status(source: str | None = None):
    """The live camera: fps, recognition latency, the faces in view

    Polling it keeps the camera running, like a viewer of /stream.mjpg. A source that is no
    camera's is a preview: for an admin or a key only, a few at once per worker (429)."""
    asked = asked_source(source)
    spec, note = shown_source(asked)
    camera_id = camera_for(asked)
    if camera_id is not None:  # a camera of the table: its status from the camera process
        status = camera_runner().status().get(str(camera_id)) or {
            "state": "starting", "message": "", "source": spec, "frame_size": None,
            "fps_in": 0.0, "fps_out": 0.0, "recognition_latency_ms": None, "tracks": []}
        return {**status, "camera_id": camera_id, "note": note}
    camera = preview(asked)  # in this worker, kept running by polling
    return {**camera.status(), "note": note}


@bp.get("/events")
@viewer
@bp.arguments(EventsQuery, location="query", as_kwargs=True)
@bp.response(200, Events, description="The latest arrivals.")
@problems(bp, 400, 429)
def events_api(limit: int, page: int = 1, person: int | None = None, camera: str | None = None,
               day: date | None = None, tz_offset: int = 0):
    """Arrivals: who was first recognised when, on which camera (filtered, paged)"""
    found = arrivals(Filters(person_id=person, camera=camera or "", day=day, tz_offset=tz_offset), page, limit)
    return {"events": found.items, "total": found.total, "page": page, "pages": found.pages}
