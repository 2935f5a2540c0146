"""The crops MTCNN's second and third stages see: bilinear patches under boxes, as
TensorFlow's crop_and_resize samples them (app/recognition/detect.py)."""
from __future__ import annotations

import numpy as np


def crop_resize(img: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """(N, size, size, 3) float32 patches of img (H, W, 3) under boxes (N, >=4).

    Matches tf.image.crop_and_resize as the package calls it (box divided by the image
    size, so samples span x1..x2 scaled by (W-1)/W): bilinear, and 0 (mid-grey once
    normalised) for sample rows or columns that fall outside the image.
    """
    steps = np.arange(size) / (size - 1)

    def samples(lo, hi, n):  # (N,) box edges -> neighbour indices, weights, inside mask
        at = (lo[:, None] + (hi - lo)[:, None] * steps) * ((n - 1) / n)
        inside = (at >= 0) & (at <= n - 1)
        at = np.clip(at, 0, n - 1)
        first = np.floor(at).astype(np.intp)
        return first, np.minimum(first + 1, n - 1), (at - first).astype(np.float32), inside

    y0, y1, wy, in_y = samples(boxes[:, 1], boxes[:, 3], img.shape[0])
    x0, x1, wx, in_x = samples(boxes[:, 0], boxes[:, 2], img.shape[1])
    # Gathers by flat pixel index (np.take) are ~2.5x faster than 2-D fancy indexing.
    pixels = img.reshape(-1, 3)
    row0, row1 = (y0 * img.shape[1])[:, :, None], (y1 * img.shape[1])[:, :, None]
    x0, x1, wx = x0[:, None, :], x1[:, None, :], wx[:, None, :, None]
    top = np.take(pixels, row0 + x0, axis=0)  # (N, size, size, 3)
    top += (np.take(pixels, row0 + x1, axis=0) - top) * wx
    bottom = np.take(pixels, row1 + x0, axis=0)
    bottom += (np.take(pixels, row1 + x1, axis=0) - bottom) * wx
    top += (bottom - top) * wy[:, :, None, None]
    top *= (in_y[:, :, None] & in_x[:, None, :])[..., None]
    return top
