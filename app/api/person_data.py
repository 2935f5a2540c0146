"""One person's data: export it all as a zip, erase it all, import an export back."""
from __future__ import annotations

import shutil
import tempfile

from flask import Response, current_app, request, stream_with_context, url_for
from marshmallow import Schema, fields

from ..auth import key_required
from ..auth.audit import current_actor
from ..extensions import db
from ..errors import Problem
from ..library.erase import erase_person
from ..library.person_export import export_person
from ..library.person_import import import_person
from . import bp
from .schemas import PersonWithFaces
from .spec import KEY, guarded, problems

keyed = guarded(bp, key_required, KEY)
ZIP = {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
SPOOL_BYTES = 16 << 20  # an upload larger than this waits on disk, not in memory


class Erased(Schema):
    faces = fields.Integer(required=True, metadata={"description": "Their faces (embedding and crop each)."})
    sightings = fields.Integer(required=True, metadata={"description": "Unknown faces named after them or from their photos."})
    groups = fields.Integer(required=True, metadata={"description": "Unknown groups named after them."})
    arrivals = fields.Integer(required=True, metadata={"description": "Arrivals with their thumbnails."})
    corrections = fields.Integer(required=True, metadata={"description": "Faces marked not them."})
    deliveries = fields.Integer(required=True, metadata={"description": "Webhook deliveries whose event named them."})
    audit = fields.Integer(required=True, metadata={"description": "Audit entries about them (one, without them, says they were erased)."})
    undo = fields.Integer(required=True, metadata={"description": "Deletions of theirs that could have been undone."})
    files = fields.Integer(required=True, metadata={"description": "Index snapshot files that could hold them."})


@bp.get("/people/<int:person_id>/export")
@keyed
@bp.doc(responses={200: {"description": "A zip: manifest.json, person.json, faces.jsonl with "
                                         "faces/{id}.jpg, sightings, arrivals, corrections, deliveries, "
                                         "audit (docs/PRIVACY.md). Streamed.", "content": ZIP}})
@problems(bp, 404, 429)
def export_person_view(person_id: int):
    """Everything held about a person, as a zip"""
    parts = export_person(person_id, current_actor())
    return Response(stream_with_context(parts), mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="person-{person_id}.zip"', "Cache-Control": "no-store"})


@bp.delete("/people/<int:person_id>/data")
@keyed
@bp.response(200, Erased, description="Erased: how many of each kind went.")
@problems(bp, 404, 429)
def erase_person_view(person_id: int):
    """Erase a person and everything held about them

    Their faces, the unknown faces named after them or taken from their photos, their
    arrivals, corrections, webhook deliveries and audit entries, in one transaction; every
    worker forgets them at its next request. The audit keeps "person N erased" by whom and
    when. DELETE /api/people/{id} deletes the person and faces only."""
    return erase_person(person_id)


@bp.post("/people/import")
@keyed
@bp.doc(requestBody={"required": True, "content": ZIP})
@bp.response(201, PersonWithFaces, description="The person, as exported.")
@problems(bp, 400, 409, 413, 429, e400="invalid-input: not a person's export zip.",
          e409="conflict: someone enrolled has the name.")
def import_person_view():
    """Import a person from their export zip

    Their faces and corrections, as exported (identification answers as before); the logs
    in the zip are not written back. Up to FACES_PERSON_IMPORT_MAX_BYTES."""
    request.max_content_length = current_app.config["PERSON_IMPORT_MAX_BYTES"]
    with tempfile.SpooledTemporaryFile(SPOOL_BYTES) as upload:
        shutil.copyfileobj(request.stream, upload)
        if not upload.tell():
            raise Problem("invalid-input", "No zip was sent: send the export as the request body "
                          "(Content-Type: application/zip).")
        upload.seek(0)
        person = import_person(upload)
        db.session.commit()
    return person.to_dict(faces=True), 201, {"Location": url_for("api.get_person_view", person_id=person.id)}
