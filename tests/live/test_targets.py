"""What the server connects to on someone's word (issue 18, points 3, 4, 6 and 8): URLs with a
stray bracket are 400s that say what to send (forms shown again with the input), loopback and
link-local hosts are refused unless FACES_ALLOW_LOCAL_TARGETS, previews of sources that are no
camera's are for admins and keys and bounded per worker, streams and cameras are bounded."""
from __future__ import annotations

import html
import threading

import pytest

from harness import Receiver
from support import cli_api_key, make_app

BAD_URLS = ["rtsp://a]/", "http://[::1/hook", "rtsp://a:99999/"]
# Loopback (0.0.0.0 reaches this machine too) and link-local, by address and by name.
LOCAL_HOSTS = ["127.0.0.1", "127.1.2.3", "localhost", "0.0.0.0", "169.254.169.254"]
LOCAL_URLS = [f"http://{h}:9/x" for h in LOCAL_HOSTS] + ["http://[::1]:9/x", "http://[fe80::1]/x",
                                                          "http://[::ffff:127.0.0.1]/x"]


@pytest.fixture(scope="module")
def app(model_dir, tmp_path_factory):
    """The defaults of a server (local targets refused), one stream a worker, two previews,
    three cameras at most."""
    app = make_app(tmp_path_factory.mktemp("targets") / "faces.db", CAMERA_SOURCE="demo",
                   ALLOW_LOCAL_TARGETS=False, STREAMS_PER_WORKER=1, LIVE_PREVIEWS=2, MAX_CAMERAS=3)
    yield app
    app.extensions["faces"].close()


@pytest.fixture(scope="module")
def auth(app) -> dict:
    return {"Authorization": f"Bearer {cli_api_key(app)}"}


@pytest.fixture(scope="module")
def admin(app, sign_in):
    client = app.test_client()
    sign_in(client)
    return client


@pytest.fixture(scope="module")
def viewer(app, admin, sign_in):
    result = app.test_cli_runner().invoke(args=["faces", "create-operator", "watcher", "--role",
                                                "viewer", "--password", "watch words"])
    assert result.exit_code == 0, result.output
    client = app.test_client()
    sign_in(client, "watcher", "watch words")
    return client


def problem(r, status: int, *words: str) -> str:
    """The problem's detail (a problem document under /api, an error page elsewhere)."""
    if r.status_code != status:
        r.close()  # never read: an MJPEG stream's body has no end
        raise AssertionError(f"{r.status_code} {r.mimetype}, not {status}")
    if r.mimetype == "text/html":
        detail = html.unescape(r.get_data(as_text=True))
    else:
        assert r.mimetype == "application/problem+json"
        detail = r.get_json()["detail"]
    assert all(w in detail for w in words), detail
    return detail


# --- 4. a stray bracket or a bad port: 400, never 500 ---------------------------------

@pytest.mark.parametrize("url", BAD_URLS)
def test_a_malformed_url_is_a_400_on_every_api_route(app, auth, url):
    """(The API's schema refuses some of them first, with its own sentence: both say URL.)"""
    client = app.test_client()
    problem(client.post("/api/cameras", json={"name": "Gate", "source": url}, headers=auth), 400, "URL")
    problem(client.patch("/api/cameras/1", json={"source": url}, headers=auth), 400, "URL")
    problem(client.post("/api/webhooks", json={"url": url.replace("rtsp", "http")}, headers=auth),
            400, "not a valid URL")
    for path in ("/api/stream/status", "/stream.mjpg"):
        problem(client.get(path, query_string={"source": url}, headers=auth), 400, "URL")


@pytest.mark.parametrize("path, data, shown", [
    ("/live/source", {"source": "rtsp://a]/"}, "rtsp://a]/"),
    ("/cameras", {"name": "Gate", "source": "rtsp://a]/"}, "rtsp://a]/"),
    ("/cameras/1/settings", {"c1-source": "rtsp://a:99999/", "c1-detect_side": "320", "c1-min_face": "40",
                             "c1-recognition_fps": "5", "c1-ignore_region": ""}, "rtsp://a:99999/"),
    ("/webhooks", {"url": "http://[::1/hook"}, "http://[::1/hook"),
])
def test_a_form_with_a_malformed_url_is_shown_again_with_its_input(app, admin, csrf_token, path, data, shown):
    token = csrf_token(admin.get("/cameras" if "live" not in path else "/live").data)
    r = admin.post(path, data={**data, "csrf_token": token})
    assert r.status_code == 400, r.status_code
    page = r.get_data(as_text=True)
    assert f'value="{html.escape(shown)}"' in page  # the input kept, to be corrected
    assert "not a valid URL" in page and 'class="error"' in page  # the sentence under the field


# --- 8. loopback and link-local refused unless the setting allows them ----------------

@pytest.mark.parametrize("url", LOCAL_URLS)
def test_a_webhook_to_this_machine_or_link_local_is_refused(app, auth, url):
    r = app.test_client().post("/api/webhooks", json={"url": url}, headers=auth)
    problem(r, 400, "FACES_ALLOW_LOCAL_TARGETS")


