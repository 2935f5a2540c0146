"""Bulk enrolment through the Enrol page against `flask faces import`, on the same photos
and machine (issue 23.7): PEOPLE people x PHOTOS photos from a folder per person (LFW's
devtrain by default; never committed), each into a new SQLite database. The CLI is timed
from start to exit; the page from the click on Upload to the summary, in Chromium
(Playwright) against the app on a loopback port. Prints each run's rate and the load
average around it, and the JSON of all of it last.

    .venv/bin/python scripts/bench_bulk.py --images ../shared/datasets/lfw-devtrain/images
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from pathlib import Path



def pick(images: Path, people: int, per: int, out: Path) -> Path:
    """out/<person>/<photo> for the first `people` folders with `per` photos or more; the zip of it."""
    chosen = [d for d in sorted(images.iterdir()) if d.is_dir() and len(list(d.glob("*.jpg"))) >= per][:people]
    for d in chosen:
        (out / "people" / d.name).mkdir(parents=True)
        for p in sorted(d.glob("*.jpg"))[:per]:
            shutil.copy(p, out / "people" / d.name / p.name)
    zpath = out / "people.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for p in sorted((out / "people").rglob("*.jpg")):
            z.write(p, p.relative_to(out).as_posix())
    return zpath


def new_db(folder: Path) -> str:
    folder.mkdir()
    url = f"sqlite:///{folder / 'faces.db'}"
    env = {**os.environ, "FACES_DATABASE_URL": url, "FLASK_APP": "wsgi", "FACES_CAMERAS_RUNNER": "off"}
    subprocess.run([str(ROOT / ".venv/bin/flask"), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    return url


def cli_run(folder: Path, data: Path) -> dict:
    env = {**os.environ, "FACES_DATABASE_URL": new_db(folder), "FLASK_APP": "wsgi", "FACES_CAMERAS_RUNNER": "off"}
    load, t = os.getloadavg()[0], time.perf_counter()
    out = subprocess.run([str(ROOT / ".venv/bin/flask"), "faces", "import", str(data)], cwd=ROOT, env=env,
                         check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - t
    return {"how": "flask faces import", "seconds": round(seconds, 1), "load": [load, os.getloadavg()[0]],
            "summary": out.strip().splitlines()[-1]}


def page_run(folder: Path, zpath: Path) -> dict:
    from playwright.sync_api import expect, sync_playwright
    from werkzeug.serving import make_server

    from app import create_app
    from app.config import Config

    url = new_db(folder)
    logging.disable(logging.INFO)  # a line per photo and per poll otherwise
    app = create_app(type("Cfg", (Config,), {"SQLALCHEMY_DATABASE_URI": url, "CAMERAS_RUNNER": "off",
                                             "INDEX_DIR": str(folder / "index")}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page()
        page.goto(base + "/setup")
        for field, value in (("#username", "bench"), ("#password", "bench password"), ("#confirm", "bench password")):
            page.fill(field, value)
        page.click("main button[type=submit]")
        page.goto(base + "/enrol/bulk")
        page.set_input_files("#archive", str(zpath))
        load, t = os.getloadavg()[0], time.perf_counter()
        page.click("text=Upload and enrol")
        expect(page.locator("#job-summary")).to_be_visible(timeout=1800_000)
        seconds = time.perf_counter() - t
        summary = page.locator("#job-line").inner_text() + " " + page.locator("#job-reasons").inner_text()
        browser.close()
    app.extensions["faces"].close()
    server.shutdown()
    return {"how": "Enrol page (zip)", "seconds": round(seconds, 1), "load": [load, os.getloadavg()[0]],
            "summary": " ".join(summary.split())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=Path, required=True, help="a folder per person, e.g. lfw-devtrain/images")
    ap.add_argument("--people", type=int, default=100)
    ap.add_argument("--photos", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-bulk-"))
    zpath = pick(args.images, args.people, args.photos, work)
    n = args.people * args.photos
    runs = []
    for r in range(args.rounds):  # in turn, so that both see the same spread of load
        for run in (cli_run(work / f"cli{r}", work / "people"), page_run(work / f"page{r}", zpath)):
            run["photos_per_minute"] = round(60 * n / run["seconds"])
            print(run, flush=True)
            runs.append(run)
    shutil.rmtree(work)
    print(json.dumps({"photos": n, "runs": runs}))


if __name__ == "__main__":
    main()
