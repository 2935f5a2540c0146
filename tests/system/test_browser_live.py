"""The live page in Debian's Chromium: the server's demo camera with names, and the
browser-camera mode fed by Chromium's fake camera (a .y4m made here from the sample photos).
Screenshots go to test-artifacts/."""
from __future__ import annotations

import threading
from pathlib import Path

import cv2
import pytest
import requests
from werkzeug.serving import make_server

from app.stream.demo import DemoScene
from support import ROOT, SAMPLES_DIR, cli_api_key, make_app, photos

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def base_url(model_dir, tmp_path_factory):
    """The app on a loopback port, demo camera, ben_afflek and jerry_seinfeld enrolled."""
    app = make_app(tmp_path_factory.mktemp("live") / "faces.db", CAMERA_SOURCE="demo")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    auth = {"Authorization": f"Bearer {cli_api_key(app)}"}
    for folder in ("ben_afflek", "jerry_seinfeld"):
        pid = None
        for path in photos("train", folder)[:4]:
            target = f"{url}/api/people?name={folder}" if pid is None else f"{url}/api/people/{pid}/faces"
            r = requests.post(target, headers={**auth, "Content-Type": "image/jpeg"}, data=path.read_bytes())
            if r.status_code == 201 and pid is None:
                pid = r.json()["id"]
    yield url
    app.extensions["faces"].close()
    server.shutdown()


def fake_camera(path: Path, seconds: float = 4.0) -> Path:
    """A Y4M video of the demo scene while madonna and jerry_seinfeld are in view."""
    scene = DemoScene(SAMPLES_DIR)
    first = round(10.5 * scene.fps)
    with open(path, "wb") as f:
        f.write(b"YUV4MPEG2 W640 H480 F25:1 Ip A1:1 C420jpeg\n")
        for i in range(first, first + round(seconds * scene.fps)):
            f.write(b"FRAME\n" + cv2.cvtColor(scene.frame(i), cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def open_live(pw, base_url, extra_args=()):
    browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS + list(extra_args))
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    page.goto(base_url + "/")
    if "first operator" in page.locator("h1").inner_text():
        page.fill("#username", "operator")
        page.fill("#password", "a long password")
        page.fill("#confirm", "a long password")
        page.click("button[type=submit]")
    else:
        page.fill("#username", "operator")
        page.fill("#password", "a long password")
        page.click("button[type=submit]")
    page.click("nav >> text=Live")
    # Loaded, not only committed: live.js (at the end of the body) binds the mode buttons, and
    # a click before it ran did nothing (seen once under two busy test workers).
    page.wait_for_url("**/live", wait_until="load")
    return browser, page


def test_live_page_names_people_on_the_server_camera(base_url):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser, page = open_live(pw, base_url)
        expect = sync_api.expect
        expect(page.locator("#in-view li[data-name=ben_afflek]")).to_have_count(1, timeout=20000)
        expect(page.locator("#figures")).to_contain_text("fps in")
        page.wait_for_timeout(6000)  # elton_john (not enrolled here) and jerry come into view
        expect(page.locator("#in-view")).to_contain_text("unknown")
        page.screenshot(path=str(ARTIFACTS / "live.png"))
        page.click("nav >> text=Arrivals")
        expect(page.locator(".results")).to_contain_text("ben_afflek")
        expect(page.locator(".results")).to_contain_text("unknown")
        page.screenshot(path=str(ARTIFACTS / "arrivals.png"))
        browser.close()


def test_browser_camera_mode_with_a_fake_camera(base_url, tmp_path):
    video = fake_camera(tmp_path / "camera.y4m")
    with sync_api.sync_playwright() as pw:
        browser, page = open_live(pw, base_url, [
            "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"])
        page.click("#mode-browser")
        expect = sync_api.expect
        # The video shows once getUserMedia has opened the fake camera: seconds when the other
        # test worker keeps both cores busy (it passed the 5 s default twice in three runs).
        expect(page.locator("#camera")).to_be_visible(timeout=20000)
        expect(page.locator("#in-view li[data-name=jerry_seinfeld]")).to_have_count(1, timeout=20000)
        expect(page.locator("#in-view")).to_contain_text("unknown")  # madonna is not enrolled
        expect(page.locator("#figures")).to_contain_text("round trip")
        expect(page.locator("#stream")).to_be_hidden()
        page.screenshot(path=str(ARTIFACTS / "live-browser-camera.png"))
        browser.close()
