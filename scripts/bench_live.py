"""Speed of the live video on this machine: N demo cameras (1, 2, 4; 640x480, 25 fps each,
1-3 faces) run once by `gunicorn -w 4` on loopback, one viewer per camera on a new
connection (so any of the four workers serves it: relayed from the camera process or
from the cameras themselves), with 3 of the 5 sample people enrolled.

Per camera and N:
  stream_fps: MJPEG frames per second that its viewer receives.
  label_latency_ms: median time from the capture of the frame in which a face was first
      detected to the moment its name was known (`named_after_ms` in /api/cameras), plus
      the median recognition cycle (the most a face waits to be detected at all);
  detect_fps: recognition cycles per second (each camera's `recognition_fps` caps it, 10).
The whole server: cpu_cores (master and every worker, user + system) per N; for one camera
  the cost of each extra viewer (cores), split by how the viewers were served (local or
  relay, the X-Camera-Feed header).
opened: how many times each source was opened, after viewers joined and left on every worker.
privacy: with --privacy-rounds R, one camera and one viewer, its privacy mode alternated
  off / unknown / all R times (alternating: the machine's load drifts); the server's cores
  per mode and the extra of each mode over off, in percent (the target: at most 10 %).
Events: webhook_latency_ms_p95 and mqtt_latency_ms_p95, from the event's time (set when the
  recognition is made) to its arrival at a receiver run here (HTTP) and at a subscriber of
  Debian's mosquitto started here (skipped, saying so, without it).

Usage: python scripts/bench_live.py [--seconds 15] [--cameras 1,2,4] [--workers 4] [--churn-seconds 15]
                                    [--privacy-rounds 2] [--scene demo|door]
FACES_LIVE_MOTION_GATE=0 in the environment measures without the motion gate (docs/LIVE.md).
Prints the figures; the last line is one JSON object.
"""
from __future__ import annotations

from harness import ROOT, free_port, server_cpu, start_gunicorn, start_mosquitto  # first: the repository root on sys.path

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

from bench_api import prepare_db
from door_clip import door_clip

SAMPLES = ROOT / "instance" / "samples"
ENROLLED = ("ben_afflek", "elton_john", "jerry_seinfeld")


def enrol(base: str, key: str, photos_each: int = 3) -> None:
    auth = {"Authorization": f"Bearer {key}", "Content-Type": "image/jpeg"}
    for folder in ENROLLED:
        pid, added = None, 0
        for path in sorted((SAMPLES / "train" / folder).glob("*.jpg")):
            url = f"{base}/api/people?name={folder}" if pid is None else f"{base}/api/people/{pid}/faces"
            r = requests.post(url, headers=auth, data=path.read_bytes(), timeout=120)
            if r.status_code == 201:
                pid, added = pid or r.json()["id"], added + 1
            if added == photos_each:
                break


def event_latency_ms(event: dict) -> float:
    sent = datetime.fromisoformat(event["time"].rstrip("Z")).replace(tzinfo=timezone.utc)
    return (datetime.now(timezone.utc) - sent).total_seconds() * 1e3


class Receiver:
    """Webhook receiver on loopback: keeps each event's latency."""

    def __init__(self):
        self.latencies: list[float] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if event["type"] != "test":
                    receiver.latencies.append(event_latency_ms(event))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"


class MqttLatency:
    def __init__(self, port: int):
        import paho.mqtt.client as mqtt
        self.latencies: list[float] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench")
        self.client.on_connect = lambda c, *_: c.subscribe("facerec/events/#", qos=1)
        self.client.on_message = lambda _c, _u, msg: self.latencies.append(event_latency_ms(json.loads(msg.payload)))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()


def viewer(base: str, camera_id: int, stop: threading.Event, counts: dict, feeds: list) -> None:
    """Read one camera's MJPEG stream on a new connection, counting parts, until stop."""
    with requests.get(f"{base}/stream/{camera_id}.mjpg", stream=True, timeout=30) as r:
        feeds.append(r.headers.get("X-Camera-Feed"))
        for chunk in r.iter_content(65536):
            counts[camera_id] = counts.get(camera_id, 0) + chunk.count(b"--frame\r\n")
            if stop.is_set():
                return


def cameras(base: str) -> list[dict]:
    return requests.get(base + "/api/cameras", timeout=30).json()["items"]


