"""The camera socket's framing (runner.py's protocol), shared by the runner, the relays
and the route that another host relays a camera from."""
from __future__ import annotations

import socket
import struct
from pathlib import Path
from typing import Iterator

FRAME_HEAD = struct.Struct("!QI")  # frame id, JPEG length (0: no such camera)
LENGTH = struct.Struct("!I")


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


def frame_records(camera) -> Iterator[bytes]:
    """A camera's (or a relay's) frames as the socket frames them, until it stops."""
    last = 0
    while not camera._closed and not getattr(camera, "missing", False):
        got = camera.next_jpeg(last, timeout=2.0)
        if got is not None:
            last, jpeg = got
            yield FRAME_HEAD.pack(last, len(jpeg)) + jpeg
