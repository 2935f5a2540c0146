"""kill -9 during enrolment loses nothing: gunicorn as `make serve` runs it (2 workers x 8
threads, FACES_WARM_UP=1, FACES_CAMERAS_AUTOSTART=1) on a temporary SQLite database,
--clients clients enrolling new people through POST /api/people without pause, while
--kills SIGKILLs land on a worker (the master starts another) or, every --master-every
kill, on the master (its workers notice and leave; a new master is started on the same
port). Each kill waits until enrolments are being answered again, then a random fraction
of a second, so kills fall anywhere in a request, the commit included.

Afterwards, with the server stopped, the database itself is checked:
  PRAGMA integrity_check is "ok" and PRAGMA foreign_key_check finds nothing;
  no face row without its person, no person without a face (only enrolments ran);
  every enrolment answered 201 is there, with the id and the name it was answered with.
Requests cut off by a kill (sent, but no answer) may or may not have been saved; they are
counted, and how many of them were saved is told (found by name). Requests refused while
no master listens are counted apart.

Usage: python scripts/kill_test.py [--kills 24] [--clients 6] [--master-every 4] [--seed 1]
Prints one JSON object; exits 1 when a check fails.
"""
from __future__ import annotations

from harness import free_port, start_gunicorn  # first: the repository root on sys.path

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import requests
from urllib3.exceptions import NewConnectionError

from bench_api import SAMPLES, prepare_db

# What an enrolment may rightly answer: saved, a photo whose face cannot be enrolled, busy
# (not 409: the door's duplicate checks are off, see main()).
EXPECTED = {201, 422, 503}


class Server:
    """gunicorn as `make serve` runs it, on one port; restarted after its master is killed."""

    def __init__(self, port: int, env: dict, logs: Path):
        self.port, self.env, self.logs, self.starts = port, env, logs, 0
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = start_gunicorn(self.port, self.env, self.logs / f"gunicorn-{self.starts}.log")
        self.starts += 1

    def workers(self) -> list[int]:
        """PIDs of the master's live children."""
        out = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
            except OSError:
                continue
            if int(fields["PPid"]) == self.proc.pid and not fields["State"].strip().startswith("Z"):
                out.append(int(status.parent.name))
        return out

    def kill_master(self, timeout: float = 60) -> float:
        """SIGKILL the master, wait for its orphaned workers to leave, start a new master.
        Returns the seconds the orphans took to leave."""
        orphans = self.workers()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        t0 = time.time()
        while any(alive(pid) for pid in orphans):
            if time.time() - t0 > timeout:
                raise RuntimeError(f"workers {orphans} outlived their master by {timeout} s")
            time.sleep(0.1)
        left = time.time() - t0
        self.start()
        return left

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        return "\nState:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


class Enrolments:
    """What the clients were answered: every 201 (id -> name), the names of requests cut off
    without an answer, and a count per status."""

    def __init__(self):
        self.lock = threading.Lock()
        self.saved: dict[int, str] = {}
        self.cut_off: list[str] = []
        self.statuses: Counter = Counter()

    def record(self, name: str, status, body: dict | None) -> None:
        with self.lock:
            self.statuses[str(status)] += 1
            if status == 201:
                self.saved[body["id"]] = body["name"]
            elif status == "cut off":
                self.cut_off.append(name)

    def count(self) -> int:
        with self.lock:
            return len(self.saved)


def client(base: str, key: str, number: int, seed: int, stop: threading.Event, out: Enrolments) -> None:
    """Enrol new people (unique names) from random sample photos until `stop`."""
    rng, session, photos = random.Random(seed), requests.Session(), sorted(SAMPLES.glob("train/*/*.jpg"))
    auth, n = {"Authorization": f"Bearer {key}"}, 0
    while not stop.is_set():
        n += 1
        name = f"kill {number} {n}"
        try:
            r = session.post(base + "/api/people", headers=auth, data={"name": name}, timeout=120,
                             files={"file": rng.choice(photos).read_bytes()})
            out.record(name, r.status_code, r.json() if r.status_code == 201 else None)
        except requests.RequestException as exc:
            out.record(name, "refused" if never_sent(exc) else "cut off", None)
            session = requests.Session()
            time.sleep(0.05)  # the port is closed while a master restarts


def never_sent(exc: requests.RequestException) -> bool:
    """Whether the request never reached a server (connection refused: no master listening)."""
    return isinstance(getattr(exc.args[0] if exc.args else None, "reason", None), NewConnectionError)


def wait_serving(server: Server, base: str, key: str, timeout: float = 180) -> None:
    """Until every live worker has answered /api/health (a new one loads the model first),
    so that each kill lands on a worker that is serving."""
    deadline, auth = time.time() + timeout, {"Authorization": f"Bearer {key}"}
    answered: set[int] = set()
    while not (workers := set(server.workers())) or not workers <= answered:
        if time.time() > deadline:
            raise RuntimeError(f"workers {workers - answered} did not answer within {timeout} s")
        try:
            answered.add(requests.get(base + "/api/health", headers=auth, timeout=10).json()["worker_pid"])
        except (requests.RequestException, KeyError, ValueError):
            time.sleep(0.1)


