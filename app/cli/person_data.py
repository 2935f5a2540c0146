"""`flask faces export-person`, `erase-person` and `import-person`: one person's data;
`new-data-key` and `rotate-data-key`: everyone's face images sealed at rest."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from ..extensions import db
from ..errors import Problem
from ..library.data_key import rotate
from ..library.erase import erase_person, sweep_snapshots
from ..library.person_export import export_person
from ..library.person_import import import_person
from ..models.sealed import DataKeyError, new_key, parse_keys
from . import bp


@bp.cli.command("export-person")
@click.argument("person_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_person_command(person_id: int, file: Path):
    """Write everything held about person PERSON_ID to FILE (a zip: manifest.json, their
    faces with crops, sightings, arrivals, corrections, deliveries, audit entries)."""
    tmp = file.with_name(file.name + ".part")
    try:
        with open(tmp, "wb") as out:
            for part in export_person(person_id, "command line"):
                out.write(part)
    except Problem as p:
        tmp.unlink(missing_ok=True)
        raise click.ClickException(p.detail) from None
    tmp.replace(file)
    click.echo(f"person {person_id} exported to {file} ({file.stat().st_size:,} bytes)")


@bp.cli.command("erase-person")
@click.argument("person_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask first.")
def erase_person_command(person_id: int, yes: bool):
    """Erase person PERSON_ID and everything held about them (all or nothing); also
    deletes index snapshots left over by an erase that was interrupted."""
    if not yes:
        click.confirm(f"Erase person {person_id} and everything about them? This cannot be undone",
                      abort=True)
    try:
        done = erase_person(person_id)
    except Problem as p:
        raise click.ClickException(p.detail) from None
    click.echo(f"person {person_id} erased: " + ", ".join(f"{n} {kind}" for kind, n in done.items()))


@bp.cli.command("sweep-erased")
def sweep_erased_command():
    """Delete the index snapshots older than the last erase (a worker also does at start)."""
    click.echo(f"{len(sweep_snapshots())} snapshot files deleted")


@bp.cli.command("import-person")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_person_command(file: Path):
    """Import a person from FILE, a zip that export-person (or the API) wrote: their faces
    and corrections as they were. All or nothing."""
    try:
        with open(file, "rb") as f:
            person = import_person(f)
            db.session.commit()
    except Problem as p:
        db.session.rollback()
        raise click.ClickException(p.detail) from None
    click.echo(f"person {person.id} ({person.name}) imported with {len(person.faces)} faces")


@bp.cli.command("new-data-key")
def new_data_key_command():
    """Print a new key for FACES_DATA_KEY (face images sealed at rest)."""
    click.echo(new_key())


@bp.cli.command("rotate-data-key")
@click.option("--plain", is_flag=True, help="Open every image again and store it unsealed "
                                            "(then start the servers without FACES_DATA_KEY).")
def rotate_data_key_command(plain: bool):
    """Seal every face image with FACES_DATA_KEY's first key: images stored before a key
    was set and images sealed with the older keys listed after it. Resumes where an
    interrupted run stopped; when it is done, the older keys may be dropped."""
    try:
        keys = parse_keys(current_app.config["DATA_KEY"])
        if keys is None:
            raise click.ClickException("Set FACES_DATA_KEY first ('flask faces new-data-key' makes one).")
        total = 0
        for table_name, n in rotate(keys, plain=plain):
            total += n
            click.echo(f"{table_name}: {n} rewritten")
    except DataKeyError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{total} images {'opened' if plain else 'sealed with the first key'}; "
               + ("start the servers without FACES_DATA_KEY." if plain else "older keys may be dropped."))
