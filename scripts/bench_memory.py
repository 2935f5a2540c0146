"""Peak memory of the real pipeline on hostile and ordinary uploads. Not a test: it prints
figures.

Each case runs in a fresh process: the pipeline is built with the app's settings
(app/config.py), warmed up on a sample photo (both networks loaded, one photo analysed),
its peak RSS taken as the baseline, then the case's bytes go through
`FacePipeline.analyze_bytes` as an upload does, and the peak RSS is taken again (Linux's
peak is reset before each case, so each figure is that case's own). With --sequence,
every case also runs one after the other in a single process, then the worst accepted
case again (what a long-lived worker sees: what earlier uploads left counts).

The answer is what the API would send: 200 and the number of faces, or the problem
type and status. The last line printed is one JSON object with every figure.

Usage: python scripts/bench_memory.py [--cases a,b,...] [--sequence]
"""
from __future__ import annotations

from harness import ROOT  # first: the repository root on sys.path

import argparse
import inspect
import io
import json
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

PHOTO = ROOT / "instance/samples/train/jerry_seinfeld/httpimgtimeincnetpeopleinewsjerryseinfeldjpg.jpg"
WARM_UP = ROOT / "instance/samples/train/madonna"


def jpeg_with_header_size(width: int, height: int) -> bytes:
    """A 32x32 black JPEG whose start-of-frame says width x height (about 1 KB)."""
    buf = io.BytesIO()
    Image.new("RGB", (32, 32)).save(buf, "JPEG")
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def png_with_header_size(width: int, height: int) -> bytes:
    """A 1x1 PNG whose IHDR says width x height, with its CRC fixed (valid to the header)."""
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    struct.pack_into(">II", data, 16, width, height)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def encoded(array: np.ndarray, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, fmt, **options)
    return buf.getvalue()


def photo_of(megapixels: float) -> np.ndarray:
    """The sample photo (320x240, one face) upscaled (bicubic) to about `megapixels`, RGB."""
    rgb = cv2.cvtColor(cv2.imread(str(PHOTO)), cv2.COLOR_BGR2RGB)
    f = (megapixels * 1e6 / (rgb.shape[0] * rgb.shape[1])) ** 0.5
    return cv2.resize(rgb, (int(rgb.shape[1] * f), int(rgb.shape[0] * f)), interpolation=cv2.INTER_CUBIC)


