"""Where a recognition cycle looks for faces: a cheap motion test per camera (issue 25).

MTCNN over the whole frame is most of a camera's CPU, yet a door camera sees a still, empty
hall most of the day and a face it follows stays about where it was. Each cycle compares a
160x120 grey copy of the frame with the previous cycle's and plans the detection:
- nothing, when no face is tracked and nothing moved (the stream's boxes stay as they are);
- near each face found in the last cycle: MTCNN's last two stages on boxes about where it
  was (FaceDetector.detect_near: 2 network runs for all of them, no image pyramid); one
  they miss (they miss some faces the whole detector finds) is looked for in its region,
  in the same cycle when cycles are far apart (a browser's camera), else in the next;
- regions: around a tracked face the last cycle missed, for faces of about its size (a
  short pyramid), and around the motion no track explains, for faces of any size;
- the whole frame every `full_every` seconds (a face that came in too slowly to be seen
  moving, or one a region lost, is found within that bound), on the first frame, and when
  the regions would cost about as much as the frame.
Boxes are pixels of the full frame: x1, y1, x2, y2.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import cv2
import numpy as np

SMALL = (160, 120)  # the motion test's copy (width, height): a pixel is 4x4 of a 640x480 frame
# Grey levels (0..255) a pixel of the copy must change by to count as moving: sensor noise,
# averaged over the 4x4 pixels it covers, stays well under it.
PIXEL_CHANGE = 16
_OPEN = np.ones((3, 3), np.uint8)  # motion smaller than 3x3 pixels of the copy is noise
LOOK_AROUND = 0.3  # seconds a face missed by a cycle is looked for with a short pyramid
TRACK_GROW = 0.5  # a tracked face's region: its box grown by this much of its side each way,
TRACK_FACE = 0.5  # searched for faces of at least this much of its side (10 cycles a second)
# Where a face found in the last cycle is looked for: its box moved by (x, y) of its side
# and scaled (RNet's regression does the rest; each candidate costs ~0.13 ms of RNet).
NEAR_SIZE, NEAR_MOVE = (0.75, 1.33), 0.4  # what the follow may find: a face this much larger
# or smaller than the followed one, its centre moved by at most this much of its side
NEAR = (((0, 0), 1.0), ((-0.2, 0), 1.0), ((0.2, 0), 1.0), ((0, -0.2), 1.0), ((0, 0.2), 1.0),
        ((0, 0), 0.7), ((0, 0), 0.85), ((0, 0), 1.2))
# The region of the motion no track explains: the box of all of it (a face's motion comes
# in pieces: edges, eyes, mouth), grown by this much of its side and by this many smallest
# faces each way (a blink is enough to look at the face around it).
MOTION_GROW, MOTION_FACES = 0.25, 2.0
# Region sides are multiples of this (pixels): PNet plans an interpreter per input shape
# (app/recognition/pnet_tiles.py), and shapes new at every cycle would be planned every cycle.
GRID = 32
FULL_COST = 0.6  # regions dearer than this share of the whole frame: detect the whole frame
PNET_WINDOW = 12  # PNet's smallest face, in pixels of the copy the detector works on


class Plan(NamedTuple):
    """Where a cycle looks for faces (none: nowhere, the cycle is skipped)."""

    followed: np.ndarray  # (F, 4) boxes of the faces followed from the last cycle
    regions: list  # Region: boxes to run the whole detector in
    size: tuple[int, int] = (0, 0)  # the frame's (width, height), pixels
    min_face: float = 0.0  # smallest_face() of the frame
    # A face the follow misses is looked for in its region in this cycle (pick) when the
    # last cycle was more than LOOK_AROUND ago: the next may come too late to keep it in
    # view. At 10 cycles a second the next cycle's region finds it in time (plan()).
    look_now: bool = False

    def __bool__(self) -> bool:
        return bool(len(self.followed) or self.regions)

    @property
    def near(self) -> np.ndarray:
        """(F * len(NEAR), 4) candidate boxes for FaceDetector.detect_near."""
        return np.concatenate([_near(b) for b in self.followed]) if len(self.followed) else self.followed

    def pick(self, found: list) -> tuple[list, list]:
        """Of the faces the follow found (Detections), each followed face's: the one that
        moved least, about as wide and as high (NEAR_SIZE), within NEAR_MOVE of its size.
        The last two stages also answer yes to half a face, and the best score among a
        face's candidates moves from cycle to cycle: a track would wander onto a part.
        Returns those faces and, with look_now, the regions (Region) to look in at once for
        each followed face none of `found` fits: the last two stages miss some faces the
        whole detector finds (one at an angle), and with cycles far apart a face standing
        still went unseen until the next whole-frame detection (no motion brings a region)."""
        out, lost = [], []
        for box in self.followed:
            size = np.maximum(box[2:] - box[:2], 1)
            best, least = None, NEAR_MOVE
            for d in found:
                ratio = (d.box[2:] - d.box[:2]) / size
                moved = float(np.abs((d.box[:2] + d.box[2:] - box[:2] - box[2:]) / 2 / size).max())
                if NEAR_SIZE[0] <= ratio.min() and ratio.max() <= NEAR_SIZE[1] and moved <= least:
                    best, least = d, moved
            if best is None:
                if self.look_now:
                    lost.append(_around_track(box, *self.size, self.min_face))
            elif all(best is not o for o in out):
                out.append(best)
        return out, lost


class Region(NamedTuple):
    """A box of the frame to detect in (pixels) and the smallest face looked for there."""

    x1: int
    y1: int
    x2: int
    y2: int
    min_face: float


def smallest_face(height: int, width: int, min_face: float, max_side: int | None) -> float:
    """The smallest face (frame pixels) the detector finds on the whole frame: its
    min_face_size, but never under PNet's window on the copy of longer side max_side."""
    if max_side is None or max(height, width) <= max_side:
        return float(min_face)
    return max(float(min_face), PNET_WINDOW * max(height, width) / max_side)


