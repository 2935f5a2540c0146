"""An erase killed with SIGKILL leaves the person whole or gone, never half (issue 22): the
erase command on a person with thousands of faces, killed at several moments, then run to
its end; the export command streams the same person to a file."""
from __future__ import annotations

import json
import os
import signal
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


def _state(app, pid: int) -> tuple[bool, int]:
    from app.extensions import db
    from app.models import Face, Person

    with app.app_context():
        db.session.remove()
        return (db.session.get(Person, pid) is not None,
                db.session.scalar(select(func.count(Face.id)).where(Face.person_id == pid)))


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


def test_an_erase_killed_leaves_the_person_whole_or_gone(crowded):
    app, pid, env = crowded
    seen = []
    for delay in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0):
        erase = _flask(env, "erase-person", str(pid), "--yes")
        time.sleep(delay)
        if erase.poll() is None:
            os.kill(erase.pid, signal.SIGKILL)
        erase.wait(60)
        exists, faces = _state(app, pid)
        seen.append((delay, exists, faces))
        assert (exists, faces) in ((True, FACES), (False, 0)), seen
        if not exists:
            break
    else:
        assert _flask(env, "erase-person", str(pid), "--yes").wait(300) == 0
        assert _state(app, pid) == (False, 0)
    assert seen[0][1], f"the first kill came after the erase had finished: {seen}"
