"""Image bytes -> RGB array, with limits and errors a person can act on."""
from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import BadImageError, ImageTooLargeError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000


def decode_image(data: bytes, max_bytes: int = DEFAULT_MAX_BYTES,
                 max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode JPEG/PNG/WebP/BMP/... bytes into an RGB image.

    EXIF orientation is applied, so a phone photo taken upright comes out upright.

    Args:
        data: the file's bytes.
        max_bytes: larger inputs are refused before decoding.
        max_pixels: width*height above this is refused from the header alone, before the
            pixels are decompressed (decompression bombs).
    Returns: (H, W, 3) uint8 RGB.
    Raises: BadImageError (empty, not an image, truncated), ImageTooLargeError.
    """
    if not data:
        raise BadImageError("The file is empty. Choose a JPEG or PNG photo and upload it again.")
    if len(data) > max_bytes:
        raise ImageTooLargeError(
            f"The file is {len(data) / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB. "
            "Resize the photo or save it as JPEG and upload it again.")
    try:
        image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise BadImageError("This file is not an image we can read. Upload a JPEG, PNG or "
                            "WebP photo.") from None
    except (OSError, SyntaxError, ValueError) as exc:  # a header cut short, e.g. a JPEG's
        raise BadImageError(f"The image is damaged or truncated ({exc}). Upload the original "
                            "file again.") from None
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"The image is {width}x{height} pixels ({width * height / 1e6:.0f} megapixels); "
            f"the limit is {max_pixels / 1e6:.0f} megapixels. Resize it and upload it again.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.load()
        image = ImageOps.exif_transpose(image)
        rgb = image.convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombWarning) as exc:
        raise BadImageError(f"The image is damaged or truncated ({exc}). Upload the original "
                            "file again.") from None
    return np.asarray(rgb, dtype=np.uint8)
