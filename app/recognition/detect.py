"""Face detection: the MTCNN cascade of the `mtcnn` package, with its weights, run compiled.

Same algorithm and numbers as `mtcnn.MTCNN().detect_faces` (pyramid rule, box arithmetic,
its "fast" NMS, crop sampling), but the networks run as LiteRT/XNNPACK interpreters
(see `mtcnn_nets`) and RNet/ONet each run once on a batch of all candidates.
Coordinates are pixels, x to the right, y down; boxes are x1, y1, x2, y2.
"""
from __future__ import annotations

import math
import threading
from pathlib import Path

import cv2
import numpy as np

import app.recognition.mtcnn_nets as mtcnn_nets
import app.recognition.pyramid as pyramid
from app.recognition.crop_resize import crop_resize
from app.recognition.pnet_tiles import TiledPNet
from app.recognition.types import Detection

_WINDOW = 12  # PNet sees 12x12 windows, at a stride of 2 pixels of its pyramid level
_NMS_CHUNK = 128  # rows of the pairwise-overlap matrix computed at once (bounds memory)
# Boxes that go into each NMS and each network, the highest-scoring ones: the time of NMS
# grows with the square of their number, the memory of RNet and ONet with it. A photo of a
# crowd gives a few hundred per pyramid level; a mosaic of thousands of tiny faces would
# otherwise take minutes and gigabytes.
_MAX_BOXES = 4096
_BATCH = {"rnet": 128, "onet": 16}  # candidates per RNet / ONet run: ~10 / ~6 MB of memory,
# kept by the interpreter after the largest batch it ran; larger batches are not faster


