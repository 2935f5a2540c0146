"""The edge's one table of error types: each `type` slug of app/errors.py (and of the
recognition core's errors) with its HTTP status and title. The API turns an error into an
`application/problem+json` document from it; pages show its title and sentence."""
from __future__ import annotations

# type: (HTTP status, title); a title of None shows the type itself.
TYPES = {
    "bad-image": (400, "The file is not a usable image"),
    "too-large": (413, "The upload is too large"),
    "no-face": (422, "No face found"),
    "multiple-faces": (422, "Several faces found"),
    "face-too-small": (422, "The face is too small"),
    "face-blurred": (422, "The face is blurred"),
    "recognition-error": (422, None),
    "missing-image": (400, "No image in the request"),
    "invalid-input": (400, "Invalid input"),
    "csrf": (400, None),
    "not-found": (404, "Not found"),
    "conflict": (409, "Conflict"),
    "duplicate-photo": (409, "The photo is already enrolled"),
    "duplicate-face": (409, "The face is already enrolled"),
    "face-mismatch": (409, "The face is unlike the person's others"),
    "unauthorized": (401, "Unauthorized"),
    "forbidden": (403, "Forbidden"),
    "rate-limited": (429, "Too many requests"),
    "method-not-allowed": (405, "Method not allowed"),
    "busy": (503, "The server is busy"),
    "data-key": (503, None),
    "weights-error": (503, None),
    "server-error": (500, "Server error"),
}


def status_of(error) -> int:
    """The HTTP status of an error with a `type` (a Problem, a RecognitionError)."""
    return TYPES[error.type][0]


def title_of(type: str) -> str:
    return TYPES.get(type, (None, None))[1] or type


def problem_document(error, status: int | None = None) -> dict:
    """The problem+json body: type, title, status, detail and the error's extra fields.
    `status` replaces the table's for a werkzeug HTTPException (any code it raises)."""
    return {"type": error.type, "title": title_of(error.type), "status": status or status_of(error),
            "detail": error.detail, **getattr(error, "extra", {})}
