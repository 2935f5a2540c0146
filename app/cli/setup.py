"""`flask faces setup` (weights and sample photos) and `flask faces evaluate` (accuracy)."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from ..recognition.weights import PRETRAINED
from . import bp


@bp.cli.command("setup")
def setup_command():
    """Download, verify and convert the FaceNet weights and the sample photos (once)."""
    from ..recognition import mtcnn_nets
    from ..recognition.weights import ensure_pretrained

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
@click.option("--model", default=PRETRAINED, show_default=True,
              help="Encoder model (a folder of the models directory).")
def evaluate_command(images_dir, pairs_file, out_json, encoder, flip, model):
    """Measure verification accuracy on LFW-style pairs and write a JSON report."""
    from ..evaluation.run import evaluate, summary
    from ..faces import state

    pipeline = state().pipeline(model, encoder, flip)
    report = evaluate(pipeline, Path(images_dir), Path(pairs_file), Path(out_json))
    click.echo(summary(report))
    click.echo(f"report: {out_json}  ROC: {report['roc_png']}")
