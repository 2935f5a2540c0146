"""Every REST example of README.md and docs/API.md runs as written (issue 23.6): the ```sh
blocks that call the API are run by bash, in a folder holding the photos they name (made from
instance/samples), against a live server on a loopback port (127.0.0.1:5000 in the README
is replaced by its address); every curl must answer 2xx and every id a call takes comes
from an earlier call. An arrival is made first (the corrections example needs one)."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from daily import Site
from support import ROOT, photos

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")]
# The photos the examples name, from the sample people (strangers are never enrolled).
FILES = {"photo.jpg": ("val", "madonna", 0), "a.jpg": ("val", "madonna", 1), "b.jpg": ("train", "madonna", 3),
         "ada.jpg": ("train", "madonna", 0), "ada2.jpg": ("train", "madonna", 1), "ada3.jpg": ("train", "madonna", 2),
         "someone-else.jpg": ("train", "ben_afflek", 1), "babbage.jpg": ("train", "ben_afflek", 0),
         "stranger.jpg": ("val", "elton_john", 0), "stranger2.jpg": ("val", "mindy_kaling", 0),
         "stranger3.jpg": ("val", "madonna", 2)}  # Ada is deleted by then
# A curl that fails on an HTTP error and says so (bash functions reach $(...) subshells).
STRICT = 'set -euo pipefail\ncurl() { command curl -sS --fail-with-body "$@"; echo; }\n'


DOCS = ("README.md", "docs/API.md")  # README's short example first, the whole tour last


def api_blocks() -> list[str]:
    text = "\n".join((ROOT / doc).read_text() for doc in DOCS)
    blocks = re.findall(r"```(?:sh|bash)\n(.*?)```", text, re.S)
    return [b for b in blocks if "127.0.0.1:5000/api" in b]


def an_arrival(site) -> None:
    """An arrival of the enrolled jerry_seinfeld on the camera 'Door', as the event bus
    writes one: his face's embedding and crop."""
    from app.extensions import db
    from app.faces.gallery import get_state
    from app.models import Event, Face

    pid = site.enrol("jerry_seinfeld", 2)
    with site.app.app_context():
        face = db.session.query(Face).filter_by(person_id=pid).first()
        db.session.add(Event(camera="Door", person_id=pid, name="jerry_seinfeld", distance=0.5,
                             thumbnail_jpeg=face.crop_jpeg, embedding=np.frombuffer(face.embedding, "<f4").tobytes(),
                             model=get_state().active_model))
        db.session.commit()


def test_every_rest_example_of_the_readme_runs(model_dir, tmp_path):
    (tmp_path / "db").mkdir()
    site = Site(tmp_path / "db", CAMERAS_RUNNER="off")
    try:
        an_arrival(site)
        work = tmp_path / "work"
        work.mkdir()
        for name, (split, person, i) in FILES.items():
            shutil.copy(photos(split, person)[i], work / name)
        (work / ".venv").symlink_to(ROOT / ".venv")
        env = {**os.environ, "FLASK_APP": str(ROOT / "wsgi.py"), "FACES_CAMERAS_RUNNER": "off",
               "FACES_DATABASE_URL": site.app.config["SQLALCHEMY_DATABASE_URI"]}
        blocks = api_blocks()
        assert len(blocks) >= 2, f"{DOCS} have no REST example"
        for block in blocks:
            script = STRICT + block.replace("http://127.0.0.1:5000", site.url)
            run = subprocess.run(["bash", "-c", script], cwd=work, env=env, capture_output=True, text=True,
                                 timeout=600)
            assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
        assert '"name":"Grace Hopper"' in run.stdout.replace(" ", "") or "Grace Hopper" in run.stdout
    finally:
        site.close()
