"""`flask faces models` and `flask faces use-model NAME`: the encoder model registry."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from .cli import bp


def _active_model() -> str:
    from .extensions import db
    from .models import AppState
    from .recognition.weights import PRETRAINED

    state = db.session.get(AppState, 1)
    return state.active_model if state and state.active_model else PRETRAINED


def _describe(meta: dict) -> str:
    if "error" in meta:
        return meta["error"]
    held = meta.get("metrics", {})
    accuracy = ""
    if "before" in held and "after" in held:
        accuracy = (f"  held-out accuracy {held['before']['accuracy']:.2%} -> "
                    f"{held['after']['accuracy']:.2%}")
    return f"base {meta.get('base', '?')}  created {meta.get('created', '?')}{accuracy}"


@bp.cli.command("models")
def models_command():
    """List the encoder models in the models folder; * marks the active one."""
    from .model_switch import list_models

    active = _active_model()
    for meta in list_models(Path(current_app.config["MODELS_DIR"])):
        mark = "*" if meta["name"] == active else " "
        click.echo(f"{mark} {meta['name']}  {_describe(meta)}")


@bp.cli.command("use-model")
@click.argument("name")
def use_model_command(name):
    """Make NAME the active model and re-embed every enrolled face with it (all or nothing)."""
    from .extensions import db
    from .model_switch import list_models, reembed_all
    from .recognition.encode import FaceEncoder
    from .recognition.errors import WeightsError
    from .recognition.weights import verify_model_dir

    models_dir = Path(current_app.config["MODELS_DIR"])
    model_dir = models_dir / name
    if name[:1] in "._" or not (model_dir / "model.json").is_file():
        known = ", ".join(m["name"] for m in list_models(models_dir)) or "none"
        raise click.ClickException(f"no model named {name!r} in {models_dir} (models: {known})")
    try:
        verify_model_dir(model_dir)
    except (WeightsError, ValueError, KeyError) as exc:
        raise click.ClickException(f"model {name!r} is corrupt, nothing was changed: {exc}")
    encoder = FaceEncoder(model_dir, variant=current_app.config["ENCODER_VARIANT"],
                          flip=current_app.config["ENCODER_FLIP"],
                          num_threads=current_app.config["NUM_THREADS"])
    count = reembed_all(db.session, encoder, name)
    click.echo(f"active model: {name} ({count} enrolled faces re-embedded)")
