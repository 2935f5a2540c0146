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
