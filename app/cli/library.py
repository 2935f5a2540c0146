"""`flask faces regroup` and `flask faces expire`: the unknown faces' housekeeping;
`flask faces threshold`: the identification threshold the gallery points to."""
from __future__ import annotations

import time

import click

from ..extensions import db
from ..faces import get_state
from ..errors import Problem
from ..library.expiry import expire_all
from ..library.regroup import REGROUP_MAX, merge_close_groups, regroup_open
from ..library.threshold import threshold_from_gallery
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
    """Delete now what is past its retention (unknown faces, dismissed groups, arrivals,
    their thumbnails, webhook deliveries: global days, or a camera's own) and say how many
    of each went; each process also does it by itself, hourly."""
    t0 = time.perf_counter()
    done = expire_all()
    click.echo(", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in done.items())
               + f" deleted in {time.perf_counter() - t0:.1f} s")


@bp.cli.command("threshold")
@click.option("--target", type=float, default=0.01, show_default=True,
              help="Share of strangers that may be taken for someone (0.01: 1 in 100).")
@click.option("--apply", is_flag=True, help="Set it as the identification threshold (as the Settings page does).")
def threshold_command(target: float, apply: bool):
    """The identification threshold the gallery's own faces point to: each stored face, its
    person left out, plays a stranger (app/library/threshold.py; docs/LIBRARY.md)."""
    if not 0 < target < 0.5:
        raise click.BadParameter("give a share between 0 and 0.5, e.g. 0.01", param_hint="--target")
    found = threshold_from_gallery(target)
    if found is None:
        raise click.ClickException(f"Too few faces stored to place a 1-in-{round(1 / target)} point "
                                   f"(need {round(1 / target)}); keep the threshold set on the Settings page.")
    state = get_state()
    click.echo(f"From the gallery: {found:.3f} (now {state.identify_threshold:.3f})")
    if apply:
        state.identify_threshold = round(found, 3)
        db.session.commit()
        click.echo(f"The identification threshold is now {state.identify_threshold:.3f}.")
