"""Whether long-lived connections starve the API: gunicorn as `make serve` runs it (2 processes,
8 threads each) on loopback with the demo camera, --viewers MJPEG viewers of /stream.mjpg and
--slow slow clients held open together (half send a request head a byte at a time, half announce
a 100 kB upload to /api/identify and send 10 bytes a second), while /api/health is asked every
0.1 s on a new connection.

Prints one JSON object: health_ms max and p99 (a request that got no answer within --timeout
counts as the timeout), how many health requests failed, how the viewers were answered (200,
or 503 once every stream slot of a worker is taken) and the frames they received.

Usage: python scripts/bench_starve.py [--viewers 20] [--slow 32] [--seconds 20] [--stock-gthread]
"""
from __future__ import annotations

from harness import SERVE, free_port, start_gunicorn, wait_ready  # first: the repository root on sys.path

import argparse
import json
import os
import socket
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import requests

from bench_api import prepare_db


def viewer(base: str, key: str, stop: threading.Event, out: dict) -> None:
    """One MJPEG viewer on its own connection, reading until `stop`; its status and frames."""
    try:
        with requests.get(base + "/stream.mjpg", stream=True, timeout=10,
                          headers={"Authorization": f"Bearer {key}"}) as r:
            out["status"] = r.status_code
            out["retry_after"] = r.headers.get("Retry-After")
            for chunk in r.iter_content(65536):
                out["frames"] = out.get("frames", 0) + chunk.count(b"--frame\r\n")
                if stop.is_set():
                    return
    except requests.RequestException as e:
        out["error"] = type(e).__name__


def slow_client(port: int, kind: str, stop: threading.Event) -> None:
    """A client that trickles: a request head a byte a second ("head"), or a 100 kB body
    10 bytes a second ("body"), until `stop` (each at most --seconds)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        if kind == "head":
            data = b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
            step = 1
        else:
            s.sendall(b"POST /api/identify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                      b"Content-Length: 100000\r\n\r\n")
            data, step = b"\xff" * 100000, 10
        for i in range(0, len(data), step):
            if stop.wait(1.0):
                return
            try:
                s.sendall(data[i:i + step])
            except OSError:
                return


def health_latencies(base: str, seconds: float, timeout: float) -> tuple[list[float], int]:
    """(ms of each /api/health asked every 0.1 s for `seconds`, how many failed)."""
    times, failed = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            with requests.Session() as s:  # a new connection each time, as a new client
                ok = s.get(base + "/api/health", timeout=timeout).status_code == 200
        except requests.RequestException:
            ok = False
        times.append((time.monotonic() - start) * 1e3 if ok else timeout * 1e3)
        failed += not ok
        time.sleep(max(0.0, 0.1 - (time.monotonic() - start)))
    return times, failed


def run(base: str, key: str, port: int, viewers: int, slow: int, seconds: float,
        timeout: float) -> dict:
    """Viewers and slow clients held open together while health is measured; the figures."""
    stop, outs, threads = threading.Event(), [{} for _ in range(viewers)], []
    for out in outs:
        threads.append(threading.Thread(target=viewer, args=(base, key, stop, out), daemon=True))
    for i in range(slow):
        threads.append(threading.Thread(target=slow_client, daemon=True,
                                        args=(port, "head" if i % 2 else "body", stop)))
    for t in threads:
        t.start()
    time.sleep(2.0)  # everyone connected
    try:
        times, failed = health_latencies(base, seconds, timeout)
    finally:
        stop.set()
        for t in threads:
            t.join(15)
    times.sort()
    statuses = [o.get("status", o.get("error")) for o in outs]
    return {"viewers": viewers, "slow_clients": slow, "seconds": seconds,
            "health_requests": len(times), "health_failed": failed,
            "health_ms_max": round(times[-1], 1),
            "health_ms_p99": round(times[max(0, int(0.99 * len(times)) - 1)], 1),
            "health_ms_median": round(times[len(times) // 2], 1),
            "viewers_by_status": {str(s): statuses.count(s) for s in set(statuses)},
            "viewer_frames_min": min((o.get("frames", 0) for o in outs if o.get("status") == 200),
                                     default=0),
            "retry_after": sorted({o["retry_after"] for o in outs if o.get("retry_after")})}


@contextmanager
def serving(workers: tuple[str, ...] = SERVE):
    """gunicorn with `workers` (`make serve`'s by default) on a temporary database with the
    demo camera, both processes ready; yields (base URL, API key, port)."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'faces.db'}"
        key = prepare_db(url)
        port = free_port()
        env = {**os.environ, "FACES_DATABASE_URL": url, "FACES_SECRET_KEY": "bench", "FACES_WARM_UP": "1",
               "FACES_THREADS": "1", "FACES_CAMERA_SOURCE": "demo", "FACES_CAMERAS_AUTOSTART": "1",
               "FACES_API_RATE_LIMIT": "1000000 per minute"}
        proc = start_gunicorn(port, env, Path(tmp) / "gunicorn.log", workers)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, key)
            yield base, key, port
        finally:
            proc.terminate()
            proc.wait(30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--viewers", type=int, default=20)
    ap.add_argument("--slow", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--timeout", type=float, default=5.0, help="a health request's give-up (s)")
    ap.add_argument("--stock-gthread", action="store_true",
                    help="gunicorn's own gthread worker instead of `make serve`'s (for comparison)")
    args = ap.parse_args()
    workers = SERVE if not args.stock_gthread else tuple(
        "gthread" if a == SERVE[3] else a for a in SERVE)
    with serving(workers) as (base, key, port):
        figures = run(base, key, port, args.viewers, args.slow, args.seconds, args.timeout)
    print(json.dumps({**figures, "worker": workers[3], "load_avg": os.getloadavg()}))


if __name__ == "__main__":
    main()
