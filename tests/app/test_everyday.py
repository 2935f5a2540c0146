"""Everyday wording and small behaviours (issue 23's minor points): 404 hints that point
where the ids are listed, the API page's code, ..."""
from __future__ import annotations

import io
import re


def test_not_found_points_where_the_ids_are_listed(sign_in, app, api_key):
    auth = {"Authorization": f"Bearer {api_key}"}
    client = app.test_client()
    group = client.get("/api/unknown/99999", headers=auth).get_json()
    assert "GET /api/unknown lists them" in group["detail"]
    arrival = client.post("/api/corrections", headers=auth, json={"event_id": 99999}).get_json()
    assert "GET /api/events lists them" in arrival["detail"]
    assert "GET /api/people lists them" in client.get("/api/people/99999", headers=auth).get_json()["detail"]
    sign_in(client)
    page = client.get("/people/99999")
    assert page.status_code == 404
    assert b"GET /api" not in page.data and b"the People page lists" in page.data


def test_api_page_shows_code_not_backticks(sign_in, app):
    client = app.test_client()
    sign_in(client)
    page = client.get("/api/docs").get_data(as_text=True)
    assert "`" not in page and "(<code>faces</code> lists them" in page
    assert "Access</a> page" in page


def test_settings_hint_slider_and_presets_agree(sign_in, app):
    """The hint and the form accept what the slider offers; the default threshold is one of
    the presets, with the share of strangers it lets through."""
    client = app.test_client()
    sign_in(client)
    page = client.get("/settings").get_data(as_text=True)
    assert 'max="1.2" min="0.6"' in page
    assert "0.60 to 1.20" in page and "0.30" not in page
    default = f'{app.config["IDENTIFY_THRESHOLD"]:.3f}'
    assert f'data-value="{default}"' in page and f"Default ({default}:" in page


def test_one_photo_paragraph_is_one_measurement(sign_in, app, api_key):
    from support import photos
    client = app.test_client()
    r = client.post("/api/people", headers={"Authorization": f"Bearer {api_key}"},
                    data={"name": "Jerry One", "file": (photos("train", "jerry_seinfeld")[0].open("rb"), "j.jpg")})
    sign_in(client)
    page = client.get(f"/people/{r.get_json()['id']}").get_data(as_text=True)
    assert "about 89 in 100" in page and "to about 96 in 100" in page and "86 in 100" not in page


def test_two_unlike_photos_are_unlike_each_other_not_both_odd(sign_in, app, api_key):
    """With two photos either may be the wrong one: the page says they are unlike each other
    and marks neither; a third photo tells which one stands out."""
    from support import photos
    auth = {"Authorization": f"Bearer {api_key}"}
    client = app.test_client()
    pid = client.post("/api/people", headers=auth, data={
        "name": "Pair Two", "file": (photos("train", "madonna")[0].open("rb"), "m.jpg")}).get_json()["id"]
    r = client.post(f"/api/people/{pid}/faces", headers=auth, query_string={"confirm": 1},
                    data={"file": (photos("train", "ben_afflek")[1].open("rb"), "b.jpg")})
    assert r.status_code == 201, r.get_json()
    assert not any(f["outlier"] for f in client.get(f"/api/people/{pid}", headers=auth).get_json()["faces"])
    sign_in(client)
    page = client.get(f"/people/{pid}").get_data(as_text=True)
    assert "These two photos are unlike each other" in page and "Unlike the others" not in page


def test_identify_says_why_a_blurred_face_is_unknown(sign_in, app):
    from support import blurred, csrf_token
    client = app.test_client()
    sign_in(client)
    page = client.get("/identify")
    r = client.post("/identify", data={"photo": (io.BytesIO(blurred()), "b.jpg"),
                                       "csrf_token": csrf_token(page.data)})
    html = r.get_data(as_text=True)
    assert "unknown" in html and "too blurred to be recognised reliably" in html


def test_an_undo_is_a_restore_in_the_audit_log(sign_in, app, api_key):
    from support import csrf_token, photos
    auth = {"Authorization": f"Bearer {api_key}"}
    client = app.test_client()
    pid = client.post("/api/people", headers=auth, data={
        "name": "Undo Me", "file": (photos("train", "jerry_seinfeld")[1].open("rb"), "j.jpg")}).get_json()["id"]
    sign_in(client)
    confirm = client.get(f"/people/{pid}/delete")
    r = client.post(f"/people/{pid}/delete", data={"csrf_token": csrf_token(confirm.data)})
    page = client.get(r.headers["Location"])
    undo = re.search(rb'action="(/undo/\d+)"', page.data).group(1).decode()
    assert client.post(undo, data={"csrf_token": csrf_token(page.data)}).status_code == 302
    entries = client.get("/api/audit", headers=auth, query_string={"limit": 3}).get_json()["entries"]
    actions = [e["action"] for e in entries]
    assert actions[:2] == ["face.restore", "person.restore"] or actions[:2] == ["person.restore", "face.restore"]
    assert "undo" in entries[0]["detail"]


