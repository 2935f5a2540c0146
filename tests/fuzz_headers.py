"""Header patchers for the fuzz suite: each takes a valid image's bytes and yields
(what, bytes) with its header claiming other dimensions, depths, colour types or
compressions (JPEG SOF, PNG IHDR with its CRC fixed, GIF screen and frame, BMP DIB header,
WebP VP8/VP8L/VP8X, TIFF tags, ICO directory, PPM). Used by fuzz_images.py."""
from __future__ import annotations

import struct
import zlib

# Dimensions headers are patched to claim: zero, tiny, at and around the limits (40 MP,
# Pillow's 89 and 178 MP), extreme aspect ratios, the formats' maxima.
SIZES = [(0, 0), (0, 7), (1, 1), (3, 50000), (6300, 6300), (65000, 600), (600, 65000),
         (6324, 6324), (7000, 7000), (9500, 9500), (13400, 13400), (30000, 30000),
         (65535, 65535), (16383, 16383), (4096, 1)]


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
