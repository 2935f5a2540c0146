"""The MJPEG response of a camera (a LiveCamera or a RelayCamera): multipart JPEG parts as
they come, for as long as the viewer stays. Each such response holds one of the server's
request threads (gunicorn's gthread worker serves a response on one thread to its end), so
a worker serves at most STREAMS_PER_WORKER at once and answers more with 503 + Retry-After:
the other threads stay free for the API and the pages (docs/LIVE.md, "Viewers")."""
from __future__ import annotations

import threading

from flask import Response, current_app

from ..faces import state
from ..errors import Problem
from .relay import RelayCamera

RETRY_SECONDS = 5  # viewers come and go: a slot is often free again within seconds


def mjpeg_response(camera) -> Response:
    """The stream of `camera`, in one of this worker's stream slots; a busy Problem when
    all are taken."""
    slots = state().streams
    if not slots.acquire(blocking=False):
        limit = current_app.config["STREAMS_PER_WORKER"]
        raise Problem("busy", f"This server process already sends {limit} video streams, "
                      "its most (each holds a thread that the API needs too). Close a stream "
                      f"(another tab or the camera grid) or try again in {RETRY_SECONDS} s.",
                      retry_after=RETRY_SECONDS)
    release = _once(slots.release)
    # Whether this worker runs the camera or relays it from the one that does (tests and
    # people checking the hand-over read it).
    feed = "relay" if isinstance(camera, RelayCamera) else "local"

    def parts():
        try:
            for jpeg in camera.frames():
                yield (b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: "
                       + str(len(jpeg)).encode() + b"\r\n\r\n" + jpeg + b"\r\n")
        finally:  # the viewer left (the server closes the response) or the camera stopped
            release()

    response = Response(parts(), mimetype="multipart/x-mixed-replace; boundary=frame",
                        headers={"Cache-Control": "no-store", "X-Camera-Feed": feed})
    response.call_on_close(release)  # also when the body was never started
    return response


def _once(release):
    """`release` callable any number of times, run once."""
    lock, done = threading.Lock(), []

    def run() -> None:
        with lock:
            if done:
                return
            done.append(True)
        release()
    return run
