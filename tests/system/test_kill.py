"""kill -9 during enrolment loses nothing: scripts/kill_test.py (make kill-test runs 24
kills) with two worker kills and one of the master, against gunicorn as `make serve` runs
it: the database's integrity check, no half-saved person, every 201 there."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from support import ROOT

pytestmark = pytest.mark.slow


def test_sigkill_of_workers_and_master_during_enrolment_loses_nothing(model_dir):
    out = subprocess.run([sys.executable, "scripts/kill_test.py", "--kills", "3", "--master-every", "3",
                          "--clients", "4"], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.stdout.strip(), out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert out.returncode == 0 and result["ok"], result
    assert result["kills"]["worker"] == 2 and result["kills"]["master"] == 1
    assert result["integrity_check"] == "ok" and result["answered_201"] > 0
    assert result["answered_201_missing"] == result["people_without_face"] == result["faces_without_person"] == 0
