import io

import numpy as np
import pytest
from PIL import Image

from app.recognition.decode import decode_image
from app.recognition.errors import BadImageError, ImageTooLargeError


def jpeg_bytes(width=64, height=48, exif_orientation=None):
    image = Image.fromarray(np.random.default_rng(0).integers(0, 255, (height, width, 3), np.uint8))
    buf = io.BytesIO()
    if exif_orientation:
        exif = Image.Exif()
        exif[0x0112] = exif_orientation
        image.save(buf, "JPEG", exif=exif)
    else:
        image.save(buf, "JPEG")
    return buf.getvalue()


def test_decodes_jpeg_to_rgb_uint8():
    rgb = decode_image(jpeg_bytes())
    assert rgb.shape == (48, 64, 3) and rgb.dtype == np.uint8


def test_png_with_alpha_becomes_rgb():
    buf = io.BytesIO()
    Image.new("RGBA", (10, 8), (255, 0, 0, 128)).save(buf, "PNG")
    assert decode_image(buf.getvalue()).shape == (8, 10, 3)


def test_exif_orientation_is_applied():
    # Orientation 6: the camera was turned 90 degrees; the upright image is 48 wide, 64 high.
    assert decode_image(jpeg_bytes(exif_orientation=6)).shape == (64, 48, 3)


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"this is a text file, not a photo", "not an image"),
    (b"%PDF-1.4\n" + b"0" * 100, "not an image"),
])
def test_not_an_image_is_refused_with_advice(data, words):
    with pytest.raises(BadImageError) as err:
        decode_image(data)
    assert words in err.value.detail and "upload" in err.value.detail.lower()
    assert err.value.type == "bad-image"


def test_truncated_jpeg_is_refused():
    data = jpeg_bytes(256, 256)
    with pytest.raises(BadImageError) as err:
        decode_image(data[: len(data) // 2])
    assert "truncated" in err.value.detail


def test_too_many_bytes_is_refused_before_decoding():
    with pytest.raises(ImageTooLargeError) as err:
        decode_image(b"\xff" * 2000, max_bytes=1000)
    assert err.value.type == "too-large"


def test_fifty_megapixel_image_is_refused_from_its_header():
    # A PNG of 10000 x 5000 black pixels compresses to a few KB: a decompression bomb.
    buf = io.BytesIO()
    Image.new("L", (10000, 5000)).save(buf, "PNG")
    assert len(buf.getvalue()) < 200_000
    with pytest.raises(ImageTooLargeError) as err:
        decode_image(buf.getvalue())
    assert "megapixels" in err.value.detail
