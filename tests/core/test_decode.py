import io

import numpy as np
import pytest
from PIL import Image

from app.recognition.decode import decode_cost, decode_image
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


# --- Hostile headers, bounded decoding, deep images (the hardening of decode.py) ---------

import struct  # noqa: E402
import zlib  # noqa: E402

import cv2  # noqa: E402

from support import photos  # noqa: E402


def jpeg_claiming(width, height):
    """A 32x32 JPEG whose start-of-frame says width x height: about 1 KB."""
    data = bytearray(jpeg_bytes(32, 32))
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def png_claiming(width, height):
    """A 1x1 PNG whose IHDR says width x height, its CRC fixed."""
    buf = io.BytesIO()
    Image.new("RGB", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    struct.pack_into(">II", data, 16, width, height)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def bmp_claiming(width, height):
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "BMP")
    data = bytearray(buf.getvalue())
    struct.pack_into("<ii", data, 18, width, height)
    return bytes(data)


def gif_claiming(width, height):
    buf = io.BytesIO()
    Image.new("P", (4, 4)).save(buf, "GIF")
    data = bytearray(buf.getvalue())
    struct.pack_into("<HH", data, 6, width, height)  # logical screen
    return bytes(data)


@pytest.mark.parametrize("data", [
    png_claiming(30000, 30000), bmp_claiming(30000, 30000), jpeg_claiming(65000, 65000),
    gif_claiming(65000, 65000),
], ids=["png", "bmp", "jpeg", "gif"])
def test_over_pillows_own_bomb_limit_is_too_large_not_a_crash(data):
    # Above 178 megapixels Pillow raises DecompressionBombError, which is not an OSError.
    with pytest.raises(ImageTooLargeError) as err:
        decode_image(data)
    assert err.value.type == "too-large" and "megapixels" in err.value.detail
    assert "upload it again" in err.value.detail


def test_a_jpeg_header_claiming_40_megapixels_decodes_small():
    # 6300 x 6300 is under the pixel limit: the JPEG decoder itself scales it down (1/2).
    rgb = decode_image(jpeg_claiming(6300, 6300))
    assert rgb.shape == (3150, 3150, 3) and rgb.dtype == np.uint8
    rgb = decode_image(jpeg_claiming(65000, 600))
    assert max(rgb.shape) <= 4096 and rgb.shape[2] == 3  # the default max_side


def test_decode_cost_tells_from_the_header_what_decoding_will_hold():
    # A JPEG is decoded reduced (1/2 here); other formats whole, 4 bytes a pixel in Pillow
    # (1 for greyscale); refused bytes are 0.
    assert decode_cost(jpeg_claiming(6300, 6300)) == 4 * 3150 * 3150 == 4 * decode_image(jpeg_claiming(6300, 6300)).size // 3
    assert decode_cost(png_claiming(5000, 4000)) == 4 * 20_000_000
    assert decode_cost(jpeg_bytes(640, 480)) == 4 * 640 * 480
    assert decode_cost(png_claiming(30000, 30000)) == 0  # over the pixel limit
    assert decode_cost(b"not an image") == decode_cost(b"") == 0


@pytest.mark.parametrize("fmt, size, max_side, want", [
    ("PNG", (5000, 120), 1000, (24, 1000, 3)),   # reduced 5x: 120 / 5 rows
    ("PNG", (1001, 30), 1000, (15, 501, 3)),     # a whole factor, rounded up: 2x
    ("BMP", (300, 200), 1000, (200, 300, 3)),    # within the limit: as it is
    ("JPEG", (2400, 1600), 1000, (400, 600, 3)),  # JPEG: 1/4 by the decoder (1/2: 1200 px)
])
def test_the_longer_side_is_at_most_max_side(fmt, size, max_side, want):
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(buf, fmt)
    rgb = decode_image(buf.getvalue(), max_side=max_side)
    assert rgb.shape == want and rgb.dtype == np.uint8
    assert np.abs(rgb[1:-1, 1:-1].astype(int) - (200, 100, 50)).max() <= 3  # averaged, not mangled


def test_reduction_averages_like_pillow_reduce():
    noise = np.random.default_rng(1).integers(0, 256, (700, 900, 3), np.uint8)
    buf = io.BytesIO()
    Image.fromarray(noise).save(buf, "PNG")
    want = np.asarray(Image.fromarray(noise).reduce(3))
    np.testing.assert_array_equal(decode_image(buf.getvalue(), max_side=300), want)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_as_pillow_applies_it(orientation):
    from PIL import ImageOps

    image = Image.fromarray(np.random.default_rng(2).integers(0, 256, (30, 50, 3), np.uint8))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    image.save(buf, "PNG", exif=exif)
    want = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(buf.getvalue()))).convert("RGB"))
    np.testing.assert_array_equal(decode_image(buf.getvalue()), want)


def grey_face():
    return cv2.imread(str(photos("val", "jerry_seinfeld")[0]), cv2.IMREAD_GRAYSCALE)


def test_sixteen_bit_png_is_scaled_not_clipped():
    face = grey_face()
    png16 = cv2.imencode(".png", face.astype(np.uint16) * 257)[1].tobytes()
    assert Image.open(io.BytesIO(png16)).mode.startswith("I;16")
    rgb = decode_image(png16)
    assert rgb.shape == (*face.shape, 3)
    assert np.abs(rgb[..., 0].astype(int) - face).max() <= 1  # was 255 everywhere but black


