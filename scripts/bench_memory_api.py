"""Peak memory of a gunicorn worker, the app as it is served, on the uploads of
scripts/bench_memory.py (POST /api/identify). Not a test: it prints figures.

For each case a fresh single-worker gunicorn (sync, or gthread as `make serve` runs it
with --gthread; FACES_WARM_UP=1) on a temporary database answers one sample photo (the
baseline), then the case; the worker's peak RSS is its VmHWM (reset before each case, so
each figure is that case's own). With --sequence one worker also takes every case one
after the other, then the worst accepted case again (what a long-lived worker sees: what
earlier uploads left in memory counts). The last line printed is one JSON object.

Usage: python scripts/bench_memory_api.py [--cases a,b,...] [--sequence] [--gthread]
"""
from __future__ import annotations

from harness import free_port, start_gunicorn, stop, wait_ready, worker_pid  # first: the repository root on sys.path

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench_api import prepare_db
from bench_memory import CASES, WARM_UP, reset_peak


def worker_mb(pid: int) -> tuple[float, float]:
    """(peak RSS, RSS now) of a process in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    field = lambda name: int(status.split(f"{name}:")[1].split()[0]) / 1024  # noqa: E731
    return round(field("VmHWM"), 1), round(field("VmRSS"), 1)


WORKER = ("-w", "1", "--timeout", "300")
# `make serve`'s worker (gthread), one of them: a request runs in one of 8 threads, whose
# memory glibc spreads over MALLOC_ARENA_MAX=2 arenas.
GTHREAD = ("-w", "1", "-k", "gthread", "--threads", "8", "--timeout", "300")


def serve(tmp: Path, worker: tuple[str, ...] = WORKER):
    """Start one warm worker; returns (process, base URL, worker pid)."""
    url = f"sqlite:///{tmp / 'faces.db'}"
    key_file = tmp / "key"
    if not key_file.exists():
        key_file.write_text(prepare_db(url))
    key = key_file.read_text()  # the worker's PID is told only to a caller with a key
    port = free_port()
    env = {**os.environ, "FACES_DATABASE_URL": url, "FACES_SECRET_KEY": "bench", "FACES_WARM_UP": "1",
           "FACES_API_RATE_LIMIT": "1000000 per minute"}
    proc = start_gunicorn(port, env, tmp / "gunicorn.log", worker)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, key, timeout=180, workers=1, proc=proc)
    except RuntimeError as exc:
        stop(proc)
        raise RuntimeError(f"{exc}: " + (tmp / "gunicorn.log").read_text()[-2000:]) from None
    return proc, base, worker_pid(base, key)


def post(base: str, pid: int, data: bytes) -> dict:
    reset_peak(pid)
    start = time.perf_counter()
    r = requests.post(base + "/api/identify", files={"file": data}, timeout=600)
    body = r.json()
    peak, now = worker_mb(pid)
    answer = {"faces": len(body["faces"])} if r.status_code == 200 else {"type": body.get("type")}
    return {"status": r.status_code, **answer, "seconds": round(time.perf_counter() - start, 2),
            "retry_after": r.headers.get("Retry-After"), "peak_rss_mb": peak, "rss_after_mb": now}


def run(tmp: Path, cases: dict[str, bytes], worker: tuple[str, ...] = WORKER) -> dict:
    """One worker: the warm-up photo, then each case; figures after each."""
    proc, base, pid = serve(tmp, worker)
    try:
        warm = post(base, pid, next(iter(sorted(WARM_UP.glob("*.jpg")))).read_bytes())
        out = {"baseline_rss_mb": warm["peak_rss_mb"], "cases": {}}
        for name, data in cases.items():
            out["cases"][name] = {"bytes": len(data), **post(base, pid, data)}
            out["cases"][name]["increase_mb"] = round(
                out["cases"][name]["peak_rss_mb"] - out["baseline_rss_mb"], 1)
        return out
    finally:
        proc.terminate()
        proc.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument("--sequence", action="store_true")
    parser.add_argument("--gthread", action="store_true", help="a gthread worker, as make serve runs")
    args = parser.parse_args()
    cases = {name: CASES[name]() for name in args.cases.split(",")}
    worker = GTHREAD if args.gthread else WORKER
    figures = {"server": f"gunicorn {' '.join(worker)}, FACES_WARM_UP=1", "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in cases.items():
            one = run(Path(tmp), {name: data}, worker)
            figures["cases"][name] = {"baseline_rss_mb": one["baseline_rss_mb"], **one["cases"][name]}
            print(f"{name:28s} {json.dumps(figures['cases'][name])}", file=sys.stderr)
        accepted = {n: c["peak_rss_mb"] for n, c in figures["cases"].items() if c["status"] in (200, 422)}
        if args.sequence and accepted:
            worst = max(accepted, key=accepted.get)
            figures["sequence"] = seq = run(Path(tmp), {**cases, f"{worst}_again": cases[worst]}, worker)
            figures["sequence_max_peak_rss_mb_accepted"] = max(
                c["peak_rss_mb"] for c in seq["cases"].values() if c["status"] in (200, 422))
    figures["max_peak_rss_mb_accepted"] = max(accepted.values(), default=None)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
