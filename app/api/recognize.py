"""Identify, verify and health endpoints."""
from __future__ import annotations

import os

from flask import g
from sqlalchemy import text

from ..auth import has_key, key_for_recognition
from ..extensions import db, limiter
from ..faces import identify, state, verify
from ..errors import Problem, no_face
from ..library.sightings import remember_upload
from ..http.uploads import read_image
from ..models import counts
from . import bp
from .args import Args, IdentifyArgs
from .schemas import Health, Identification, Verification
from .spec import OPTIONAL_KEY, guarded, photo_args, problems

opened = guarded(bp, key_for_recognition, OPTIONAL_KEY)  # a key only if so configured
PHOTO_400 = "missing-image, bad-image (not a decodable image, or bad base64) or invalid-input (`detail` names the field)."


@bp.post("/identify")
@opened
@photo_args(bp, IdentifyArgs)
@bp.response(200, Identification, description="Every face, left to right.")
@problems(bp, 400, 413, 422, 429, 503, e400=PHOTO_400, e422="no-face: no face was found in the photo.")
def identify_view(k: int, remember: bool = False):
    """Name every face in a photo

    Each face with its name (null when unknown) and its k nearest people. A key is needed
    only when FACES_API_OPEN_RECOGNITION is off, and for remember=1, which keeps the
    unknown faces as sightings grouped for Who is this? (each face's `group_id`)."""
    if remember and not has_key():
        raise Problem("unauthorized", "remember=1 keeps faces: send an API key "
                      "(Authorization: Bearer <key>), or leave remember out.")
    found = identify(read_image(), k)
    if not found.faces:
        raise no_face()
    faces = [f.to_dict() for f in found.faces]
    out = {"faces": faces, "model": found.model, "threshold": found.threshold,
           "timings_ms": found.timings_ms}
    if remember:
        kept = remember_upload(found, g.api_key.id)
        db.session.commit()
        for i, group_id in kept.groups:
            faces[i]["group_id"] = group_id
        out["remembered"] = kept.to_dict()
    return out


class VerifyArgs(Args):
    """Nothing beside the two photos."""


@bp.post("/verify")
@opened
@photo_args(bp, VerifyArgs, files=("file1", "file2"), json_fields=("image1", "image2"), raw=False)
@bp.response(200, Verification, description="The largest face of each photo, compared.")
@problems(bp, 400, 413, 422, 429, 503, e400=PHOTO_400, e422="no-face: no face in one of the photos.")
def verify_view():
    """Are two photos the same person?"""
    first, second = read_image("file1", "image1"), read_image("file2", "image2")
    return verify(first, second).to_dict()


@bp.get("/health")
@limiter.exempt  # load balancers and monitors poll it
@bp.doc(security=OPTIONAL_KEY)
@bp.response(200, Health, description="ok: the database answers.")
@bp.alt_response(503, schema=Health, description="degraded: the database does not answer.")
def health_view():
    """Whether the model is loaded and the database reachable

    With an API key also how many are enrolled and which worker answered (nobody else needs
    to know). Not rate-limited."""
    try:
        db.session.execute(text("SELECT 1"))
        database = True
    except Exception:  # the point of a health check: report, don't raise
        db.session.rollback()
        database = False
    body = {"status": "ok" if database else "degraded", "database": database,
            "model_loaded": bool(state().pipelines)}
    if database and has_key():
        body.update(counts(), worker_pid=os.getpid())
    return body, 200 if database else 503