class MotionGate:
    """Plans the detection of each recognition cycle of one camera (its cycles run one at a
    time: not thread-safe).

    Args:
        full_every: seconds between detections of the whole frame, whatever moved.
    """

    def __init__(self, full_every: float = 2.0):
        self.full_every = full_every
        self._previous: np.ndarray | None = None  # the last cycle's grey copy
        self._last_full = float("-inf")
        self._last: float | None = None  # the last cycle's time

    def plan(self, frame: np.ndarray, now: float, tracks: list, min_face: float) -> Plan | None:
        """frame: (H, W, 3) uint8; now: its time (monotonic seconds); tracks: (box (4,),
        when it was last found) of each tracked face; min_face: smallest_face() of the
        frame. Returns None: detect the whole frame; else where to look (an empty Plan:
        nowhere)."""
        grey = cv2.cvtColor(cv2.resize(frame, SMALL, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        (previous, self._previous), (last, self._last) = (self._previous, grey), (self._last, now)
        if previous is None or previous.shape != grey.shape or now - self._last_full >= self.full_every:
            return self._full(now)
        height, width = frame.shape[:2]
        moving = (cv2.absdiff(previous, grey) > PIXEL_CHANGE).astype(np.uint8)
        scale = np.array([SMALL[0] / width, SMALL[1] / height] * 2)
        near, regions = [], []
        for box, seen in tracks:
            box = np.asarray(box, np.float64)
            if seen == last or now - seen > LOOK_AROUND:  # found just now, or lingering
                near.append(box)
            else:
                regions.append(_around_track(box, width, height, min_face))
            x1, y1, x2, y2 = np.clip(_person(box) * scale, 0, SMALL * 2).astype(int)
            moving[y1:y2 + 1, x1:x2 + 1] = 0  # a followed person's motion is theirs
        motion = _motion_box(moving)
        if motion is not None:
            regions.append(_around_motion(motion / scale, width, height, min_face))
        cost = sum((r.x2 - r.x1) * (r.y2 - r.y1) / r.min_face ** 2 for r in regions)
        if cost >= FULL_COST * width * height / min_face ** 2:
            return self._full(now)
        return Plan(np.array(near).reshape(-1, 4), regions, (width, height), min_face,
                    look_now=now - last > LOOK_AROUND)

    def _full(self, now: float) -> None:
        self._last_full = now
        return None


def _motion_box(moving: np.ndarray) -> np.ndarray | None:
    """The box (x1, y1, x2, y2 in the copy's pixels) of a 0/1 motion mask's motion, less
    the specks (noise) of under 3x3 pixels; None: nothing moved."""
    moving = cv2.morphologyEx(moving, cv2.MORPH_OPEN, _OPEN)
    points = cv2.findNonZero(moving)
    if points is None:
        return None
    x, y, w, h = cv2.boundingRect(points)
    return np.array([x, y, x + w, y + h], np.float64)


def _near(box: np.ndarray) -> np.ndarray:
    """(len(NEAR), 4) candidate boxes about a face found at `box` in the last cycle."""
    side = max(box[2] - box[0], box[3] - box[1])
    centre = (box[:2] + box[2:]) / 2
    return np.array([np.concatenate([centre + np.multiply(move, side) - side * scale / 2,
                                     centre + np.multiply(move, side) + side * scale / 2])
                     for move, scale in NEAR])


def _person(box: np.ndarray) -> np.ndarray:
    """Where a face's person moves (x1, y1, x2, y2): a face's width each side of it, a
    quarter above and four faces below (the body)."""
    side = max(box[2] - box[0], box[3] - box[1])
    cx = (box[0] + box[2]) / 2
    return np.array([cx - side, box[1] - side / 4, cx + side, box[3] + 4 * side])


def _around_track(box: np.ndarray, width: int, height: int, min_face: float) -> Region:
    """A tracked face's region: faces of about its size (PNet's window at TRACK_FACE of
    its side, on a grid of 8 pixels so that the pyramid's shapes repeat)."""
    side = float(max(box[2] - box[0], box[3] - box[1]))
    face = max(min_face, 8 * math.floor(TRACK_FACE * side / 8))
    return _snapped(box, side * TRACK_GROW, width, height, face)


def _around_motion(box: np.ndarray, width: int, height: int, min_face: float) -> Region:
    grow = MOTION_GROW * max(box[2] - box[0], box[3] - box[1]) + MOTION_FACES * min_face
    return _snapped(box, grow, width, height, min_face)


def _snapped(box: np.ndarray, grow: float, width: int, height: int, min_face: float) -> Region:
    """box grown by `grow` pixels each way, its sides rounded up to GRID, moved inside the
    frame (a region is never larger than the frame)."""
    w = min(width, GRID * math.ceil((box[2] - box[0] + 2 * grow) / GRID))
    h = min(height, GRID * math.ceil((box[3] - box[1] + 2 * grow) / GRID))
    # Corners on even pixels: a crop's copy at half size has the whole frame's copy's pixels.
    x1 = 2 * int(np.clip((box[0] + box[2] - w) / 4, 0, (width - w) // 2))
    y1 = 2 * int(np.clip((box[1] + box[3] - h) / 4, 0, (height - h) // 2))
    return Region(x1, y1, x1 + w, y1 + h, min_face)
