"""What decoding an image holds in memory at once, read from its header alone.

decode.py refuses an image whose decoding would hold more than the largest accepted
image decoded whole (`max_pixels` at 4 bytes a pixel: 168 MB for 40 MP with 5 %), whatever its
format, so that a few KB whose header declares a large image cost no more than the
largest photo accepted. What each decoder holds (measured with scripts/bench_memory.py,
issue 18):

- Pillow's decoded image: 1 byte a pixel ("1", "L", "P"), 2 ("I;16"), else 4 (RGB is
  stored as 4); a JPEG is decoded reduced (`Image.draft`), the others whole;
- a JPEG of several scans (progressive, or sequential with one scan per component): the
  decoder keeps every DCT coefficient of the whole image, 2 bytes each, 64 a block per
  component at its sampling (6 bytes a pixel at 4:4:4, 3 at 4:2:0), however reduced the
  output is;
- a TIFF: one decoded strip or tile besides the image (a single strip is the whole image
  again), at least 4 bytes a pixel when libtiff decodes it as RGBA;
- a WebP, decoded by OpenCV: the decoded picture and its colour-converted copy (~6 bytes a
  pixel measured, 7 counted); an animation also keeps libwebp's two canvases (~12).
"""
from __future__ import annotations

import math
import struct

from PIL import Image

BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
WEBP_BYTES_PER_PIXEL = 7
WEBP_ANIMATED_BYTES_PER_PIXEL = 12
COEFFICIENT_BYTES = 2 * 64  # a block of 8x8 DCT coefficients, int16
_SOS = b"\xff\xda"  # start of scan: cannot occur inside entropy-coded data (0xFF is stuffed)


def budget(max_pixels: int) -> int:
    """Bytes a decoder may hold: the largest accepted image decoded whole, 4 bytes a pixel,
    and 5 % for what comes with it (a TIFF's strip, a JPEG's blocks rounded up)."""
    return 4 * max_pixels * 21 // 20


def reduction(longer_side: int, max_side: int) -> int:
    """1, 2, 4 or 8: what a decoder that reduces as it decodes (libjpeg, OpenCV's WebP) is
    asked to reduce by: no more than needed to fit max_side, and at most 8."""
    return min(8, 2 ** max(0, math.ceil(math.log2(longer_side / max_side))))


def draft_scale(image: Image.Image, max_side: int) -> int:
    """What a JPEG is decoded reduced by (`Image.draft`); 1 for Pillow's other formats,
    which are decoded whole."""
    return reduction(max(image.size), max_side) if image.format in ("JPEG", "MPO") else 1


def pillow_cost(image: Image.Image, data: bytes, max_side: int) -> int:
    """Bytes Pillow and its decoder hold at once for this opened (not loaded) image."""
    scale = draft_scale(image, max_side)
    pixels = math.ceil(image.width / scale) * math.ceil(image.height / scale)
    held = pixels * BYTES_PER_PIXEL.get(image.mode, 4)
    if image.format in ("JPEG", "MPO") and (image.info.get("progressive") or data.count(_SOS) > 1):
        held += jpeg_coefficients(image)
    if image.format == "TIFF":
        held += tiff_strip(image)
    return held


def jpeg_coefficients(image: Image.Image) -> int:
    """The whole-image coefficient buffer of a multi-scan JPEG: per component, its blocks
    at its sampling factors (Pillow's `layer`: (id, h, v, table) per component)."""
    layers = getattr(image, "layer", None) or [("", 1, 1, 0)] * len(image.getbands())
    h_max = max(h for _, h, _, _ in layers)
    v_max = max(v for _, _, v, _ in layers)
    return sum(math.ceil(image.width * h / (8 * h_max)) * math.ceil(image.height * v / (8 * v_max))
               for _, h, v, _ in layers) * COEFFICIENT_BYTES


def tiff_strip(image: Image.Image) -> int:
    """The bytes of one strip (or tile) decoded: what libtiff reads at a time."""
    tags = image.tag_v2
    samples = int(tags.get(277, len(image.getbands())))
    bits = tags.get(258, (8,))
    pixel = max(4, math.ceil(samples * max(bits if isinstance(bits, tuple) else (bits,)) / 8))
    if 322 in tags and 323 in tags:  # tiled
        return int(tags[322]) * int(tags[323]) * pixel
    rows = min(int(tags.get(278, image.height)), image.height)
    return rows * image.width * pixel


def webp_header(data: bytes) -> tuple[int, int, bool] | None:
    """(width, height, animated) from a WebP's first chunk; None when `data` is not a WebP
    (RIFF....WEBP) or its first chunk is not one of the three kinds (VP8, VP8L, VP8X)."""
    if len(data) < 30 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        return None
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":  # lossy: 14-bit sizes
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF, False
    if chunk == b"VP8L" and data[20] == 0x2F:  # lossless: 14-bit sizes minus one
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, False
    if chunk == b"VP8X":  # extended: the canvas, 24-bit sizes minus one; flag 2: animation
        width = int.from_bytes(data[24:27], "little") + 1
        return width, int.from_bytes(data[27:30], "little") + 1, bool(data[20] & 0x02)
    return None


def webp_cost(width: int, height: int, animated: bool) -> int:
    return width * height * (WEBP_ANIMATED_BYTES_PER_PIXEL if animated else WEBP_BYTES_PER_PIXEL)
