"""Errors the app raises for people to act on. Each has a stable `type` slug, an HTTP
status and a `detail` sentence; the API turns them into `application/problem+json`
documents and the web pages show the sentence."""
from __future__ import annotations

TITLES = {
    "bad-image": "The file is not a usable image",
    "too-large": "The upload is too large",
    "no-face": "No face found",
    "multiple-faces": "Several faces found",
    "face-too-small": "The face is too small",
    "face-blurred": "The face is blurred",
    "missing-image": "No image in the request",
    "invalid-input": "Invalid input",
    "not-found": "Not found",
    "conflict": "Conflict",
    "duplicate-photo": "The photo is already enrolled",
    "duplicate-face": "The face is already enrolled",
    "face-mismatch": "The face is unlike the person's others",
    "unauthorized": "Unauthorized",
    "forbidden": "Forbidden",
    "rate-limited": "Too many requests",
    "method-not-allowed": "Method not allowed",
    "busy": "The server is busy",
    "server-error": "Server error",
}


class Problem(Exception):
    """An error with a stable type (see TITLES), an HTTP status and a detail sentence."""

    def __init__(self, type: str, status: int, detail: str, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.type, self.status, self.detail, self.extra = type, status, detail, extra
        self.headers = headers or {}  # e.g. Retry-After
        self.page_detail = detail  # the sentence on a web page (no API words)

    @property
    def title(self) -> str:
        return TITLES.get(self.type, self.type)

    def to_dict(self) -> dict:
        return {"type": self.type, "title": self.title, "status": self.status,
                "detail": self.detail, **self.extra}


def no_face() -> Problem:
    return Problem("no-face", 422, "No face was found in the photo. Send a sharp, well-lit photo "
                   "in which the face is seen from the front and at least 40 pixels wide.")


# Where each kind of thing is listed: (the API request, the page), for a 404's hint.
LISTED_BY = {
    "people": ("GET /api/people", "the People page"),
    "groups": ("GET /api/unknown", "the Who is this? page"),
    "arrivals": ("GET /api/events", "the Arrivals page"),
    "keys": ("flask faces list-api-keys", "the Access page"),
}


def not_found(what: str, listed: str = "people") -> Problem:
    """A 404 whose hint names where the ids are listed: the API request under /api, the
    page on a web page (`listed` is a key of LISTED_BY)."""
    api, page = LISTED_BY[listed]
    p = Problem("not-found", 404, f"There is no {what}. Check the id ({api} lists them).")
    p.page_detail = f"There is no {what}. It may have been deleted; {page} lists what there is."
    return p
