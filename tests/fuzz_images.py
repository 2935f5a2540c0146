"""Malformed and oversized images for the fuzz tests: a seeded, deterministic generator.

`fuzz_inputs(seed)` returns (name, bytes) pairs, 12,294 of them for seed 0:
- valid small images of every mode (1, L, LA, P with and without transparency, I;16, I, F,
  RGB, RGBA, CMYK, YCbCr) in every format (JPEG, progressive JPEG, PNG, GIF, BMP, WebP,
  TIFF with several compressions, ICO, PPM, animated GIF, WebP and PNG);
- each truncated at many offsets, with random bit flips, with bytes overwritten by 0x00,
  0xFF, 0x7F, 0x80, and with runs of bytes duplicated or cut out;
- their headers patched to claim other dimensions, depths, colour types (fuzz_headers.py:
  JPEG SOF, PNG IHDR with its CRC fixed, GIF, BMP, WebP, TIFF, ICO, PPM);
- decompression bombs: mostly zeros at 36-42 megapixels, a few KB each.
Names say what each input is, e.g. "png-RGBA/flip3@117", so a failure can be rebuilt.
Nothing here imports the app: the tests decide what is right.
"""
from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image

from fuzz_headers import HEADERS

MODES = ["1", "L", "LA", "P", "P+trns", "RGB", "RGBA", "CMYK", "YCbCr", "I;16", "I", "F"]
# What each format is saved with: modes, and extra save options by variant name.
FORMATS = {
    "JPEG": (["L", "RGB", "CMYK", "YCbCr"],
             {"": {}, "prog": {"progressive": True}, "q5": {"quality": 5},
              "444": {"subsampling": 0}, "exif6": {"exif": "orientation 6"}}),
    "PNG": (["1", "L", "LA", "P", "P+trns", "RGB", "RGBA", "I;16", "I"], {"": {}}),
    "GIF": (["L", "P", "P+trns", "RGB"], {"": {}}),
    "BMP": (["1", "L", "P", "RGB", "RGBA"], {"": {}}),
    "WEBP": (["RGB", "RGBA"], {"": {}, "lossless": {"lossless": True}}),
    "TIFF": (["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "YCbCr", "I;16", "I", "F"],
             {"": {}, "lzw": {"compression": "tiff_lzw"}, "deflate": {"compression": "tiff_adobe_deflate"},
              "packbits": {"compression": "packbits"}}),
    "ICO": (["RGB", "RGBA", "P"], {"": {}}),
    "PPM": (["1", "L", "RGB", "I;16"], {"": {}}),
}


def image_of(mode: str, rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A width x height image of `mode`: a gradient with noise, so that it compresses
    like a picture (and a JPEG has several MCUs)."""
    ramp = np.add.outer(np.arange(height) * 4, np.arange(width) * 3) % 256
    rgb = (ramp[..., None] + rng.integers(0, 40, (height, width, 3))) % 256
    base = Image.fromarray(rgb.astype(np.uint8), "RGB")
    if mode == "P+trns":
        image = base.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
        image.info["transparency"] = 3
        return image
    if mode == "P":
        return base.convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    if mode in ("I;16", "I", "F"):
        grey = rgb[..., 0].astype(np.float64) / 255
        values = {"I;16": (grey * 65535).astype(np.uint16), "I": (grey * 65535).astype(np.int32),
                  "F": grey.astype(np.float32)}[mode]
        return Image.fromarray(values)  # uint16: I;16, int32: I, float32: F
    image = base.convert(mode)
    if mode in ("LA", "RGBA"):  # alpha that varies, so that writers keep it
        image.putalpha(Image.fromarray((ramp % 256).astype(np.uint8)))
    return image


def _save(image: Image.Image, fmt: str, options: dict) -> bytes | None:
    options = dict(options)
    if options.get("exif") == "orientation 6":
        exif = Image.Exif()
        exif[0x0112] = 6
        options["exif"] = exif
    buf = io.BytesIO()
    try:
        image.save(buf, fmt, **options)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # this Pillow cannot write that mode in that format: not an input
    return buf.getvalue()


def _animated(fmt: str, rng: np.random.Generator) -> bytes:
    frames = [image_of("RGB", rng, 24, 20) for _ in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=50, loop=0)
    return buf.getvalue()


@functools.cache
def base_images(seed: int = 0) -> tuple[tuple[str, bytes], ...]:
    """Valid small images: every mode of every format (that Pillow writes), animations."""
    rng = np.random.default_rng(seed)
    out = []
    for fmt, (modes, variants) in FORMATS.items():
        for mode in modes:
            for variant, options in variants.items():
                size = (33, 21) if fmt != "ICO" else (32, 32)
                data = _save(image_of(mode, rng, *size), fmt, options)
                if data is not None:
                    out.append((f"{fmt.lower()}-{mode}{'-' + variant if variant else ''}", data))
    for fmt in ("GIF", "WEBP", "PNG"):
        out.append((f"{fmt.lower()}-animated", _animated(fmt, rng)))
    return tuple(out)


def truncations(name: str, data: bytes, rng: np.random.Generator, n: int = 16):
    cuts = {0, 1, 2, 4, 8, 16, 32, 64, len(data) // 4, len(data) // 2, 3 * len(data) // 4,
            len(data) - 1, len(data) - 2}
    cuts |= {int(c) for c in rng.integers(1, max(2, len(data)), n - len(cuts) + 4)}
    for cut in sorted(c for c in cuts if 0 <= c < len(data))[:n]:
        yield f"{name}/cut@{cut}", data[:cut]


def bit_flips(name: str, data: bytes, rng: np.random.Generator, n: int = 60):
    for i in range(n):
        mutated = bytearray(data)
        flips = int(rng.choice([1, 2, 3, 8]))
        # Half the time in the first 100 bytes, where the headers are.
        limit = min(len(data), 100) if i % 2 else len(data)
        for _ in range(flips):
            at = int(rng.integers(0, limit))
            mutated[at] ^= 1 << int(rng.integers(0, 8))
        yield f"{name}/flip{flips}#{i}@{at}", bytes(mutated)


def overwrites(name: str, data: bytes, rng: np.random.Generator, n: int = 16):
    for i in range(n):
        mutated = bytearray(data)
        at = int(rng.integers(0, len(data)))
        length = int(rng.choice([1, 2, 4, 16]))
        value = int(rng.choice([0x00, 0xFF, 0x7F, 0x80]))
        mutated[at:at + length] = bytes([value]) * len(mutated[at:at + length])
        yield f"{name}/set{value:02x}x{length}@{at}", bytes(mutated)


def splices(name: str, data: bytes, rng: np.random.Generator, n: int = 8):
    for i in range(n):
        a = int(rng.integers(0, len(data)))
        b = min(len(data), a + int(rng.integers(1, 64)))
        if i % 2:
            yield f"{name}/dup{a}-{b}", data[:b] + data[a:]  # a run repeated
        else:
            yield f"{name}/cut{a}-{b}", data[:a] + data[b:]  # a run removed


@functools.cache
def bombs() -> tuple[tuple[str, bytes], ...]:
    """Real decompression bombs: zeros at 36-42 megapixels (and far more), a few KB each."""
    out = []
    for fmt, mode, size, options in (
            ("PNG", "L", (6000, 6000), {}), ("PNG", "L", (7000, 6000), {}),
            ("PNG", "1", (20000, 20000), {}), ("GIF", "P", (6000, 6000), {}),
            ("TIFF", "L", (6000, 6000), {"compression": "packbits"}),
            ("WEBP", "RGB", (6000, 6000), {"lossless": True}),
            ("BMP", "1", (6000, 6000), {})):
        buf = io.BytesIO()
        Image.new(mode, size).save(buf, fmt, **options)
        out.append((f"bomb-{fmt.lower()}-{mode}-{size[0]}x{size[1]}", buf.getvalue()))
    return tuple(out)


@functools.cache
def fuzz_inputs(seed: int = 0) -> tuple[tuple[str, bytes], ...]:
    """Every input of the suite, in a fixed order for a given seed."""
    rng = np.random.default_rng(seed)
    out = list(bombs())
    for name, data in base_images(seed):
        out.append((name, data))
        for mutate in (truncations, bit_flips, overwrites, splices):
            out.extend(mutate(name, data, rng))
        headers = HEADERS[name.split("-")[0]]
        out.extend((f"{name}/{what}", patched) for what, patched in headers(data))
    return tuple(out)


def analysis_inputs(photo_jpeg: bytes, seed: int = 0, n: int = 300) -> list[tuple[str, bytes]]:
    """Inputs for the whole pipeline: a photo with a face (JPEG bytes) in several formats,
    mutated, and a sample of the other fuzz inputs; n in all."""
    rng = np.random.default_rng(seed + 1)
    photo = Image.open(io.BytesIO(photo_jpeg))
    out = [("photo-jpeg", photo_jpeg)]
    for fmt, mode in (("PNG", "RGB"), ("WEBP", "RGB"), ("GIF", "P"), ("BMP", "RGB"), ("PNG", "I;16")):
        image = photo.convert("L" if mode == "I;16" else mode)
        if mode == "I;16":
            image = Image.fromarray(np.asarray(image).astype(np.uint16) * 257)
        data = _save(image, fmt, {})
        out.append((f"photo-{fmt.lower()}-{mode}", data))
    faces = list(out)
    for name, data in faces:
        for mutate in (truncations, bit_flips, overwrites):
            out.extend(mutate(name, data, rng, n=12))
    others = fuzz_inputs(seed)
    picks = rng.choice(len(others), max(0, n - len(out)), replace=False)
    return (out + [others[int(i)] for i in sorted(picks)])[:n]
