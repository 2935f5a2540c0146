"""`flask faces import DIR`: enrol a folder per person, idempotently (app/faces/bulk.py)."""
from __future__ import annotations

from pathlib import Path

import click

from ..faces.bulk import PHOTO_SUFFIXES, import_photos, person_name
from ..faces.names import near_duplicates
from . import bp


def _stop_on_near_duplicates(names: list[str], yes: bool) -> None:
    """Before anything is enrolled: a new name a typo or two from another is most likely
    the same person misspelt; say which and stop, unless --yes says they are different."""
    close = near_duplicates(names)
    for new, other in close:
        click.echo(f"{new!r} is close to {other!r}: if they are one person, rename the folder to "
                   f"{other!r}; if not, run again with --yes.", err=True)
    if close and not yes:
        raise click.ClickException(f"{len(close)} near-duplicate name(s); nothing was imported.")


@bp.cli.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--limit", type=int, default=None, help="Stop after this many people.")
@click.option("--batch", type=int, default=64, show_default=True,
              help="Photos per transaction (an interrupted import loses at most one batch; "
                   "running it again skips what was saved).")
@click.option("--confirm", is_flag=True,
              help="Also add photos unlike the person's others (face-mismatch, skipped otherwise).")
@click.option("--yes", is_flag=True,
              help="Enrol new people even when their name is a near-duplicate of another "
                   "(\"Ben Afflek\" beside \"Ben Affleck\"); without it the import stops first.")
def import_command(directory: Path, limit: int | None, batch: int, confirm: bool, yes: bool):
    """Enrol DIRECTORY/<person>/<photos>: one person per folder, every photo with exactly
    one usable face. Photos already enrolled are skipped, so running it twice adds nothing
    and an interrupted import resumes where it stopped. Each photo passes the checks of
    any enrolment: a photo or face already someone else's (duplicate-photo,
    duplicate-face) and a face unlike the person's others (face-mismatch) are skipped."""
    folders = sorted(d for d in directory.iterdir() if d.is_dir())[:limit]
    _stop_on_near_duplicates([person_name(d.name) for d in folders], yes)
    jobs = [(person_name(d.name), str(p), p.read_bytes) for d in folders for p in sorted(d.iterdir())
            if p.suffix.lower() in PHOTO_SUFFIXES]
    with click.progressbar(jobs, label=f"Importing {len(folders)} people", show_pos=True) as bar:
        report = import_photos(bar, len(jobs), confirm, batch)
    click.echo(f"added {report.added} photos; skipped {sum(report.refused.values())}"
               + "".join(f"; {reason}: {n}" for reason, n in sorted(report.refused.items())))
