"""Signed tokens the pages hand out and take back: the Identify page's "not this person"
buttons carry the face they are about, so that nothing is kept on the server meanwhile."""
from __future__ import annotations

import base64

from flask import current_app
from itsdangerous import URLSafeTimedSerializer

from ..extensions import db
from ..faces.photos import CROP_QUALITY
from ..library.sightings import remember_upload
from ..recognition.jpeg import to_jpeg

TOKEN_AGE = 3600  # seconds a "not this person" button of the Identify page stays valid


def correction_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="not-this-person")


def correction_token(person_id: int, face) -> str:
    """What the Identify page's "not this person" button posts: the face, signed."""
    return correction_serializer().dumps({
        "p": person_id, "e": base64.b64encode(face.embedding.tobytes()).decode(),
        "c": base64.b64encode(to_jpeg(face.aligned, CROP_QUALITY)).decode()})


def library_actions(found, faces: list[dict], remember: bool) -> str | None:
    """The Identify page's result for an operator: each named face with a signed "not this
    person" token and, when the operator asked to remember them, each unknown face kept as
    a sighting within the caps (its group, to name from the page). Nothing is kept
    otherwise. Returns why some faces were not remembered (a cap), or None."""
    kept = remember_upload(found) if remember else None
    if kept is not None:
        db.session.commit()
        for i, group_id in kept.groups:
            faces[i]["group_id"] = group_id
    for f, out in zip(found.faces, faces):
        if f.match.label is not None:
            out["token"] = correction_token(f.match.label, f.face)
    return kept.why if kept is not None else None
