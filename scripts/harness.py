"""What the scripts and the tests start around the app, written once: free loopback ports,
gunicorn as `make serve` runs it (or with other workers), waiting until its workers answer,
Debian's mosquitto, a webhook receiver, a network that can be cut. Importing it first also puts the repository root on sys.path and
quietens TensorFlow's C++ log, so that a script run as `python scripts/x.py` imports `app`
after `from harness import ROOT` with no boilerplate of its own."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, NamedTuple

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # before anything imports TensorFlow

# As `make serve` and the Dockerfile run it: 2 processes with threads, and glibc's malloc
# kept to 2 arenas (with one per thread, up to 16 here, memory freed by one thread's
# arena is not reused by the others: a worker grew by 300 MB in 10 minutes; docs/WEBAPP.md, "Soak").
SERVE = ("-w", "2", "-k", "wsgi_worker.BufferingThreadWorker", "--threads", "8", "--timeout", "120")
SERVE_ENV = {"MALLOC_ARENA_MAX": "2"}
# gunicorn's own threaded worker, 2 processes: what the tests of several workers run.
GTHREAD = ("-w", "2", "-k", "gthread", "--threads", "8", "--timeout", "120")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, step: float = 0.1):
    """predicate()'s first truthy value within `timeout` seconds, else None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (value := predicate()):
            return value
        time.sleep(step)
    return None


def seconds_until(predicate: Callable[[], object], timeout: float, step: float = 0.1) -> float | None:
    """How many seconds until predicate() is first truthy (within `timeout`), else None."""
    t0 = time.monotonic()
    return None if wait_for(predicate, timeout, step) is None else time.monotonic() - t0


def start_gunicorn(port: int, env: dict, log_file: Path | None = None,
                   workers: tuple[str, ...] = SERVE) -> subprocess.Popen:
    """gunicorn with `workers` serving wsgi:app on 127.0.0.1:port from the repository root;
    `env` is its whole environment (SERVE_ENV unless it sets those keys). Its stderr goes to
    `log_file`, or to a pipe (proc.stderr) when None."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    stderr = log_file.open("w") if log_file is not None else subprocess.PIPE
    return subprocess.Popen([str(gunicorn), *workers, "-b", f"127.0.0.1:{port}", "wsgi:app"],
                            cwd=ROOT, env={**SERVE_ENV, **env}, stdout=subprocess.DEVNULL, stderr=stderr)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # a worker that ended
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pids(master: int) -> list[int]:
    """The gunicorn master and its workers."""
    pids = [master]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return pids


def server_cpu(master: int) -> float:
    """CPU seconds (user + system) of the gunicorn master and its workers so far."""
    return sum(cpu_seconds(p) for p in server_pids(master))


def worker_pid(base: str, key: str) -> int | None:
    """The PID of the worker that answered /api/health (told only to a caller with a key)."""
    import requests

    try:
        return requests.get(base + "/api/health", timeout=10,
                            headers={"Authorization": f"Bearer {key}"}).json()["worker_pid"]
    except (requests.RequestException, KeyError, ValueError):
        return None


def wait_ready(base: str, key: str, timeout: float = 180, workers: int = 2,
               proc: subprocess.Popen | None = None) -> None:
    """Until `workers` different workers have answered (each loads the networks when it
    starts); raises RuntimeError past `timeout`, or when `proc` has exited."""
    deadline, pids = time.time() + timeout, set()
    with ThreadPoolExecutor(4) as pool:
        while len(pids) < workers:
            if proc is not None and proc.poll() is not None:
                said = proc.stderr.read().decode(errors="replace")[-2000:] if proc.stderr else ""
                raise RuntimeError(f"gunicorn exited ({proc.returncode}) {said}")
            if time.time() > deadline:
                raise RuntimeError(f"gunicorn did not start {workers} workers (saw {sorted(pids)})")
            pids |= set(pool.map(lambda _: worker_pid(base, key), range(8))) - {None}
            time.sleep(0.2)


def mosquitto_binary() -> str | None:
    """Debian's mosquitto (apt-get install mosquitto), or None."""
    return shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else None)


def start_mosquitto(folder: Path, timeout: float = 10) -> tuple[subprocess.Popen, int] | None:
    """(process, port) of mosquitto on a free loopback port, anonymous, without persistence,
    once it accepts connections; None when it is not installed."""
    binary = mosquitto_binary()
    if binary is None:
        return None
    port = free_port()
    conf = Path(folder) / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def accepts() -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    if not wait_for(accepts, timeout):
        proc.terminate()
        raise RuntimeError(f"mosquitto did not listen on 127.0.0.1:{port} within {timeout} s")
    return proc, port


def stop(proc: subprocess.Popen | None, timeout: float = 30) -> None:
    """Terminate a process started here and wait for it (kill it if it does not go)."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


class Post(NamedTuple):
    path: str
    headers: dict
    body: bytes
    at: float  # time.monotonic() when it came


class Receiver:
    """An HTTP server on loopback (a webhook's receiver) that keeps every POST it gets in
    `posts` and answers 204, after `delay` seconds (a slow receiver); stop() and start()
    again on the same port stand for an outage."""

    def __init__(self, delay: float = 0.0):
        self.port, self.delay, self.posts, self.server = free_port(), delay, [], None

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.posts.append(Post(self.path, dict(self.headers), body, time.monotonic()))
                time.sleep(receiver.delay)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


class CutProxy:
    """A proxy standing for the network between one host and a server (its database):
    `cut()` stops every byte both ways while the connections stay open, as a partition
    does (the host's queries hang, they do not fail, and new connections wait); `mend()`
    lets the held bytes and the waiting connections through. `target`: a Unix socket's path
    (PostgreSQL's .s.PGSQL.5432: the proxy listens on one of that name in `folder`, so a
    URL's `host=` names the folder) or (host, port) over TCP (it listens on a loopback port)."""

    def __init__(self, target: str | tuple[str, int], folder: Path | None = None):
        self.target = target
        self.flowing = threading.Event()
        self.flowing.set()
        if isinstance(target, str):
            self.address = str(Path(folder) / Path(target).name)
            self._listener = socket.socket(socket.AF_UNIX)
            self._listener.bind(self.address)
            self._listener.listen(64)
        else:
            self._listener = socket.create_server(("127.0.0.1", 0))
            self.address = self._listener.getsockname()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.flowing.clear()

    def mend(self) -> None:
        self.flowing.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        self.flowing.wait()
        try:
            if isinstance(self.target, str):
                upstream = socket.socket(socket.AF_UNIX)
                upstream.connect(self.target)
            else:
                upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        for src, dst in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while (data := src.recv(65536)):
                self.flowing.wait()
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