@pytest.mark.parametrize("mode, values", [
    ("F", lambda f: f.astype(np.float32) / 255),          # 0..1 floats
    ("F", lambda f: f.astype(np.float32)),                # 0..255 floats
    ("I", lambda f: f.astype(np.int32) * 257),            # 16-bit values in 32 bits
    ("I", lambda f: f.astype(np.int32) * 1000 - 70000),   # any other range: stretched
], ids=["float-0-1", "float-0-255", "int-0-65535", "int-other"])
def test_thirty_two_bit_and_float_images_are_scaled_to_eight_bits(mode, values):
    face = grey_face()
    face = (face - face.min()) * (255.0 / (face.max() - face.min()))  # full range, for the stretch
    face = face.round().astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(values(face), mode).save(buf, "TIFF")
    rgb = decode_image(buf.getvalue())
    assert np.abs(rgb[..., 0].astype(int) - face).max() <= 1


def test_sixteen_bit_png_of_a_face_is_found(pipeline):
    png16 = cv2.imencode(".png", grey_face().astype(np.uint16) * 257)[1].tobytes()
    assert len(pipeline.analyze_bytes(png16).faces) == 1


@pytest.mark.parametrize("fmt", ["EPS", "ICO", "TGA", "PCX", "SGI", "DDS"])
def test_formats_nobody_uploads_a_face_in_are_refused(fmt):
    buf = io.BytesIO()
    try:
        Image.new("RGB", (16, 16)).save(buf, fmt)
    except (OSError, KeyError):
        pytest.skip(f"Pillow cannot write {fmt} here")
    with pytest.raises(BadImageError) as err:
        decode_image(buf.getvalue())
    assert "not an image we can read" in err.value.detail


# --- Memory: no format may make its decoder hold more than the largest accepted image ---

def saved(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def flat_40mp(mode: str = "RGB") -> Image.Image:
    """7300x5479 (40.0 MP, just under the pixel limit) of one colour."""
    return Image.new(mode, (7300, 5479), {"RGB": (120, 130, 140), "RGBA": (1, 2, 3, 4), "P": 7}[mode])


def progressive_444_claiming(width, height):
    data = bytearray(saved(Image.new("RGB", (16, 16)), "JPEG", progressive=True, subsampling=0))
    struct.pack_into(">HH", data, data.find(b"\xff\xc2") + 5, height, width)
    return bytes(data)


FORTY_MP = {  # name: (bytes, accepted); issue 18's uploads and every other format Pillow opens
    "webp lossless (1.6 KB: 754 MB before)": (lambda: saved(flat_40mp(), "WEBP", lossless=True), False),
    "webp lossy": (lambda: saved(flat_40mp(), "WEBP", quality=80), False),
    "progressive 4:4:4 jpeg (406 MB before)": (lambda: saved(flat_40mp(), "JPEG", progressive=True, subsampling=0), False),
    "progressive 4:4:4 header 6300x6300": (lambda: progressive_444_claiming(6300, 6300), False),
    "tiff in one strip": (lambda: saved(flat_40mp(), "TIFF", compression="tiff_adobe_deflate",
                                        tiffinfo={278: 5479}), False),
    "progressive 4:2:0 jpeg": (lambda: saved(flat_40mp(), "JPEG", progressive=True), True),
    "baseline jpeg": (lambda: saved(flat_40mp(), "JPEG"), True),
    "tiff": (lambda: saved(flat_40mp(), "TIFF", compression="tiff_adobe_deflate"), True),
    "png rgba": (lambda: saved(flat_40mp("RGBA"), "PNG"), True),
    "gif": (lambda: saved(flat_40mp("P"), "GIF"), True),
}


@pytest.mark.parametrize("name", FORTY_MP)
def test_a_40_megapixel_image_in_any_format_fits_the_memory_budget_or_is_refused_first(name):
    from app.recognition.decode_cost import budget

    make, accepted = FORTY_MP[name]
    data = make()
    if accepted:
        assert 0 < decode_cost(data) <= budget(40_000_000)
        return
    assert decode_cost(data) == 0
    with pytest.raises(ImageTooLargeError) as err:
        decode_image(data)
    assert "MB of memory" in err.value.detail and "upload it again" in err.value.detail


@pytest.mark.parametrize("size, mode", [((640, 480), "RGB"), ((4000, 3000), "RGBA"), ((9000, 600), "RGB")])
def test_webp_is_decoded_reduced_upright_and_as_rgb(size, mode):
    image = Image.new(mode, size, (200, 100, 50, 255)[:len(mode)])
    exif = Image.Exif()
    exif[0x0112] = 6  # turned: the upright image is `size` transposed
    rgb = decode_image(saved(image, "WEBP", quality=95, exif=exif.tobytes()), max_side=4096)
    scale = 1 if max(size) <= 4096 else 4  # 9000 / 2 is still over 4096
    assert rgb.shape == (size[0] // scale, size[1] // scale, 3) and rgb.dtype == np.uint8
    assert np.abs(rgb[1:-1, 1:-1].astype(int) - (200, 100, 50)).max() <= 6


def test_a_damaged_webp_is_a_bad_image():
    data = saved(Image.new("RGB", (64, 64), (9, 9, 9)), "WEBP")
    with pytest.raises(BadImageError):
        decode_image(data[:40])
