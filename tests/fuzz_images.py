"""Malformed and oversized images for the fuzz tests: a seeded, deterministic generator.

`fuzz_inputs(seed)` returns (name, bytes) pairs, 12,294 of them for seed 0:
- valid small images of every mode (1, L, LA, P with and without transparency, I;16, I, F,
  RGB, RGBA, CMYK, YCbCr) in every format (JPEG, progressive JPEG, PNG, GIF, BMP, WebP,
  TIFF with several compressions, ICO, PPM, animated GIF, WebP and PNG);
- each truncated at many offsets, with random bit flips, with bytes overwritten by 0x00,
  0xFF, 0x7F, 0x80, and with runs of bytes duplicated or cut out;
- their headers patched to claim other dimensions (JPEG SOF, PNG IHDR with its CRC fixed,
  GIF screen and frame, BMP, WebP VP8/VP8L/VP8X, TIFF ImageWidth/ImageLength, ICO
  directory, PPM) or an invalid depth or colour type;
- decompression bombs: mostly zeros at 36-42 megapixels, a few KB each.
Names say what each input is, e.g. "png-RGBA/flip3@117", so a failure can be rebuilt.
Nothing here imports the app: the tests decide what is right.
"""
from __future__ import annotations

import functools
import io
import struct
import zlib

import numpy as np
from PIL import Image

# Dimensions headers are patched to claim: zero, tiny, at and around the limits (40 MP,
# Pillow's 89 and 178 MP), extreme aspect ratios, the formats' maxima.
SIZES = [(0, 0), (0, 7), (1, 1), (3, 50000), (6300, 6300), (65000, 600), (600, 65000),
         (6324, 6324), (7000, 7000), (9500, 9500), (13400, 13400), (30000, 30000),
         (65535, 65535), (16383, 16383), (4096, 1)]
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


# --- Headers that claim other dimensions (or depths, colour types, compressions) --------

def _patched(data: bytes, at: int, fmt: str, *values) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, at, *values)
    return bytes(out)


def jpeg_headers(data: bytes):
    sof = min((i for i in (data.find(m) for m in (b"\xff\xc0", b"\xff\xc1", b"\xff\xc2")) if i > 0),
              default=-1)
    if sof < 0:
        return
    for w, h in SIZES:
        yield f"sof{w}x{h}", _patched(data, sof + 5, ">HH", h & 0xFFFF, w & 0xFFFF)
    for precision in (0, 12, 16):
        yield f"sof-precision{precision}", _patched(data, sof + 4, ">B", precision)
    for components in (0, 2, 5, 255):
        yield f"sof-components{components}", _patched(data, sof + 9, ">B", components)


def png_headers(data: bytes):
    def ihdr(**fields):
        out = bytearray(data)
        w, h, depth, colour, comp, filt, interlace = struct.unpack_from(">IIBBBBB", out, 16)
        values = {"w": w, "h": h, "depth": depth, "colour": colour, "interlace": interlace, **fields}
        struct.pack_into(">IIBBBBB", out, 16, values["w"], values["h"], values["depth"],
                         values["colour"], comp, filt, values["interlace"])
        struct.pack_into(">I", out, 29, zlib.crc32(bytes(out[12:29])))  # CRC fixed
        return bytes(out)

    for w, h in SIZES:
        yield f"ihdr{w}x{h}", ihdr(w=w, h=h)
    for depth in (0, 3, 16, 32):
        yield f"ihdr-depth{depth}", ihdr(depth=depth)
    for colour in (1, 5, 7):
        yield f"ihdr-colour{colour}", ihdr(colour=colour)
    yield "ihdr-interlaced", ihdr(interlace=1)
    yield "ihdr-crc-wrong", _patched(data, 16, ">I", 6300)  # CRC not fixed


def _gif_frame(data: bytes) -> int:
    """Offset of the first image descriptor (0x2C), or -1."""
    at = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    while at < len(data):
        if data[at] == 0x2C:
            return at
        if data[at] != 0x21 or at + 2 >= len(data):
            return -1
        at += 2  # extension introducer and label, then sub-blocks
        while at < len(data) and data[at]:
            at += data[at] + 1
        at += 1
    return -1


