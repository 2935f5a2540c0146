"""`flask faces import DIR`: enrol a folder per person, idempotently."""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import click
from sqlalchemy import select

from .cli import bp
from .extensions import db
from .faces import NewFace, add_face, analyze, create_person, pick_face
from .models import Person, name_key
from .problems import Problem
from .recognition.errors import RecognitionError

log = logging.getLogger(__name__)
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def person_name(folder: Path) -> str:
    """Folder name to a person's name: 'jerry_seinfeld' -> 'Jerry Seinfeld'."""
    return " ".join(w.capitalize() if w.islower() else w for w in folder.name.replace("_", " ").split())


def import_photo(name: str, path: Path) -> Person:
    """Enrol one photo under `name` (creating the person); raises Problem / RecognitionError."""
    photo = analyze(path.read_bytes())
    face = pick_face(photo, None)
    person = db.session.scalar(select(Person).where(Person.name_key == name_key(name)))
    if person is None:
        person, _ = create_person(name, NewFace.of(face), photo.sha256)
    else:
        add_face(person, NewFace.of(face), photo.sha256)
    db.session.commit()
    return person


@bp.cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--limit", type=int, default=None, help="Stop after this many people.")
def import_command(directory: Path, limit: int | None):
    """Enrol DIRECTORY/<person>/<photos>: one person per folder, every photo with exactly
    one usable face. Photos already enrolled are skipped, so running it twice adds nothing."""
    folders = sorted(d for d in directory.iterdir() if d.is_dir())[:limit]
    jobs = [(person_name(d), p) for d in folders for p in sorted(d.iterdir())
            if p.suffix.lower() in PHOTO_SUFFIXES]
    added, skipped = 0, Counter()
    with click.progressbar(jobs, label=f"Importing {len(folders)} people", show_pos=True) as bar:
        for name, path in bar:
            try:
                import_photo(name, path)
                added += 1
            except (Problem, RecognitionError) as e:
                db.session.rollback()
                reason = "already enrolled" if getattr(e, "type", "") == "conflict" else e.type
                skipped[reason] += 1
                log.debug("skipped %s: %s", path, e.detail)
    click.echo(f"added {added} photos; skipped {sum(skipped.values())}"
               + "".join(f"; {reason}: {n}" for reason, n in sorted(skipped.items())))
