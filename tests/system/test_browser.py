"""In Debian's Chromium (Playwright): create the operator, enrol through the form, see the
person in the list, identify a photo on the page. Screenshots go to test-artifacts/."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from support import ROOT, make_app, photos

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")


@pytest.fixture(scope="module")
def base_url(model_dir, tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("browser") / "faces.db")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_enrol_and_identify_in_chromium(base_url):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(base_url + "/")
        expect = sync_api.expect
        expect(page.locator("h1")).to_have_text("Create the first operator")
        page.fill("#username", "operator")
        page.fill("#password", "a long password")
        page.fill("#confirm", "a long password")
        page.click("button[type=submit]")
        page.click("text=Enrol")
        page.fill("#name", "Madonna")
        page.set_input_files("#photo", str(photos("train", "madonna")[0]))
        page.click("button:has-text('Find the face')")
        expect(page.locator("main")).to_contain_text("This is the face that was found")
        page.screenshot(path=str(ARTIFACTS / "enrol-preview.png"), full_page=True)
        page.click("button:has-text('Save')")
        expect(page.locator(".flash")).to_have_text("Madonna is enrolled with 1 photo.")
        expect(page.locator("main")).to_contain_text("A second photo")
        page.screenshot(path=str(ARTIFACTS / "person.png"), full_page=True)
        page.click("nav >> text=People")
        expect(page.locator(".people .name")).to_have_text(["Madonna"])
        page.screenshot(path=str(ARTIFACTS / "people.png"), full_page=True)
        page.click("nav >> text=Identify")
        page.set_input_files("#photo", str(photos("val", "madonna")[2]))
        page.click("button:has-text('Identify')")
        expect(page.locator(".results tbody td strong")).to_have_text(["Madonna"])
        page.screenshot(path=str(ARTIFACTS / "identify.png"), full_page=True)
        page.click("nav >> text=Settings")
        expect(page.locator(".explain")).to_contain_text("With 1 person enrolled")
        page.screenshot(path=str(ARTIFACTS / "settings.png"), full_page=True)
        browser.close()
