"""Operators after they were added (issue 23.5): the last admin is never removed or demoted,
whichever door is used (the operator page, the Add form, the command line); a viewer cannot
manage operators; a wrong current password changes nothing."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def admin(app, sign_in):
    client = app.test_client()
    sign_in(client)  # "op", the first operator: the only admin
    return client


def test_the_only_admin_is_neither_removed_nor_demoted(admin, csrf_token):
    token = csrf_token(admin.get("/access/operators/1").data)
    r = admin.post("/access/operators/1/role", data={"csrf_token": token, "role": "viewer"})
    assert r.status_code == 400 and b"the only admin" in r.data
    r = admin.post("/access/operators/1/remove", data={"csrf_token": token}, follow_redirects=True)
    assert b"the only admin" in r.data
    r = admin.post("/access/operators", data={"csrf_token": token, "username": "op", "role": "viewer",
                                              "password": "another password"})
    assert r.status_code == 400 and b"the only admin" in r.data
    assert b"admin" in admin.get("/access").data


def test_the_command_line_keeps_the_last_admin(app, admin):
    result = app.test_cli_runner().invoke(args=["faces", "create-operator", "op", "--role", "viewer",
                                                "--password", "another password"])
    assert result.exit_code != 0 and "the only admin" in result.output


def test_a_viewer_cannot_manage_operators(app, admin, sign_in, csrf_token):
    app.test_cli_runner().invoke(args=["faces", "create-operator", "eve", "--role", "viewer",
                                       "--password", "eve's words"])
    viewer = app.test_client()
    sign_in(viewer, "eve", "eve's words")
    assert viewer.get("/access/operators/1").status_code == 403
    token = csrf_token(viewer.get("/account/password").data)
    assert viewer.post("/access/operators/1/remove", data={"csrf_token": token}).status_code == 403
    r = viewer.post("/account/password", data={"csrf_token": token, "current": "wrong words",
                                               "password": "new words!", "confirm": "new words!"})
    assert r.status_code == 400 and b"current password is not right" in r.data
    fresh = app.test_client()
    sign_in(fresh, "eve", "eve's words")  # the old password still works
