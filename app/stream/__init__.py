"""Live video: the MJPEG streams, the live page, the browser-camera mode and the arrivals'
thumbnails (routes.py), and the machinery behind them: capture (camera.py), recognition
(recognizer.py, tracker.py), the camera runner (runner.py, sync.py), cameras as data
(cameras.py), what viewers read (feeds.py, relay.py, previews.py, browsers.py) and the
cameras' state (status.py)."""
from flask import Blueprint

bp = Blueprint("stream", __name__)

from . import routes  # noqa: E402,F401
