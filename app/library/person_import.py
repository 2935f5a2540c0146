"""A person's zip (person_export.py) read back: the person under their name, their faces
(embeddings, crops, model, scores, photo hashes, origins, dates) and the corrections made
against them, as they were, so that identification answers as before the export. The logs
in the zip (sightings, arrivals, deliveries, audit) are the record of what was held and
are not written back. One transaction: all or nothing."""
from __future__ import annotations

import base64
import json
import zipfile
from datetime import datetime
from typing import IO

from ..extensions import db
from ..faces import get_state
from ..faces.grey import grey_embedding
from ..faces.people import new_name
from ..errors import Problem
from ..models import Correction, Face, Person, name_key
from .person_export import FORMAT

FACE_FIELDS = ("model", "det_score", "source_sha256", "origin", "origin_camera")


def _bad(why: str) -> Problem:
    return Problem("invalid-input", f"Not a person's export ({why}); send the zip that "
                   "GET /api/people/{id}/export or `flask faces export-person` wrote.")


def _lines(z: zipfile.ZipFile, name: str):
    with z.open(name) as f:
        for line in f:
            yield json.loads(line)


def _when(iso: str | None) -> datetime | None:
    return None if iso is None else datetime.fromisoformat(iso.removesuffix("Z"))


def _face(row: dict, z: zipfile.ZipFile, person: Person) -> Face:
    crop = z.read(row["crop"])
    # Its grey embedding made again from the crop (the zip has none): a person without one
    # would keep every grey face out of the grey gallery (GalleryView.uses_grey).
    grey = grey_embedding(crop) if row["model"] == get_state().active_model else None
    return Face(person_id=person.id, embedding=base64.b64decode(row["embedding"]), crop_jpeg=crop,
                grey_embedding=grey, created_at=_when(row["created_at"]), **{k: row[k] for k in FACE_FIELDS})


def _correction(row: dict, z: zipfile.ZipFile, person: Person) -> Correction:
    return Correction(person_id=person.id, model=row["model"], embedding=base64.b64decode(row["embedding"]),
                      crop_jpeg=z.read(row["crop"]), where=row["where"], created_at=_when(row["created_at"]))


def import_person(file: IO[bytes], batch: int = 500) -> Person:
    """Read a person's zip into this database (their name must be free). The caller commits."""
    try:
        z = zipfile.ZipFile(file)
        manifest = json.loads(z.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise _bad("not a zip with a manifest.json") from None
    if manifest.get("format") != FORMAT:
        raise _bad(f"its format is {manifest.get('format')!r}, not {FORMAT}")
    try:
        about = json.loads(z.read("person.json"))
        name = new_name(about["name"])
        get_state()  # made first on a new database (it commits): nothing of this must go with it
        person = Person(name=name, name_key=name_key(name), created_at=_when(about["created_at"]))
        db.session.add(person)
        db.session.flush()  # its id, for the rows below
        for kind, make in (("faces", _face), ("corrections", _correction)):
            for i, row in enumerate(_lines(z, f"{kind}.jsonl"), 1):
                db.session.add(make(row, z, person))
                if i % batch == 0:
                    db.session.flush()  # bounded: a few hundred rows pending at a time
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as e:
        raise _bad(f"{type(e).__name__}: {e}") from None
    return person
