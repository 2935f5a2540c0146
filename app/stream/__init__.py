"""Live video: the MJPEG stream, its status, the live page, the browser-camera mode and
arrivals. The capture and recognition machinery is in camera.py and recognizer.py."""
from flask import Blueprint

bp = Blueprint("stream", __name__)

from . import pages, routes  # noqa: E402,F401
