"""The Cameras page and the camera grid in Debian's Chromium: a camera added through the
page, four demo cameras (each its own variant) with boxes and names, the people in view
across cameras, click to enlarge. Screenshots go to test-artifacts/."""
from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from support import cli_api_key, make_app, photos
from test_browser_live import ARGS, ARTIFACTS, CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")


@pytest.fixture(scope="module")
def base_url(model_dir, tmp_path_factory):
    """The app on a loopback port: the first camera (demo) and two more, three people enrolled."""
    # One process serves the grid's 4 streams and any page left open meanwhile.
    app = make_app(tmp_path_factory.mktemp("grid") / "faces.db", CAMERA_SOURCE="demo",
                   STREAMS_PER_WORKER=8)
    cli = app.test_cli_runner()
    for name in ("Shop", "Office"):
        assert cli.invoke(args=["faces", "cameras", "add", name, "demo", "--recognition-fps", "3"]).exit_code == 0
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    auth = {"Authorization": f"Bearer {cli_api_key(app)}"}
    requests.patch(f"{url}/api/cameras/1", json={"recognition_fps": 3}, headers=auth, timeout=30)
    for folder in ("ben_afflek", "elton_john", "jerry_seinfeld"):
        pid = None
        for path in photos("train", folder)[:3]:
            target = f"{url}/api/people?name={folder}" if pid is None else f"{url}/api/people/{pid}/faces"
            r = requests.post(target, headers={**auth, "Content-Type": "image/jpeg"}, data=path.read_bytes())
            if r.status_code == 201 and pid is None:
                pid = r.json()["id"]
    yield url
    app.extensions["faces"].close()
    server.shutdown()


def test_cameras_page_and_grid(base_url):
    ARTIFACTS.mkdir(exist_ok=True)
    expect = sync_api.expect
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(base_url + "/")
        page.fill("#username", "operator")
        page.fill("#password", "a long password")
        page.fill("#confirm", "a long password")
        page.click("button[type=submit]")
        page.click("nav >> text=Cameras")
        page.fill("#name", "Garden")
        page.fill("#source", "/etc/passwd")  # refused, with a sentence under the field
        page.click("form[action=\"/cameras\"] button[type=submit]")
        expect(page.locator("#source-error")).to_contain_text("Video files must be in")
        expect(page.locator("#source")).to_have_value("/etc/passwd")  # kept, to correct
        expect(page.locator("#name")).to_have_value("Garden")  # the input kept
        page.fill("#source", "demo")
        page.click("form[action=\"/cameras\"] button[type=submit]")
        expect(page.locator("#cameras tbody tr")).to_have_count(4)
        expect(page.locator('#cameras tr[data-camera="4"] .state')).to_have_text("running", timeout=20000)
        page.screenshot(path=str(ARTIFACTS / "cameras.png"), full_page=True)
        page.click("text=See them all")
        expect(page.locator(".cam-tile")).to_have_count(4)
        for i in range(4):  # every stream shows pictures (a property read: the page's CSP
            # forbids the eval that wait_for_function polls a string with once it is not yet true)
            expect(page.locator(".cam-tile img").nth(i)).to_have_js_property("naturalWidth", 640, timeout=20000)
        expect(page.locator("#in-view-all li[data-name]:not([data-name=''])").first).to_be_visible(timeout=30000)
        page.wait_for_timeout(3000)
        page.screenshot(path=str(ARTIFACTS / "grid.png"))
        page.click(".cam-tile >> nth=1")
        expect(page.locator(".cam-tile.enlarged")).to_have_count(1)
        page.screenshot(path=str(ARTIFACTS / "grid-enlarged.png"))
        browser.close()
