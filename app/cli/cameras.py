"""`flask faces cameras add NAME SOURCE`, `list`, `remove ID`, and `run` (the camera process)."""
from __future__ import annotations

import signal
import threading

import click
from flask import current_app

from ..extensions import db
from ..errors import Problem
from ..stream.status import cameras_status
from ..stream.sync import camera_runner
from ..stream.cameras import add_camera, get_camera_row, list_cameras, remove_camera
from . import bp


@bp.cli.group("cameras")
def cameras():
    """The cameras that the server captures and recognises."""


@cameras.command("add")
@click.argument("name")
@click.argument("source")
@click.option("--disabled", is_flag=True, help="Add it without starting it.")
@click.option("--recognition-fps", type=float, help="Recognition cycles per second at most.")
def add(name: str, source: str, disabled: bool, recognition_fps: float | None):
    """Add camera NAME on SOURCE: demo, a webcam number, a video file in the videos folder
    or an rtsp:// / http:// URL."""
    data = {"name": name, "source": source, "enabled": not disabled}
    if recognition_fps is not None:
        data["recognition_fps"] = recognition_fps
    try:
        camera = add_camera(data)
    except Problem as p:
        raise click.ClickException(p.detail) from None
    db.session.commit()
    click.echo(f"camera {camera.id} {camera.name!r} on {camera.source}")


@cameras.command("list")
def list_():
    """The cameras, with their state when a process runs them."""
    for c in cameras_status(list_cameras(), start=False):
        figures = f"{c.get('fps_out', 0)} fps, opened {c.get('opened', 0)}" if "opened" in c else ""
        click.echo(f"{c['id']:3d}  {c['name']:20s} {c['source']:30s} {c['state']:12s} "
                   f"{figures} {c['message']}".rstrip())


@cameras.command("remove")
@click.argument("camera_id", type=int)
def remove(camera_id: int):
    """Remove camera CAMERA_ID."""
    try:
        camera = get_camera_row(camera_id)
    except Problem as p:
        raise click.ClickException(p.detail) from None
    remove_camera(camera)
    db.session.commit()
    click.echo(f"camera {camera_id} removed")


@cameras.command("run")
def run():
    """Run every enabled camera in this process (as the web workers would, one of them
    elected): with FACES_CAMERAS_RUNNER=off on the web workers, this is the camera process.
    Waits for the lock if another process holds it; stops on Ctrl-C or SIGTERM."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    current_app.config["CAMERAS_RUNNER"] = "worker"  # this process does elect itself
    runner = camera_runner()
    click.echo("waiting for the camera lock…" if not runner.wait_until_held(3) else "running the cameras")
    done.wait()
    current_app.extensions["faces"].close()