def phase(base: str, master: int, viewers: list[int], seconds: float) -> dict:
    """Viewers (camera ids, one connection each); fps per viewer, the server's CPU, and the
    label latency per camera after a warm-up."""
    stop, feeds = threading.Event(), []
    per_viewer: dict = {(cid, i): {} for i, cid in enumerate(viewers)}  # -> its frame count
    threads = [threading.Thread(target=viewer, args=(base, cid, stop, counts, feeds), daemon=True)
               for (cid, _), counts in per_viewer.items()]
    for t in threads:
        t.start()
    time.sleep(3)  # everyone connected, relays warm
    start_counts = {k: v.get(k[0], 0) for k, v in per_viewer.items()}
    cpu0, t0 = server_cpu(master), time.monotonic()
    latencies: dict[int, list] = {}
    cycles: dict[int, list] = {}
    detects: dict[int, list] = {}
    while time.monotonic() - t0 < seconds:
        for c in cameras(base):
            cycles.setdefault(c["id"], []).append(c.get("recognition_ms") or 0.0)
            detects.setdefault(c["id"], []).append(c.get("detect_fps") or 0.0)
            latencies.setdefault(c["id"], []).extend(
                t["named_after_ms"] for t in c.get("tracks", []) if t["named_after_ms"] is not None)
        time.sleep(0.25)
    elapsed = time.monotonic() - t0
    cpu = (server_cpu(master) - cpu0) / elapsed
    stop.set()
    for t in threads:
        t.join(5)
    fps = {k: (v.get(k[0], 0) - start_counts[k]) / elapsed for k, v in per_viewer.items()}
    label = {cid: round(statistics.median(latencies[cid]) + statistics.median(cycles[cid]), 1)
             for cid in latencies if latencies[cid]}
    return {"fps": fps, "cpu": cpu, "label": label, "feeds": feeds,
            "cycle": {cid: round(statistics.median(v), 1) for cid, v in cycles.items()},
            "detect_fps": {cid: round(statistics.median(v), 1) for cid, v in detects.items()}}


