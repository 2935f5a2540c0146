"""The face library in Debian's Chromium: the demo camera remembers madonna (not enrolled)
as a group on Who is this?; an operator names the group there, and the live page then
shows her name. Screenshots go to test-artifacts/ (who-is-this-*.png, live-named.png)."""
from __future__ import annotations

import threading

import pytest
import requests
from werkzeug.serving import make_server

from support import CHROMIUM, CHROMIUM_ARGS as ARGS, ROOT, cli_api_key, make_app, photos

ARTIFACTS = ROOT / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
ENROLLED = ("ben_afflek", "elton_john", "jerry_seinfeld", "mindy_kaling")  # madonna: the stranger


@pytest.fixture(scope="module")
def server(model_dir, tmp_path_factory):
    """The app on a loopback port with its demo camera running; everyone but madonna
    enrolled (four photos each); the threshold the Settings page suggests for 4 people."""
    from app.extensions import db
    from app.faces import get_state
    from app.faces.thresholds import suggest

    app = make_app(tmp_path_factory.mktemp("library") / "faces.db", CAMERA_SOURCE="demo",
                   CAMERAS_AUTOSTART=True, CAMERAS_LEARN_UNKNOWN=True)
    with app.app_context():
        get_state().identify_threshold = suggest(len(ENROLLED), app.config["IDENTIFY_CROWDING"])
        db.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_port}"
    auth = {"Authorization": f"Bearer {cli_api_key(app)}"}
    for folder in ENROLLED:
        pid = None
        for path in photos("train", folder)[:6]:
            target = f"{url}/api/people?name={folder}" if pid is None else f"{url}/api/people/{pid}/faces"
            r = requests.post(target, headers={**auth, "Content-Type": "image/jpeg"}, data=path.read_bytes())
            if r.status_code == 201 and pid is None:
                pid = r.json()["id"]
    yield url, auth
    app.extensions["faces"].close()
    httpd.shutdown()


def sign_in(page, url):
    page.goto(url + "/")
    if "first operator" in page.locator("h1").inner_text():
        page.fill("#confirm", "a long password")
    page.fill("#username", "operator")
    page.fill("#password", "a long password")
    page.click("button[type=submit]")


def test_name_a_group_on_who_is_this_then_see_the_name_live(server):
    url, auth = server
    ARTIFACTS.mkdir(exist_ok=True)
    madonna = photos("val", "madonna")[0]  # the photo the demo camera shows
    group = None
    for _ in range(60):  # the demo brings madonna in at 10 s of each 20-second loop
        r = requests.post(f"{url}/api/identify", headers={**auth, "Content-Type": "image/jpeg"},
                          data=madonna.read_bytes(), params={"remember": 1})
        face = r.json()["faces"][0]
        assert face["person_id"] is None
        if requests.get(f"{url}/api/unknown/{face['group_id']}", headers=auth).json()["cameras"]:
            group = face["group_id"]  # the camera's sightings of her and this photo: one group
            break
        threading.Event().wait(1)
    assert group is not None, "the demo camera's sightings of madonna did not join her group"
    expect = sync_api.expect
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        for width in (390, 1440):
            page = browser.new_page(viewport={"width": width, "height": 900})
            sign_in(page, url)
            page.goto(url + "/unknown")
            expect(page.locator(f"#group-{group}")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.screenshot(path=str(ARTIFACTS / f"who-is-this-{width}.png"), full_page=True)
            page.close()
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        sign_in(page, url)
        page.goto(url + "/unknown")
        page.fill(f"#name-{group}", "Madonna")
        page.click(f"#group-{group} ~ form button:has-text('Enrol')")
        expect(page.locator(".flash")).to_contain_text("Madonna now has")
        page.click("nav >> text=Live")
        expect(page.locator("#in-view li[data-name=Madonna]")).to_have_count(1, timeout=30000)
        page.screenshot(path=str(ARTIFACTS / "live-named.png"))
        browser.close()
