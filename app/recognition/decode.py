"""Image bytes -> RGB array, with limits and errors a person can act on.

The work per image is bounded before any pixel is decompressed: the file's bytes, then its
pixel count from the header, then the memory its decoder would hold (decode_cost.py: no
more than the largest accepted image decoded whole, in any format). The decoded array is
at most `max_side` pixels on its longer side: a JPEG is decoded at 1/2, 1/4 or 1/8 of its
size by the decoder itself (`Image.draft`, which never holds the full-size pixels), any
image still too large is averaged down by a whole factor (`Image.reduce`) in strips of
rows, so that only the decoded image and the small result are in memory at once, never
full-size copies of it. WebP is decoded by OpenCV (reduced by 1/2, 1/4 or 1/8 as it
decodes): Pillow's WebP decoder keeps the picture four times over (15 bytes a pixel: a
1.6 KB WebP declaring 40 MP took 550 MB).
"""
from __future__ import annotations

import io
import math
from functools import partial
from typing import Callable

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from .decode_cost import budget, draft_scale, pillow_cost, reduction, webp_cost, webp_header
from .errors import BadImageError, ImageTooLargeError, RecognitionError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
# 4096 keeps every face the detector can find in a 12-24 MP photo at its full detail for
# the aligned 160x160 crop (a face is found on a copy of at most 1,600 px, see
# pipeline.py, so 4096 is 2.5x finer than that), while a 40 MP upload becomes at most
# 16.7 MP (50 MB as RGB) instead of 120 MB.
DEFAULT_MAX_SIDE = 4096
# Formats a photo comes in. Others Pillow could open (EPS runs Ghostscript, PSD, FITS, ...)
# are refused before decoding: nobody uploads a face in them, and every decoder is risk.
# ICO too: an icon names its images' sizes in a directory but Pillow decodes the embedded
# PNG or BMP whatever its own header says ("Image was not the expected size"). WebP is
# not opened by Pillow (see above).
FORMATS = ("JPEG", "PNG", "GIF", "BMP", "TIFF", "PPM")  # JPEG includes MPO
_REDUCED = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
            8: cv2.IMREAD_REDUCED_COLOR_8}
_STRIP_ROWS = 256  # output rows converted at a time (bounds the temporary copies)
_DAMAGED = "The image is damaged or truncated ({}). Upload the original file again."


