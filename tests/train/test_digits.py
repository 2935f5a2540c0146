"""From scratch: the loss and the mining really learn an embedding of the 8x8 digits."""
from __future__ import annotations

import numpy as np
import pytest

from train.digits import run_digits


@pytest.mark.parametrize("strategy", ["semi-hard", "batch-all"])
def test_digits_embedding_learns(strategy):
    result = run_digits(steps=300, strategy=strategy, seed=0)
    losses = np.array(result["losses"])
    assert losses[-30:].mean() < 0.5 * losses[:30].mean()
    assert result["accuracy"] >= 0.95
    assert result["seconds"] < 60


def test_digits_command_writes_a_report(tmp_path):
    import json

    from train.__main__ import main

    main(["--digits", "--steps", "30", "--out", str(tmp_path)])
    assert json.loads((tmp_path / "metrics.json").read_text())["steps"] == 30
    assert (tmp_path / "curves.png").exists()
