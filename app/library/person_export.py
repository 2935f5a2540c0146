"""One person's data as a zip, written as it is read (bounded memory whatever the number of
faces: rows are read 500 at a time and each part of the zip is handed on as soon as it is
written), and the same zip read back (`import_person`).

The zip (format facerec-person/1): person.json; faces.jsonl (metadata, embedding as base64
of 128 little-endian float32) with faces/<id>.jpg (the aligned 160x160 crop: the original
photos are never stored, only their SHA-256); sightings.jsonl + sightings/<id>.jpg;
arrivals.jsonl + arrivals/<id>.jpg; corrections.jsonl + corrections/<id>.jpg (faces marked
"not this person", with their embeddings); deliveries.jsonl; audit.jsonl; and, last,
manifest.json with the counts of each."""
from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator

from ..extensions import db
from ..faces import get_person
from ..models import utcnow
from .person_rows import PersonRows

FORMAT = "facerec-person/1"
BATCH = 500  # rows read at a time
FLUSH_BYTES = 1 << 20  # hand a part of the zip on once this much is written


class _Sink(io.RawIOBase):
    """Where the zip is written: kept until taken. Not seekable, so zipfile writes each
    member's sizes after its data (a data descriptor) and never goes back."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self.parts.append(bytes(b))
        self.size += len(b)
        return len(b)

    def take(self) -> bytes:
        out, self.parts, self.size = b"".join(self.parts), [], 0
        return out


def _iso(t) -> str | None:
    return None if t is None else t.isoformat() + "Z"


def _b64(blob: bytes | None) -> str | None:
    return None if blob is None else base64.b64encode(blob).decode()


# The rows as the export writes them: its own format (read back by person_import.py, and by
# whoever asked for their data), kept apart from the API's answers so that neither moves
# the other; the embeddings as base64, each crop as a file of the zip.

def _face(f) -> dict:
    return {"id": f.id, "person_id": f.person_id, "model": f.model, "det_score": round(f.det_score, 4),
            "source_sha256": f.source_sha256, "origin": f.origin, "origin_camera": f.origin_camera,
            "created_at": _iso(f.created_at), "embedding": _b64(f.embedding), "crop": f"faces/{f.id}.jpg"}


def _sighting(s) -> dict:
    return {"id": s.id, "group_id": s.group_id, "seen_at": _iso(s.seen_at), "camera": s.camera,
            "camera_id": s.camera_id, "source_sha256": s.source_sha256, "quality": round(s.quality, 3),
            "distance": None, "model": s.model, "embedding": _b64(s.embedding), "crop": f"sightings/{s.id}.jpg"}


def _arrival(e) -> dict:
    return {"id": e.id, "created_at": _iso(e.created_at), "last_seen_at": _iso(e.last_seen_at),
            "left_at": _iso(e.left_at), "camera": e.camera, "person_id": e.person_id, "name": e.name,
            "known": e.known, "group_id": e.group_id,
            "distance": None if e.distance is None else round(e.distance, 4),
            "model": e.model, "embedding": _b64(e.embedding), "crop": f"arrivals/{e.id}.jpg"}


def _correction(c) -> dict:
    return {"id": c.id, "person_id": c.person_id, "model": c.model, "where": c.where, "event_id": c.event_id,
            "sighting_id": c.sighting_id, "created_at": _iso(c.created_at), "embedding": _b64(c.embedding),
            "crop": f"corrections/{c.id}.jpg"}


def _delivery(d) -> dict:
    return {"id": d.id, "webhook_id": d.webhook_id, "status": d.status, "attempts": d.attempts,
            "event": d.event, "last_error": d.last_error, "response_status": d.response_status,
            "created_at": _iso(d.created_at), "delivered_at": _iso(d.delivered_at),
            "next_attempt_at": _iso(d.retry_at)}


def _audit(a) -> dict:
    return {"id": a.id, "at": _iso(a.created_at), "actor": a.actor, "action": a.action, "target": a.target,
            "detail": a.detail}


# (file, statement of PersonRows, row -> JSON, row -> (crop name, JPEG) or None)
KINDS = (("faces", PersonRows.faces, _face, lambda f: (f"faces/{f.id}.jpg", f.crop_jpeg)),
         ("sightings", PersonRows.sightings, _sighting, lambda s: (f"sightings/{s.id}.jpg", s.crop_jpeg)),
         ("arrivals", PersonRows.arrivals, _arrival, lambda e: (f"arrivals/{e.id}.jpg", e.thumbnail_jpeg)),
         ("corrections", PersonRows.corrections, _correction, lambda c: (f"corrections/{c.id}.jpg", c.crop_jpeg)),
         ("deliveries", PersonRows.deliveries, _delivery, None))


def _stream(statement):
    return db.session.scalars(statement.execution_options(yield_per=BATCH))


def export_person(person_id: int, by: str) -> Iterator[bytes]:
    """The zip of everything held about person `person_id`, in parts of about a MB, `by`
    (who asked) written in its manifest. not-found at once when there is no such person."""
    return _zip(get_person(person_id), by)


def _zip(person, by: str) -> Iterator[bytes]:
    rows, sink = PersonRows(person.id), _Sink()
    about = {"id": person.id, "name": person.name, "created_at": _iso(person.created_at)}
    counts = {}
    with zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("person.json", json.dumps(about, indent=1))
        for name, statement, as_json, crop in KINDS:
            counts[name] = 0
            with z.open(f"{name}.jsonl", "w") as out:
                for row in _stream(statement(rows)):
                    out.write((json.dumps(as_json(row)) + "\n").encode())
                    counts[name] += 1
                    if sink.size >= FLUSH_BYTES:
                        yield sink.take()
            for row in _stream(statement(rows)) if crop else ():
                path, jpeg = crop(row)
                if jpeg:
                    z.writestr(path, jpeg, compress_type=zipfile.ZIP_STORED)  # JPEGs do not shrink
                if sink.size >= FLUSH_BYTES:
                    yield sink.take()
        audit = [_audit(a) for a in rows.audit()]
        z.writestr("audit.jsonl", "".join(json.dumps(a) + "\n" for a in audit))
        counts["audit"] = len(audit)
        z.writestr("manifest.json", json.dumps({
            "format": FORMAT, "person": about, "exported_at": _iso(utcnow()), "exported_by": by,
            "counts": counts, "photos": "not stored: each face's crop and its photo's SHA-256 are"},
            indent=1))
    yield sink.take()