def decode_image(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_pixels: int = DEFAULT_MAX_PIXELS,
                 max_side: int = DEFAULT_MAX_SIDE) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP/... bytes into an RGB image.

    EXIF orientation is applied, so a phone photo taken upright comes out upright.
    16- and 32-bit greyscale (and float) images are scaled to 8 bits, not clipped.

    Args:
        data: the file's bytes.
        max_bytes: larger inputs are refused before decoding.
        max_pixels: width*height above this is refused from the header alone, before the
            pixels are decompressed (decompression bombs).
        max_side: the result's longer side is at most this many pixels (larger images are
            decoded at a reduced size; see the module docstring).
    Returns: (H, W, 3) uint8 RGB, max(H, W) <= max_side.
    Raises: BadImageError (empty, not an image, truncated, damaged), ImageTooLargeError.
        Nothing else: any failure of the decoders on hostile bytes is one of these two.
    """
    if not data:
        raise BadImageError("The file is empty. Choose a JPEG or PNG photo and upload it again.")
    if len(data) > max_bytes:
        raise ImageTooLargeError(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB. "
            "Resize the photo or save it as JPEG and upload it again.")
    try:
        return _plan(data, max_pixels, max_side)[1]()
    except RecognitionError:
        raise
    except (MemoryError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(max_pixels) from None
    except Exception as exc:  # noqa: BLE001 - hostile bytes reach odd corners of decoders
        raise BadImageError(_DAMAGED.format(_reason(exc))) from None


def decode_cost(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS,
                max_side: int = DEFAULT_MAX_SIDE) -> int:
    """The bytes `decode_image` will hold at once for these bytes (decode_cost.py), read
    from the header alone. 0 for bytes it refuses: decode_image says why."""
    try:
        return _plan(data, max_pixels, max_side)[0]
    except Exception:  # noqa: BLE001 - hostile bytes: decode_image raises the right error
        return 0


def _plan(data: bytes, max_pixels: int, max_side: int) -> tuple[int, Callable[[], np.ndarray]]:
    """(the bytes decoding will hold, the function that decodes); raises for an image that is
    not one, has too many pixels, or would hold more memory than the budget."""
    webp = webp_header(data)
    if webp is not None:
        width, height, animated = webp
        _check_pixels(width, height, max_pixels)
        kind, cost = ("animated WebP" if animated else "WebP"), webp_cost(width, height, animated)
        decode = partial(_decode_webp, data, max_side)
    else:
        image = _open(data, max_pixels)
        (width, height), kind = image.size, _kind(image)
        cost, decode = pillow_cost(image, data, max_side), partial(_decode, image, max_side)
    if cost > budget(max_pixels):
        raise ImageTooLargeError(
            f"This {width}x{height} {kind} needs {cost / 1e6:.0f} MB of memory to decode; the "
            f"limit is {budget(max_pixels) / 1e6:.0f} MB. Resize it, or save it as an ordinary "
            "(baseline) JPEG, and upload it again.")
    return cost, decode


def _kind(image: Image.Image) -> str:
    if image.format in ("JPEG", "MPO") and image.info.get("progressive"):
        return "progressive JPEG"
    return str(image.format)


def _check_pixels(width: int, height: int, max_pixels: int) -> None:
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"The image is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {max_pixels / 1e6:.0f} megapixels. Resize it and upload it again.")
    if width < 1 or height < 1:
        raise BadImageError(_DAMAGED.format(f"it says it is {width}x{height} pixels"))


def _decode_webp(data: bytes, max_side: int) -> np.ndarray:
    """WebP bytes -> upright (H, W, 3) uint8 RGB, decoded reduced by OpenCV (which applies
    the EXIF orientation, drops alpha and takes an animation's first frame, as Pillow)."""
    width, height, _ = webp_header(data)
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), _REDUCED[reduction(max(width, height), max_side)])
    if bgr is None:
        raise BadImageError(_DAMAGED.format("OpenCV could not decode this WebP"))
    factor = math.ceil(max(bgr.shape[:2]) / max_side)
    if factor > 1:  # a max_side below 2048: 1/8 was not enough
        bgr = cv2.resize(bgr, (-(-bgr.shape[1] // factor), -(-bgr.shape[0] // factor)),
                         interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB, dst=bgr)


def _open(data: bytes, max_pixels: int) -> Image.Image:
    """Read the header only; refuse what is not an image or has too many pixels."""
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except UnidentifiedImageError:
        raise BadImageError("This file is not an image we can read. Upload a JPEG, PNG or "
                            "WebP photo.") from None
    except Image.DecompressionBombError:  # Pillow's own limit (178 MP), far above ours
        raise _too_large(max_pixels) from None
    _check_pixels(*image.size, max_pixels)
    return image


def _too_large(max_pixels: int) -> ImageTooLargeError:
    return ImageTooLargeError(
        f"The image has more than {max_pixels / 1e6:.0f} megapixels, the limit. Resize it "
        "and upload it again.")


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
    return text or type(exc).__name__


def _decode(image: Image.Image, max_side: int) -> np.ndarray:
    """Opened image -> upright (H, W, 3) uint8 RGB with max(H, W) <= max_side."""
    orientation = _orientation(image)  # read first: reducing keeps no TIFF tags
    scale = draft_scale(image, max_side)
    if scale > 1:  # the decoder picks the largest of 1/2, 1/4, 1/8 it is allowed
        image.draft(image.mode, (max(1, image.width // scale), max(1, image.height // scale)))
    image.load()
    factor = max(1, math.ceil(max(image.size) / max_side))
    rgb = _rgb_reduced(image, factor)
    return np.ascontiguousarray(_upright(rgb, orientation))


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(0x0112, 1))
    except Exception:  # noqa: BLE001 - damaged EXIF: keep the image as stored
        return 1


def _upright(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """(H, W, 3) as stored -> as seen (a view), by the EXIF orientation tag (1..8), the same
    flips and turns as ImageOps.exif_transpose; other values leave it as stored."""
    if orientation in (5, 6, 7, 8):  # stored turned by 90 degrees: swap the axes first
        rgb = rgb.transpose(1, 0, 2)
    flip_rows = orientation in (3, 4, 7, 8)
    flip_cols = orientation in (2, 3, 6, 7)
    return rgb[::-1 if flip_rows else 1, ::-1 if flip_cols else 1]


def _rgb_reduced(image: Image.Image, factor: int) -> np.ndarray:
    """(H/factor, W/factor, 3) uint8 RGB, rounded up; converted and averaged strip by strip."""
    to_eight_bit = _eight_bit_scaler(image)
    if factor == 1 and image.mode == "RGB":  # most photos: one copy, as packed RGB
        return np.asarray(image)
    width, height = image.size
    out = np.empty((-(-height // factor), -(-width // factor), 3), np.uint8)
    rows = _STRIP_ROWS * factor
    for top in range(0, height, rows):
        strip = image.crop((0, top, width, min(height, top + rows)))
        strip = _to_rgb(to_eight_bit(strip) if to_eight_bit else strip)
        if factor > 1:
            strip = strip.reduce(factor)
        out[top // factor: top // factor + strip.height] = np.asarray(strip)
    return out


def _to_rgb(image: Image.Image) -> Image.Image:
    return image if image.mode == "RGB" else image.convert("RGB")  # alpha is dropped


def _eight_bit_scaler(image: Image.Image):
    """For 16-bit, 32-bit and float greyscale images: a function strip -> "L" strip that
    maps the image's range onto 0..255 (the same for every strip); None for 8-bit modes.

    16-bit modes: 0..65535 -> 0..255. "I" and "F": values that fit 0..255 are kept, 0..1
    (float) and 0..65535 are scaled to 0..255, anything else is stretched from its minimum
    to its maximum. Pillow's own conversion clips instead (a 16-bit face becomes white).
    """
    if image.mode.startswith("I;16"):
        low, high = 0.0, 65535.0
    elif image.mode in ("I", "F") or image.mode.startswith("I;32"):
        low, high = _value_range(image)
    else:
        return None
    scale = 255.0 / (high - low) if high > low else 0.0

    def to_l(strip: Image.Image) -> Image.Image:
        values = np.asarray(strip).astype(np.float32)
        np.nan_to_num(values, copy=False, nan=low, posinf=high, neginf=low)
        values = (values - low) * scale + 0.5
        return Image.fromarray(np.clip(values, 0, 255).astype(np.uint8), "L")

    return to_l


def _value_range(image: Image.Image) -> tuple[float, float]:
    """The range of an "I" or "F" image's values that maps onto 0..255 (see above)."""
    low, high = math.inf, -math.inf
    for top in range(0, image.height, _STRIP_ROWS):
        values = np.asarray(image.crop((0, top, image.width, min(image.height, top + _STRIP_ROWS))))
        finite = values[np.isfinite(values)]
        if finite.size:
            low, high = min(low, float(finite.min())), max(high, float(finite.max()))
    if low > high:  # no finite value at all
        return 0.0, 255.0
    for top_of_range in ((1.0,) if image.mode == "F" else ()) + (255.0, 65535.0):
        if low >= 0 and high <= top_of_range:
            return 0.0, top_of_range
    return low, high
