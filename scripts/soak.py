"""A bounded soak of the REST API under gunicorn as `make serve` runs it (2 processes with
threads) on a temporary SQLite database: --clients clients for --seconds seconds, each
request drawn at random from identify (most), enrol, add a photo, rename and delete, on
the sample photos. Counts errors (any 5xx, any unexpected status, any connection error),
and reads each worker's memory (RSS from /proc) at the start, every --sample-seconds
(to see whether it levels off) and at the end. gunicorn gets the environment and, unless
that sets them, harness.SERVE_ENV's settings (MALLOC_ARENA_MAX=2, as `make serve`).

Usage: python scripts/soak.py [--clients 8] [--seconds 600] [--seed 1] [--sample-seconds 60]
Prints one JSON object: requests, errors, p50/p99 per kind, rss_mb_start/end per worker,
rss_mb_timeline ([seconds, [RSS per worker]]), people and faces enrolled at the end.
"""
from __future__ import annotations

from harness import SERVE_ENV, free_port, start_gunicorn, wait_ready  # first: the repository root on sys.path

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

from bench_api import SAMPLES, prepare_db

# kind -> the statuses that are right for it (a taken name, a photo already enrolled or a
# person deleted by another client meanwhile are right answers, not errors).
EXPECTED = {"identify": {200, 422}, "enrol": {201, 409, 422}, "add": {201, 404, 409, 422},
            "rename": {200, 404, 409}, "delete": {204, 404}}
MIX = ["identify"] * 14 + ["enrol"] * 3 + ["add", "rename", "delete"]


def worker_rss_mb(master_pid: int) -> dict[int, float]:
    """RSS (MB) of each child process of the gunicorn master."""
    out = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("PPid", "0").strip()) == master_pid:
            out[int(status.parent.name)] = round(int(fields["VmRSS"].split()[0]) / 1024, 1)
    return out


def sample_rss(master_pid: int, every: float, stop: threading.Event, timeline: list) -> None:
    """Append [seconds since start, sorted worker RSS (MB)] every `every` s until `stop`."""
    start = time.time()
    while not stop.wait(every):
        timeline.append([round(time.time() - start), sorted(worker_rss_mb(master_pid).values())])


class Client(threading.Thread):
    """One client sending a random mix of requests until the deadline."""

    def __init__(self, base: str, key: str, photos: list[Path], deadline: float, seed: int, log):
        super().__init__(daemon=True)
        self.base, self.auth, self.photos, self.deadline = base, {"Authorization": f"Bearer {key}"}, photos, deadline
        self.rng, self.log, self.session = random.Random(seed), log, requests.Session()

    def person_id(self) -> int | None:
        r = self.session.get(self.base + "/api/people?per_page=50", headers=self.auth, timeout=60)
        items = r.json().get("items", []) if r.ok else []
        return self.rng.choice(items)["id"] if items else None

    def send(self, kind: str, pid: int | None) -> int:
        photo = self.rng.choice(self.photos)
        post, url = self.session.post, self.base
        if kind == "identify":
            return post(url + "/api/identify", data=photo.read_bytes(), timeout=120,
                        headers={"Content-Type": "image/jpeg"}).status_code
        if kind == "enrol":
            name = f"{photo.parent.name} {self.rng.randrange(10**6)}"
            return post(url + "/api/people", headers=self.auth, data={"name": name},
                        files={"file": photo.read_bytes()}, timeout=120).status_code
        if kind == "add":
            return post(f"{url}/api/people/{pid}/faces", headers=self.auth,
                        files={"file": photo.read_bytes()}, timeout=120).status_code
        if kind == "rename":
            return self.session.patch(f"{url}/api/people/{pid}", headers=self.auth, timeout=60,
                                      json={"name": f"renamed {self.rng.randrange(10**6)}"}).status_code
        return self.session.delete(f"{url}/api/people/{pid}", headers=self.auth, timeout=60).status_code

    def run(self) -> None:
        while time.time() < self.deadline:
            kind, pid = self.rng.choice(MIX), None
            if kind in ("add", "rename", "delete") and (pid := self.person_id()) is None:
                kind = "enrol"  # nobody enrolled yet
            t0 = time.perf_counter()
            try:
                code = self.send(kind, pid)
            except requests.RequestException as exc:
                code = f"{type(exc).__name__}"
            self.log(kind, (time.perf_counter() - t0) * 1e3, code)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sample-seconds", type=float, default=60)
    args = ap.parse_args()
    photos = sorted(SAMPLES.glob("*/*/*.jpg"))
    times, errors, lock = defaultdict(list), defaultdict(int), threading.Lock()

    def log(kind, ms, code):
        with lock:
            times[kind].append(ms)
            if code not in EXPECTED[kind]:
                errors[f"{kind} {code}"] += 1

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'faces.db'}"
        key = prepare_db(url)
        port = free_port()
        env = {**os.environ, "FACES_DATABASE_URL": url, "FACES_SECRET_KEY": "soak", "FACES_WARM_UP": "1",
               "FACES_THREADS": "1", "FACES_API_RATE_LIMIT": "1000000 per minute"}
        proc = start_gunicorn(port, env, Path(tmp) / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(base, key)
            rss_start = worker_rss_mb(proc.pid)
            timeline, stop = [[0, sorted(rss_start.values())]], threading.Event()
            sampler = threading.Thread(target=sample_rss, daemon=True,
                                       args=(proc.pid, args.sample_seconds, stop, timeline))
            sampler.start()
            deadline = time.time() + args.seconds
            clients = [Client(base, key, photos, deadline, args.seed + i, log) for i in range(args.clients)]
            for c in clients:
                c.start()
            for c in clients:
                c.join()
            stop.set()
            rss_end = worker_rss_mb(proc.pid)
            enrolled = requests.get(base + "/api/health", headers={"Authorization": f"Bearer {key}"},
                                    timeout=60).json()
        finally:
            proc.terminate()
            proc.wait(30)
        server_errors = [line for line in (Path(tmp) / "gunicorn.log").read_text().splitlines()
                         if "Error" in line or "Traceback" in line][-20:]
    pct = {k: {"n": len(v), "p50_ms": round(statistics.median(v), 1),
               "p99_ms": round(sorted(v)[max(0, int(0.99 * len(v)) - 1)], 1)} for k, v in times.items()}
    print(json.dumps({"clients": args.clients, "seconds": args.seconds,
                      "requests": sum(len(v) for v in times.values()),
                      "errors": sum(errors.values()), "error_kinds": dict(errors), "by_kind": pct,
                      "server_log_errors": server_errors,
                      "rss_mb_start": sorted(rss_start.values()), "rss_mb_end": sorted(rss_end.values()),
                      "rss_mb_timeline": timeline,
                      "enrolled": {k: enrolled.get(k) for k in ("people", "faces")},
                      "malloc_arena_max": {**SERVE_ENV, **os.environ}.get("MALLOC_ARENA_MAX"),
                      "load_avg": os.getloadavg()}))


if __name__ == "__main__":
    main()
