"""`flask faces export-person`, `erase-person` and `import-person`: one person's data."""
from __future__ import annotations

from pathlib import Path

import click

from ..extensions import db
from ..http.problems import Problem
from ..library.erase import erase_person, sweep_snapshots
from ..library.person_export import export_person
from ..library.person_import import import_person
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
