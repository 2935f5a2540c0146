"""Every enabled camera runs once per database, whatever the number of web workers.

One process holds an exclusive `flock` on a file in the instance folder: that process (an
elected web worker, or `flask faces cameras run`) captures and recognises every enabled
camera, and serves their frames and status on a Unix socket beside the lock file. The
kernel drops the lock when its holder dies, however it dies; the other processes try to
take it every `CAMERAS_SYNC_SECONDS`, so the cameras come back within about a second
without waiting for a viewer. Any worker serves a viewer: from the cameras themselves in
the holder, through a `RelayCamera` (one socket connection per camera and worker, shared
by that worker's viewers) elsewhere. docs/LIVE.md says why and what it costs.

Protocol on the socket (one request line per connection):
    frames ID        -> repeated (frame id: u64, length: u32, JPEG bytes); length 0: no such camera
                        (a camera of another host: relayed from it, one connection per host)
    local ID         -> the same, only for a camera run here (what another host relays)
    status           -> (length: u32, JSON {camera id: status})
    face ID TRACK    -> (length: u32, 512 bytes float32 embedding + 160x160x3 uint8 crop); 0: gone
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import socketserver
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..private_files import sqlite_file
from .framing import FRAME_HEAD, LENGTH, ask, frame_records


log = logging.getLogger(__name__)
MISSING_GRACE = 5.0  # seconds a relay waits for a camera the runner does not run yet


def runner_paths(instance: str | Path, database_url: str, host: str = "") -> tuple[Path, Path]:
    """(lock file, socket) for one database: two apps on different databases (tests, two
    sites on one host) each have their own cameras. Beside a SQLite file (they go with
    it), else in the instance folder under a name made from the database URL and the host
    id (two hosts of a cluster on one machine each run their share)."""
    db_file = sqlite_file(database_url)
    if db_file is not None:
        db_file = db_file.resolve()
        sock = db_file.with_name(db_file.name + ".cameras.sock")
        if len(str(sock)) < 100:  # the limit of a Unix socket's path is 107 bytes
            return db_file.with_name(db_file.name + ".cameras.lock"), sock
    tag = hashlib.sha256(f"{database_url} {host}".encode()).hexdigest()[:10]
    folder = Path(instance)
    return folder / f"cameras-{tag}.lock", folder / f"cameras-{tag}.sock"


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        runner: CameraRunner = self.server.runner  # type: ignore[attr-defined]
        words = self.rfile.readline(200).decode(errors="replace").split()
        try:
            if words[:1] == ["frames"] and len(words) == 2:
                camera_id = int(words[1])
                self._frames(runner.cameras.get(camera_id) or runner.remote_feed(camera_id))
            elif words[:1] == ["local"] and len(words) == 2:  # another host asks: ours only
                self._frames(runner.cameras.get(int(words[1])))
            elif words == ["status"]:
                self._answer(json.dumps(runner.local_status()).encode())
            elif words[:1] == ["face"] and len(words) == 3:
                camera = runner.cameras.get(int(words[1]))
                face = camera.recognizer.face_of(int(words[2])) if camera else None
                self._answer(b"" if face is None else
                             np.asarray(face[1], "<f4").tobytes() + np.ascontiguousarray(face[0]).tobytes())
        except (OSError, ValueError):
            pass  # the viewer's worker went away, or a malformed request

    def _answer(self, data: bytes) -> None:
        self.wfile.write(LENGTH.pack(len(data)) + data)

    def _frames(self, camera) -> None:
        if camera is None:
            self.wfile.write(FRAME_HEAD.pack(0, 0))
            return
        for record in frame_records(camera):
            self.wfile.write(record)  # one write per frame: the relay reads the head then the JPEG


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class CameraRunner:
    """Takes the lock when it can and then runs the cameras.

    Args:
        lock_path, socket_path: from runner_paths().
        sync: `sync(runner)` starts, restarts and stops the cameras to match the database
            (app/stream/sync.py: it needs the app); called every `period` seconds while held.
        elect: False for a process that must never run the cameras (web workers when a
            separate `flask faces cameras run` does).
    """

    def __init__(self, lock_path: Path, socket_path: Path, sync: Callable[["CameraRunner"], None],
                 period: float = 1.0, elect: bool = True, on_release: Callable[[], None] | None = None,
                 on_drop: Callable[[list[int]], None] | None = None,
                 lease: Callable[["CameraRunner"], None] | None = None,
                 locate: Callable[[int], object] | None = None):
        self.lock_path, self.socket_path = Path(lock_path), Path(socket_path)
        self.sync, self.period, self.elect = sync, period, elect
        self.on_release = on_release
        self.cameras: dict[int, object] = {}  # camera id -> LiveCamera (only in the holder)
        self.cameras_lock = threading.Lock()  # the round and the watchdog both change them
        # With leases (leases.py): the monotonic time by which the cameras stop unless a
        # round renews their leases; None: no leases (SQLite, the flock is enough).
        self.deadline: float | None = None
        self.held: set[int] | None = set() if lease else None  # leased to this host (None: no leases)
        self.on_drop, self.lease, self.locate = on_drop, lease, locate
        # Rounds of leases 4 times a round period: a round late under load still renews in
        # time, and a dead host's cameras are taken within a quarter second of their expiry.
        self.lease_period = period / 4
        self.remote: dict[int, object] = {}  # camera id -> relay.HostRelay (cameras of other hosts)
        self._remote_lock = threading.Lock()
        self.holding = False
        self.budget = None  # budget.RecognitionBudget shared by the cameras (in the holder)
        self._fd: int | None = None
        self._server: _Server | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()  # set: a round now (the leases changed, or closing)
        self._thread: threading.Thread | None = None

    def start(self) -> "CameraRunner":
        if self._thread is None and self.elect:
            self._thread = threading.Thread(target=self._loop, name="camera-runner", daemon=True)
            self._thread.start()
            if self.lease is not None:
                threading.Thread(target=self._lease_loop, name="camera-leases", daemon=True).start()
                threading.Thread(target=self._watchdog, name="camera-watchdog", daemon=True).start()
        return self

    def _lease_loop(self) -> None:
        """Renew and take leases every period while this process runs the host's cameras:
        a thread of its own, so that a slow camera start in the round never delays them."""
        while not self._stop.wait(self.lease_period):
            if self.holding:
                try:
                    held = self.held
                    self.lease(self)
                    if self.held != held:
                        self._wake.set()  # start or stop cameras now, not at the next round
                except Exception:  # the database gone: the watchdog stops the cameras in time
                    log.exception("camera leases")

    def _watchdog(self) -> None:
        """Stop every camera when their leases were not renewed in time (the database is
        gone or too slow: the round is stuck), before another host may take them."""
        while not self._stop.wait(0.1):
            if self.deadline is not None and time.monotonic() > self.deadline and self.cameras:
                log.warning("camera leases not renewed in time: stopping this host's cameras")
                self.drop_cameras(list(self.cameras))

    def drop_cameras(self, camera_ids: list[int], moved: bool = True) -> None:
        """Stop these cameras here; `moved`: they go on elsewhere, and so do their visits
        (on_drop), else the caller ends them."""
        with self.cameras_lock:
            dropped = [(cid, self.cameras.pop(cid)) for cid in camera_ids if cid in self.cameras]
        for _, camera in dropped:
            camera.stop()
        if dropped and moved and self.on_drop is not None:
            self.on_drop([cid for cid, _ in dropped])

    def wait_until_held(self, timeout: float) -> bool:
        end = time.monotonic() + timeout
        while not self.holding and time.monotonic() < end:
            time.sleep(0.05)
        return self.holding

    def _try_lock(self) -> bool:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())  # for people: who runs the cameras
        self._fd = fd
        return True

    def _serve(self) -> None:
        self.socket_path.unlink(missing_ok=True)  # left by a holder that died
        umask = os.umask(0o177)  # the socket is the holder's user's only
        try:
            self._server = _Server(str(self.socket_path), _Handler)
        finally:
            os.umask(umask)
        self._server.runner = self  # type: ignore[attr-defined]
        threading.Thread(target=self._server.serve_forever, name="camera-socket",
                         daemon=True).start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.holding and self._try_lock():
                    self._serve()
                    self.holding = True
                    log.info("process %d runs the cameras", os.getpid())
                if self.holding:
                    self.sync(self)
            except Exception:  # the database busy, a camera that would not build: next round
                log.exception("camera runner")
            self._wake.wait(self.period)
            self._wake.clear()

    def remote_feed(self, camera_id: int):
        """This host's one relay of a camera that another host runs (None: no leases, or
        no host runs it); made by `locate`, shared by every worker's viewers."""
        if self.locate is None:
            return None
        with self._remote_lock:
            relay = self.remote.get(camera_id)
            if relay is None or relay._closed or relay.missing:
                relay = self.locate(camera_id)
                if relay is None:
                    self.remote.pop(camera_id, None)
                    return None
                self.remote[camera_id] = relay
            return relay

    def local_status(self) -> dict:
        return {str(cid): camera.status() for cid, camera in list(self.cameras.items())}

    def status(self) -> dict:
        """{camera id (str): status} from whichever process runs the cameras ({} if none)."""
        if self.holding:
            return self.local_status()
        try:
            return json.loads(ask(self.socket_path, "status"))
        except (OSError, ValueError):
            return {}

    def face(self, camera_id: int, track_id: int):
        """(aligned crop, embedding) of a track in view on a camera, or None."""
        if self.holding:
            camera = self.cameras.get(camera_id)
            return camera.recognizer.face_of(track_id) if camera else None
        try:
            data = ask(self.socket_path, f"face {camera_id} {track_id}")
        except OSError:
            return None
        if not data:
            return None
        embedding = np.frombuffer(data[:512], "<f4")
        return np.frombuffer(data[512:], np.uint8).reshape(160, 160, 3), embedding

    def close(self) -> None:
        """Stop the cameras, the socket and give the lock up (another process takes over)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)
        for camera in list(self.cameras.values()):
            camera.stop()
        self.cameras.clear()
        if self.budget is not None:
            self.budget.close()
            self.budget = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self.socket_path.unlink(missing_ok=True)
        if self.on_release is not None:
            self.on_release()
        if self._fd is not None:
            os.close(self._fd)  # releases the flock
            self._fd = None
        self.holding = False
