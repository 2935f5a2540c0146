"""An erase killed with SIGKILL leaves the person whole or gone, never half (issue 22): the
erase command on a person with thousands of faces, killed at several moments, then run to
its end; the export command streams the same person to a file."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
import zipfile

import pytest
from sqlalchemy import func, select

import support
from support import ROOT

FACES = 3000


@pytest.fixture(scope="module")
def crowded(model_dir, tmp_path_factory):
    """A database with one person of FACES faces (a real crop, random unit embeddings) and
    the environment a `flask faces` command needs to use it."""
    folder = tmp_path_factory.mktemp("kill")
    app = support.make_app(folder / "faces.db")
    pid = support.person_with_faces(app, FACES)
    app.extensions["faces"].close()
    env = {**os.environ, "FLASK_APP": "wsgi", "FACES_DATABASE_URL": f"sqlite:///{folder / 'faces.db'}",
           "FACES_INDEX_DIR": str(folder / "index")}
    return app, pid, env


def _state(url: str, pid: int) -> tuple[bool, int]:
    """Whether person `pid` exists in the database at `url`, and how many faces they have."""
    from sqlalchemy import create_engine

    from app.models import Face, Person

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return (c.scalar(select(func.count()).select_from(Person.__table__)
                             .where(Person.__table__.c.id == pid)) == 1,
                    c.scalar(select(func.count()).select_from(Face.__table__)
                             .where(Face.__table__.c.person_id == pid)))
    finally:
        engine.dispose()


def _copy(env: dict, folder, name: str) -> tuple[dict, str]:
    """A copy of the crowded database (sqlite's online backup: whole, WAL included) and its
    own index folder; the environment of a command on it and its URL."""
    src = env["FACES_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(src) as a, sqlite3.connect(folder / f"{name}.db") as b:
        a.backup(b)
    url = f"sqlite:///{folder / f'{name}.db'}"
    return {**env, "FACES_DATABASE_URL": url, "FACES_INDEX_DIR": str(folder / f"{name}-index")}, url


def _flask(env, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(ROOT / ".venv" / "bin" / "flask"), "faces", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def test_export_person_command_streams_the_zip(crowded, tmp_path):
    app, pid, env = crowded
    out = _flask(env, "export-person", str(pid), str(tmp_path / "p.zip"))
    assert out.wait(300) == 0, out.stderr.read()[-2000:]
    with zipfile.ZipFile(tmp_path / "p.zip") as z:
        assert json.loads(z.read("manifest.json"))["counts"]["faces"] == FACES
        assert len([n for n in z.namelist() if n.startswith("faces/")]) == FACES


def test_an_erase_killed_leaves_the_person_whole_or_gone(crowded, tmp_path):
    """The erase is timed whole on one copy of the database, then killed on fresh copies at
    fractions of that time: each kill leaves the person whole or gone. Fractions of this
    machine's own time, not fixed seconds (a fast machine finished before a 1 s kill)."""
    _, pid, env = crowded
    run_env, url = _copy(env, tmp_path, "whole")
    began = time.monotonic()
    assert _flask(run_env, "erase-person", str(pid), "--yes").wait(300) == 0
    took = time.monotonic() - began
    assert _state(url, pid) == (False, 0)
    seen = []
    for tenth in (1, 3, 5, 6, 7, 8, 9):
        run_env, url = _copy(env, tmp_path, f"kill{tenth}")
        erase = _flask(run_env, "erase-person", str(pid), "--yes")
        time.sleep(took * tenth / 10)
        killed = erase.poll() is None
        if killed:
            os.kill(erase.pid, signal.SIGKILL)
        erase.wait(60)
        seen.append((f"{tenth / 10:.0%} of {took:.1f} s", killed, *_state(url, pid)))
        assert seen[-1][2:] in ((True, FACES), (False, 0)), seen
    assert any(killed for _, killed, *_ in seen), f"no kill came before the erase had finished: {seen}"
