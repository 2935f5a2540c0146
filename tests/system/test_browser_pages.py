"""Every page in Debian's Chromium at a phone's width (390 px) and a desktop's (1440 px):
no horizontal scrolling, and no serious or critical accessibility violation found by
axe-core (axe-playwright-python). Screenshots of each go to test-artifacts/pages/."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests
from werkzeug.serving import make_server

import daily
from daily import signed_in
from support import ROOT, cli_api_key, make_app, photos

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "pages"
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")
pytest.importorskip("axe_playwright_python.sync_playwright",
                                 reason="needs axe-playwright-python (requirements-dev.txt)")
WIDTHS = (390, 1440)
PAGES = ["/", "/people", "/people/1", "/people/1/delete", "/people/1/erase", "/people/1/faces/1/delete", "/enrol",
         "/identify", "/live", "/events", "/settings", "/access", "/audit", "/api/docs", "/cameras",
         "/cameras/grid", "/cameras/1/remove", "/unknown", "/unknown?status=dismissed", "/unknown/1",
         "/people/map", "/webhooks", "/enrol/bulk", "/access/operators/1", "/access/operators/1/remove",
         "/account/password"]


@pytest.fixture(scope="module")
def site(model_dir, tmp_path_factory):
    """The app on a loopback port with two people enrolled and an arrival or two."""
    app = make_app(tmp_path_factory.mktemp("pages") / "faces.db", CAMERA_SOURCE="demo")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    auth = {"Authorization": f"Bearer {cli_api_key(app)}"}
    for folder in ("madonna", "ben_afflek"):
        requests.post(url + "/api/people", headers=auth, data={"name": folder.replace("_", " ").title()},
                      files={"file": photos("train", folder)[0].read_bytes()}, timeout=60)
    for path in photos("train", "jerry_seinfeld")[2:4]:  # an unknown face to name: group 1
        requests.post(url + "/api/identify", headers=auth, params={"remember": 1},
                      files={"file": path.read_bytes()}, timeout=60)
    yield url
    app.extensions["faces"].close()
    server.shutdown()


@pytest.fixture(scope="module")
def browser(site):
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def signed_in_page(browser, site, width: int):
    return signed_in(browser, site, width, "op", "correct horse")


def check(page, name: str, width: int) -> None:
    daily.check(page, name, width, ARTIFACTS)


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_and_is_accessible(browser, site, width):
    context, page = signed_in_page(browser, site, width)
    try:
        for path in PAGES:
            page.goto(site + path)
            page.wait_for_load_state("load")
            check(page, path.strip("/").replace("/", "_") or "home", width)
        page.goto(site + "/identify")
        page.set_input_files("#photo", str(photos("val", "madonna")[0]))
        page.click("main form button[type=submit]")
        page.wait_for_selector("table.results")
        check(page, "identify-result", width)
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_signed_out_pages(browser, site, width):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(site + "/login")
        check(page, "login", width)
    finally:
        context.close()
