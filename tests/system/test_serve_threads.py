"""`make serve` and the Dockerfile run the networks with one CPU thread each: their 2 workers
already fill the 2 cores, and a photo took 0.90-0.93x the CPU with 1 thread each than with 2
(docs/BENCHMARKS.md, issue 25). Checked on the commands
themselves (`make -n` prints the recipe without running it)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_serve_runs_one_thread_per_network():
    recipe = subprocess.run(["make", "-n", "serve"], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin"}, check=True).stdout
    gunicorn = next(line for line in recipe.replace("\\\n", " ").splitlines() if "gunicorn" in line)
    assert "FACES_THREADS=1 " in gunicorn
    assert re.search(r"-w 2\b", gunicorn)


def test_the_dockerfile_agrees():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "FACES_THREADS=1" in dockerfile and "gunicorn -w 2" in dockerfile
