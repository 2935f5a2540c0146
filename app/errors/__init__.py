"""Errors a person can act on, raised anywhere in the app and the one thing every layer may
import (it imports nothing from the app). Each has a stable `type` slug and a `detail`
sentence that says what to do; what a type means to a transport is decided at the edge:
app/http/problems.py maps each type to an HTTP status and a title, the API renders
`application/problem+json`, pages and the CLI show the sentence."""
from __future__ import annotations


class Problem(Exception):
    """An error with a stable `type` slug and a `detail` sentence. `page_detail` is the
    sentence on a web page (no API words); `retry_after` (whole seconds) says when to try
    again; `extra` fields go into the API's document beside type and detail."""

    def __init__(self, type: str, detail: str, *, retry_after: int | None = None, **extra):
        super().__init__(detail)
        self.type, self.detail, self.extra, self.retry_after = type, detail, extra, retry_after
        self.page_detail = detail


# What a viewer is told on asking for what only an admin may do (a werkzeug 403 too).
ADMIN_ONLY = "This needs an administrator; ask one to do it or to give you that role."


def admin_only() -> Problem:
    """A signed-in viewer asked for what only an admin may do ("forbidden": 403 at the edge)."""
    return Problem("forbidden", ADMIN_ONLY)


def no_face() -> Problem:
    return Problem("no-face", "No face was found in the photo. Send a sharp, well-lit photo "
                   "in which the face is seen from the front and at least 40 pixels wide.")


# Where each kind of thing is listed: (the API request, the page), for a not-found's hint.
LISTED_BY = {
    "people": ("GET /api/people", "the People page"),
    "groups": ("GET /api/unknown", "the Who is this? page"),
    "arrivals": ("GET /api/events", "the Arrivals page"),
    "keys": ("flask faces list-api-keys", "the Access page"),
}


def not_found(what: str, listed: str = "people") -> Problem:
    """A not-found whose hint names where the ids are listed: the API request in `detail`,
    the page in `page_detail` (`listed` is a key of LISTED_BY)."""
    api, page = LISTED_BY[listed]
    p = Problem("not-found", f"There is no {what}. Check the id ({api} lists them).")
    p.page_detail = f"There is no {what}. It may have been deleted; {page} lists what there is."
    return p
