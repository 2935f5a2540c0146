"""Speed of the REST API end to end on loopback: POST /api/identify with a 640x480 JPEG
holding one face, against gunicorn with 2 workers on a temporary database in which the
5 sample people are enrolled.

api_identify_ms: median wall time of --runs sequential requests (one client).
api_identify_rps: identifications per second with --clients concurrent clients sending
--requests requests in all; errors are counted (any status but 200).
api_identify_server_cpu_ms / api_identify_client_cpu_ms: CPU time (user + system) per
identification of the server (gunicorn's master and workers) and of this process (the
clients) while they ran: figures that hold on a shared machine, where the wall-clock ones
follow the other work. The clients run on the same cores as the server, so the rate is at
most cores / (server + client CPU per identification).

Usage: python scripts/bench_api.py [--runs 40] [--clients 8] [--requests 160] [--faces-threads 1]
Prints one JSON object.
"""
from __future__ import annotations

from harness import ROOT, free_port, server_cpu, start_gunicorn, wait_ready  # first: the repository root on sys.path

import argparse
import json
import logging
import os
import resource
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import requests

from bench import PHOTO, frame_640x480

log = logging.getLogger("bench_api")
SAMPLES = ROOT / "instance" / "samples"


def prepare_db(url: str, **config) -> str:
    """Migrate a fresh database (`config`: settings the migrations read, such as
    CAMERA_SOURCE) and create an API key; returns the key."""
    import flask_migrate

    from app import create_app
    from app.config import Config
    from app.extensions import db
    from app.models import ApiKey

    app = create_app(type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url, **config}))
    with app.app_context():
        flask_migrate.upgrade()
        _, key = ApiKey.create("bench")
        db.session.commit()
    return key


def enrol_samples(base: str, key: str) -> None:
    for folder in sorted((SAMPLES / "train").iterdir()):
        for path in sorted(folder.glob("*.jpg")):
            r = requests.post(base + "/api/people", headers={"Authorization": f"Bearer {key}"},
                              data={"name": folder.name}, files={"file": path.read_bytes()}, timeout=60)
            if r.status_code == 201:
                break


def own_cpu() -> float:
    """CPU seconds (user + system) of this process, every thread, so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=160)
    ap.add_argument("--faces-threads", type=int, default=1,
                    help="FACES_THREADS of the server: CPU threads per network (1 as `make serve`)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    frame = frame_640x480(PHOTO)
    body = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'faces.db'}"
        key = prepare_db(url)
        port = free_port()
        env = {**os.environ, "FACES_DATABASE_URL": url, "FACES_SECRET_KEY": "bench", "FACES_WARM_UP": "1",
               "FACES_THREADS": str(args.faces_threads), "FACES_API_RATE_LIMIT": "1000000 per minute"}
        log_file = Path(tmp) / "gunicorn.log"
        proc = start_gunicorn(port, env, log_file)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, key)
            enrol_samples(base, key)
            session = requests.Session()

            def identify(s=session) -> tuple[float, int]:
                t0 = time.perf_counter()
                r = s.post(base + "/api/identify", data=body, headers={"Content-Type": "image/jpeg"}, timeout=60)
                return (time.perf_counter() - t0) * 1e3, r.status_code

            for _ in range(4):  # warm-up, both workers
                ms, code = identify()
                if code != 200:
                    raise RuntimeError(f"identify answered {code}; gunicorn's log ends with:\n"
                                       + log_file.read_text()[-3000:])
            times = [identify()[0] for _ in range(args.runs)]
            log.info("sequential: median %.1f ms", statistics.median(times))
            t0, server0, client0 = time.perf_counter(), server_cpu(proc.pid), own_cpu()
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(lambda _: identify(requests), range(args.requests)))
            elapsed = time.perf_counter() - t0
            server, client = server_cpu(proc.pid) - server0, own_cpu() - client0
        finally:
            proc.terminate()
            proc.wait(30)
    errors = sum(code != 200 for _, code in results)
    print(json.dumps({
        "api_identify_ms": round(statistics.median(times), 1),
        "api_identify_ms_p90": round(sorted(times)[int(0.9 * len(times)) - 1], 1),
        "api_identify_rps": round(args.requests / elapsed, 2),
        "api_identify_concurrent_median_ms": round(statistics.median(t for t, _ in results), 1),
        "api_identify_server_cpu_ms": round(server / args.requests * 1e3, 1),
        "api_identify_client_cpu_ms": round(client / args.requests * 1e3, 1),
        "faces_threads": args.faces_threads, "load_average": [round(x, 2) for x in os.getloadavg()],
        "clients": args.clients, "requests": args.requests, "errors": errors,
        "workers": 2, "image": "640x480 JPEG, one face", "cpu_count": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
