"""`flask faces models` and `flask faces use-model NAME`: the encoder model registry."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from ..extensions import db
from ..faces import get_state, state
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
