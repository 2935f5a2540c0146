"""The cameras' state as the Cameras page, /api/cameras and `flask faces cameras list`
show it, from whichever process runs them."""
from __future__ import annotations

import json

from flask import current_app

from ..faces import state
from ..models import Camera
from .runner import ask, runner_paths
from .sync import camera_runner


def runner_status(start: bool = True) -> dict:
    """{camera id (str): status} from the process that runs the cameras; `start=False`
    (the CLI) asks without starting a runner in this process."""
    if start:
        return camera_runner().status()
    owner = state()
    if owner.runner is not None:
        return owner.runner.status()
    app = current_app
    _, sock = runner_paths(app.instance_path, str(app.config["SQLALCHEMY_DATABASE_URI"]))
    try:
        return json.loads(ask(sock, "status"))
    except (OSError, ValueError):
        return {}


def _run_state(row: Camera, s: dict | None) -> dict:
    if not row.enabled:
        return {"state": "disabled", "message": ""}
    if s is None:
        return {"state": "waiting", "message": "No process runs the cameras yet; they start "
                "within seconds of the server."}
    return {"state": "running" if s["state"] == "live" else s["state"],
            "message": s["message"], "fps_in": s["fps_in"], "fps_out": s["fps_out"],
            "recognition_ms": s["recognition_latency_ms"],
            "detect_fps": s.get("recognition_fps"), "opened": s["opened"],
            "frame_size": s["frame_size"], "tracks": s["tracks"]}


def cameras_status(rows: list[Camera], start: bool = True) -> list[dict]:
    """Each camera's row with its state in the runner: running (live), reconnecting,
    failed (with the reason), disabled or waiting (no runner yet); fps in and out, the
    recognition time and rate, how often its source was opened, the tracks in view."""
    live = runner_status(start)
    return [{**row.to_dict(), **_run_state(row, live.get(str(row.id)))} for row in rows]
