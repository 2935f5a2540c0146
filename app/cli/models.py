"""`flask faces models` and `flask faces use-model NAME`: the encoder model registry;
`flask faces backfill-grey`: the grey gallery for faces stored without it."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from ..extensions import db
from ..faces import get_state, state
from ..faces.grey import BATCH, backfill_grey, missing_grey
from ..faces.model_switch import ModelError, list_models, use_model
from . import bp


def _describe(meta: dict) -> str:
    if "error" in meta:
        return meta["error"]
    held = meta.get("metrics", {})
    accuracy = ""
    if "before" in held and "after" in held:
        accuracy = (f"  held-out accuracy {held['before']['accuracy']:.2%} -> "
                    f"{held['after']['accuracy']:.2%}")
    return f"base {meta.get('base', '?')}  created {meta.get('created', '?')}{accuracy}{_cameras(held)}"


def _cameras(held: dict) -> str:
    """A `--augment camera` model's held-out camera conditions, the mean verify accuracy at
    the product's threshold before -> after (train/conditions.py), or ""."""
    rows = [r for name, r in held.get("conditions", {}).get("conditions", {}).items() if name != "clean"]
    if not rows:
        return ""
    mean = {m: sum(r[m]["accuracy_product"] for r in rows) / len(rows) for m in ("before", "after")}
    return f"  camera conditions {mean['before']:.2%} -> {mean['after']:.2%}"


@bp.cli.command("models")
def models_command():
    """List the encoder models in the models folder; * marks the active one."""
    active = get_state().active_model
    for meta in list_models(Path(current_app.config["MODELS_DIR"])):
        mark = "*" if meta["name"] == active else " "
        click.echo(f"{mark} {meta['name']}  {_describe(meta)}")


@bp.cli.command("use-model")
@click.argument("name")
def use_model_command(name):
    """Make NAME the active model and re-embed every enrolled face with it (all or nothing)."""
    try:
        count = use_model(db.session, Path(current_app.config["MODELS_DIR"]), name, current_app.config)
    except ModelError as exc:
        raise click.ClickException(str(exc)) from None
    state().keep_only_model(name)
    click.echo(f"active model: {name} ({count} enrolled faces re-embedded)")


@bp.cli.command("backfill-grey")
@click.option("--batch", type=int, default=BATCH, show_default=True,
              help="Faces embedded and committed at a time (a killed run loses at most one batch).")
def backfill_grey_command(batch: int):
    """Give every enrolled face without one a grey embedding (its stored crop made grey),
    so that greyscale/IR faces are matched in the grey gallery. Run it again after an
    interruption: it goes on with the faces still without one."""
    if batch < 1:
        raise click.BadParameter("must be 1 or more", param_hint="--batch")
    left = missing_grey()
    click.echo(f"{left} faces without a grey embedding")
    done = backfill_grey(batch, lambda n: click.echo(f"  {n}/{left}"))
    click.echo(f"done: {done} faces given a grey embedding, {missing_grey()} left")
