"""The levels of MTCNN's image pyramid: area-averaged (cv2 INTER_AREA) downscales.

cv2.resize with INTER_AREA reads the whole image for every level: ~0.7 ms a level for a
640x480 frame however small the level, and a 640x480 frame has 10 levels (issue 25's
profile: the pyramid was 16 % of a photo). A level's pixel is the mean of the image over a
rectangle with fractional edges, and that is four look-ups in the image's integral (its
summed-area table), each interpolated bilinearly: the integral of a piecewise-constant
image is bilinear within each pixel, so the interpolation is exact. The small levels are
read that way from one integral of the uint8 image (exact sums, ~0.2 ms), at a cost
in proportion to their own size; the large ones, where reading the image is cheaper than
the look-ups, stay with cv2. Both give the same numbers within float rounding (6e-7).
"""
from __future__ import annotations

import cv2
import numpy as np

# A level of at most this fraction of the image's area is read from the integral: below
# it the look-ups (~4 per output value) cost less than cv2 reading the whole image
# (measured break-even near 1/22 for a 640x480 frame).
SMALL = 1 / 32
# The integral's buffer is kept between calls up to this size (a 640x480 frame's is 3.7 MB):
# allocated afresh, its pages fault in on every call (~900 faults, ~2 ms for 640x480),
# which costs as much as the levels it saves. Larger images allocate it each time.
KEEP_BYTES = 8 << 20
_INT32_PIXELS = (2**31 - 1) // 255


class Pyramid:
    """Makes the levels of one image after another, keeping the integral's buffer. Not
    thread-safe: callers serialise access (as FaceDetector does)."""

    def __init__(self):
        self._buffer: np.ndarray | None = None

    def levels(self, rgb: np.ndarray, img: np.ndarray, scales: list[float]):
        """Yield (scale, level) for each scale: level (int(H*s), int(W*s), 3) float32, the
        INTER_AREA downscale of img.

        rgb: (H, W, 3) uint8 image; img: the same normalised, (rgb - 127.5) / 128, float32.
        """
        height, width = img.shape[:2]
        integral = None
        for scale in scales:
            shape = (int(height * scale), int(width * scale))  # truncated, like the package
            if shape[0] * shape[1] > SMALL * height * width:
                yield scale, cv2.resize(img, shape[::-1], interpolation=cv2.INTER_AREA)
                continue
            if integral is None:
                integral = self._integral(rgb)
            mean = area_mean(integral, *shape)
            yield scale, ((mean - 127.5) * (1 / 128)).astype(np.float32)

    def _integral(self, rgb: np.ndarray) -> np.ndarray:
        """(H+1, W+1, 3) sums of rgb: int32 (exact) up to 8.4 million pixels (255 each
        stays under 2^31), float64 (exact up to 2^53) above."""
        shape = (rgb.shape[0] + 1, rgb.shape[1] + 1, 3)
        if rgb.shape[0] * rgb.shape[1] > _INT32_PIXELS:
            return cv2.integral(rgb, sdepth=cv2.CV_64F)
        if self._buffer is None or self._buffer.shape != shape:
            buffer = np.empty(shape, np.int32)
            self._buffer = buffer if buffer.nbytes <= KEEP_BYTES else None
        else:
            buffer = self._buffer
        return cv2.integral(rgb, sum=buffer, sdepth=cv2.CV_32S)


def area_mean(integral: np.ndarray, height: int, width: int) -> np.ndarray:
    """The image of `integral` ((H+1, W+1, C), cv2.integral) averaged over a height x width
    grid of equal cells, as cv2.resize INTER_AREA does when shrinking: (height, width, C)
    float64."""
    rows, fy = _edges(integral.shape[0] - 1, height)
    cols, fx = _edges(integral.shape[1] - 1, width)
    n, m = height + 1, width + 1  # cell corners down and across
    # The integral at the 4 whole-pixel points about every cell corner: (2n, 2m, C), rows
    # (and columns) of the points before the corners first, then those after them.
    at = integral.take(np.concatenate([rows, rows + 1]), axis=0)
    at = at.take(np.concatenate([cols, cols + 1]), axis=1)
    fy, fx = fy[:, None, None], fx[None, :, None]
    left = at[:n, :m] + (at[n:, :m] - at[:n, :m]) * fy
    right = at[:n, m:] + (at[n:, m:] - at[:n, m:]) * fy
    corner = left + (right - left) * fx
    sums = corner[1:, 1:] - corner[:-1, 1:] - corner[1:, :-1] + corner[:-1, :-1]
    cell = (integral.shape[0] - 1) / height * (integral.shape[1] - 1) / width
    return sums / cell


def _edges(size: int, cells: int) -> tuple[np.ndarray, np.ndarray]:
    """The cells' edges along one axis of `size` pixels: whole pixel (clipped so that the
    next one exists) and the fraction past it; (cells + 1,) each."""
    edge = np.arange(cells + 1) * (size / cells)
    whole = np.minimum(edge.astype(np.int64), size - 1)
    return whole, edge - whole
