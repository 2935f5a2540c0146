"""Defects found from outside (security review), each a case that failed before its fix:
redirects after sign-in, markup in live status, odd JSON and ids, headers, cookies, the
secret key, the shared sign-in limit, 405 Allow, what /api/health tells strangers."""
from __future__ import annotations

import json
import multiprocessing
import os
import re
import stat
import time
from pathlib import Path

import pytest

from support import ROOT, cli_api_key, make_app, photos

GOOD = photos("train", "madonna")[0]


def check_problem(r, status: int, type_: str) -> dict:
    assert r.status_code == status, (r.status_code, r.data[:300])
    assert r.mimetype == "application/problem+json"
    body = r.get_json()
    assert body["type"] == type_ and body["detail"]
    return body


# --- 3. open redirect after sign-in ---------------------------------------------------

@pytest.mark.parametrize("target", ["/%09/evil.example", "/%0a/evil.example", "/\\evil.example",
                                    "//evil.example", "https://evil.example/", "/%5C%5Cevil.example",
                                    "javascript:alert(1)", "/ /evil.example"])
def test_sign_in_never_redirects_to_another_site(csrf_token, sign_in, app, target):
    sign_in(app.test_client())
    client = app.test_client()
    page = client.get("/login")
    r = client.post(f"/login?next={target}", data={"username": "op", "password": "correct horse",
                                                   "csrf_token": csrf_token(page.data)})
    assert r.status_code == 302 and r.headers["Location"] == "/", r.headers["Location"]


def test_sign_in_goes_back_to_the_page_asked_for(csrf_token, sign_in, app):
    sign_in(app.test_client())
    client = app.test_client()
    page = client.get("/login")
    r = client.post("/login?next=/people%3Fq%3Dada", data={
        "username": "op", "password": "correct horse", "csrf_token": csrf_token(page.data)})
    assert r.headers["Location"] == "/people?q=ada"


# --- 4. markup in the live page's status --------------------------------------------

def test_live_script_inserts_text_never_html():
    script = (ROOT / "static" / "live.js").read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", script)


@pytest.mark.parametrize("source", ["<img src=x onerror=alert(document.cookie)>", "/etc/passwd",
                                    "file:///etc/passwd", "../../faces.db", "gopher://x/"])
def test_a_camera_source_outside_the_allowed_kinds_is_refused(csrf_token, sign_in, app, source):
    client = app.test_client()
    sign_in(client)
    token = csrf_token(client.get("/live").data)
    r = client.post("/live/source", data={"source": source, "csrf_token": token}, follow_redirects=True)
    assert b"Camera source set" not in r.data
    assert (b"not allowed" in r.data or b"must be in" in r.data or b"control characters" in r.data)
    assert b"<img src=x" not in r.data  # shown escaped, if at all


def test_a_viewer_cannot_open_a_file_through_the_stream_query(app, api_key):
    r = app.test_client().get("/api/stream/status?source=/etc/passwd",
                              headers={"Authorization": f"Bearer {api_key}"})
    check_problem(r, 400, "invalid-input")


# --- 5. odd JSON and huge ids ------------------------------------------------------------

@pytest.mark.parametrize("name", [123, ["Ada"], {"first": "Ada"}, True])
def test_a_name_that_is_not_text_is_a_400(client, api_key, name):
    auth = {"Authorization": f"Bearer {api_key}"}
    import base64
    body = {"name": name, "image": base64.b64encode(GOOD.read_bytes()).decode()}
    check_problem(client.post("/api/people", json=body, headers=auth), 400, "invalid-input")


def test_renaming_to_a_number_is_a_400(client, api_key):
    auth = {"Authorization": f"Bearer {api_key}"}
    r = client.post("/api/people", headers=auth, data={"name": "Json Odd", "file": (GOOD.open("rb"), "a.jpg")})
    assert r.status_code == 201
    check_problem(client.patch(f"/api/people/{r.get_json()['id']}", json={"name": 123}, headers=auth),
                  400, "invalid-input")


