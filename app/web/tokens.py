"""Signed tokens the pages hand out and take back: the Identify page's "not this person"
buttons carry the face they are about, so that nothing is kept on the server meanwhile."""
from __future__ import annotations

import base64

from flask import current_app
from itsdangerous import URLSafeTimedSerializer

from ..extensions import db
from ..faces.photos import CROP_QUALITY
from ..library.sightings import upload_faces
from ..recognition.jpeg import to_jpeg

TOKEN_AGE = 3600  # seconds a "not this person" button of the Identify page stays valid


def correction_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="not-this-person")


def correction_token(person_id: int, face) -> str:
    """What the Identify page's "not this person" button posts: the face, signed."""
    return correction_serializer().dumps({
        "p": person_id, "e": base64.b64encode(face.embedding.tobytes()).decode(),
        "c": base64.b64encode(to_jpeg(face.aligned, CROP_QUALITY)).decode()})


def library_actions(found, faces: list[dict]) -> None:
    """The Identify page's result for an operator: each unknown face remembered (its group,
    to name from the page), each named face with a signed "not this person" token."""
    unknown = [i for i, f in enumerate(found.faces) if f.match.label is None and not f.reason]
    groups = upload_faces([found.faces[i].face for i in unknown], found.photo.sha256)
    db.session.commit()
    for i, group_id in zip(unknown, groups):
        faces[i]["group_id"] = group_id
    for f, out in zip(found.faces, faces):
        if f.match.label is not None:
            out["token"] = correction_token(f.match.label, f.face)
