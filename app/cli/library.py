"""`flask faces regroup` and `flask faces expire`: the unknown faces' housekeeping."""
from __future__ import annotations

import time

import click

from ..extensions import db
from ..http.problems import Problem
from ..library.regroup import REGROUP_MAX, regroup_open
from ..library.expiry import expire_all
from . import bp


@bp.cli.command("regroup")
@click.option("--limit", type=int, default=REGROUP_MAX, show_default=True,
              help="Refuse when more faces than this wait in open groups (memory grows with the square).")
def regroup_command(limit: int):
    """Regroup the unknown faces of every open group from scratch (average linkage at the
    distance a new face must be from a group to join it); dismissed and named groups stay."""
    try:
        done = regroup_open(limit)
    except Problem as p:
        raise click.ClickException(p.detail) from None
    db.session.commit()
    click.echo(f"{done['faces']} faces: {done['groups_before']} groups before, {done['groups_after']} after")


@bp.cli.command("expire")
def expire_command():
    """Delete now what is past its retention (unknown faces, dismissed groups, arrivals,
    their thumbnails, webhook deliveries: global days, or a camera's own) and say how many
    of each went; each process also does it by itself, hourly."""
    t0 = time.perf_counter()
    done = expire_all()
    click.echo(", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in done.items())
               + f" deleted in {time.perf_counter() - t0:.1f} s")