def test_numbers_too_large_for_an_int_are_a_400(client, api_key):
    import base64
    image = base64.b64encode(GOOD.read_bytes()).decode()
    raw = '{"image": "%s", "k": 1e400}' % image
    check_problem(client.post("/api/identify", data=raw, content_type="application/json"), 400, "invalid-input")
    raw = '{"image": "%s", "name": "Big Face", "face": 1e400}' % image
    check_problem(client.post("/api/people", data=raw, content_type="application/json",
                              headers={"Authorization": f"Bearer {api_key}"}), 400, "invalid-input")


def test_deeply_nested_json_is_a_400(client):
    check_problem(client.post("/api/identify", data="[" * 100_000, content_type="application/json"),
                  400, "invalid-input")


@pytest.mark.parametrize("method, path", [("get", "/api/people/99999999999999999999"),
                                          ("delete", "/api/people/99999999999999999999"),
                                          ("post", "/api/people/99999999999999999999/faces"),
                                          ("delete", "/api/people/1/faces/99999999999999999999")])
def test_ids_beyond_64_bits_are_not_found(client, api_key, method, path):
    r = getattr(client, method)(path, headers={"Authorization": f"Bearer {api_key}"})
    check_problem(r, 404, "not-found")


# --- 7. headers, cookies, proxy, secret key ----------------------------------------------

@pytest.mark.parametrize("path", ["/login", "/api/health", "/api/openapi.json", "/static/style.css",
                                  "/no-such-page"])
def test_security_headers_on_every_response(client, path):
    h = client.get(path).headers
    assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
    assert "unsafe-inline" not in h["Content-Security-Policy"]
    assert h["X-Frame-Options"] == "DENY" and h["X-Content-Type-Options"] == "nosniff"
    assert h["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_scripts_styles_or_handlers():
    """What the policy (no 'unsafe-inline') would block."""
    for page in (ROOT / "templates").glob("*.html"):
        html = page.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), page.name


def test_cookies_are_secure_when_configured(tmp_path, model_dir):
    app = make_app(tmp_path / "faces.db", SESSION_COOKIE_SECURE=True)
    r = app.test_client().get("/login")
    assert "Secure" in r.headers["Set-Cookie"] and "HttpOnly" in r.headers["Set-Cookie"]


def test_behind_a_proxy_each_client_address_counts_on_its_own(csrf_token, tmp_path, model_dir):
    app = make_app(tmp_path / "faces.db", PROXY_HOPS=1, LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    token = csrf_token(client.get("/login").data)

    def attempt(address):
        return client.post("/login", data={"username": "x", "password": "y", "csrf_token": token},
                           headers={"X-Forwarded-For": address}).status_code
    assert [attempt("203.0.113.1") for _ in range(3)] == [200, 200, 429]
    assert attempt("203.0.113.2") == 200


def _read_key(instance: str, queue) -> None:
    from app.http.security import secret_key
    queue.put(secret_key(Path(instance)))


def test_the_secret_key_is_private_and_one_for_all_workers(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_read_key, args=(str(tmp_path), queue)) for _ in range(4)]
    for p in procs:
        p.start()
    keys = {queue.get(timeout=60) for _ in procs}
    for p in procs:
        p.join(30)
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left


def test_an_old_world_readable_key_is_made_private(tmp_path):
    from app.http.security import secret_key
    (tmp_path / "secret_key").write_text("ab" * 32)
    os.chmod(tmp_path / "secret_key", 0o644)
    assert secret_key(tmp_path) == "ab" * 32
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


# --- 8. the sign-in limit --------------------------------------------------------------

def test_the_right_password_works_again_after_the_window(csrf_token, sign_in, tmp_path, model_dir):
    app = make_app(tmp_path / "faces.db", LOGIN_RATE_LIMIT="2 per 2 seconds")
    sign_in(app.test_client())
    client = app.test_client()
    token = csrf_token(client.get("/login").data)

    def attempt(password):
        return client.post("/login", data={"username": "op", "password": password, "csrf_token": token})
    assert [attempt("guess").status_code for _ in range(2)] == [200, 200]
    limited = attempt("correct horse")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) <= 2
    assert b"wait" in limited.data
    time.sleep(2.1)
    assert attempt("correct horse").status_code == 302


# --- 9. 405 Allow, health ------------------------------------------------------------------

