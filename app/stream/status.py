"""The cameras' state as the Cameras page, /api/cameras and `flask faces cameras list`
show it, from whichever process runs them."""
from __future__ import annotations

import json

from flask import current_app

from ..extensions import db
from ..faces import state
from ..models import Camera
from ..hosts import clustered, host_id
from .leases import hosts_now, leases_now, live_hosts
from .framing import ask
from .runner import runner_paths
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
    _, sock = runner_paths(app.instance_path, str(app.config["SQLALCHEMY_DATABASE_URI"]),
                           host_id(app) if clustered(app) else "")
    try:
        return json.loads(ask(sock, "status"))
    except (OSError, ValueError):
        return {}


def _waiting(row: Camera, hosts: list[str] | None) -> dict:
    """Why a camera runs nowhere: no runner yet, or (hosts: those up) no host for it."""
    if hosts is not None and row.pinned_host and row.pinned_host not in hosts:
        return {"state": "waiting", "message": f"Pinned to host {row.pinned_host}, which is not up "
                "(GET /api/cluster lists the hosts): start it, or pin the camera to another host."}
    if hosts is not None and not hosts:
        return {"state": "waiting", "message": "No host runs cameras: none is up, or each one's "
                "FACES_HOST_RUNS_CAMERAS is off or it lacks the model's weights (GET /api/cluster says why)."}
    return {"state": "waiting", "message": "No process runs the cameras yet; they start "
            "within seconds of the server."}


def _run_state(row: Camera, s: dict | None, hosts: list[str] | None = None) -> dict:
    if not row.enabled:
        return {"state": "disabled", "message": ""}
    if s is None:
        return _waiting(row, hosts)
    return {"state": "running" if s["state"] == "live" else s["state"],
            "message": s["message"], "fps_in": s["fps_in"], "fps_out": s["fps_out"],
            "recognition_ms": s["recognition_latency_ms"],
            "detect_fps": s.get("recognition_fps"), "detect_cycles": s.get("detect_cycles"),
            "opened": s["opened"],
            "frame_size": s["frame_size"], "tracks": s.get("tracks", [])}


def cameras_status(rows: list[Camera], start: bool = True) -> list[dict]:
    """Each camera's row (`camera`) with its state in the runner: running (live), reconnecting,
    failed (with the reason), disabled or waiting (no runner yet); fps in and out, the
    recognition time and rate, how often its source was opened, the tracks in view."""
    live = runner_status(start)
    if not clustered(current_app):
        return [{"camera": row, **_run_state(row, live.get(str(row.id)))} for row in rows]
    leases, hosts = leases_now(), live_hosts()
    out = []
    for row in rows:
        lease = leases.get(row.id)
        # Run here: this process's figures; elsewhere: what its host left on the lease.
        s = live.get(str(row.id)) or (lease and lease["stats"])
        out.append({"camera": row, **_run_state(row, s or None, hosts),
                    "host": lease and lease["host"], "host_since": lease and lease["since"]})
    db.session.rollback()
    return out


def cluster_status() -> dict:
    """The hosts that share this database: each with its cameras and its last heartbeat
    (seconds ago on the database's clock); with SQLite, this host alone runs the cameras."""
    app = current_app
    here = sorted(int(k) for k in runner_status(start=False))
    if not clustered(app):
        return {"clustered": False, "this_host": host_id(app), "running_here": here, "hosts": [],
                "note": "SQLite: one host runs every camera (docs/CLUSTER.md)."}
    leases = leases_now()
    hosts = [{**h, "cameras": sorted(c for c, lease in leases.items() if lease["host"] == h["host_id"])}
             for h in hosts_now()]
    db.session.rollback()
    return {"clustered": True, "this_host": host_id(app), "running_here": here, "hosts": hosts}
