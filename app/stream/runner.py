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
    status           -> (length: u32, JSON {camera id: status})
    face ID TRACK    -> (length: u32, 512 bytes float32 embedding + 160x160x3 uint8 crop); 0: gone
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import socket
import socketserver
import struct
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np

from ..private_files import sqlite_file


log = logging.getLogger(__name__)
FRAME_HEAD = struct.Struct("!QI")
LENGTH = struct.Struct("!I")
MISSING_GRACE = 5.0  # seconds a relay waits for a camera the runner does not run yet


def runner_paths(instance: str | Path, database_url: str) -> tuple[Path, Path]:
    """(lock file, socket) for one database: two apps on different databases (tests, two
    sites on one host) each have their own cameras. Beside a SQLite file (they go with
    it), else in the instance folder under a name made from the database URL."""
    db_file = sqlite_file(database_url)
    if db_file is not None:
        db_file = db_file.resolve()
        sock = db_file.with_name(db_file.name + ".cameras.sock")
        if len(str(sock)) < 100:  # the limit of a Unix socket's path is 107 bytes
            return db_file.with_name(db_file.name + ".cameras.lock"), sock
    tag = hashlib.sha256(database_url.encode()).hexdigest()[:10]
    folder = Path(instance)
    return folder / f"cameras-{tag}.lock", folder / f"cameras-{tag}.sock"


def read_exact(sock: socket.socket, n: int) -> bytes:
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            raise ConnectionError("the camera runner closed the connection")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def ask(socket_path: Path, line: str, timeout: float = 2.0) -> bytes:
    """One request/answer (status, face) to the camera runner; OSError when none answers."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(socket_path))
        sock.sendall(line.encode() + b"\n")
        (length,) = LENGTH.unpack(read_exact(sock, LENGTH.size))
        return read_exact(sock, length)


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        runner: CameraRunner = self.server.runner  # type: ignore[attr-defined]
        words = self.rfile.readline(200).decode(errors="replace").split()
        try:
            if words[:1] == ["frames"] and len(words) == 2:
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
        last = 0
        while not camera._closed:
            got = camera.next_jpeg(last, timeout=2.0)
            if got is None:
                continue
            last, jpeg = got
            # One write per frame: the relay reads the head then the JPEG.
            self.wfile.write(FRAME_HEAD.pack(last, len(jpeg)) + jpeg)


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
                 period: float = 1.0, elect: bool = True, on_release: Callable[[], None] | None = None):
        self.lock_path, self.socket_path = Path(lock_path), Path(socket_path)
        self.sync, self.period, self.elect = sync, period, elect
        self.on_release = on_release
        self.cameras: dict[int, object] = {}  # camera id -> LiveCamera (only in the holder)
        self.holding = False
        self.budget = None  # budget.RecognitionBudget shared by the cameras (in the holder)
        self._fd: int | None = None
        self._server: _Server | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "CameraRunner":
        if self._thread is None and self.elect:
            self._thread = threading.Thread(target=self._loop, name="camera-runner", daemon=True)
            self._thread.start()
        return self

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
            self._stop.wait(self.period)

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