def test_405_says_which_methods_are_allowed(client):
    r = client.put("/api/identify")
    check_problem(r, 405, "method-not-allowed")
    assert "POST" in r.headers["Allow"]


def test_health_tells_strangers_neither_counts_nor_worker(client, api_key):
    bare = client.get("/api/health").get_json()
    assert bare["status"] == "ok" and not {"worker_pid", "people", "faces"} & set(bare)
    keyed = client.get("/api/health", headers={"Authorization": f"Bearer {api_key}"}).get_json()
    assert keyed["worker_pid"] == os.getpid() and "people" in keyed


def test_problem_documents_are_json(client):
    r = client.post("/api/identify", data="{", content_type="application/json")
    assert r.status_code == 400 and json.loads(r.data)["type"]


# --- A concurrent write: a photo added to a person another worker deletes meanwhile ---------

def test_a_person_deleted_during_an_upload_is_a_409_not_a_500(tmp_path, model_dir, monkeypatch):
    from app.faces import people

    first, second = make_app(tmp_path / "faces.db"), make_app(tmp_path / "faces.db")
    key = cli_api_key(first)
    auth = {"Authorization": f"Bearer {key}"}
    r = first.test_client().post("/api/people", headers=auth, data={"name": "Racer", "file": (GOOD.open("rb"), "a.jpg")})
    pid = r.get_json()["id"]
    analyze = people.analyze

    def deleted_meanwhile(data, **kw):  # the other worker deletes the person during the analysis
        assert second.test_client().delete(f"/api/people/{pid}", headers=auth).status_code == 204
        return analyze(data, **kw)
    monkeypatch.setattr(people, "analyze", deleted_meanwhile)
    other = photos("train", "madonna")[1].read_bytes()
    r = first.test_client().post(f"/api/people/{pid}/faces", headers=auth, data=other, content_type="image/jpeg")
    body = check_problem(r, 409, "conflict")
    assert "try again" in body["detail"]
    assert first.test_client().get(f"/api/people/{pid}", headers=auth).status_code == 404


def test_a_person_deleted_during_a_rename_is_a_409_not_a_500(tmp_path, model_dir, monkeypatch):
    """Found by the soak (scripts/soak.py): the rename's UPDATE matched no row."""
    from app.faces import people

    first, second = make_app(tmp_path / "faces.db"), make_app(tmp_path / "faces.db")
    auth = {"Authorization": f"Bearer {cli_api_key(first)}"}
    r = first.test_client().post("/api/people", headers=auth, data={"name": "Renamed", "file": (GOOD.open("rb"), "a.jpg")})
    pid = r.get_json()["id"]
    check_name = people.check_name_free

    def deleted_meanwhile(name, person_id=None):  # the other worker deletes them meanwhile
        assert second.test_client().delete(f"/api/people/{pid}", headers=auth).status_code == 204
        return check_name(name, person_id)
    monkeypatch.setattr(people, "check_name_free", deleted_meanwhile)
    r = first.test_client().patch(f"/api/people/{pid}", json={"name": "Renamed Twice"}, headers=auth)
    check_problem(r, 409, "conflict")


def test_the_first_requests_on_a_new_database_race_for_its_one_rows_and_both_answer(tmp_path, model_dir, monkeypatch):
    """Found by tests/app/test_held.py (8 threads identifying on a new database): each
    request that found no app_state (or gallery_meta) row made one, and all but one got the
    INSERT's UNIQUE failure as a 409. Here the other worker makes each row between this
    request's look and its own INSERT."""
    from app.extensions import db
    from app.faces import gallery
    from app.models import AppState, GalleryMeta

    first, second = make_app(tmp_path / "faces.db"), make_app(tmp_path / "faces.db")
    get, raced = db.session.get, []

    def made_meanwhile(model, ident, **kw):
        if model in (AppState, GalleryMeta) and model not in raced:
            raced.append(model)
            with second.app_context():
                gallery.get_state() if model is AppState else gallery.database_id()
            return None
        return get(model, ident, **kw)
    monkeypatch.setattr(db.session, "get", made_meanwhile)
    r = first.test_client().post("/api/identify", data=GOOD.read_bytes(), content_type="image/jpeg")
    assert r.status_code == 200, r.data[:300]
    assert raced == [AppState, GalleryMeta]
