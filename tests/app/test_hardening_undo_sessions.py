"""Issue 18, points 5 and 7 (each case failed before its fix): an undo that gave one
person's photo to whoever took their id, the People page stopping at 500, remembered
strangers without a cap, a copied session cookie outliving sign-out, next= leading to
another site from the Who is this? forms, and a viewer reading faces remembered from
uploads."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, insert, select

from support import csrf_token, photos, sign_in, two_faces

UNDO_RE = re.compile(rb'action="/undo/(\d+)"')


@pytest.fixture(scope="module")
def auth(api_key):
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture(scope="module")
def admin(app):
    client = app.test_client()
    sign_in(client)
    return client


def enrol(client, auth, name: str, folder: str, photos_wanted: int = 1) -> int:
    """Enrol `name` through the API from `folder`'s train photos; their id."""
    pid, added = None, 0
    for path in photos("train", folder):
        url = "/api/people" if pid is None else f"/api/people/{pid}/faces"
        r = client.post(url, headers=auth, data={"name": name, "file": (path.open("rb"), "x.jpg")})
        if r.status_code == 201:
            pid, added = pid or r.get_json()["id"], added + 1
        if added == photos_wanted:
            return pid
    raise AssertionError(f"{folder} has too few usable photos")


def delete_on_page(client, url: str) -> int:
    """Delete through a page's confirmation form; the undo entry the next page offers."""
    r = client.post(url, data={"csrf_token": csrf_token(client.get(url).data)})
    assert r.status_code == 302
    return int(UNDO_RE.search(client.get(r.headers["Location"]).data).group(1))


def undo(client, entry: int):
    r = client.post(f"/undo/{entry}", data={"csrf_token": csrf_token(client.get("/people").data)})
    assert r.status_code == 302
    return r, client.get(r.headers["Location"]).data.decode()


def faces_of(app, pid: int) -> int:
    from app.extensions import db
    from app.models import Face

    with app.app_context():
        return db.session.scalar(select(func.count(Face.id)).where(Face.person_id == pid))


# --- 5. undo refers to the person, never to a re-used id ------------------------------

def test_undo_of_a_photo_never_goes_to_whoever_took_the_id(app, admin, auth):
    a = enrol(admin, auth, "Ann Undo", "madonna", photos_wanted=2)
    a_faces = admin.get(f"/api/people/{a}", headers=auth).get_json()["faces"]
    photo_entry = delete_on_page(admin, f"/people/{a}/faces/{a_faces[1]['id']}/delete")
    person_entry = delete_on_page(admin, f"/people/{a}/delete")
    b = enrol(admin, auth, "Bob Newcomer", "elton_john")
    assert b == a  # SQLite gives the newest person's free id to the next one
    r, page = undo(admin, photo_entry)
    assert r.headers["Location"] == "/people" and "Ann Undo was deleted since" in page
    assert faces_of(app, b) == 1  # Bob keeps only his own photo
    # Ann back (with her uid, under a new id), then her photo comes back to her.
    r, page = undo(admin, person_entry)
    assert "Undone: Ann Undo has 1 photo again" in page
    ann = int(r.headers["Location"].rsplit("/", 1)[1])
    assert ann != b
    r, page = undo(admin, photo_entry)
    assert r.headers["Location"] == f"/people/{ann}" and "Undone: Ann Undo has 2 photos again" in page
    assert (faces_of(app, ann), faces_of(app, b)) == (2, 1)


# --- 7a. the People page pages through everyone ---------------------------------------

def test_people_page_pages_through_everyone(app, admin):
    from app.extensions import db
    from app.models import Person, name_key
    from app.web.pages import PEOPLE_PAGE

    names = [f"Zz Paged {i:04d}" for i in range(PEOPLE_PAGE * 4 + 7)]
    with app.app_context():
        db.session.execute(insert(Person), [{"name": n, "name_key": name_key(n)} for n in names])
        db.session.commit()
    first = admin.get("/people?q=zz+paged").data.decode()
    assert f"{len(names)} people · page 1 of 5" in first and names[0] in first
    assert names[PEOPLE_PAGE] not in first
    fifth = admin.get("/people?q=zz+paged&page=5").data.decode()
    assert names[-1] in fifth and names[PEOPLE_PAGE * 4] in fifth and names[0] not in fifth
    assert admin.get("/people?q=zz+paged&page=50").data.decode().count("Zz Paged") == 7  # the last page
    newest = admin.get("/people?q=zz+paged&order=newest").data.decode()
    assert newest.index(names[-1]) < newest.index(names[-2])


# --- 7b. remembered strangers are capped ----------------------------------------------

def identify_remember(client, auth, data: bytes) -> dict:
    r = client.post("/api/identify?remember=1", headers=auth, data=data, content_type="image/jpeg")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_remembered_faces_capped_per_photo(app, auth, monkeypatch):
    monkeypatch.setitem(app.config, "REMEMBER_PER_PHOTO", 1)
    body = identify_remember(app.test_client(), auth, two_faces())
    assert len(body["faces"]) == 2 and sum(f["group_id"] is not None for f in body["faces"]) == 1
    assert body["remembered"]["faces"] == 1 and body["remembered"]["left_out"] == 1
    assert "FACES_REMEMBER_PER_PHOTO" in body["remembered"]["why"]


