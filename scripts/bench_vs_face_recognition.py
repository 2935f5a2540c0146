"""This product against the face_recognition package (dlib) on the same photos, side by side.

Each side runs in a process of its own, warmed up, and times a whole photo per call: JPEG
bytes -> every face found and embedded (here `FacePipeline.analyze_bytes`; there
`load_image_file`, `face_locations` (HOG, its default) and `face_encodings`). The two
processes take turns, round by round (who goes first alternates), so that both see the
same load; the figure is the ratio of the medians of their per-round means.

The photos: instance/samples' photos (5 people) scaled so that the longer side is 640 px,
the first --photos of them in name order, saved as JPEG quality 90.

face_recognition is not a dependency of the product: install it in a scratch virtual
environment (dlib's own sdist compiles for many minutes; the `dlib-bin` wheel is dlib
prebuilt, and face_recognition installed without dependencies then uses it):

    python3 -m venv /tmp/fr && /tmp/fr/bin/pip install dlib-bin numpy pillow click \\
        face_recognition_models setuptools && /tmp/fr/bin/pip install --no-deps face_recognition
    .venv/bin/python scripts/bench_vs_face_recognition.py --fr-python /tmp/fr/bin/python

The last line printed is one JSON object with the figures.
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SAMPLES = ROOT / "instance/samples"


def photos_640(count: int, folder: Path) -> list[Path]:
    """The first `count` sample photos, longer side scaled to 640 px, as JPEGs in `folder`."""
    from PIL import Image

    out = []
    for path in sorted(SAMPLES.glob("*/*/*.jpg"))[:count]:
        image = Image.open(path).convert("RGB")
        f = 640 / max(image.size)
        image = image.resize((round(image.width * f), round(image.height * f)), Image.LANCZOS)
        out.append(folder / f"{len(out):03d}.jpg")
        image.save(out[-1], quality=90)
    return out


def product_worker() -> callable:
    """The product's whole photo path, warmed up: bytes -> faces (count)."""
    from app.recognition import FacePipeline, ensure_pretrained

    pipeline = FacePipeline(ensure_pretrained(ROOT / "instance/models"))
    return lambda data: len(pipeline.analyze_bytes(data).faces)


def face_recognition_worker() -> callable:
    """face_recognition's documented path (HOG detector, 128-D dlib encodings): bytes -> faces."""
    import face_recognition

    def run(data: bytes) -> int:
        image = face_recognition.load_image_file(io.BytesIO(data))
        return len(face_recognition.face_encodings(image, face_recognition.face_locations(image)))

    return run


def serve(side: str, paths: list[str]) -> None:
    """Worker loop: after warming up print "ready"; per line read, time every photo once and
    print the per-photo milliseconds and faces found as JSON."""
    run = product_worker() if side == "product" else face_recognition_worker()
    datas = [Path(p).read_bytes() for p in paths]
    faces = [run(d) for d in datas]  # warm-up, and what each side finds
    print("ready", json.dumps(faces), flush=True)
    for _ in sys.stdin:
        times = []
        for data in datas:
            start = time.perf_counter()
            run(data)
            times.append((time.perf_counter() - start) * 1e3)
        print(json.dumps(times), flush=True)


def start(side: str, python: str, paths: list[Path]) -> tuple[subprocess.Popen, list[int]]:
    proc = subprocess.Popen([python, __file__, "--worker", side, *map(str, paths)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().split(" ", 1)
    if line[0] != "ready":
        raise SystemExit(f"the {side} worker did not start (see its error above)")
    return proc, json.loads(line[1])


def compare(fr_python: str, count: int, rounds: int) -> dict:
    """Alternate rounds between the two workers; medians of per-round ms a photo, ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = photos_640(count, Path(tmp))
        workers = {"product": start("product", sys.executable, paths),
                   "face_recognition": start("face_recognition", fr_python, paths)}
        means, loads = {side: [] for side in workers}, []
        for i in range(rounds):
            for side in (list(workers) if i % 2 == 0 else list(workers)[::-1]):
                proc = workers[side][0]
                proc.stdin.write("go\n")
                proc.stdin.flush()
                means[side].append(statistics.fmean(json.loads(proc.stdout.readline())))
            loads.append(os.getloadavg()[0])
        for proc, _ in workers.values():
            proc.stdin.close()
            proc.wait()
    med = {side: statistics.median(v) for side, v in means.items()}
    return {"photos": count, "rounds": rounds, "photo_px": 640,
            "product_ms_per_photo": round(med["product"], 1),
            "face_recognition_ms_per_photo": round(med["face_recognition"], 1),
            "speedup_vs_face_recognition": round(med["face_recognition"] / med["product"], 2),
            "faces_found": {side: sum(w[1]) for side, w in workers.items()},
            "load_avg_1min": [round(min(loads), 1), round(max(loads), 1)]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fr-python", default="/tmp/fr/bin/python",
                        help="the Python of a virtual environment with face_recognition")
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--worker", choices=("product", "face_recognition"), help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.worker:
        return serve(args.worker, rest)
    if not Path(args.fr_python).exists():
        raise SystemExit(f"{args.fr_python} does not exist: install face_recognition in a "
                         "scratch virtual environment first (see this script's docstring)")
    figures = compare(args.fr_python, args.photos, args.rounds)
    for key, value in figures.items():
        print(f"{key:32s} {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
