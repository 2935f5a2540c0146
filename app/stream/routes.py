"""Routes of the live video: /live, /stream.mjpg (the first camera), /stream/<id>.mjpg,
/live/frame (browser camera), /live/enrol and the arrivals' thumbnails (the Arrivals and
Cameras pages are in app/web; /api/stream/status and /api/events in app/api/live.py)."""
from __future__ import annotations

import hashlib
import hmac
import secrets

import numpy as np
from flask import (Response, current_app, flash, jsonify, redirect, render_template, request,
                   session, url_for)
from flask_login import login_required

from ..auth import admin_required, viewer_required
from ..extensions import db
from ..faces import NewFace, create_person
from ..faces.photos import CROP_QUALITY
from ..errors import Problem, not_found
from ..models import Event
from ..recognition.decode import decode_image
from ..recognition.jpeg import to_jpeg
from . import bp
from .browsers import browser_recognizer, now
from .cameras import checked_source, first_camera, get_camera_row
from .feeds import camera_feed, camera_for, host_feed, shown_source, track_face
from .forms import EnrolTrackForm, SourceForm, flash_hidden_errors
from .framing import frame_records
from .leases import cluster_token
from .mjpeg import mjpeg_response
from .previews import asked_source, preview
from .privacy import check_stream, crop_privacy, shown_crop
from .relay import CLUSTER_TOKEN_HEADER

MAX_BROWSER_FRAME = 2 * 1024 * 1024  # bytes: browser frames are small downscaled JPEGs


@bp.get("/live")
@login_required
def live():
    """The live page: the stream, who is in view, fps; the source and enrolment for operators."""
    spec, _ = shown_source()
    return _live_page(SourceForm(source=spec))


def _live_page(source_form: SourceForm, status: int = 200):
    flash_hidden_errors(source_form)
    spec, note = shown_source()
    return render_template("live.html", source=spec, note=note, source_form=source_form,
                           enrol_form=EnrolTrackForm()), status


@bp.post("/live/source")
@admin_required
def set_source():
    """Choose the camera: demo, a webcam index, a video file or a stream URL (a refused one
    is shown again under the field, with what to give instead)."""
    form = SourceForm()
    if not form.validate_on_submit():
        return _live_page(form, 400)
    try:
        spec = checked_source(form.source.data)
    except Problem as p:
        form.source.errors.append(p.detail)
        return _live_page(form, 400)
    first = first_camera()
    if first is None:
        flash("There is no camera to change; add one on the Cameras page.")
    else:
        first.source = spec  # the runner restarts it within a second
        db.session.commit()
        flash(f"Camera source set to {spec}.")
    return redirect(url_for("stream.live"))


@bp.get("/stream.mjpg")
@viewer_required
def stream():
    """multipart/x-mixed-replace JPEG frames with boxes and names, shared by all viewers
    (the first camera, or ?source=: a camera's, else a preview for admins and keys)."""
    spec = asked_source(request.args.get("source"))
    camera_id = camera_for(spec)
    if camera_id is not None:
        check_stream(get_camera_row(camera_id).privacy)
        return mjpeg_response(camera_feed(camera_id))
    check_stream(None)
    return mjpeg_response(preview(spec))


@bp.get("/stream/<int:camera_id>.mjpg")
@viewer_required
def camera_stream(camera_id: int):
    """One camera's MJPEG stream, from whichever worker (docs/LIVE.md: the hand-over)."""
    check_stream(get_camera_row(camera_id).privacy)
    return mjpeg_response(camera_feed(camera_id))


@bp.get("/cluster/frames/<int:camera_id>")
def cluster_frames(camera_id: int):
    """Another host relays a camera that this host runs (docs/CLUSTER.md): the camera
    socket's framing over HTTP, for the cluster token only."""
    token = request.headers.get(CLUSTER_TOKEN_HEADER, "")
    if not hmac.compare_digest(token.encode(), cluster_token(current_app).encode()):
        raise Problem("forbidden", "Only the hosts of this cluster relay its cameras: they "
                      "show a token made from SECRET_KEY, so give every host the same SECRET_KEY.")
    feed = host_feed(camera_id)
    if feed is None:
        raise Problem("not-found", f"Camera {camera_id} does not run on this host; "
                      "GET /api/cameras says which host runs it.")
    return Response(frame_records(feed), mimetype="application/octet-stream",
                    headers={"Cache-Control": "no-store"})


# The status and the arrivals of the API live in app/api/live.py; the live page still builds
# the status address by this name.
bp.add_url_rule("/api/stream/status", "status", build_only=True)


@bp.post("/live/frame")
@login_required
def browser_frame():
    """Browser-camera mode: one downscaled JPEG frame in, the faces in it out (as JSON)."""
    data = request.get_data(cache=False)
    if len(data) > MAX_BROWSER_FRAME:
        raise Problem("too-large", "Frames must be under 2 MB; send them downscaled.")
    rgb = decode_image(data, MAX_BROWSER_FRAME)
    client = session.setdefault("live_client", secrets.token_hex(8))
    recognizer = browser_recognizer(client)
    recognizer.process(rgb, now())
    return jsonify({"width": rgb.shape[1], "height": rgb.shape[0],
                    "latency_ms": round(recognizer.latency_ms, 1),
                    "tracks": recognizer.track_status()})


@bp.post("/live/enrol")
@admin_required
def enrol_track():
    """Enrol the face of a track in view (an unknown person) under a new name."""
    form = EnrolTrackForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errs in form.errors.values() for e in errs))
        return redirect(url_for("stream.live"))
    face = track_face(form.track.data, form.mode.data, session.get("live_client"))
    if face is None:
        flash("That face has left the view; enrol it when it is in view again.")
        return redirect(url_for("stream.live"))
    aligned, embedding = face
    crop = to_jpeg(aligned, CROP_QUALITY)
    try:
        person, _ = create_person(form.name.data, NewFace(np.asarray(embedding), crop, 1.0),
                                  sha256=hashlib.sha256(crop).hexdigest(), origin="camera",
                                  camera="browser camera" if form.mode.data == "browser" else None)
    except Problem as p:
        flash(p.detail)
        return redirect(url_for("stream.live"))
    db.session.commit()
    flash(f"{person.name} is enrolled from the live view.")
    return redirect(url_for("stream.live"))


@bp.get("/events/<int:event_id>/thumbnail.jpg")
@viewer_required
def event_thumbnail(event_id: int):
    """The face of an arrival (JPEG), blurred when its camera's privacy mode hides it."""
    event = db.session.get(Event, event_id)
    if event is None or not event.thumbnail_jpeg:  # none, or its thumbnail expired
        raise not_found(f"arrival with id {event_id} with a thumbnail (FACES_RETAIN_THUMBNAILS_DAYS)", "arrivals")
    jpeg = shown_crop(event.thumbnail_jpeg, crop_privacy(camera_name=event.camera), event.name is not None)
    return Response(jpeg, mimetype="image/jpeg")