def test_remembered_faces_capped_per_key_and_in_all(app, auth, monkeypatch):
    from support import cli_api_key

    client, stranger = app.test_client(), photos("val", "mindy_kaling")[0].read_bytes()
    monkeypatch.setitem(app.config, "REMEMBER_PER_KEY", "2 per hour")
    other = {"Authorization": f"Bearer {cli_api_key(app, 'capped')}"}
    kept = [identify_remember(client, other, stranger)["remembered"] for _ in range(3)]
    assert [k["faces"] for k in kept] == [1, 1, 0] and "FACES_REMEMBER_PER_KEY" in kept[2]["why"]
    assert identify_remember(client, auth, stranger)["remembered"]["faces"] == 1  # another key
    from app.extensions import db
    from app.models import Sighting

    with app.app_context():
        uploads = db.session.scalar(select(func.count(Sighting.id)).where(Sighting.source_sha256.is_not(None)))
    monkeypatch.setitem(app.config, "REMEMBER_MAX", uploads)
    full = identify_remember(client, auth, stranger)["remembered"]
    assert full["faces"] == 0 and full["left_out"] == 1 and "FACES_REMEMBER_MAX" in full["why"]


# --- 7c. sign-out ends the session, copies of its cookie included ---------------------

def operator(app, username: str, password: str, role: str = "admin") -> None:
    """Create an operator, or give them a new password, from the command line."""
    result = app.test_cli_runner().invoke(args=["faces", "create-operator", username, "--role", role,
                                                "--password", password])
    assert result.exit_code == 0, result.output


def test_a_copied_session_cookie_dies_at_sign_out(app):
    browser, thief = app.test_client(), app.test_client()
    operator(app, "leaver", "leaver password")  # signing out ends every session of the operator
    sign_in(browser, "leaver", "leaver password")
    cookie = browser.get_cookie("session")
    thief.set_cookie("session", cookie.value, domain=cookie.domain)
    assert thief.get("/people").status_code == 200
    r = browser.post("/logout", data={"csrf_token": csrf_token(browser.get("/people").data)})
    assert r.status_code == 302
    assert thief.get("/people").status_code == 302  # to the sign-in page
    sign_in(browser, "leaver", "leaver password")  # signing in again works, with a new cookie
    assert browser.get("/people").status_code == 200


def test_a_new_password_ends_earlier_sessions(app):
    browser = app.test_client()
    operator(app, "pwuser", "first password")
    sign_in(browser, "pwuser", "first password")
    assert browser.get("/people").status_code == 200
    operator(app, "pwuser", "second password")
    assert browser.get("/people").status_code == 302


# --- 7d. next= from the Who is this? forms stays on this site -------------------------

@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\\evil.example",
                                    "//evil.example", "https://evil.example/", "/ /evil.example"])
def test_group_forms_never_redirect_to_another_site(app, admin, target):
    token = csrf_token(admin.get("/unknown").data)
    for action in ("name", "dismiss"):
        r = admin.post(f"/unknown/999999/{action}", data={"csrf_token": token, "next": target, "name": "X"})
        assert r.status_code == 302 and r.headers["Location"] == "/unknown", (action, r.headers["Location"])


def test_group_forms_go_back_to_a_page_of_this_site(app, admin):
    token = csrf_token(admin.get("/unknown").data)
    r = admin.post("/unknown/999999/dismiss", data={"csrf_token": token, "next": "/unknown?page=2"})
    assert r.headers["Location"] == "/unknown?page=2"


# --- 7e. a viewer never sees faces remembered from uploads ----------------------------

def test_a_viewer_cannot_read_faces_remembered_from_uploads(app, admin, auth):
    body = identify_remember(app.test_client(), auth, photos("val", "ben_afflek")[0].read_bytes())
    group = next(f["group_id"] for f in body["faces"] if f["group_id"] is not None)
    sighting = admin.get(f"/api/unknown/{group}", headers=auth).get_json()["items"][0]["id"]
    operator(app, "viewer2", "viewer password", role="viewer")
    viewer = app.test_client()
    sign_in(viewer, "viewer2", "viewer password")
    assert viewer.get(f"/unknown/{group}").status_code == 403
    assert viewer.get(f"/unknown/faces/{sighting}.jpg").status_code == 403
    assert viewer.get(f"/unknown/{group}/face.jpg").status_code == 404
    assert admin.get(f"/unknown/faces/{sighting}.jpg").mimetype == "image/jpeg"
    assert admin.get(f"/unknown/{group}/face.jpg").mimetype == "image/jpeg"


@pytest.mark.parametrize("referrer, back", [("http://localhost/events?day=2026-12-01", "/events?day=2026-12-01"),
                                            ("http://evil.example/events", "/events"),
                                            ("http://localhost//evil.example", "/events")])
def test_arrival_correction_goes_back_only_to_this_site(app, admin, referrer, back):
    token = csrf_token(admin.get("/people").data)
    r = admin.post("/events/999999/not-this-person", data={"csrf_token": token}, headers={"Referer": referrer})
    assert r.status_code == 302 and r.headers["Location"] == back
