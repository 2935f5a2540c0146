"""Issue 23's everyday points in Chromium at 390 and 1440 px: the phone menu, a form's
button under its last field, Identify's table on a phone, the Cameras table (aligned
actions, a card per camera on phones), the map's legend, the person picker, Webhooks.
Screenshots go to test-artifacts/everyday/."""
from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from support import ROOT, make_app, photos, two_faces
from test_browser_pages import CHROMIUM, browser, check, signed_in_page, site, sync_api  # noqa: F401 (fixtures)

ARTIFACTS = ROOT / "test-artifacts" / "everyday"
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="needs Debian's Chromium at /usr/bin/chromium")]


def shot(page, name: str, width: int) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)


@pytest.fixture(scope="module")
def fresh(model_dir, tmp_path_factory):
    """An app with no operator yet: the first set-up page."""
    app = make_app(tmp_path_factory.mktemp("fresh") / "faces.db")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.mark.parametrize("width", (390, 1440))
def test_setup_button_sits_under_the_last_field(browser, fresh, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(fresh + "/setup")
    field, button = page.locator("#confirm").bounding_box(), page.locator("main button[type=submit]").bounding_box()
    shot(page, "setup", width)
    assert button["y"] >= field["y"] + field["height"], (field, button)
    page.close()


def test_phone_menu_folds_the_links(browser, site):
    context, page = signed_in_page(browser, site, 390)
    try:
        assert page.locator("header").bounding_box()["height"] < 70  # one row: brand, Menu, sign out
        expect = sync_api.expect
        expect(page.locator("nav >> text=People")).to_be_hidden()
        page.click(".menu-toggle")
        expect(page.locator("nav >> text=People")).to_be_visible()
        expect(page.locator(".menu-toggle")).to_have_attribute("aria-expanded", "true")
        shot(page, "menu-open", 390)
    finally:
        context.close()
    context, page = signed_in_page(browser, site, 1440)
    try:
        sync_api.expect(page.locator(".menu-toggle")).to_be_hidden()
        sync_api.expect(page.locator("nav >> text=Webhooks")).to_be_visible()
    finally:
        context.close()


def test_identify_table_fits_a_phone(browser, site, tmp_path):
    photo = tmp_path / "two.jpg"
    photo.write_bytes(two_faces())
    context, page = signed_in_page(browser, site, 390)
    try:
        page.goto(site + "/identify")
        page.set_input_files("#photo", str(photo))
        page.click("main form button[type=submit]")
        page.wait_for_selector("table.results")
        for cell in page.locator("td[data-label=Nearest]").all():
            box = cell.bounding_box()
            assert box["x"] + box["width"] <= 390, box
        check(page, "identify-two", 390)
        shot(page, "identify-two", 390)
    finally:
        context.close()


@pytest.mark.parametrize("width", (390, 1440))
def test_cameras_rows_and_webhooks(browser, site, width):
    context, page = signed_in_page(browser, site, width)
    try:
        page.goto(site + "/cameras")
        row = page.locator("#cameras tbody tr").first
        actions = row.locator(".row-actions").bounding_box()
        if width == 1440:  # the actions start on the row's first line, like the other cells
            name = row.locator("td").first.bounding_box()
            assert abs(actions["y"] - name["y"]) < 12, (actions, name)
        else:  # a card: every action on screen
            assert actions["x"] >= 0 and actions["x"] + actions["width"] <= 390, actions
        check(page, "cameras", width)
        page.fill("#name", "Porch")
        page.fill("#source", "/etc/passwd")
        page.click("form[action=\"/cameras\"] button[type=submit]")
        sync_api.expect(page.locator("#source-error")).to_contain_text("Video files must be in")
        sync_api.expect(page.locator("#source")).to_have_value("/etc/passwd")
        shot(page, "cameras-refused", width)
        page.goto(site + "/webhooks")
        check(page, "webhooks", width)
    finally:
        context.close()


def test_map_legend_and_person_picker(browser, site):
    context, page = signed_in_page(browser, site, 1440)
    try:
        page.goto(site + "/people/1")  # a third photo: the map needs three
        page.set_input_files("#photo", str(photos("train", "madonna")[2]))
        page.click("button:has-text('Find the face')")
        page.click("button:has-text('Save')")
        page.goto(site + "/people/map")
        assert page.locator(".legend li a").count() == 2  # Madonna, Ben Afflek
        colours = page.eval_on_selector_all(".legend a circle", "cs => cs.map(c => c.getAttribute('fill'))")
        assert len(set(colours)) == len(colours)
        shot(page, "map", 1440)
        page.goto(site + "/people/1")
        page.fill("#merge-other", "Ben Aflek")
        message = page.eval_on_selector("#merge-other", "e => e.validationMessage")
        assert "Nobody called" in message and "Ben Afflek" in message, message
        page.fill("#merge-other", "ben afflek")
        assert page.eval_on_selector("#merge-other", "e => e.validity.valid")
    finally:
        context.close()
