"""Issue 23, point 7, in Chromium at 390 and 1440 px with axe-core: a zip of per-person
folders dropped on the Enrol many page is uploaded with a progress bar, enrolled by a
background job whose progress survives a reload, and summed up with what was refused and
why; a file that is not a zip is refused on the page with what to do."""
from __future__ import annotations

import base64

import pytest

from daily import WIDTHS, Site, check, chromium, signed_in
from support import CHROMIUM, blurred, people_zip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")


@pytest.fixture(scope="module")
def site(model_dir, tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("bulk"), CAMERAS_RUNNER="off")
    yield site
    site.close()


DROP = """([data, name]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const files = new DataTransfer();
  files.items.add(new File([bytes], name, {type: "application/zip"}));
  document.getElementById("drop").dispatchEvent(new DragEvent("drop", {dataTransfer: files, bubbles: true}));
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_a_dropped_zip_is_enrolled_with_progress_and_a_summary(site, width):
    data = people_zip({"people/madonna/notes.txt": b"not a photo", "people/madonna/blurred.jpg": blurred()})
    with chromium() as browser:
        context, page = signed_in(browser, site.url, width)
        page.goto(site.url + "/enrol")
        page.click("text=Enrol from a zip of folders")
        check(page, "bulk", width)
        page.evaluate(DROP, [base64.b64encode(data).decode(), "people.zip"])
        assert page.evaluate("document.getElementById('archive').files[0].name") == "people.zip"
        page.click("text=Upload and enrol")
        page.wait_for_url("**/enrol/bulk/*")
        sync_api.expect(page.locator("#job-progress")).to_be_visible()
        page.reload()  # the job goes on; the page finds it again
        sync_api.expect(page.locator("#job-summary")).to_be_visible(timeout=120000)
        sync_api.expect(page.locator("#job-line")).to_contain_text("10 of 10 photos checked")
        reasons = page.locator("#job-reasons").inner_text()
        assert "not a photo in a person's folder: 1" in reasons
        page.click("text=The first refused photos")
        check(page, "bulk-done", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_not_a_zip_is_refused_on_the_page(site, width, tmp_path):
    (tmp_path / "people.zip").write_bytes(b"not a zip at all")
    with chromium() as browser:
        context, page = signed_in(browser, site.url, width)
        page.goto(site.url + "/enrol/bulk")
        page.set_input_files("#archive", str(tmp_path / "people.zip"))
        page.click("text=Upload and enrol")
        sync_api.expect(page.locator("#upload-error")).to_contain_text("not a zip file")
        check(page, "bulk-refused", width)