class FaceDetector:
    """MTCNN face detector; networks load on the first `detect`, which is thread-safe.

    min_face_size: smallest face looked for, in pixels of the image given to `detect`.
    max_side: if set, larger images are detected on a copy whose longer side is max_side.
    thresholds: face-probability cut-offs of PNet, RNet and ONet.
    scale_factor: ratio between consecutive image-pyramid levels.
    num_threads: CPU threads each network may use.
    models_dir: where the compiled networks are kept between processes (None: convert
        in memory in every process, which imports TensorFlow and takes seconds).
    """

    def __init__(self, min_face_size: int = 20, max_side: int | None = None,
                 thresholds: tuple[float, float, float] = (0.6, 0.7, 0.8),
                 scale_factor: float = 0.709, num_threads: int = 2,
                 models_dir: Path | None = None):
        if min_face_size <= 0 or not 0 < scale_factor < 1 or num_threads < 1:
            raise ValueError("need min_face_size > 0, 0 < scale_factor < 1, num_threads >= 1")
        if max_side is not None and max_side < _WINDOW:
            raise ValueError(f"max_side must be at least {_WINDOW}")
        self.min_face_size = min_face_size
        self.max_side = max_side
        self.thresholds = thresholds
        self.scale_factor = scale_factor
        self.num_threads = num_threads
        self.models_dir = models_dir
        self._nets: dict[str, bytes] = {}
        self._lock = threading.Lock()  # LiteRT interpreters must not be used concurrently
        self._pnet: TiledPNet | None = None
        self._pyramid_levels = pyramid.Pyramid()
        self._rnet: mtcnn_nets.CompiledNet | None = None
        self._onet: mtcnn_nets.CompiledNet | None = None

    def detect(self, rgb: np.ndarray, min_face_size: float | None = None) -> list[Detection]:
        """rgb: (H, W, 3) uint8 RGB. Returns faces sorted by score, highest first; [] when none.

        min_face_size: this call's smallest face (pixels of rgb), else the detector's.
        max_side: when set and the image's longer side is larger, detection runs on a copy
        downscaled so that its longer side is max_side, and boxes/landmarks are mapped back
        to the original image's pixels. min_face_size is in original-image pixels, but
        never less than 12 pixels of the copy (the copy is not enlarged; see _pyramid):
        with max_side 1600, a 4000 px wide photo is searched for faces of 30 px or more.
        Boxes are clipped to 0..W-1, 0..H-1 like the package's; landmarks are not.
        """
        work, to = self._work(rgb)
        img = _normalise(work)
        scales = _pyramid(*img.shape[:2], (min_face_size or self.min_face_size) / to[0], self.scale_factor)
        with self._lock:
            self._load()
            return self._finish(img, self._propose(work, img, scales), to, rgb.shape)

    def detect_near(self, rgb: np.ndarray, candidates: np.ndarray) -> list[Detection]:
        """The faces under candidate boxes ((N, 4), pixels of rgb), by the second and third
        stages alone: live video follows a face from where it just was, in 2 network runs
        where the image pyramid takes 10 or more. Returns what detect returns."""
        work, to = self._work(rgb)
        img = _normalise(work)
        boxes = np.asarray(candidates, np.float64).reshape(-1, 4) / (to[0], to[1], to[0], to[1])
        with self._lock:
            self._load()
            return self._finish(img, _square(boxes), to, rgb.shape)

    def _finish(self, img: np.ndarray, boxes: np.ndarray, to: tuple[float, float],
                shape: tuple[int, ...]) -> list[Detection]:
        """Stages 2 and 3 on square boxes (N, >=4) of the copy, as Detections in the pixels
        of the image of `shape` (boxes clipped to it)."""
        if len(boxes):
            boxes = self._refine(img, boxes)
        if not len(boxes):
            return []
        boxes, marks = self._output(img, boxes)
        boxes[:, 0:4] *= (to[0], to[1], to[0], to[1])
        marks *= to
        height, width = shape[:2]
        np.clip(boxes[:, 0:4], 0, (width - 1, height - 1, width - 1, height - 1), out=boxes[:, 0:4])
        return [Detection(box=b[:4].astype(np.float32), score=float(b[4]),
                          landmarks=m.astype(np.float32)) for b, m in zip(boxes, marks)]

    def _work(self, rgb: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        """The uint8 image detection runs on (rgb, or a copy of at most max_side) and its
        (x, y) factors back to rgb's pixels."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8 or rgb.size == 0:
            raise ValueError(f"expected an (H, W, 3) uint8 image, got {rgb.shape} {rgb.dtype}")
        height, width = rgb.shape[:2]
        work = rgb
        if self.max_side is not None and max(height, width) > self.max_side:
            f = self.max_side / max(height, width)
            size = (max(1, round(width * f)), max(1, round(height * f)))
            work = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        return work, (width / work.shape[1], height / work.shape[0])

    def release(self) -> None:
        """Drop the interpreters and what they were planned for (PNet's per-shape ones:
        ~45 MB after a 640x480 photo, at most ~60 MB; RNet's and ONet's largest batch, up
        to ~12 MB; the pyramid's integral buffer, at most 8 MB); the next `detect` plans
        them again (~40 ms more for a 640x480 photo)."""
        with self._lock:
            self._pnet = self._rnet = self._onet = None
            self._pyramid_levels = pyramid.Pyramid()

    def _load(self) -> None:
        if self._rnet is None:
            self._nets = self._nets or mtcnn_nets.flatbuffers(self.models_dir)
            self._pnet = TiledPNet(self._nets["pnet"], self.num_threads)
            self._rnet = mtcnn_nets.CompiledNet(self._nets["rnet"], self.num_threads)
            self._onet = mtcnn_nets.CompiledNet(self._nets["onet"], self.num_threads)

    def _propose(self, work: np.ndarray, img: np.ndarray, scales: list[float]) -> np.ndarray:
        """Stage 1, PNet over the pyramid. work: (H, W, 3) uint8; img: work normalised,
        float32.

        Returns (N, 5) square boxes x1, y1, x2, y2, score in img pixels.
        """
        found = []
        for scale, level in self._pyramid_levels.levels(work, img, scales):
            out = self._pnet(level)  # (h, w, 5)
            ys, xs = _top(out[:, :, 4], self.thresholds[0])
            if not len(ys):
                continue
            # Window corners at 2x + 1 and 2x + 12 (likewise y), moved by the regression
            # in units of their difference, 11; the package's (1-based) arithmetic.
            corners = np.stack([xs, ys, xs, ys], axis=1) * 2 + (1, 1, _WINDOW, _WINDOW)
            hits = out[ys, xs]
            boxes = (corners + hits[:, :4] * (_WINDOW - 1)) / scale
            found.append(_nms_sorted(np.column_stack([boxes, hits[:, 4]]), 0.5))
        if not found:
            return np.empty((0, 5))
        return _square(_nms_sorted(_best(np.concatenate(found)), 0.7))

    def _refine(self, img: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        """Stage 2, RNet on the stage-1 boxes in batches; returns (M, 5) square boxes."""
        out = _batched(self._rnet, img, boxes, 24, _BATCH["rnet"])  # (N, 5)
        boxes = np.column_stack([_regress(boxes, out[:, :4]), out[:, 4]])
        return _square(_nms_sorted(boxes[out[:, 4] > self.thresholds[1]], 0.7))

    def _output(self, img: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Stage 3, ONet: final (K, 5) boxes by score, and their (K, 5, 2) landmarks."""
        out = _batched(self._onet, img, boxes, 48, _BATCH["onet"])  # (N, 15)
        prob = out[:, 14]
        # Landmarks are fractions of the (size + 1) of the box ONet saw, offset by -1 px.
        size = boxes[:, 2:4] - boxes[:, 0:2] + 1
        # ONet's points come in Detection's order (left = smaller x, checked on upright faces).
        marks = out[:, 4:14].reshape(-1, 2, 5).transpose(0, 2, 1)  # (N, 5, 2)
        marks = marks * size[:, None] + boxes[:, None, 0:2] - 1
        boxes = np.column_stack([_regress(boxes, out[:, :4]), prob])
        keep = prob > self.thresholds[2]
        boxes, marks = boxes[keep], marks[keep]
        order = _by_score(boxes[:, 4])
        keep = order[_nms(boxes[order, :4], 0.7, by_smaller=True)]
        return boxes[keep], marks[keep]


def _normalise(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 (x - 127.5) / 128, the package's network input scaling."""
    img = rgb.astype(np.float32)
    img -= 127.5
    img *= 1 / 128  # exact: a power of two
    return img


def _pyramid(height: int, width: int, min_face: float, factor: float) -> list[float]:
    """Scales of the image pyramid, by mtcnn.utils.images.build_scale_pyramid.

    The first level makes a min_face face 12 px; levels smaller than 12 px are dropped
    (PNet has nothing to look at there; the package fails on them and finds no face).
    The image is never enlarged: a min_face under 12 px counts as 12 (the package would
    enlarge the image to find faces smaller than PNet's window, at the square of the cost,
    and on a copy already reduced to max_side there is no detail left to find them).
    """
    min_face = max(min_face, _WINDOW)
    count = round(-(math.log(min(height, width) / _WINDOW) / math.log(factor) + 1))
    scales = _WINDOW / min_face * factor ** np.arange(count)
    return [float(s) for s in scales if min(int(height * s), int(width * s)) >= _WINDOW]


def _nms(boxes: np.ndarray, threshold: float, by_smaller: bool = False) -> np.ndarray:
    """Indices of the boxes kept; boxes (N, 4) ordered by score, highest first.

    The package's rule ("fast NMS"): a box is dropped when any higher-scoring box overlaps
    it by more than threshold, even one that is dropped itself. Overlap is intersection
    over union, or over the smaller area when by_smaller.
    """
    x1, y1, x2, y2 = boxes.T
    area = (x2 - x1) * (y2 - y1)
    n = len(boxes)
    dropped = np.zeros(n, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 -> NaN -> not an overlap
        for start in range(0, n - 1, _NMS_CHUNK):
            # Rows: boxes start..stop-1; columns: only the boxes after `start`.
            i, j = slice(start, start + _NMS_CHUNK), slice(start + 1, n)
            width = np.minimum(x2[i, None], x2[j]) - np.maximum(x1[i, None], x1[j])
            height = np.minimum(y2[i, None], y2[j]) - np.maximum(y1[i, None], y1[j])
            inter = np.maximum(0, width) * np.maximum(0, height)
            denom = (np.minimum(area[i, None], area[j]) if by_smaller
                     else area[i, None] + area[j] - inter)
            lower = np.arange(start + 1, n) > np.arange(start, min(start + _NMS_CHUNK, n))[:, None]
            dropped[j] |= ((inter / denom > threshold) & lower).any(axis=0)
    return np.flatnonzero(~dropped)


def _top(scores: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Row and column indices of the scores above threshold; at most _MAX_BOXES, the
    highest (in raster order, as np.nonzero gives them)."""
    ys, xs = np.nonzero(scores > threshold)
    if len(ys) > _MAX_BOXES:
        keep = np.sort(np.argpartition(scores[ys, xs], -_MAX_BOXES)[-_MAX_BOXES:])
        ys, xs = ys[keep], xs[keep]
    return ys, xs


def _best(boxes: np.ndarray) -> np.ndarray:
    """At most _MAX_BOXES rows of boxes (N, >=5), those of highest score (column 4)."""
    if len(boxes) <= _MAX_BOXES:
        return boxes
    return boxes[np.sort(np.argpartition(boxes[:, 4], -_MAX_BOXES)[-_MAX_BOXES:])]


def _batched(net, img: np.ndarray, boxes: np.ndarray, size: int, batch: int) -> np.ndarray:
    """net's output for the crops of img under boxes (N, >=4), `batch` crops at a time."""
    return np.concatenate([net(crop_resize(img, boxes[i:i + batch], size))
                           for i in range(0, len(boxes), batch)])


def _nms_sorted(boxes: np.ndarray, threshold: float) -> np.ndarray:
    """boxes (N, 5) x1, y1, x2, y2, score -> kept rows by IoU NMS, highest score first."""
    boxes = boxes[_by_score(boxes[:, 4])]
    return boxes[_nms(boxes[:, :4], threshold)]


def _by_score(scores: np.ndarray) -> np.ndarray:
    """Indices by descending score. Ties (saturated 1.0 scores are common) are broken the
    way the package's sort_by_scores breaks them, so that NMS keeps the same box."""
    return np.argsort(scores)[::-1]


def _square(boxes: np.ndarray) -> np.ndarray:
    """Grow each box's shorter side to its longer one, about the same centre."""
    boxes = boxes.copy()
    size = boxes[:, 2:4] - boxes[:, 0:2]
    side = size.max(axis=1, keepdims=True)
    boxes[:, 0:2] += (size - side) / 2
    boxes[:, 2:4] = boxes[:, 0:2] + side
    return boxes


def _regress(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    """Move box corners by reg (N, 4), in units of the box's size + 1; returns (N, 4)."""
    size = boxes[:, 2:4] - boxes[:, 0:2] + 1
    return boxes[:, 0:4] + reg * np.tile(size, 2)
