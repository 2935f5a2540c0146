"""`flask faces export FILE` and `flask faces restore FILE`: people, their faces (embedding,
aligned crop, model, score, photo hash) and the active model in one zip of JSON lines, read
back on SQLite or PostgreSQL whichever wrote it."""
from __future__ import annotations

import base64
import json
import zipfile
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import func, insert, select, text

from ..extensions import db
from ..faces import get_state
from ..faces.grey import backfill_grey
from ..models import Face, Person
from ..private_files import open_private
from . import bp

FORMAT = "facerec-backup/1"
BATCH = 2000


def _person_row(p: Person) -> dict:
    return {"id": p.id, "name": p.name, "created_at": p.created_at.isoformat()}


def _face_row(f) -> dict:
    return {"id": f.id, "person_id": f.person_id, "model": f.model, "det_score": f.det_score,
            "source_sha256": f.source_sha256, "created_at": f.created_at.isoformat(),
            "origin": f.origin, "origin_camera": f.origin_camera,
            "embedding": base64.b64encode(f.embedding).decode(),
            "crop_jpeg": base64.b64encode(f.crop_jpeg).decode()}


@bp.cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_command(file: Path):
    """Write every person and face (embeddings and crops) to FILE (a zip), for a backup or
    a move to another database."""
    counts = {"people": 0, "faces": 0}
    tmp = file.with_name(file.name + ".part")
    # Owner-only, as the database: it holds every embedding and crop.
    with open_private(tmp) as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("people.jsonl", "w") as out:
            for p in db.session.scalars(select(Person).order_by(Person.id).execution_options(yield_per=BATCH)):
                out.write((json.dumps(_person_row(p)) + "\n").encode())
                counts["people"] += 1
        with z.open("faces.jsonl", "w") as out:
            columns = [c for c in Face.__table__.c]
            for f in db.session.execute(select(*columns).order_by(Face.id).execution_options(yield_per=BATCH)):
                out.write((json.dumps(_face_row(f)) + "\n").encode())
                counts["faces"] += 1
        z.writestr("manifest.json", json.dumps({"format": FORMAT, "active_model": get_state().active_model,
                                                **counts}, indent=1))
    tmp.replace(file)
    click.echo(f"exported {counts['people']} people and {counts['faces']} faces to {file}")


def _rows(z: zipfile.ZipFile, name: str):
    with z.open(name) as f:
        for line in f:
            yield json.loads(line)


def _batches(rows, size: int = BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@bp.cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(file: Path):
    """Read FILE (from `flask faces export`) into this database, which must hold no people
    yet; ids are kept. All or nothing; then the grey embeddings (`backfill-grey`)."""
    from ..models import name_key

    if db.session.scalar(select(func.count(Person.id))):
        raise click.ClickException("this database already has people; restore into an empty one")
    with zipfile.ZipFile(file) as z:
        manifest = json.loads(z.read("manifest.json"))
        if manifest.get("format") != FORMAT:
            raise click.ClickException(f"{file} is not a {FORMAT} backup")
        state = get_state()  # made first on a new database (it commits): not half-way through
        try:
            for batch in _batches(_rows(z, "people.jsonl")):
                db.session.execute(insert(Person), [
                    {"id": r["id"], "name": r["name"], "name_key": name_key(r["name"]),
                     "created_at": datetime.fromisoformat(r["created_at"])} for r in batch])
            for batch in _batches(_rows(z, "faces.jsonl")):
                db.session.execute(insert(Face), [  # backups from before face origins: "restore"
                    {"origin": "restore", "origin_camera": None, **r,
                     "created_at": datetime.fromisoformat(r["created_at"]),
                     "embedding": base64.b64decode(r["embedding"]), "crop_jpeg": base64.b64decode(r["crop_jpeg"])}
                    for r in batch])
            state.active_model = manifest["active_model"]
            if db.engine.dialect.name == "postgresql":  # ids were given: move the sequences on
                for table in ("person", "face"):
                    db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                            f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"))
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    click.echo(f"restored {manifest['people']} people and {manifest['faces']} faces "
               f"(model {manifest['active_model']})")
    # The backup holds no grey embeddings: made again from the crops, as `backfill-grey` does
    # (batch by batch after the restore's own transaction: an interrupted one resumes there).
    click.echo(f"{backfill_grey()} faces given a grey embedding")
