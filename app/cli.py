"""`flask faces ...` commands: set up the weights, evaluate accuracy."""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Blueprint, current_app

bp = Blueprint("faces", __name__, cli_group="faces")


@bp.cli.command("setup")
def setup_command():
    """Download, verify and convert the FaceNet weights and the sample photos (once)."""
    from .recognition import mtcnn_nets
    from .recognition.weights import ensure_pretrained

    models_dir = Path(current_app.config["MODELS_DIR"])
    model_dir = ensure_pretrained(models_dir, Path(current_app.config["SAMPLES_DIR"]))
    mtcnn_nets.flatbuffers(models_dir)  # compiled once here, not on the first request
    click.echo(f"model ready: {model_dir}")
    click.echo(f"sample photos: {current_app.config['SAMPLES_DIR']}")


@bp.cli.command("evaluate")
@click.option("--images", "images_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="Folder with one sub-folder per person (LFW layout).")
@click.option("--pairs", "pairs_file", required=True, type=click.Path(exists=True, dir_okay=False),
              help="LFW pairs file (pairsDevTrain.txt, pairs.txt, ...).")
@click.option("--json", "out_json", required=True, type=click.Path(dir_okay=False),
              help="Where to write the report; the ROC curve PNG is written beside it.")
@click.option("--encoder", type=click.Choice(["int8", "fp32"]), default=None,
              help="Encoder variant (default: the configured one).")
@click.option("--flip/--no-flip", default=None, help="Average with the mirror image.")
def evaluate_command(images_dir, pairs_file, out_json, encoder, flip):
    """Measure verification accuracy on LFW-style pairs and write a JSON report."""
    from .evaluation.run import evaluate, summary
    from .services import pipeline_from_config

    pipeline = pipeline_from_config(current_app.config, encoder, flip)
    report = evaluate(pipeline, Path(images_dir), Path(pairs_file), Path(out_json))
    click.echo(summary(report))
    click.echo(f"report: {out_json}  ROC: {report['roc_png']}")


# Commands on the same `faces` group, in modules of their own (imported last: they need bp).
from . import cli_admin, cli_import, cli_models  # noqa: E402,F401
