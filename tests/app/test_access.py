"""Who may do what: admins and viewers; API keys from the Access page (shown once, revoked
after a confirmation); every write in the audit log with its actor."""
from __future__ import annotations

import re
import shutil

import pytest

from support import photos


@pytest.fixture(scope="module")
def viewer(sign_in, app):
    """An admin (the first operator) and a viewer created from the command line."""
    sign_in(app.test_client())
    result = app.test_cli_runner().invoke(args=["faces", "create-operator", "watcher", "--role", "viewer",
                                                "--password", "watch words"])
    assert result.exit_code == 0 and "(viewer)" in result.output, result.output
    client = app.test_client()
    sign_in(client, "watcher", "watch words")
    return client


@pytest.mark.parametrize("method, path", [("get", "/enrol"), ("get", "/people"), ("get", "/settings"),
                                          ("get", "/access"), ("get", "/audit"), ("post", "/people/1/delete"),
                                          ("post", "/people/1/faces/1/delete"), ("post", "/live/source"),
                                          ("post", "/live/enrol"), ("post", "/access/keys"),
                                          ("get", "/cameras"), ("post", "/cameras"), ("get", "/cameras/1/remove"),
                                          ("post", "/webhooks")])
def test_a_viewer_cannot_enrol_delete_or_change_settings(csrf_token, viewer, method, path):
    token = csrf_token(viewer.get("/live").data)  # a valid form: refused for the role, not CSRF
    r = getattr(viewer, method)(path, data={"csrf_token": token} if method == "post" else None)
    assert r.status_code == 403 and b"<h1>Forbidden</h1>" in r.data
    assert b"This needs an administrator; ask one to do it or to give you that role." in r.data


@pytest.mark.parametrize("path", ["/", "/live", "/events", "/identify"])
def test_a_viewer_watches_and_identifies(viewer, path):
    r = viewer.get(path)
    assert r.status_code == 200
    assert b'href="/enrol"' not in r.data and b'href="/access"' not in r.data


def test_keys_from_the_access_page_shown_once_and_revoked_after_asking(csrf_token, sign_in, app):
    admin = app.test_client()
    sign_in(admin)
    page = admin.get("/access")
    r = admin.post("/access/keys", data={"name": "door-script", "csrf_token": csrf_token(page.data)})
    key = re.search(rb'<code class="key">(fk_[^<]+)</code>', r.data).group(1).decode()
    assert admin.get("/api/people", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    listing = admin.get("/access").data
    assert key.encode() not in listing and key[:8].encode() in listing  # only the prefix again
    key_id = re.search(rb'/access/keys/(\d+)/revoke', listing).group(1).decode()
    ask = admin.get(f"/access/keys/{key_id}/revoke")
    assert b"Yes, revoke it" in ask.data
    assert admin.post(f"/access/keys/{key_id}/revoke", data={"csrf_token": csrf_token(ask.data)}).status_code == 302
    assert admin.get("/api/people", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_every_write_is_in_the_audit_log_with_its_actor(csrf_token, sign_in, app, api_key, tmp_path):
    auth = {"Authorization": f"Bearer {api_key}"}
    client = app.test_client()
    r = client.post("/api/people", headers=auth, data={"name": "Audit Me", "file": (photos("train", "madonna")[0].open("rb"), "a.jpg")})
    pid = r.get_json()["id"]
    admin = app.test_client()
    sign_in(admin)
    page = admin.get(f"/people/{pid}")
    admin.post(f"/people/{pid}/rename", data={"name": "Audited", "csrf_token": csrf_token(page.data)})
    page = admin.get("/settings")
    admin.post("/settings", data={"threshold": "0.85", "csrf_token": csrf_token(page.data)})
    folder = tmp_path / "import" / "jerry_seinfeld"
    folder.mkdir(parents=True)
    shutil.copy(photos("train", "jerry_seinfeld")[0], folder)
    imported = app.test_cli_runner().invoke(args=["faces", "import", str(folder.parent)])
    assert imported.exit_code == 0 and "added 1 photos" in imported.output, imported.output
    client.delete(f"/api/people/{pid}", headers=auth)
    entries = client.get("/api/audit?limit=50", headers=auth).get_json()["entries"]
    seen = {(e["action"], e["actor"].split(" ")[0]) for e in entries}
    assert {("person.enrol", "key"), ("face.add", "key"), ("person.rename", "operator"),
            ("settings.threshold", "operator"), ("person.enrol", "command"),
            ("person.delete", "key")} <= seen, seen
    rename = next(e for e in entries if e["action"] == "person.rename")
    assert rename["detail"] == "Audit Me -> Audited" and rename["actor"] == "operator op"
    assert b"person.delete" in admin.get("/audit").data
