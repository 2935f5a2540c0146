"""Long-lived connections do not starve the API (issue 18, point 6): gunicorn as `make serve`
runs it (wsgi_worker.BufferingThreadWorker), 20 MJPEG viewers and 32 clients trickling their
requests held open together, and /api/health answers every time within 1 s
(scripts/bench_starve.py does the measuring); requests the worker hands to a thread before
their end (large, chunked, Expect: 100-continue, pipelined) are answered as before."""
from __future__ import annotations

import socket
import subprocess

import pytest

from support import photos

pytestmark = pytest.mark.slow
requests = pytest.importorskip("requests")


@pytest.fixture(scope="module")
def server(model_dir):
    from bench_starve import serving

    with serving() as (base, key, port):
        yield base, key, port


def test_viewers_and_slow_clients_leave_the_api_answering(server):
    from bench_starve import run

    figures = run(*server, viewers=20, slow=32, seconds=10, timeout=5.0)
    assert figures["health_failed"] == 0 and figures["health_ms_max"] < 1000, figures
    # The viewers past the workers' stream slots were told when to come back.
    assert set(figures["viewers_by_status"]) <= {"200", "503"}, figures
    assert figures["viewers_by_status"].get("200", 0) >= 4 and figures["viewer_frames_min"] > 0, figures
    if "503" in figures["viewers_by_status"]:
        assert figures["retry_after"] == ["5"], figures


def test_requests_read_partly_by_a_thread_are_answered(server):
    base, _, port = server
    photo = photos("train", "madonna")[0].read_bytes()
    big = photo + b"\0" * (3 * 1024 * 1024)  # past the 1 MB read ahead: the thread reads the rest
    assert requests.post(base + "/api/identify", data=big, timeout=60,
                         headers={"Content-Type": "image/jpeg"}).json()["faces"]
    for header in ("Expect: 100-continue", "Transfer-Encoding: chunked"):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", header,
                              "-H", "Content-Type: image/jpeg", "--data-binary", "@-",
                              base + "/api/identify"], input=photo, capture_output=True, timeout=60)
        assert out.stdout == b"200", (header, out)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:  # two requests at once
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.count(b"HTTP/1.1 200") == 2
