"""Two gunicorn workers on a loopback port: enrol through one request, identify through many
(concurrently, so both workers answer), every answer right (the gallery generation)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT, cli_api_key, make_app, photos

requests = pytest.importorskip("requests")

PEOPLE = ["ben_afflek", "elton_john", "madonna"]
STRANGER = "mindy_kaling"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health_pid(base: str) -> int | None:
    try:
        return requests.get(base + "/api/health", timeout=10).json()["worker_pid"]
    except requests.RequestException:  # not listening yet, or a worker still loading
        return None


@pytest.fixture(scope="module")
def server(model_dir, tmp_path_factory):
    """gunicorn -w 2 on a migrated temporary database; yields (base URL, API key)."""
    db_path = tmp_path_factory.mktemp("gunicorn") / "faces.db"
    app = make_app(db_path)
    key = cli_api_key(app)
    port = free_port()
    env = {**os.environ, "FACES_DATABASE_URL": f"sqlite:///{db_path}", "SECRET_KEY": "test",
           "FACES_API_RATE_LIMIT": "100000 per minute", "FACES_THREADS": "1", "FACES_WARM_UP": "1",
           "FACES_IDENTIFY_THRESHOLD": "1.12"}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "-w", "2", "-b", f"127.0.0.1:{port}", "--timeout", "120",
                             "wsgi:app"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        # Ready when both workers (each loads the model at start) have answered.
        deadline, pids = time.time() + 180, set()
        with ThreadPoolExecutor(4) as pool:
            while len(pids) < 2:
                assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
                assert time.time() < deadline, f"gunicorn did not start two workers ({pids})"
                pids |= set(pool.map(lambda _: health_pid(base), range(8))) - {None}
                time.sleep(0.2)
        yield base, key
    finally:
        proc.terminate()
        proc.wait(30)


def test_two_workers_agree(server):
    base, key = server
    auth = {"Authorization": f"Bearer {key}"}
    # Enrol (3 photos each, as in test_flow) ...
    for folder in PEOPLE:
        person = None
        for path in photos("train", folder):
            if person is None:
                r = requests.post(base + "/api/people", headers=auth, data={"name": folder},
                                  files={"file": path.read_bytes()}, timeout=60)
                person = r.json()["id"] if r.status_code == 201 else None
            else:
                r = requests.post(f"{base}/api/people/{person}/faces", headers=auth,
                                  files={"file": path.read_bytes()}, timeout=60)
                if r.status_code == 201 and len(requests.get(
                        f"{base}/api/people/{person}", headers=auth, timeout=30).json()["faces"]) == 3:
                    break
    # ... then identify through many concurrent requests: both workers must know everyone.
    jobs = [(folder, p) for folder in PEOPLE + [STRANGER] for p in photos("val", folder)] * 2

    def identify(job):
        folder, path = job
        r = requests.post(base + "/api/identify", data=path.read_bytes(),
                          headers={"Content-Type": "image/jpeg"}, timeout=60)
        assert r.status_code == 200, r.text
        face = max(r.json()["faces"], key=lambda f: f["box"][2] * f["box"][3])
        return folder, face["name"]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(identify, jobs))
    wrong = [(f, n) for f, n in results if n != (None if f == STRANGER else f)]
    assert not wrong
