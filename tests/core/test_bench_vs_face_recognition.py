"""scripts/bench_vs_face_recognition.py without face_recognition (not a dependency): the
photos it compares on, the product's worker as the comparison drives it, and the sentence
when the scratch environment is missing. No timing is asserted: the figures are the script's."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts/bench_vs_face_recognition.py"
sys.path.insert(0, str(SCRIPT.parent))

import bench_vs_face_recognition as side_by_side  # noqa: E402


def test_photos_are_the_samples_at_640_px(tmp_path, sample_photos_dir):
    paths = side_by_side.photos_640(3, tmp_path)
    assert len(paths) == 3
    assert all(max(Image.open(p).size) == 640 for p in paths)


def test_product_worker_answers_each_round(tmp_path, sample_photos_dir):
    paths = side_by_side.photos_640(2, tmp_path)
    proc = subprocess.Popen([sys.executable, str(SCRIPT), "--worker", "product", *map(str, paths)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        ready, faces = proc.stdout.readline().split(" ", 1)
        assert ready == "ready" and json.loads(faces) == [1, 1]  # one person a sample photo
        proc.stdin.write("go\n")
        proc.stdin.flush()
        times = json.loads(proc.stdout.readline())
        assert len(times) == 2 and all(t > 0 for t in times)
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0


def test_missing_environment_says_what_to_do(tmp_path):
    out = subprocess.run([sys.executable, str(SCRIPT), "--fr-python", str(tmp_path / "none")],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode != 0
    assert "install face_recognition in a scratch virtual environment" in out.stderr
