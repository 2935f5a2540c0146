"""The People page with 135 people (3 random-vector faces each) in Chromium at 1440 px: the
HTML time and the time to the load event (every visible thumbnail fetched), three visits.
Run from the repository root: .venv/bin/python scripts/people_page_load.py"""
import sys, threading, time, tempfile, pathlib
sys.path[:0] = [".", "tests"]  # run from the repository root
import numpy as np, cv2
from werkzeug.serving import make_server
from support import make_app
from playwright.sync_api import sync_playwright

app = make_app(pathlib.Path(tempfile.mkdtemp()) / "f.db")
with app.app_context():
    from app.extensions import db
    from app.models import Person, Face, name_key
    from app.faces import get_state
    model = get_state().active_model
    rng = np.random.default_rng(0)
    crop = cv2.imencode(".jpg", rng.integers(0, 255, (160, 160, 3), np.uint8))[1].tobytes()
    for i in range(135):
        p = Person(name=f"Person {i:03d}", name_key=name_key(f"Person {i:03d}"))
        db.session.add(p)
        for j in range(3):
            v = rng.normal(size=128).astype(np.float32); v /= np.linalg.norm(v)
            db.session.add(Face(person=p, embedding=v.tobytes(), model=model, crop_jpeg=crop, det_score=1.0,
                                source_sha256=f"{i}-{j}", origin="upload"))
    db.session.commit()
server = make_server("127.0.0.1", 0, app, threaded=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
url = f"http://127.0.0.1:{server.server_port}"
with sync_playwright() as pw:
    b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
    page = b.new_page(viewport={"width": 1440, "height": 900})
    page.goto(url + "/setup"); page.fill("#username", "op"); page.fill("#password", "correct horse")
    page.fill("#confirm", "correct horse"); page.click("main button[type=submit]"); page.wait_for_url(url + "/")
    for run in range(3):
        t = time.perf_counter(); page.goto(url + "/people", wait_until="domcontentloaded"); html = time.perf_counter() - t
        page.wait_for_load_state("load"); load = time.perf_counter() - t
        n = page.evaluate("[...document.images].filter(i => i.complete && i.naturalWidth).length")
        print(f"run {run}: HTML {html:.2f} s, load event {load:.2f} s, images loaded {n}")
    b.close()
