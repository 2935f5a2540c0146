"""The image pyramid's small levels, read from the integral image, are cv2's INTER_AREA levels."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

import app.recognition.pyramid as pyramid
from app.recognition.detect import FaceDetector, _normalise, _pyramid


def load_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def photos(sample_photos_dir: Path) -> list[Path]:
    return sorted((sample_photos_dir / "train").glob("*/*.jpg"))[::12]


def cv2_level(img: np.ndarray, scale: float) -> np.ndarray:
    shape = (int(img.shape[0] * scale), int(img.shape[1] * scale))
    return cv2.resize(img, shape[::-1], interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("shape", [(480, 640), (479, 641), (1200, 1600), (900, 200), (37, 50)])
def test_every_level_is_cv2s_area_downscale(photos, shape):
    rgb = cv2.resize(load_rgb(photos[0]), shape[::-1], interpolation=cv2.INTER_CUBIC)
    img = _normalise(rgb)
    scales = _pyramid(*shape, 12, 0.709)
    got = list(pyramid.Pyramid().levels(rgb, img, scales))
    assert [s for s, _ in got] == scales
    small = [level for s, level in got if s * s <= pyramid.SMALL]
    assert small or shape == (37, 50)  # the integral path is taken wherever levels are small
    for scale, level in got:
        assert level.dtype == np.float32 and level.flags.c_contiguous
        np.testing.assert_allclose(level, cv2_level(img, scale), rtol=0, atol=2e-6)


def test_the_integral_buffer_is_kept_for_the_next_image_of_the_same_size(photos):
    rgb = cv2.resize(load_rgb(photos[0]), (640, 480), interpolation=cv2.INTER_AREA)
    maker, scales = pyramid.Pyramid(), _pyramid(480, 640, 20, 0.709)
    first = [level for _, level in maker.levels(rgb, _normalise(rgb), scales)]
    kept = maker._buffer
    assert kept is not None and kept.nbytes <= pyramid.KEEP_BYTES
    other = rgb[::-1].copy()  # another image, same size: same buffer, its own levels
    for (scale, level), before in zip(maker.levels(other, _normalise(other), scales), first):
        assert maker._buffer is kept
        np.testing.assert_allclose(level, cv2_level(_normalise(other), scale), atol=2e-6)
        assert level.shape == before.shape


def test_sums_too_large_for_int32_are_exact_in_float64(monkeypatch):
    monkeypatch.setattr(pyramid, "_INT32_PIXELS", 100)  # as a 9-megapixel image would be
    rgb = np.full((40, 60, 3), 255, np.uint8)
    rgb[::2] = 0
    levels = list(pyramid.Pyramid().levels(rgb, _normalise(rgb), [0.1, 0.05]))
    for scale, level in levels:
        np.testing.assert_allclose(level, cv2_level(_normalise(rgb), scale), atol=2e-6)


def test_area_mean_of_whole_pixel_cells_is_the_block_mean():
    rgb = np.random.default_rng(0).integers(0, 256, (60, 90, 3), dtype=np.uint8)
    integral = cv2.integral(rgb, sdepth=cv2.CV_32S)
    blocks = rgb.reshape(20, 3, 30, 3, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(pyramid.area_mean(integral, 20, 30), blocks, atol=1e-9)


def test_the_detector_finds_the_same_faces_as_with_cv2_levels_only(photos, monkeypatch):
    detector = FaceDetector()
    for path in photos[:4]:
        rgb = load_rgb(path)
        monkeypatch.setattr(pyramid, "SMALL", 1 / 32)
        fast = detector.detect(rgb)
        monkeypatch.setattr(pyramid, "SMALL", 0)  # every level by cv2.resize, as before
        slow = detector.detect(rgb)
        assert len(fast) == len(slow) >= 1
        for a, b in zip(fast, slow):
            np.testing.assert_allclose(a.box, b.box, atol=0.01)
            np.testing.assert_allclose(a.landmarks, b.landmarks, atol=0.01)