def wait_for_enrolments(out: Enrolments, more: int, timeout: float = 180) -> None:
    """Until `more` new enrolments have been answered 201 (the server is serving again)."""
    target, deadline = out.count() + more, time.time() + timeout
    while out.count() < target:
        if time.time() > deadline:
            raise RuntimeError(f"no {more} enrolments within {timeout} s of a kill")
        time.sleep(0.05)


def kill_loop(server: Server, base: str, key: str, out: Enrolments, args) -> dict:
    """`args.kills` SIGKILLs, each once every worker serves and enrolments are answered
    again; returns what was killed."""
    rng, killed, orphan_s = random.Random(args.seed), Counter(), []
    for k in range(1, args.kills + 1):
        wait_serving(server, base, key)
        wait_for_enrolments(out, 2)
        time.sleep(rng.uniform(0, 0.5))
        if k % args.master_every == 0:
            orphan_s.append(round(server.kill_master(), 2))
            killed["master"] += 1
        else:
            workers = server.workers()
            os.kill(rng.choice(workers), signal.SIGKILL)
            killed["worker"] += 1
    wait_for_enrolments(out, 5)  # it serves after the last kill
    return {**killed, "orphans_left_after_s_max": max(orphan_s, default=None)}


def check_database(path: Path, out: Enrolments) -> dict:
    """The database's own checks and what the clients were answered, with the server stopped."""
    con = sqlite3.connect(path)
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        people = dict(con.execute("SELECT id, name FROM person"))
        return {
            "integrity_check": one("PRAGMA integrity_check"),
            "foreign_key_violations": len(con.execute("PRAGMA foreign_key_check").fetchall()),
            "faces_without_person": one("SELECT COUNT(*) FROM face WHERE person_id NOT IN (SELECT id FROM person)"),
            "people_without_face": one("SELECT COUNT(*) FROM person WHERE id NOT IN (SELECT person_id FROM face)"),
            "people": len(people), "faces": one("SELECT COUNT(*) FROM face"),
            "answered_201": len(out.saved),
            "answered_201_missing": sum(people.get(i) != name for i, name in out.saved.items()),
            "cut_off": len(out.cut_off),
            "cut_off_saved": len(set(out.cut_off) & set(people.values())),
        }
    finally:
        con.close()


def tell_logs(logs: Path, out: Enrolments, lines: int = 40) -> None:
    """On a failed run: what the clients were answered and the end of each gunicorn log, to
    stderr (the logs lie in a temporary folder that is removed)."""
    print(f"statuses so far: {dict(out.statuses)}", file=sys.stderr)
    for log in sorted(logs.glob("gunicorn-*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- {log.name} (last {len(tail)} lines)", *tail, sep="\n", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kills", type=int, default=24)
    ap.add_argument("--clients", type=int, default=6)
    ap.add_argument("--master-every", type=int, default=4, help="every Nth kill is the master's")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    out, stop, t0 = Enrolments(), threading.Event(), time.time()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "faces.db"
        key = prepare_db(f"sqlite:///{db_path}")
        port = free_port()
        env = {**os.environ, "FACES_DATABASE_URL": f"sqlite:///{db_path}", "FACES_SECRET_KEY": "kill",
               "FACES_WARM_UP": "1", "FACES_CAMERAS_AUTOSTART": "1", "FACES_THREADS": "1",
               "FACES_API_RATE_LIMIT": "1000000 per minute", "FACES_INDEX_DIR": str(Path(tmp) / "index"),
               # Thousands of people from a few dozen sample photos: the door would refuse
               # every photo after its first enrolment (duplicate-photo, duplicate-face).
               "FACES_DUPLICATE_FACE_DISTANCE": "-1"}
        server, base = Server(port, env, Path(tmp)), f"http://127.0.0.1:{port}"
        server.start()
        clients = [threading.Thread(target=client, daemon=True,
                                    args=(base, key, i, args.seed * 100 + i, stop, out))
                   for i in range(args.clients)]
        try:
            for c in clients:
                c.start()
            killed = kill_loop(server, base, key, out, args)
        except RuntimeError:
            tell_logs(Path(tmp), out)
            raise
        finally:
            stop.set()
            for c in clients:
                c.join(150)
            server.stop()
        server_errors = [line for log in sorted(Path(tmp).glob("gunicorn-*.log"))
                         for line in log.read_text().splitlines() if "Traceback" in line]
        checks = check_database(db_path, out)
    errors = {s: n for s, n in out.statuses.items() if s not in ("cut off", "refused") and int(s) not in EXPECTED}
    ok = (checks["integrity_check"] == "ok" and not errors and checks["answered_201_missing"] == 0
          and not any(checks[k] for k in ("foreign_key_violations", "faces_without_person",
                                          "people_without_face")))
    print(json.dumps({"ok": ok, "kills": killed, "masters_started": server.starts, **checks,
                      "statuses": dict(out.statuses), "unexpected_statuses": errors,
                      "server_tracebacks": len(server_errors), "seconds": round(time.time() - t0),
                      "clients": args.clients, "load_avg": os.getloadavg()}))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
