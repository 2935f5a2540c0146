"""Two gunicorn workers on a loopback port: enrol through one request, identify through many
(concurrently, so both workers answer), every answer right (the gallery generation)."""
from __future__ import annotations

import os
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import GTHREAD, free_port, start_gunicorn, stop, wait_ready
from support import cli_api_key, make_app, photos

pytestmark = pytest.mark.slow

requests = pytest.importorskip("requests")

PEOPLE = ["ben_afflek", "elton_john", "madonna"]
STRANGER = "mindy_kaling"


@pytest.fixture(scope="module")
def server(model_dir, tmp_path_factory):
    """gunicorn -w 2 on a migrated temporary database; yields (base URL, API key)."""
    db_path = tmp_path_factory.mktemp("gunicorn") / "faces.db"
    app = make_app(db_path)
    key = cli_api_key(app)
    port = free_port()
    env = {**os.environ, "FACES_DATABASE_URL": f"sqlite:///{db_path}", "FACES_SECRET_KEY": "test",
           "FACES_API_RATE_LIMIT": "100000 per minute", "FACES_THREADS": "1", "FACES_WARM_UP": "1",
           "FACES_IDENTIFY_THRESHOLD": "1.12",
           "FACES_LOGIN_RATE_LIMIT": "6 per minute"}
    # Threads, so that slow clients cannot hold every worker.
    proc = start_gunicorn(port, env, workers=GTHREAD)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, key, proc=proc)  # both workers (each loads the model at start) answered
        yield base, key
    finally:
        stop(proc)


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


def test_slow_bodies_do_not_block_the_server(server):
    """Clients that announce a body and then stall hold a thread each, not a worker."""
    base, _ = server
    port = int(base.rsplit(":", 1)[1])
    stalled = []
    try:
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /api/identify HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n"
                      b"Content-Length: 1000\r\n\r\n0123456789")
            stalled.append(s)
        time.sleep(0.5)
        for _ in range(4):  # with sync workers this waited ~30 s (the client's give-up)
            assert requests.get(base + "/api/health", timeout=10).status_code == 200
    finally:
        for s in stalled:
            s.close()


def test_health_tells_counts_and_worker_only_with_a_key(server):
    base, key = server
    bare = requests.get(base + "/api/health", timeout=10).json()
    assert bare["status"] == "ok" and "worker_pid" not in bare and "people" not in bare
    keyed = requests.get(base + "/api/health", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert keyed["worker_pid"] > 0 and keyed["people"] >= 0


def test_sign_in_limit_is_shared_by_the_workers(server):
    """6 failures a minute per address in all (it counted per worker: 429 came at 31 of 20)."""
    base, _ = server
    codes = []
    for _ in range(8):
        with requests.Session() as s:  # a new connection each time: both workers answer
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                              s.get(base + "/login", timeout=10).text).group(1)
            codes.append(s.post(base + "/login", data={"username": "nobody", "password": "guess",
                                                       "csrf_token": token}, timeout=10).status_code)
    assert codes[:6] == [200] * 6 and codes[6:] == [429, 429]