@pytest.mark.parametrize("host", LOCAL_HOSTS)
def test_a_camera_on_this_machine_or_link_local_is_refused(app, auth, admin, csrf_token, host):
    client = app.test_client()
    source = f"rtsp://{host}:554/stream"
    problem(client.post("/api/cameras", json={"name": "Gate", "source": source}, headers=auth),
            400, "FACES_ALLOW_LOCAL_TARGETS")
    token = csrf_token(admin.get("/live").data)
    r = admin.post("/live/source", data={"source": source, "csrf_token": token})
    assert r.status_code == 400 and b"FACES_ALLOW_LOCAL_TARGETS" in r.data


def test_private_addresses_stay_allowed(app, auth):
    client = app.test_client()
    r = client.post("/api/webhooks", json={"url": "http://192.168.1.20:8123/api/webhook/faces"}, headers=auth)
    assert r.status_code == 201, r.data
    assert client.delete(f"/api/webhooks/{r.get_json()['id']}", headers=auth).status_code == 204
    r = client.post("/api/cameras", json={"name": "Gate", "source": "rtsp://10.0.0.5/stream",
                                          "enabled": False}, headers=auth)
    assert r.status_code == 201, r.data
    assert client.delete(f"/api/cameras/{r.get_json()['id']}", headers=auth).status_code == 204


def test_the_setting_allows_loopback(model_dir, tmp_path):
    app = make_app(tmp_path / "faces.db", ALLOW_LOCAL_TARGETS=True)
    auth = {"Authorization": f"Bearer {cli_api_key(app)}"}
    r = app.test_client().post("/api/webhooks", json={"url": "http://127.0.0.1:9/hook"}, headers=auth)
    assert r.status_code == 201, r.data


def test_the_sender_checks_the_address_again_before_each_delivery(app):
    """A webhook stored while its name pointed elsewhere (or before the setting was turned
    off) is not posted to loopback: the delivery fails with the reason, nothing is sent."""
    from app.events.webhooks import Sender, send_test_event
    from app.extensions import db
    from app.models import Webhook

    receiver = Receiver().start()
    try:
        with app.app_context():
            hook = Webhook(url=receiver.url, secret="s", rules="{}")
            db.session.add(hook)
            db.session.flush()
            delivery = send_test_event(hook)
            assert Sender(app)._post(hook, delivery) is False
            assert "loopback" in delivery.last_error and delivery.attempts == 1
            db.session.rollback()
    finally:
        receiver.stop()
    assert receiver.posts == []


# --- 3. previews of sources that are no camera's ----------------------------------------

@pytest.mark.parametrize("path", ["/stream.mjpg", "/api/stream/status"])
def test_a_viewer_cannot_make_the_server_fetch_a_url(app, viewer, auth, path):
    r = viewer.get(path, query_string={"source": "http://10.1.2.3:9998/x.jpg"})
    problem(r, 403, "admin")
    # Its own camera's source stays watchable by name.
    r = viewer.get(path, query_string={"source": "demo"})
    assert r.status_code == 200
    r.close()
    # A key may preview (it may add the camera anyway), but not the server's own ports.
    problem(app.test_client().get(path, query_string={"source": "http://127.0.0.1:9998/x.jpg"},
                                  headers=auth), 400, "loopback")


def test_previews_are_bounded_per_worker(app, auth):
    """Many distinct sources: LIVE_PREVIEWS run, the others get 429 with Retry-After, and the
    worker's threads stay bounded (150 sources took a worker from 25 to 325 threads)."""
    client = app.test_client()
    before = threading.active_count()
    answers = [client.get("/api/stream/status", query_string={"source": str(n)}, headers=auth)
               for n in range(10, 40)]
    codes = [r.status_code for r in answers]
    assert codes[:2] == [200, 200] and set(codes[2:]) == {429}, codes
    assert int(answers[-1].headers["Retry-After"]) >= 1
    assert "previews" in answers[-1].get_json()["detail"]
    assert threading.active_count() - before <= 8


# --- 6. streams per worker and cameras are bounded ----------------------------------------

def test_streams_beyond_the_workers_slots_get_a_503_with_retry_after(app, auth):
    client = app.test_client()
    first = client.get("/stream.mjpg", headers=auth)
    assert first.status_code == 200
    second = client.get("/stream/1.mjpg", headers=auth)
    assert second.status_code == 503 and int(second.headers["Retry-After"]) > 0
    problem(second, 503, "video streams")
    first.close()  # the viewer left: its slot is free again
    third = client.get("/stream/1.mjpg", headers=auth)
    assert third.status_code == 200
    third.close()


def test_cameras_are_bounded(app, auth):
    client = app.test_client()
    count = len(client.get("/api/cameras", headers=auth).get_json()["items"])
    for n in range(count, 3):
        r = client.post("/api/cameras", json={"name": f"Door {n}", "source": "demo", "enabled": False},
                        headers=auth)
        assert r.status_code == 201, r.data
    problem(client.post("/api/cameras", json={"name": "One more", "source": "demo"}, headers=auth),
            409, "FACES_MAX_CAMERAS")
