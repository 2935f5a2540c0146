"""gunicorn's gthread worker, with requests read before they get a thread.

Stock gthread hands a connection to one of its threads (8 a process under `make serve`) as
soon as the first byte arrives; the thread then blocks until the request head and the body
have come. 16 clients that trickle a request (a byte a second) held every thread of both
processes, and /api/health went unanswered (issue 18). Here the worker's event loop reads
each request, without blocking, until its head and its body (up to BODY_BUFFER bytes) are
in; only then does a thread parse and answer it from that buffer, as nginx buffers requests
for its upstream. A request not in within REQUEST_SECONDS is dropped. Bodies larger than
BODY_BUFFER, chunked ones and `Expect: 100-continue` get their thread once the head is in
(the thread reads the rest); TLS connections are served as stock gthread serves them.

Used by `make serve` and the Dockerfile: `-k wsgi_worker.BufferingThreadWorker` (beside
wsgi.py, outside the app package, so that gunicorn's master process does not import the app).
Written against gunicorn 27.0.1 (pinned): it overrides `enqueue_req`, `handle` and
`murder_pending` of `gunicorn.workers.gthread.ThreadWorker`.
"""
from __future__ import annotations

import re
import selectors
import time
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

BODY_BUFFER = 1024 * 1024  # bytes of a body read ahead (a 640x480 JPEG is ~60 kB)
HEAD_MAX = 64 * 1024  # a longer head goes to the parser, which refuses it
TOTAL_BUFFER = 64 * 1024 * 1024  # bytes buffered at once per process; beyond, threads read
REQUEST_SECONDS = 60.0  # a request's head and buffered body arrive within this
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*([0-9]{1,18})[ \t]*(?=\r\n)", re.I)
THREAD_READS = re.compile(rb"\r\n(transfer-encoding|expect):", re.I)


def _complete(data: bytearray) -> bool:
    """Whether a thread may take the request in `data` now: its head and its body (up to
    BODY_BUFFER) are in, or the rest is the thread's to read (see the module's text)."""
    if data.startswith(b"PRI "):  # an HTTP/2 preface: gunicorn's own handling
        return True
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return len(data) > HEAD_MAX
    head = bytes(data[:end + 2])
    if THREAD_READS.search(head):
        return True
    length = CONTENT_LENGTH.search(head)
    body = int(length.group(1)) if length else 0
    return len(data) - end - 4 >= min(body, BODY_BUFFER)


class BufferingThreadWorker(ThreadWorker):
    """ThreadWorker whose connections wait in the event loop, not on a thread, until their
    request is in (module docstring)."""

    def init_process(self):
        self.reading: dict = {}  # connection -> (bytes so far, deadline)
        self.buffered = 0  # bytes in `reading`
        super().init_process()

    def enqueue_req(self, conn):
        """Read the connection's next request in the event loop first (stock gthread: a
        thread at once, kept for TLS, bytes already read ahead, and a full buffer)."""
        pending = conn.parser is not None and conn.parser.unreader.buf.getvalue()
        if self.cfg.is_ssl or pending or self.buffered > TOTAL_BUFFER:
            return super().enqueue_req(conn)
        conn.sock.setblocking(False)
        self.reading[conn] = (bytearray(), time.monotonic() + REQUEST_SECONDS)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn, _sock) -> None:
        data, _ = self.reading[conn]
        try:
            chunk = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client went away before its request was in
            self._forget(conn)
            self.nr_conns -= 1
            conn.close()
            return
        data += chunk
        self.buffered += len(chunk)
        if _complete(data):
            self._forget(conn)
            conn.data_ready = True  # handle() must not wait for data: it is here
            conn.read_ahead = bytes(data)
            super().enqueue_req(conn)

    def _forget(self, conn) -> None:
        data, _ = self.reading.pop(conn)
        self.buffered -= len(data)
        self.poller.unregister(conn.sock)

    def handle(self, conn):
        """A thread's turn: the request read so far goes back in front of the parser."""
        data = getattr(conn, "read_ahead", None)
        if data:
            conn.read_ahead = None
            conn.sock.setblocking(True)
            conn.init()
            conn.parser.unreader.unread(data)
        return super().handle(conn)

    def murder_pending(self):
        """Also drop the connections whose request did not arrive within REQUEST_SECONDS."""
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, (_, deadline) in self.reading.items() if deadline < now]:
            self._forget(conn)
            self.nr_conns -= 1
            conn.close()
