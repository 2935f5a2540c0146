"""MTCNN's first network (PNet) over one pyramid level, with bounded memory.

A LiteRT interpreter's working memory grows with its input: PNet needs about 200 bytes
per input pixel (a 1600x1200 level: 380 MB), and each interpreter keeps it for as long as
it is kept. So a level larger than TILE x TILE runs as overlapping TILE x TILE tiles,
whose outputs are pasted together, and the interpreters kept for re-use (re-planning one
costs 3-5 runs) are bounded by the total input area they were planned for.

PNet is fully convolutional: output cell (i, j) sees exactly the 12x12 input window at
rows 2i..2i+11 and columns 2j..2j+11. Tiles start at even offsets and overlap by 10 rows
and columns (window minus stride), so every window lies whole in one tile and gets the
same numbers as in one run over the level. The one difference: a tiled level of odd height
or width loses the row or column of windows that hang one pixel off its edge (one run
computes them with the pooling layer's padding).
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

import app.recognition.mtcnn_nets as mtcnn_nets

TILE = 384  # input side of a tile: ~30 MB of interpreter memory
_OVERLAP = 10  # input rows (and columns) that neighbouring tiles share: 12 - 2
# Interpreters kept: at most this much input area in all (about 60 MB). It holds the whole
# pyramid of a 640x480 frame (min face 20 px: 220,000 pixels), so the common case never
# re-plans; the pyramid of a 1600 px image (tiles, then smaller levels) mostly fits.
CACHE_PIXELS = 2 * TILE * TILE


class TiledPNet:
    """Runs PNet on a whole level, tiled when it is large. Not thread-safe: callers
    serialise access (as FaceDetector does).

    Args:
        flatbuffer: PNet as LiteRT (mtcnn_nets.flatbuffers()["pnet"]).
        num_threads: CPU threads per interpreter.
        tile: tile side in pixels (even, > 12); levels of at most tile x tile pixels run
            whole, at their own shape.
        cache_pixels: total input area of the interpreters kept (least recently used go).
    """

    def __init__(self, flatbuffer: bytes, num_threads: int, tile: int = TILE,
                 cache_pixels: int = CACHE_PIXELS):
        if tile % 2 or tile <= 12:
            raise ValueError("tile must be even and larger than 12")
        self._flatbuffer = flatbuffer
        self._num_threads = num_threads
        self.tile = tile
        self.cache_pixels = cache_pixels
        self._nets: OrderedDict[tuple[int, int], mtcnn_nets.CompiledNet] = OrderedDict()

    def __call__(self, level: np.ndarray) -> np.ndarray:
        """level: (h, w, 3) float32, normalised, h and w >= 12.

        Returns (h', w', 5) float32: box regression (4) and face probability of the window
        at 2i, 2j; h' = ceil((h - 2) / 2) - 4 when run whole, (h - 12) // 2 + 1 when tiled.
        """
        height, width = level.shape[:2]
        if height * width <= self.tile * self.tile:
            return self._net((height, width))(level[None])[0]
        height, width = height - height % 2, width - width % 2  # tiles start at even offsets
        rows, cols = min(height, self.tile), min(width, self.tile)
        out = np.empty(((height - 12) // 2 + 1, (width - 12) // 2 + 1, 5), np.float32)
        net = self._net((rows, cols))
        for top in _starts(height, rows):
            for left in _starts(width, cols):
                part = net(np.ascontiguousarray(level[None, top:top + rows, left:left + cols]))[0]
                out[top // 2: top // 2 + part.shape[0], left // 2: left // 2 + part.shape[1]] = part
        return out

    @property
    def kept_pixels(self) -> int:
        """Input area of the interpreters kept now (each holds ~200 bytes per pixel)."""
        return sum(h * w for h, w in self._nets)

    def _net(self, shape: tuple[int, int]) -> mtcnn_nets.CompiledNet:
        net = self._nets.pop(shape, None)
        if net is None:
            net = mtcnn_nets.CompiledNet(self._flatbuffer, self._num_threads)
        area = shape[0] * shape[1]
        while self._nets and self.kept_pixels + area > self.cache_pixels:
            self._nets.popitem(last=False)  # least recently used first
        self._nets[shape] = net
        return net


def _starts(size: int, tile: int) -> list[int]:
    """Even offsets of tiles of `tile` (even) covering 0..size (even), the last ending at
    size, each overlapping the one before by at least _OVERLAP."""
    return list(range(0, size - tile, tile - _OVERLAP)) + [size - tile]
