"""Two app servers on one PostgreSQL, standing for two hosts: each is `gunicorn -w 2` on its
own port with its own instance folder (index snapshots). A person enrolled through one is
named by the other within a second, and a person deleted through one is unknown to the
other within a second: every worker follows the database's change log."""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from harness import free_port, start_gunicorn, stop, wait_ready
from support import cli_api_key, make_app, new_postgres_database, photos

pytestmark = pytest.mark.slow

requests = pytest.importorskip("requests")
WITHIN_S = 1.0


def start_host(url: str, folder: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "FACES_DATABASE_URL": url, "FACES_SECRET_KEY": "test", "FACES_INDEX_DIR": str(folder),
           "FACES_API_RATE_LIMIT": "100000 per minute", "FACES_THREADS": "1", "FACES_WARM_UP": "1",
           "FACES_IDENTIFY_THRESHOLD": "1.1"}
    proc = start_gunicorn(port, env, workers=("-w", "2", "-k", "gthread", "--threads", "4", "--timeout", "120"))
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def hosts(model_dir, tmp_path_factory, postgres_server):
    folder = tmp_path_factory.mktemp("hosts")
    url = new_postgres_database(postgres_server)
    app = make_app(folder / "unused.db", url)
    key = cli_api_key(app)
    app.extensions["faces"].close()
    started = [start_host(url, folder / name) for name in ("host-a", "host-b")]
    try:
        for proc, base in started:
            wait_ready(base, key, timeout=240, proc=proc)  # each loads the networks at start
        yield [base for _, base in started], key
    finally:
        for proc, _ in started:
            stop(proc)


def main_name(base: str, folder: str) -> str | None:
    r = requests.post(base + "/api/identify", data=photos("val", folder)[0].read_bytes(),
                      headers={"Content-Type": "image/jpeg"}, timeout=60)
    assert r.status_code == 200, r.text[:300]
    return max(r.json()["faces"], key=lambda f: f["box"][2] * f["box"][3])["name"]


def seconds_until(base: str, folder: str, name: str | None) -> float:
    """Seconds from now until `base` answers `name` for the val/ photo, on 4 requests in a
    row (so that both of its workers do)."""
    t0, in_a_row = time.perf_counter(), 0
    while in_a_row < 4:
        in_a_row = in_a_row + 1 if main_name(base, folder) == name else 0
        if time.perf_counter() - t0 > 30:
            break
        if in_a_row == 1:
            first = time.perf_counter() - t0
    return first if in_a_row >= 4 else float("inf")


def test_enrolled_on_one_host_named_on_the_other_and_deleted_likewise(hosts):
    (a, b), key = hosts
    auth = {"Authorization": f"Bearer {key}"}
    assert main_name(b, "madonna") is None
    r = requests.post(a + "/api/people", headers=auth, data={"name": "Madonna"},
                      files={"file": photos("train", "madonna")[0].read_bytes()}, timeout=60)
    assert r.status_code == 201, r.text[:300]
    assert seconds_until(b, "madonna", "Madonna") <= WITHIN_S
    r = requests.delete(f"{a}/api/people/{r.json()['id']}", headers=auth, timeout=60)
    assert r.status_code == 204
    assert seconds_until(b, "madonna", None) <= WITHIN_S