def join_and_leave(base: str, ids: list[int], seconds: float) -> None:
    """Viewers join and leave every camera on new connections (every worker serves some)
    for about `seconds`."""
    def once(cid):
        stop = threading.Event()
        t = threading.Thread(target=viewer, args=(base, cid, stop, {}, []), daemon=True)
        t.start()
        time.sleep(1.0)
        stop.set()
        t.join(5)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        threads = [threading.Thread(target=once, args=(cid,)) for cid in ids for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()


def privacy_cost(base: str, auth: dict, master: int, camera_id: int, rounds: int, seconds: float) -> dict:
    """Server cores with one viewer of `camera_id` per privacy mode, the modes alternated
    `rounds` times; and each mode's extra over off (percent)."""
    cores: dict[str, list] = {"off": [], "unknown": [], "all": []}
    for _ in range(rounds):
        for mode in cores:
            requests.patch(f"{base}/api/cameras/{camera_id}", json={"privacy": mode}, headers=auth,
                           timeout=30).raise_for_status()
            cores[mode].append(phase(base, master, [camera_id], seconds)["cpu"])
    requests.patch(f"{base}/api/cameras/{camera_id}", json={"privacy": "off"}, headers=auth, timeout=30)
    mean = {mode: statistics.mean(v) for mode, v in cores.items()}
    return {"cores": {mode: [round(c, 3) for c in v] for mode, v in cores.items()},
            "extra_percent": {mode: round(100 * (mean[mode] / mean["off"] - 1), 1) for mode in ("unknown", "all")}}


def p95(values: list[float]) -> float | None:
    return round(statistics.quantiles(values, n=20)[-1], 1) if len(values) >= 2 else None


def scene(name: str, folder: Path) -> tuple[str, dict, str]:
    """The cameras' source for --scene, the settings it needs and what it shows."""
    if name == "demo":
        return "demo", {}, "demo 640x480 25 fps, 1-3 faces per camera, always moving"
    (folder / "videos").mkdir()
    door_clip(folder / "videos" / "door.avi", still=8.0)
    return str(folder / "videos" / "door.avi"), {"VIDEOS_DIR": str(folder / "videos")}, \
        "door clip 640x480 25 fps: a still empty hall 8 s, a person walks in (1 s) and stands 3 s, looped"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--cameras", default="1,2,4")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--privacy-rounds", type=int, default=2,
                    help="rounds of off / unknown / all on one camera (0: none)")
    ap.add_argument("--churn-seconds", type=float, default=15,
                    help="viewers joining and leaving every camera before `opened` is read")
    ap.add_argument("--scene", choices=("demo", "door"), default="demo",
                    help="demo: the demo camera; door: a still hall, then a person (scripts/door_clip.py)")
    args = ap.parse_args()
    steps = [int(n) for n in args.cameras.split(",")]
    figures: dict = {"workers": args.workers, "seconds_per_phase": args.seconds,
                     "motion_gate": os.environ.get("FACES_LIVE_MOTION_GATE", "on (default)")}
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'faces.db'}"
        source, settings, figures["source"] = scene(args.scene, Path(tmp))
        key = prepare_db(url, CAMERA_SOURCE=source, **settings)  # the first camera
        auth = {"Authorization": f"Bearer {key}"}
        started = start_mosquitto(Path(tmp))
        if started is None:
            print("mosquitto is not installed: no MQTT figures (apt-get install mosquitto)")
        mosquitto, mqtt_port = started or (None, None)
        receiver = Receiver()
        port = free_port()
        env = {**os.environ, "FACES_DATABASE_URL": url, "FACES_SECRET_KEY": "bench", "FACES_WARM_UP": "1",
               "FACES_CAMERA_SOURCE": source, "FACES_LIVE_OPEN": "1", "FACES_CAMERAS_AUTOSTART": "1",
               "FACES_API_RATE_LIMIT": "100000 per minute",
               "FACES_ALLOW_LOCAL_TARGETS": "1",  # the webhook receiver listens on loopback
               # People leave the demo and come back: departures and new arrivals within a run.
               "FACES_LIVE_ARRIVAL_COOLDOWN_SECONDS": "5",
               **{f"FACES_{k}": v for k, v in settings.items()}}
        if mqtt_port:
            env.update(FACES_MQTT_HOST="127.0.0.1", FACES_MQTT_PORT=str(mqtt_port))
        proc = start_gunicorn(port, env, Path(tmp) / "log",
                              ("-w", str(args.workers), "-k", "gthread", "--threads", "16"))
        base = f"http://127.0.0.1:{port}"
        mqtt = None
        try:
            for _ in range(900):
                try:
                    requests.get(base + "/api/health", timeout=5).raise_for_status()
                    break
                except requests.RequestException:
                    time.sleep(0.3)
            enrol(base, key)
            requests.post(base + "/api/webhooks", json={"url": receiver.url}, headers=auth, timeout=30)
            if mqtt_port:
                mqtt = MqttLatency(mqtt_port)
            for n in steps:
                while len(cameras(base)) < n:
                    k = len(cameras(base)) + 1
                    requests.post(base + "/api/cameras", json={"name": f"Camera {k}", "source": source},
                                  headers=auth, timeout=30).raise_for_status()
                deadline = time.monotonic() + 60
                while not all(c["state"] == "running" and c["fps_in"] > 10 for c in cameras(base)):
                    assert time.monotonic() < deadline, cameras(base)
                    time.sleep(0.5)
                ids = [c["id"] for c in cameras(base)]
                if n == 1:  # the cost of viewers: none, one, three on one camera
                    cpu_none = phase(base, proc.pid, [], args.seconds)["cpu"]
                    three = phase(base, proc.pid, ids * 3, args.seconds)
                    figures["cpu_cores_1_camera_0_viewers"] = round(cpu_none, 3)
                    figures["cpu_cores_1_camera_3_viewers"] = round(three["cpu"], 3)
                    figures["cpu_cores_per_viewer"] = round((three["cpu"] - cpu_none) / 3, 3)
                    figures["viewers_served"] = {f: three["feeds"].count(f) for f in set(three["feeds"])}
                    figures["stream_fps_3_viewers"] = [round(v, 1) for v in three["fps"].values()]
                    if args.privacy_rounds:
                        figures["privacy"] = privacy_cost(base, auth, proc.pid, ids[0],
                                                          args.privacy_rounds, args.seconds)
                got = phase(base, proc.pid, ids, args.seconds)
                figures[f"{n}_cameras"] = {
                    "stream_fps": [round(got["fps"][(cid, i)], 1) for i, cid in enumerate(ids)],
                    "label_latency_ms": [got["label"].get(cid) for cid in ids],
                    "recognition_cycle_ms": [got["cycle"].get(cid) for cid in ids],
                    "detect_fps": [got["detect_fps"].get(cid) for cid in ids],
                    "detect_cycles": [c.get("detect_cycles") for c in cameras(base)],
                    "cpu_cores": round(got["cpu"], 3)}
            join_and_leave(base, [c["id"] for c in cameras(base)], args.churn_seconds)
            figures["churn_seconds"] = args.churn_seconds
            figures["opened"] = [c["opened"] for c in cameras(base)]
            figures["webhook_events"] = len(receiver.latencies)
            figures["webhook_latency_ms_p95"] = p95(receiver.latencies)
            if mqtt is not None:
                figures["mqtt_events"] = len(mqtt.latencies)
                figures["mqtt_latency_ms_p95"] = p95(mqtt.latencies)
        finally:
            proc.terminate()
            proc.wait(30)
            if mqtt is not None:
                mqtt.client.loop_stop()
            if mosquitto is not None:
                mosquitto.terminate()
                mosquitto.wait(10)
            receiver.server.shutdown()
    figures["load_avg_1min"] = round(os.getloadavg()[0], 2)
    for k, v in figures.items():
        print(f"{k:34s} {v}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