def _remember(client, auth, person: str, n: int) -> int:
    """n photos of `person` identified with remember=1: the group their faces joined."""
    from support import photos
    ids = []
    for path in photos("train", person):
        body = client.post("/api/identify", headers=auth, data=path.read_bytes(),
                           content_type="image/jpeg", query_string={"remember": 1}).get_json()
        group = max(body["faces"], key=lambda f: f["box"][2] * f["box"][3])["group_id"]
        ids += [group] if group is not None else []  # None: too small or blurred to remember
        if len(ids) == n:
            break
    assert len(set(ids)) == 1 and len(ids) == n, ids
    return ids[0]


def test_who_is_this_corrections(sign_in, app, api_key):
    """A wrong face taken out of a group or moved to another; a merge of unlike groups asks
    first; a dismissed group comes back; naming says where the group went."""
    from support import csrf_token
    auth = {"Authorization": f"Bearer {api_key}"}
    client = app.test_client()
    elton, mindy = _remember(client, auth, "elton_john", 3), _remember(client, auth, "mindy_kaling", 2)
    sign_in(client)
    page = client.get(f"/unknown/{elton}")
    token = csrf_token(page.data)
    faces = client.get(f"/api/unknown/{elton}", headers=auth).get_json()
    sightings = [int(s) for s in re.findall(r'/unknown/faces/(\d+)/out', page.get_data(as_text=True))]
    assert len(sightings) == faces["faces"] == 3 and f'value="{mindy}"' in page.get_data(as_text=True)
    client.post(f"/unknown/faces/{sightings[0]}/out", data={"csrf_token": token, "to": mindy, "next": f"/unknown/{elton}"})
    client.post(f"/unknown/faces/{sightings[1]}/out", data={"csrf_token": token, "to": "", "next": f"/unknown/{elton}"})
    assert client.get(f"/api/unknown/{elton}", headers=auth).get_json()["faces"] == 1
    assert client.get(f"/api/unknown/{mindy}", headers=auth).get_json()["faces"] == 3
    r = client.post("/unknown/merge", data={"csrf_token": token, "ids": [elton, mindy], "next": "/unknown"})
    assert r.status_code == 409 and "look like different people" in r.get_data(as_text=True)
    assert client.get(f"/api/unknown/{elton}", headers=auth).status_code == 200  # not merged yet
    client.post(f"/unknown/{elton}/dismiss", data={"csrf_token": token, "next": "/unknown"})
    assert f'/unknown/{elton}/restore' in client.get("/unknown?status=dismissed").get_data(as_text=True)
    client.post(f"/unknown/{elton}/restore", data={"csrf_token": token, "next": "/unknown"})
    assert client.get(f"/api/unknown/{elton}", headers=auth).get_json()["status"] == "open"
    r = client.post(f"/unknown/{mindy}/name", data={"csrf_token": token, "name": "Mindy K", "next": "/unknown"},
                    follow_redirects=True)
    assert "has left Who is this?" in r.get_data(as_text=True)


def test_people_thumbnails_load_as_they_scroll_into_view(sign_in, app, api_key):
    """The People page's first load fetched every thumbnail (one request each: 1.24 s to the
    load event with 135 people under load, 0.36 s lazily; docs/WEBAPP.md)."""
    from support import photos
    client = app.test_client()
    client.post("/api/people", headers={"Authorization": f"Bearer {api_key}"}, data={
        "name": "Lazy Thumb", "file": (photos("train", "mindy_kaling")[4].open("rb"), "m.jpg")})
    sign_in(client)
    html = client.get("/people").get_data(as_text=True)
    assert html.count("<img") == html.count('loading="lazy"') > 0


def test_create_api_key_does_not_load_tensorflow(tmp_path):
    """`flask faces create-api-key` (issue 23 measured 8 s: the whole stack, TensorFlow
    included) imports neither TensorFlow nor Keras: a fresh process makes the app, migrates
    a new database and makes a key."""
    import subprocess
    import sys

    from support import ROOT
    code = ("import sys; from app import create_app; app = create_app(); r = app.test_cli_runner(); "
            "assert r.invoke(args=['db', 'upgrade']).exit_code == 0; "
            "out = r.invoke(args=['faces', 'create-api-key', 'x']); assert out.exit_code == 0, out.output; "
            "heavy = [m for m in ('tensorflow', 'keras', 'h5py', 'torch') if m in sys.modules]; "
            "assert not heavy, heavy")
    env = {"PATH": "/usr/bin:/bin", "FACES_DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
           "FACES_MODELS_DIR": str(ROOT / "instance" / "models"), "FACES_SECRET_KEY": "test"}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