def gif_headers(data: bytes):
    frame = _gif_frame(data)
    for w, h in SIZES:
        yield f"screen{w}x{h}", _patched(data, 6, "<HH", w & 0xFFFF, h & 0xFFFF)
        if frame > 0:
            yield f"frame{w}x{h}", _patched(data, frame + 5, "<HH", w & 0xFFFF, h & 0xFFFF)
            yield f"frame-at{w}", _patched(data, frame + 1, "<HH", w & 0xFFFF, h & 0xFFFF)


def bmp_headers(data: bytes):
    for w, h in SIZES + [(33, -21), (-33, 21), (-(2**31), 1)]:
        yield f"dib{w}x{h}", _patched(data, 18, "<ii", max(-(2**31), min(w, 2**31 - 1)), h)
    for bpp in (0, 3, 12, 64):
        yield f"dib-bpp{bpp}", _patched(data, 28, "<H", bpp)
    for compression in (1, 2, 3, 4, 99):
        yield f"dib-compression{compression}", _patched(data, 30, "<I", compression)


def webp_headers(data: bytes):
    for tag, at, pack in ((b"VP8X", 24, "vp8x"), (b"VP8 ", 26, "vp8"), (b"VP8L", 21, "vp8l")):
        chunk = data.find(tag, 12)
        if chunk < 0:
            continue
        at = chunk + (at - 12)
        for w, h in SIZES:
            out = bytearray(data)
            if pack == "vp8x":  # 24-bit width - 1, height - 1
                out[at:at + 6] = ((w - 1) & 0xFFFFFF).to_bytes(3, "little") + ((h - 1) & 0xFFFFFF).to_bytes(3, "little")
            elif pack == "vp8":  # 14-bit width and height (2 bits of scale above)
                struct.pack_into("<HH", out, at, w & 0xFFFF, h & 0xFFFF)
            else:  # VP8L: 14 bits width - 1, 14 bits height - 1, packed
                bits = ((w - 1) & 0x3FFF) | (((h - 1) & 0x3FFF) << 14) | (out[at + 3] & 0xF0) << 24
                struct.pack_into("<I", out, at, bits & 0xFFFFFFFF)
            yield f"{pack}{w}x{h}", bytes(out)


def tiff_headers(data: bytes):
    order = "<" if data[:2] == b"II" else ">"
    ifd = struct.unpack_from(order + "I", data, 4)[0]
    if ifd + 2 > len(data):
        return
    entries = {}
    for i in range(struct.unpack_from(order + "H", data, ifd)[0]):
        at = ifd + 2 + 12 * i
        if at + 12 <= len(data):
            entries[struct.unpack_from(order + "H", data, at)[0]] = at

    def tag(number, value):  # as one LONG
        return _patched(data, entries[number] + 2, order + "HII", 4, 1, value & 0xFFFFFFFF)

    if 256 in entries and 257 in entries:
        for w, h in SIZES:
            yield f"ifd{w}x{h}", _patched(tag(256, w), entries[257] + 2, order + "HII", 4, 1, h)
    for number, values in ((258, (0, 3, 64)), (259, (0, 2, 6, 7, 50000)), (262, (9, 32844)),
                           (273, (0, 2**31)), (277, (0, 9)), (278, (0, 2**31)), (284, (2, 9))):
        for value in values:
            if number in entries:
                yield f"tag{number}={value}", tag(number, value)


def ico_headers(data: bytes):
    for w, h in SIZES:
        yield f"dir{w}x{h}", _patched(data, 6, "<BB", w & 0xFF, h & 0xFF)
    png = data.find(b"\x89PNG")
    if png > 0:
        for w, h in SIZES:
            yield f"embedded{w}x{h}", _patched(data, png + 16, ">II", w, h)


def ppm_headers(data: bytes):
    magic, rest = data[:2], data.split(b"\n", 3)
    body = rest[-1] if len(rest) == 4 else data[-64:]
    for w, h in SIZES:
        yield f"ppm{w}x{h}", magic + f"\n{w} {h}\n255\n".encode() + body
    for maxval in (0, 1, 65535, 65536, 99999999):
        yield f"ppm-maxval{maxval}", magic + f"\n33 21\n{maxval}\n".encode() + body


HEADERS = {"jpeg": jpeg_headers, "png": png_headers, "gif": gif_headers, "bmp": bmp_headers,
           "webp": webp_headers, "tiff": tiff_headers, "ico": ico_headers, "ppm": ppm_headers}


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
