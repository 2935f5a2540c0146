"""Thresholds that belong to a model live with that model (issues 19 and 20): the words and
suggested thresholds come from the tables measured on the active model (model.json's
"thresholds", written by scripts/open_set.py --save), and a model without them is described
by the pretrained model's committed reports, saying so."""
from __future__ import annotations

import json

import pytest

from app.faces.thresholds import REPORTS, describe, measured_on, suggest
from app.recognition.manifest import measured, verify_model_dir, write_manifest, write_measured
from app.recognition.weights import PRETRAINED


def stricter(rule_file: str, by: float) -> dict:
    """The committed table of a rule as if measured on a model whose strangers come `by`
    nearer: each threshold's figures are those of `by` higher."""
    report = json.loads((REPORTS / rule_file).read_text())
    return {"stranger_pair_accept": {f"{float(t) - by:.3f}": p for t, p in report["stranger_pair_accept"].items()},
            "curve": [{**c, "threshold": round(c["threshold"] - by, 3)} for c in report["curve"]]}


@pytest.fixture
def trained(tmp_path):
    """A model folder (no weights needed here) with a model.json and nothing measured."""
    folder = tmp_path / "my-cameras"
    folder.mkdir()
    (folder / "encoder_int8.tflite").write_bytes(b"weights")
    write_manifest(folder, {"name": "my-cameras", "base": PRETRAINED})
    return folder


def test_a_model_without_figures_is_described_by_the_pretrained_ones(trained):
    assert measured(trained) == {}
    assert suggest(500, model_dir=trained) == suggest(500)
    assert describe(0.8, 500, model_dir=trained) == describe(0.8, 500)
    assert "my-cameras has no figures of its own" in measured_on(trained)
    assert measured_on(trained.parent / PRETRAINED) == f"measured on {PRETRAINED} (int8 encoder)"


def test_a_model_measured_is_described_by_its_own_figures(trained):
    write_measured(trained, "plain", stricter("open_set_plain.json", 0.1))
    write_measured(trained, "crowding", stricter("open_set.json", 0.1))
    assert verify_model_dir(trained)["files"]  # its weights' hashes kept as they were
    assert set(measured(trained)) == {"plain", "crowding"}
    assert suggest(500, model_dir=trained) == pytest.approx(suggest(500) - 0.1, abs=0.006)
    assert describe(0.7, 500, model_dir=trained) == describe(0.8, 500)
    assert measured_on(trained) == "measured on my-cameras itself"
