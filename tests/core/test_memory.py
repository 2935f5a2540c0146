"""Large and hostile uploads: bounded memory (each in a fresh process, as
scripts/bench_memory.py measures it), and a large photo still names its person."""
from __future__ import annotations

import io
import json
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from support import ROOT, photos


def test_hostile_and_large_uploads_take_bounded_memory():
    # Before: the 1 KB JPEG took 6 GB and 18 s here, a 24 MP photo 3.9 GB.
    cases = "jpeg_header_6300x6300,png_zero_grey_6300x6300,photo_24mp_jpeg,jpeg_header_65000x65000"
    out = subprocess.run([sys.executable, "scripts/bench_memory.py", "--cases", cases],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout.strip().splitlines()[-1])["cases"]
    for name, case in figures.items():
        assert case["increase_mb"] < 250, (name, case)  # ~150 MB measured
        assert case["peak_rss_mb"] < 450, (name, case)  # the target is 400 (docs/WEBAPP.md)
    answers = {name: (c["status"], c.get("faces", c.get("type"))) for name, c in figures.items()}
    assert answers == {"jpeg_header_6300x6300": (200, 0), "png_zero_grey_6300x6300": (200, 0),
                       "photo_24mp_jpeg": (200, 1), "jpeg_header_65000x65000": (413, "too-large")}


@pytest.mark.slow
def test_a_long_lived_worker_peaks_no_higher_for_the_worst_upload():
    """The worst accepted upload (a 40 MP PNG, decoded whole) after a photo of a crowd: it
    peaked at 477 MB before the interpreters planned for earlier images were dropped
    before a large upload (docs/WEBAPP.md); the target is 400."""
    cases = "photo_640x480_jpeg,face_mosaic_1600,png_zero_rgb_6300x6300"
    out = subprocess.run([sys.executable, "scripts/bench_memory.py", "--cases", cases, "--sequence"],
                         cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    sequence = figures["sequence"]["cases"]
    assert list(sequence) == cases.split(",") + ["png_zero_rgb_6300x6300_again"]
    assert figures["sequence_max_peak_rss_mb_accepted"] < 400, sequence
    assert sequence["face_mosaic_1600"]["faces"] == 100


def bench(cases: str, *options: str) -> dict:
    out = subprocess.run([sys.executable, "scripts/bench_memory.py", "--cases", cases, *options],
                         cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_no_format_costs_more_than_the_largest_accepted_image():
    """Issue 18: a 1.6 KB WebP declaring 40 MP took 548 MB more (Pillow's WebP decoder), a
    1.4 KB progressive 4:4:4 JPEG 198 MB, a 40 MP TIFF in one strip 203 MB; a 40 MP RGBA
    PNG (decoded whole, accepted) ~150 MB. Each is now refused from its header or costs no
    more than that PNG."""
    refused = ["webp_lossless_7300x5479", "webp_lossy_7300x5479", "jpeg_progressive_444_header_6300x6300",
               "jpeg_progressive_444_7300x5479", "tiff_one_strip_7300x5479"]
    accepted = ["png_rgba_7300x5479", "jpeg_progressive_420_7300x5479", "photo_22mp_webp",
                "gif_7300x5479", "bmp_rle8_7300x5479"]
    figures = bench(",".join(refused + accepted))["cases"]
    for name in refused:
        assert (figures[name]["status"], figures[name]["type"]) == (413, "too-large"), figures[name]
        assert figures[name]["increase_mb"] < 20, (name, figures[name])
    for name in accepted:
        assert figures[name]["status"] == 200, figures[name]
        assert figures[name]["increase_mb"] < 250 and figures[name]["peak_rss_mb"] < 400, (name, figures[name])
    assert figures["photo_22mp_webp"]["faces"] == 1


@pytest.mark.slow
def test_class_photos_one_after_the_other_peak_as_in_a_fresh_worker():
    """Issue 18: three class photos in a row (144, 400, 64 faces) took a long-lived worker to
    465-475 MB, each at most 362 MB in a fresh one; here the last peaked 69 MB above its
    fresh figure before the interpreters planned for a crowd were dropped after it."""
    cases = "grid_144_faces,grid_400_faces,grid_64_faces"
    figures = bench(cases, "--sequence")
    fresh = {name: c["peak_rss_mb"] for name, c in figures["cases"].items()}
    sequence = figures["sequence"]["cases"]
    assert figures["sequence_max_peak_rss_mb_accepted"] < 400, sequence
    for name in cases.split(","):
        assert sequence[name]["peak_rss_mb"] < fresh[name] + 30, (name, sequence[name], fresh[name])


@pytest.fixture(scope="module")
def originals(pipeline):
    """One val photo of three people: (decoded RGB, its face)."""
    out = []
    for person in ("elton_john", "madonna", "mindy_kaling"):
        rgb = pipeline.decode(photos("val", person)[0].read_bytes())
        out.append((rgb, pipeline.analyze(rgb, max_faces=1).faces[0]))
    return out


def iou(a, b) -> float:
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    return w * h / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h)


@pytest.mark.parametrize("megapixels", [12, 24])
def test_the_same_person_is_found_in_a_large_photo(pipeline, originals, megapixels):
    for rgb, face in originals:
        f = (megapixels * 1e6 / (rgb.shape[0] * rgb.shape[1])) ** 0.5
        big = cv2.resize(rgb, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
        buf = io.BytesIO()
        Image.fromarray(big).save(buf, "JPEG", quality=90)
        analysis = pipeline.analyze_bytes(buf.getvalue())
        assert max(analysis.image.shape) <= 4096  # decoded reduced
        assert len(analysis.faces) == 1
        # Detected on a 1600 px copy, aligned from the decoded image: the same embedding
        # within what re-photographing gives (the same person is at 0.82 on average).
        assert np.linalg.norm(analysis.faces[0].embedding - face.embedding) < 0.3
        # The box is in the decoded image's pixels, where the face is.
        scale = analysis.image.shape[1] / rgb.shape[1]
        assert iou(analysis.faces[0].detection.box, face.detection.box * scale) > 0.8