def face_mosaic(side: int = 1600, cell: int = 24) -> np.ndarray:
    """A side x 3/4 side image tiled with cell x cell copies of the sample photo's face:
    thousands of faces for the detector."""
    face = cv2.resize(cv2.cvtColor(cv2.imread(str(PHOTO)), cv2.COLOR_BGR2RGB)[20:120, 115:215], (cell, cell))
    return np.ascontiguousarray(np.tile(face, (side * 3 // 4 // cell, side // cell, 1)))


def progressive_444_header(width: int, height: int) -> bytes:
    """A 16x16 progressive 4:4:4 JPEG whose start-of-frame says width x height (~1.4 KB):
    a progressive decoder holds every coefficient of the declared size."""
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (120, 130, 140)).save(buf, "JPEG", progressive=True, subsampling=0)
    data = bytearray(buf.getvalue())
    sof = data.find(b"\xff\xc2")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def flat(width: int = 7300, height: int = 5479, mode: str = "RGB") -> Image.Image:
    """One colour, width x height: a few KB in most formats, 40 MP once decoded."""
    return Image.new(mode, (width, height), (120, 130, 140, 255)[:len(mode)] if mode != "P" else 7)


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def bmp_rle8(width: int = 7300, height: int = 5479) -> bytes:
    """An 8-bit run-length BMP of one colour (Pillow writes no RLE): a row is runs of 255
    pixels and an end-of-line, about 60 bytes."""
    row = b"".join(bytes([min(255, width - x), 1]) for x in range(0, width, 255)) + b"\0\0"
    pixels = row * height + b"\0\1"
    palette = bytes([0, 0, 0, 0, 140, 130, 120, 0]) + bytes(4 * 254)
    offset = 14 + 40 + len(palette)
    header = struct.pack("<2sIHHI", b"BM", offset + len(pixels), 0, 0, offset)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 8, 1, len(pixels), 2835, 2835, 256, 0)
    return header + info + palette + pixels


def face_grid(side: int, cell: int = 250) -> bytes:
    """side x side photos of instance/samples (each fitted into a cell x cell square, as
    LFW's are 250x250) as one JPEG: a class photo of side**2 faces."""
    paths = sorted((ROOT / "instance/samples").glob("*/*/*.jpg"))
    grid = Image.new("RGB", (side * cell, side * cell), (128, 128, 128))
    for i in range(side * side):
        photo = Image.open(paths[i % len(paths)]).convert("RGB")
        photo.thumbnail((cell, cell))
        grid.paste(photo, ((i % side) * cell + (cell - photo.width) // 2,
                           (i // side) * cell + (cell - photo.height) // 2))
    return saved(grid, "JPEG", quality=90)


def sixteen_bit_png() -> bytes:
    """The sample photo as a 16-bit greyscale PNG (0..65535)."""
    grey = cv2.imread(str(PHOTO), cv2.IMREAD_GRAYSCALE).astype("uint16") * 257
    return cv2.imencode(".png", grey)[1].tobytes()


CASES = {
    "jpeg_header_6300x6300": lambda: jpeg_with_header_size(6300, 6300),
    "jpeg_header_65000x600": lambda: jpeg_with_header_size(65000, 600),
    "jpeg_header_65000x65000": lambda: jpeg_with_header_size(65000, 65000),
    "png_header_30000x30000": lambda: png_with_header_size(30000, 30000),
    "png_zero_grey_6300x6300": lambda: encoded(np.zeros((6300, 6300), np.uint8), "PNG"),
    "png_zero_rgb_6300x6300": lambda: encoded(np.zeros((6300, 6300, 3), np.uint8), "PNG"),
    "photo_640x480_jpeg": lambda: encoded(photo_of(0.3072), "JPEG", quality=90),
    "photo_12mp_jpeg": lambda: encoded(photo_of(12), "JPEG", quality=90),
    "photo_24mp_jpeg": lambda: encoded(photo_of(24), "JPEG", quality=90),
    "photo_40mp_jpeg": lambda: encoded(photo_of(39.9), "JPEG", quality=85),  # the pixel limit
    "photo_12mp_png": lambda: encoded(photo_of(12), "PNG", compress_level=9),
    "png16_grey_face": sixteen_bit_png,
    "face_mosaic_1600": lambda: encoded(face_mosaic(), "JPEG", quality=90),
    # Every format Pillow opens, 7300x5479 (40 MP, just under the pixel limit) of one
    # colour: a few KB to send, the decoder's whole working memory to decode.
    "webp_lossless_7300x5479": lambda: saved(flat(), "WEBP", lossless=True),
    "webp_lossy_7300x5479": lambda: saved(flat(), "WEBP", quality=80),
    "jpeg_progressive_444_header_6300x6300": lambda: progressive_444_header(6300, 6300),
    "jpeg_progressive_444_7300x5479": lambda: saved(flat(), "JPEG", progressive=True, subsampling=0),
    "jpeg_progressive_420_7300x5479": lambda: saved(flat(), "JPEG", progressive=True, subsampling=2),
    "png_rgba_7300x5479": lambda: saved(flat(mode="RGBA"), "PNG"),
    "gif_7300x5479": lambda: saved(flat(mode="P"), "GIF"),
    "tiff_deflate_7300x5479": lambda: saved(flat(), "TIFF", compression="tiff_adobe_deflate"),
    "tiff_one_strip_7300x5479": lambda: saved(flat(), "TIFF", compression="tiff_adobe_deflate",
                                              tiffinfo={278: 5479}),
    "bmp_rle8_7300x5479": bmp_rle8,
    "photo_22mp_webp": lambda: encoded(photo_of(22.5), "WEBP", quality=90),  # the largest WebP accepted
    # Class photos: 144, 400 and 64 faces (in this order in a long-lived worker).
    "grid_144_faces": lambda: face_grid(12),
    "grid_400_faces": lambda: face_grid(20),
    "grid_64_faces": lambda: face_grid(8),
}


def peak_mb() -> float:
    """This process's peak RSS in MB: VmHWM, not ru_maxrss, which Linux carries over from
    the parent across fork and exec (a parent that has made 40 MP test images would set it)."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def reset_peak(pid: int | str = "self") -> None:
    """Linux: make the peak RSS (VmHWM) of a process its RSS now (clear_refs 5); else
    nothing (each peak is then the highest so far)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        pass


def rss_mb() -> float:
    """This process's RSS now in MB (what it keeps after an upload)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def build_pipeline():
    """The pipeline as the app builds it (app/config.py's defaults), warmed up."""
    from app.config import Config
    from app.recognition.pipeline import FacePipeline
    from app.recognition.weights import ensure_pretrained

    settings = {"encoder_variant": Config.ENCODER_VARIANT, "flip": Config.ENCODER_FLIP,
                "min_face_size": Config.MIN_FACE_SIZE, "max_bytes": Config.MAX_IMAGE_BYTES,
                "max_pixels": Config.MAX_IMAGE_PIXELS, "num_threads": Config.NUM_THREADS}
    for name in ("MAX_DECODE_SIDE", "DETECT_MAX_SIDE", "MAX_FACES_PER_IMAGE"):
        if hasattr(Config, name):  # this script also measures the code before these existed
            settings[{"MAX_DECODE_SIDE": "max_side", "DETECT_MAX_SIDE": "detect_max_side",
                      "MAX_FACES_PER_IMAGE": "max_faces"}[name]] = getattr(Config, name)
    accepted = inspect.signature(FacePipeline).parameters
    pipeline = FacePipeline(ensure_pretrained(ROOT / "instance/models"),
                            **{k: v for k, v in settings.items() if k in accepted})
    pipeline.warm_up()
    pipeline.analyze_bytes(next(iter(sorted(WARM_UP.glob("*.jpg")))).read_bytes())
    return pipeline, settings


def answer(pipeline, data: bytes) -> dict:
    """Run one upload; the API's status and type (or faces found) and the time."""
    from app.http.problems import status_of
    from app.recognition.errors import RecognitionError

    start = time.perf_counter()
    try:
        analysis = pipeline.analyze_bytes(data)
        out = {"status": 200, "faces": len(analysis.faces), "decoded": list(analysis.image.shape[:2])}
        del analysis
    except RecognitionError as exc:
        out = {"status": status_of(exc), "type": exc.type}
    except Exception as exc:  # noqa: BLE001 - the point is to see it: a 500 in the app
        out = {"status": 500, "type": f"unhandled {type(exc).__name__}"}
    out["seconds"] = round(time.perf_counter() - start, 2)
    return out


def run_cases(files: list[Path]) -> dict:
    """In this process: warm up, then each case's file (made by the parent, so that making
    it does not count); peak RSS in MB after each."""
    pipeline, settings = build_pipeline()
    baseline = peak_mb()
    results = {}
    for path in files:
        data = path.read_bytes()
        reset_peak()
        result = {"bytes": len(data), **answer(pipeline, data)}
        del data
        result["peak_rss_mb"] = round(peak_mb(), 1)
        result["rss_after_mb"] = round(rss_mb(), 1)
        result["increase_mb"] = round(result["peak_rss_mb"] - baseline, 1)
        results[path.stem] = result
    return {"settings": settings, "baseline_rss_mb": round(baseline, 1), "cases": results}


def in_subprocess(files: list[Path]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--worker", ",".join(map(str, files))],
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        return {"error": f"exit {out.returncode}: {out.stderr.strip()[-400:]}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated case names")
    parser.add_argument("--sequence", action="store_true",
                        help="also run every case one after the other in one process")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(run_cases([Path(f) for f in args.worker.split(",")])))
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for name in args.cases.split(","):
            files.append(Path(tmp) / f"{name}.bin")
            files[-1].write_bytes(CASES[name]())
        figures = measure(files, args.sequence)
    print(json.dumps(figures))


def measure(files: list[Path], sequence: bool) -> dict:
    figures = {"cases": {}}
    for path in files:
        name = path.stem
        run = in_subprocess([path])
        if "error" in run:
            figures["cases"][name] = run
            continue
        figures.setdefault("settings", run["settings"])
        figures["cases"][name] = {"baseline_rss_mb": run["baseline_rss_mb"], **run["cases"][name]}
        print(f"{name:28s} {json.dumps(figures['cases'][name])}", file=sys.stderr)
    accepted = {n: c["peak_rss_mb"] for n, c in figures["cases"].items() if c.get("status") == 200}
    figures["max_peak_rss_mb_accepted"] = max(accepted.values(), default=None)
    if sequence and accepted:
        worst = max(accepted, key=accepted.get)
        again = files[0].with_name(f"{worst}_again.bin")
        again.write_bytes(files[[f.stem for f in files].index(worst)].read_bytes())
        figures["sequence"] = run = in_subprocess(files + [again])
        figures["sequence_max_peak_rss_mb_accepted"] = max(
            (c["peak_rss_mb"] for c in run.get("cases", {}).values() if c.get("status") == 200), default=None)
    return figures


if __name__ == "__main__":
    main()
