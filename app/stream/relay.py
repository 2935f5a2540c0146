"""A camera run by another process (app/stream/runner.py), relayed to this worker's viewers
through one socket connection per camera and worker (docs/LIVE.md: the hand-over)."""
from __future__ import annotations

import http.client
import socket
import threading
import time
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

from .rates import RateMeter
from .framing import FRAME_HEAD, read_exact
from .runner import MISSING_GRACE

CLUSTER_TOKEN_HEADER = "X-Faces-Cluster-Token"


class RelayCamera:
    """A camera run by another process, seen from this one: one connection to the runner's
    socket, read by one thread, its frames handed to every viewer of this process (the
    same bytes, as LiveCamera does). Started by the first viewer, closed `idle_seconds`
    after the last; reconnects when the runner changes hands."""

    def __init__(self, socket_path: Path, camera_id: int, idle_seconds: float = 10.0, command: str = "frames"):
        self.socket_path, self.camera_id, self.idle_seconds = Path(socket_path), camera_id, idle_seconds
        self.command = command  # "frames": any camera the runner serves; "local": its own only
        self._cond = threading.Condition()
        self._frame_id, self._jpeg = 0, b""
        self._thread: threading.Thread | None = None
        self._last_access = 0.0
        self._closed = False
        self._fps = RateMeter()
        self.missing = False  # the runner has no such camera (after MISSING_GRACE seconds)

    def touch(self) -> None:
        self._last_access = time.monotonic()
        with self._cond:
            if not self._closed and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._run, name="camera-relay", daemon=True)
                self._thread.start()

    def next_jpeg(self, after: int, timeout: float = 2.0) -> tuple[int, bytes] | None:
        self.touch()
        with self._cond:
            if not self._cond.wait_for(lambda: self._frame_id > after or self._closed, timeout):
                return None
            return (self._frame_id, self._jpeg) if self._frame_id > after else None

    def frames(self) -> Iterator[bytes]:
        last = 0
        while not self._closed and not self.missing:
            got = self.next_jpeg(last)
            if got is not None:
                last, jpeg = got
                yield jpeg

    def fps(self) -> float:
        return self._fps.rate(time.monotonic())

    def stop(self, timeout: float = 5.0) -> None:
        self._closed = True
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _idle(self) -> bool:
        return time.monotonic() - self._last_access > self.idle_seconds

    def _run(self) -> None:
        wait, unknown_since = 0.2, None
        while not self._closed and not self._idle():
            try:
                unknown = self._relay()
                wait = 0.2
            except OSError:
                time.sleep(wait)  # no runner yet, or it changed hands
                wait = min(wait * 2, 2.0)
                continue
            if not unknown:
                unknown_since = None
            else:
                unknown_since = unknown_since or time.monotonic()
                if time.monotonic() - unknown_since > MISSING_GRACE:
                    self.missing = True  # viewers' generators end
                    with self._cond:
                        self._cond.notify_all()
                    return
                time.sleep(0.5)  # just added: the runner starts it within a second

    def _relay(self) -> bool:
        """Relay frames until the connection ends; True when the runner has no such camera."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5.0)
            sock.connect(str(self.socket_path))
            sock.sendall(f"{self.command} {self.camera_id}\n".encode())
            return self._pump(lambda n: read_exact(sock, n))

    def _pump(self, read: Callable[[int], bytes]) -> bool:
        """Hand on frames read with `read(n)` (exactly n bytes) until the stream ends; True
        when the other end has no such camera."""
        while not self._closed and not self._idle():
            _, length = FRAME_HEAD.unpack(read(FRAME_HEAD.size))
            if length == 0:
                return True
            jpeg = read(length)
            self._fps.tick(time.monotonic())
            with self._cond:
                # Ids are this relay's own: the runner's restart at 1 after a hand-over.
                self._frame_id += 1
                self._jpeg = jpeg
                self._cond.notify_all()
        return False


class HostRelay(RelayCamera):
    """A camera run by another host, relayed by this host's camera process (so one HTTP
    connection per camera and host, whatever the number of workers and viewers): GET
    `url`/cluster/frames/ID with the cluster token, the same framing as the socket."""

    def __init__(self, url: str, token: str, camera_id: int, idle_seconds: float = 10.0):
        super().__init__(Path("/nonexistent"), camera_id, idle_seconds)
        self.url, self.token = urlsplit(url), token

    def _relay(self) -> bool:
        conn_type = http.client.HTTPSConnection if self.url.scheme == "https" else http.client.HTTPConnection
        conn = conn_type(self.url.hostname, self.url.port, timeout=5.0)
        try:
            conn.request("GET", f"{self.url.path.rstrip('/')}/cluster/frames/{self.camera_id}",
                         headers={CLUSTER_TOKEN_HEADER: self.token})
            response = conn.getresponse()
            if response.status == 404:
                return True
            if response.status != 200:
                raise ConnectionError(f"the camera's host answered {response.status}")
            return self._pump(lambda n: _read_exact(response, n))
        except http.client.HTTPException as e:
            raise ConnectionError(str(e)) from None
        finally:
            conn.close()


def _read_exact(response, n: int) -> bytes:
    data = response.read(n)
    if len(data) != n:
        raise ConnectionError("the camera's host closed the stream")
    return data
