"""`flask faces regroup` and `flask faces expire`: the unknown faces' housekeeping."""
from __future__ import annotations

import click

from ..extensions import db
from ..http.problems import Problem
from ..library.regroup import REGROUP_MAX, merge_close_groups, regroup_open
from ..library.sightings import expire_sightings
from . import bp


@bp.cli.command("regroup")
@click.option("--limit", type=int, default=REGROUP_MAX, show_default=True,
              help="Refuse when more faces than this wait in open groups (memory grows with the square).")
@click.option("--merge", is_flag=True, help="Only merge open groups close as sets (what the app does in the "
              "background; any number of faces, each merge its own transaction).")
def regroup_command(limit: int, merge: bool):
    """Regroup the unknown faces of every open group from scratch (average linkage at the
    distance a new face must be from a group to join it); dismissed and named groups stay."""
    if merge:
        done = merge_close_groups()
        click.echo(f"{done['groups_merged']} groups merged into {done['merges']} ({done['seconds']} s)")
        return
    try:
        done = regroup_open(limit)
    except Problem as p:
        raise click.ClickException(p.detail) from None
    db.session.commit()
    click.echo(f"{done['faces']} faces: {done['groups_before']} groups before, {done['groups_after']} after")


@bp.cli.command("expire")
def expire_command():
    """Forget the unknown faces older than FACES_SIGHTINGS_MAX_AGE_DAYS now (dismissed
    groups keep theirs); the app also does it by itself, hourly, as faces arrive."""
    gone = expire_sightings()
    db.session.commit()
    click.echo(f"{gone} unknown faces forgotten")
