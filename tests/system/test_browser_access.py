"""Issue 23, point 5, in Chromium at 390 and 1440 px with axe-core: an admin gives an
operator another role and a new password and removes them (never the last admin); anyone
changes their own password, giving the current one first; the audit log has each."""
from __future__ import annotations

import pytest
import requests

from daily import WIDTHS, Site, check, chromium, signed_in
from support import CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs playwright (requirements-dev.txt)")


@pytest.fixture(scope="module")
def site(model_dir, tmp_path_factory):
    site = Site(tmp_path_factory.mktemp("access"))
    yield site
    site.close()


def add_operator(page, url, username, role="viewer", password="first password"):
    page.goto(url + "/access")
    page.fill("#username", username)
    page.fill("#password", password)
    page.select_option("#role", role)
    page.click("form[action$='/access/operators'] button[type=submit]")
    sync_api.expect(page.locator(".flash")).to_contain_text(f"{username} can now sign in")


def manage(page, url, username):
    page.goto(url + "/access")
    page.click(f"a[aria-label^='Change {username}:']")


def actions(site) -> list[str]:
    r = requests.get(site.url + "/api/audit?limit=50", headers=site.auth, timeout=30)
    return [f'{e["action"]} {e["target"]}' for e in r.json()["entries"]]


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_manages_operators(site, width):
    who = f"clerk{width}"
    with chromium() as browser:
        context, page = signed_in(browser, site.url, width)
        add_operator(page, site.url, who)
        manage(page, site.url, who)
        check(page, "operator", width)
        page.select_option("#role", "admin")
        page.click("text=Change the role")
        sync_api.expect(page.locator(".flash")).to_contain_text(f"{who} is admin now")
        clerk = signed_in(browser, site.url, width, who, "first password")[1]
        manage(page, site.url, who)
        page.fill("#password", "a second password")
        page.click("text=Set the password")
        sync_api.expect(page.locator(".flash")).to_contain_text("new password")
        clerk.goto(site.url + "/people")
        assert "/login" in clerk.url, "the session opened with the old password goes on"
        assert signed_in(browser, site.url, width, who, "a second password")[1].url == site.url + "/"
        manage(page, site.url, who)
        page.click(f"text=Remove {who}")
        check(page, "operator-remove", width)
        page.click("text=Yes, remove them")
        sync_api.expect(page.locator(".flash")).to_contain_text(f"{who} was removed")
        assert who not in page.locator("table.results").first.inner_text()
    done = actions(site)
    for action in ("operator.create", "operator.role", "operator.password", "operator.remove"):
        assert f"{action} operator {who}" in done, done


@pytest.mark.parametrize("width", WIDTHS)
def test_the_last_admin_stays(site, width):
    with chromium() as browser:
        context, page = signed_in(browser, site.url, width)
        manage(page, site.url, "operator")
        page.select_option("#role", "viewer")
        page.click("text=Change the role")
        sync_api.expect(page.locator(".error")).to_contain_text("only admin")
        check(page, "operator-last-admin", width)
        manage(page, site.url, "operator")
        page.click("text=Remove operator")
        page.click("text=Yes, remove them")
        sync_api.expect(page.locator(".flash")).to_contain_text("only admin")


@pytest.mark.parametrize("width", WIDTHS)
def test_anyone_changes_their_own_password(site, width):
    who = f"viewer{width}"
    with chromium() as browser:
        context, admin = signed_in(browser, site.url, width)
        add_operator(admin, site.url, who, password="first password")
        context, page = signed_in(browser, site.url, width, who, "first password")
        page.click(f"header a:text-is('{who}')")
        page.fill("#current", "not my password")
        page.fill("#password", "my new password")
        page.fill("#confirm", "my new password")
        page.click("main button[type=submit]")
        sync_api.expect(page.locator(".error")).to_contain_text("current password is not right")
        check(page, "own-password", width)
        page.fill("#current", "first password")
        page.fill("#password", "my new password")
        page.fill("#confirm", "my new password")
        page.click("main button[type=submit]")
        sync_api.expect(page.locator(".flash")).to_contain_text("Your password is changed")
        page.goto(site.url + "/live")  # still signed in here
        assert "/login" not in page.url
        admin.goto(site.url + "/access")  # another operator's session is not touched
        assert "/login" not in admin.url
        assert signed_in(browser, site.url, width, who, "my new password")[1].url == site.url + "/"
    assert f"operator.password operator {who}" in actions(site)
