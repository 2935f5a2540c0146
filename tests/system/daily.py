"""Shared by the browser tests of issue 23 (the everyday use): a server on a loopback port,
a signed-in Chromium page at a width, and the screenshot + axe-core check of a page."""
from __future__ import annotations

import threading
from contextlib import contextmanager

import pytest
import requests
from werkzeug.serving import make_server

from support import CHROMIUM, CHROMIUM_ARGS, ROOT, cli_api_key, make_app, photos

ARTIFACTS = ROOT / "test-artifacts" / "daily"
WIDTHS = (390, 1440)
PASSWORD = "a long password"


class Site:
    """The app served on 127.0.0.1 (threaded werkzeug), with an API key."""

    def __init__(self, folder, **config):
        self.app = make_app(folder / "faces.db", **config)
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.auth = {"Authorization": f"Bearer {cli_api_key(self.app)}"}

    def enrol(self, folder: str, n: int = 3) -> int:
        """Enrol a sample person from n train photos under their folder name; their id."""
        r = requests.post(self.url + "/api/people", headers=self.auth, data={"name": folder},
                          files={"file": photos("train", folder)[0].read_bytes()}, timeout=60)
        pid = r.json()["id"]
        for path in photos("train", folder)[1:n]:
            requests.post(f"{self.url}/api/people/{pid}/faces", headers=self.auth,
                          files={"file": path.read_bytes()}, timeout=60)
        return pid

    def close(self):
        self.app.extensions["faces"].close()
        self.server.shutdown()


@contextmanager
def chromium(extra_args=()):
    """Debian's Chromium, headless, closed after the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS + list(extra_args))
        yield browser
        browser.close()


def signed_in(browser, url: str, width: int, username: str = "operator", password: str = PASSWORD):
    """A new context at `width` px, signed in (the first operator made if there is none)."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(url + "/setup")
    page.fill("#username", username)
    page.fill("#password", password)
    if "setup" in page.url:
        page.fill("#confirm", password)
    page.click("main button[type=submit]")
    page.wait_for_url(url + "/")
    return context, page


def check(page, name: str, width: int, folder=ARTIFACTS) -> None:
    """Screenshot to `folder`, no sideways scrolling, no serious axe-core violation."""
    axe = pytest.importorskip("axe_playwright_python.sync_playwright")
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}-{width}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} at {width} px scrolls sideways by {overflow} px"
    bad = [(v["id"], v["impact"], len(v["nodes"])) for v in axe.Axe().run(page).response["violations"]
           if v["impact"] in ("serious", "critical")]
    assert not bad, f"{name} at {width} px: {bad}"
