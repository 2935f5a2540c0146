"""CPU time a photo takes (`make bench`'s 640x480 photo), and a detection alone, with one
thread everywhere: on a shared machine the CPU a process uses moves far less with the
others' load than its wall-clock time does, so two checkouts can be compared by running
this in each, alternately (issue 25; docs/BENCHMARKS.md):

    for i in 1 2 3 4; do (cd ../main && .venv/bin/python scripts/cpu_per_photo.py);
                         .venv/bin/python scripts/cpu_per_photo.py; done

Prints one JSON object: cpu_ms_photo and cpu_ms_detect (CPU ms per call, mean over --runs
calls after warm-up) and the load average.
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import json
import os
import time

import cv2

from app.recognition import FacePipeline, ensure_pretrained
from bench import PHOTO, frame_640x480, photo_jpeg


def cpu_ms(fn, runs: int) -> float:
    """Mean CPU milliseconds of this process (all its threads) per call of fn."""
    fn()
    start = time.process_time()
    for _ in range(runs):
        fn()
    return round((time.process_time() - start) / runs * 1e3, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    frame = frame_640x480(PHOTO)
    data = photo_jpeg(frame)
    pipeline = FacePipeline(ensure_pretrained(ROOT / "instance/models"), num_threads=1)
    print(json.dumps({
        "cpu_ms_photo": cpu_ms(lambda: pipeline.analyze_bytes(data), args.runs),
        "cpu_ms_detect": cpu_ms(lambda: pipeline.detect(frame), args.runs),
        "runs": args.runs, "load_avg_1min": round(os.getloadavg()[0], 2)}))


if __name__ == "__main__":
    main()
