"""Speed of the live video on this machine: the `demo` camera (640x480, 1-3 faces) served by
gunicorn (1 worker, threads) on loopback, with 3 of the 5 sample people enrolled.

stream_fps: MJPEG frames per second that one viewer receives.
label_latency_ms: median time from the capture of the frame in which a face was first
    detected to the moment its name was known (`named_after_ms` in /api/stream/status),
    plus the median recognition cycle (the most a face waits to be detected at all).
cpu_ratio_3_viewers_vs_1: CPU seconds of the server process with three viewers over those
    with one (the frames are encoded once for everyone).

Usage: python scripts/bench_live.py [--seconds 15]
Prints the figures; the last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_api import free_port, prepare_db, start_gunicorn  # noqa: E402

SAMPLES = ROOT / "instance" / "samples"
ENROLLED = ("ben_afflek", "elton_john", "jerry_seinfeld")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def enrol(base: str, key: str, photos_each: int = 3) -> None:
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "image/jpeg"}
    for folder in ENROLLED:
        pid, added = None, 0
        for path in sorted((SAMPLES / "train" / folder).glob("*.jpg")):
            url = f"{base}/api/people?name={folder}" if pid is None else f"{base}/api/people/{pid}/faces"
            r = requests.post(url, headers=auth, data=path.read_bytes(), timeout=60)
            if r.status_code == 201:
                pid, added = pid or r.json()["id"], added + 1
            if added == photos_each:
                break


def viewer(base: str, stop: threading.Event, counts: list, slot: int) -> None:
    """Read the MJPEG stream, counting parts, until stop."""
    with requests.get(base + "/stream.mjpg", stream=True, timeout=30) as r:
        for chunk in r.iter_content(65536):
            counts[slot] += chunk.count(b"--frame\r\n")
            if stop.is_set():
                return


def phase(base: str, worker: int, viewers: int, seconds: float) -> dict:
    """Run `viewers` viewers; measure fps per viewer and the worker's CPU after a warm-up."""
    stop, counts = threading.Event(), [0] * viewers
    threads = [threading.Thread(target=viewer, args=(base, stop, counts, i), daemon=True)
               for i in range(viewers)]
    for t in threads:
        t.start()
    time.sleep(3)  # everyone connected, camera warm
    start_counts, cpu0, t0 = list(counts), cpu_seconds(worker), time.monotonic()
    latencies, cycles = [], []
    while time.monotonic() - t0 < seconds:
        s = requests.get(base + "/api/stream/status", timeout=10).json()
        cycles.append(s["recognition_latency_ms"])
        latencies += [t["named_after_ms"] for t in s["tracks"] if t["named_after_ms"] is not None]
        time.sleep(0.25)
    elapsed = time.monotonic() - t0
    cpu = cpu_seconds(worker) - cpu0
    stop.set()
    for t in threads:
        t.join(5)
    fps = [(c - s0) / elapsed for c, s0 in zip(counts, start_counts)]
    return {"fps": fps, "cpu": cpu / elapsed, "latencies": latencies, "cycles": cycles}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=15)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'faces.db'}"
        key = prepare_db(url)
        port = free_port()
        env = {**os.environ, "FACES_DATABASE_URL": url, "SECRET_KEY": "bench", "FACES_WARM_UP": "1",
               "CAMERA_SOURCE": "demo", "FACES_LIVE_OPEN": "1"}
        # One worker with threads: the camera is shared within a process.
        proc = start_gunicorn(port, env, Path(tmp) / "log",
                              ("-w", "1", "-k", "gthread", "--threads", "16"))
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                try:
                    worker = requests.get(base + "/api/health", timeout=5,
                                          headers={"Authorization": f"Bearer {key}"}).json()["worker_pid"]
                    break
                except requests.RequestException:
                    time.sleep(0.3)
            enrol(base, key)
            one = phase(base, worker, 1, args.seconds)
            three = phase(base, worker, 3, args.seconds)
        finally:
            proc.terminate()
            proc.wait(30)
    figures = {
        "stream_fps": round(one["fps"][0], 1),
        "stream_fps_3_viewers": [round(f, 1) for f in three["fps"]],
        "label_latency_ms": round(statistics.median(one["latencies"] + three["latencies"])
                                  + statistics.median(one["cycles"] + three["cycles"]), 1),
        "named_after_first_detection_ms": round(statistics.median(one["latencies"] + three["latencies"]), 1),
        "recognition_cycle_ms": round(statistics.median(one["cycles"] + three["cycles"]), 1),
        "cpu_cores_1_viewer": round(one["cpu"], 3),
        "cpu_cores_3_viewers": round(three["cpu"], 3),
        "cpu_ratio_3_viewers_vs_1": round(three["cpu"] / one["cpu"], 3),
        "source": "demo 640x480, 1-3 faces", "seconds_per_phase": args.seconds,
        "load_avg_1min": round(os.getloadavg()[0], 2),
    }
    for k, v in figures.items():
        print(f"{k:34s} {v}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
