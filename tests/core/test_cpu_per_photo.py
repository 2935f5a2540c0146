"""scripts/cpu_per_photo.py, the CPU-time comparison for a shared machine: it runs and
prints its figures. No timing is asserted: the figures are the script's."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_prints_cpu_per_photo_and_per_detection(model_dir):
    out = subprocess.run([sys.executable, str(ROOT / "scripts/cpu_per_photo.py"), "--runs", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300, check=True)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["runs"] == 2
    assert 0 < figures["cpu_ms_detect"] < figures["cpu_ms_photo"]
