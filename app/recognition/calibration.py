"""Decisions that know a face's quality (issue 19): how far the verify and identify
thresholds move for a face of a given size, colour and sharpness, and when a face is too
small to name.

Measured on LFW dev pairs made into camera frames (scripts/bench_conditions.py: faces of
16-64 px in 640x480, dim IR night, motion blur, JPEG 25, combined; then
scripts/calibrate_conditions.py, reports/conditions_calibration.json): on a small, grey or
blurred face the same person lands farther away (verify's best threshold 1.13 at 20 px,
1.20 at 16 px, 1.15-1.23 at night, against 1.10 on clean photos), while strangers do not
come nearer (compared with colour photos, grey faces drift away from everyone). So the
thresholds rise for poor faces, by the fitted amount but at most CAP (larger moves, fitted
on the pool of conditions, cost the plain small faces more than they gained elsewhere),
identify's only as far as still names <= 1 % of strangers less a margin. Colour sharp faces
of a photo's size (CLEAN_PX and more) keep the configured thresholds; the same faces of
32 px up to that in a camera frame keep verify's, but identify's tightens: a few strangers
there come nearer their lookalikes than on photos (1.1-1.2 % of them named at the configured
threshold, against 0.7 % on photos). Fitted on all the dev people; on 5
disjoint splits most offsets moved by <= 0.02, the blurred colour faces' of 32 px and more
by up to 0.06 (few pairs there; docs/CAMERAS.md).
"""
from __future__ import annotations

from .quality import FaceConditions


# A crop whose Laplacian variance is below this is blurred (motion, focus, or a small face
# upscaled); measured on LFW frames: 64 px faces 30 (median), blurred 7 px 11, 20 px faces 10.
BLURRED = 12.0
# A colour sharp face this large or larger is a photo's (LFW's faces measure 74-135 px, 99 %
# of them 74 or more; a camera's are smaller): it keeps the configured thresholds, tuned on
# photos. The same face of 32 px up to this, in a camera frame, is verified as well, but its
# strangers come nearer: identify's threshold tightens there (BANDS).
CLEAN_PX = 72
# Bands of face size (the box's shorter side, px), largest first; below the last one a face
# is not named. Each band: (greyscale, blurred) -> (verify offset, identify offset), added to
# FACES_VERIFY_THRESHOLD and to each face's identify threshold (after crowding). Colour sharp
# faces of 32 px up to CLEAN_PX are one cell of the fit (CAMERA_SHARP; both bands).
CAMERA_SHARP = (0.000, -0.022)
BANDS = (
    (48, {(False, False): CAMERA_SHARP, (False, True): (0.033, -0.016),
          (True, False): (0.050, 0.024), (True, True): (0.050, 0.042)}),
    (32, {(False, False): CAMERA_SHARP, (False, True): (0.050, -0.015),
          (True, False): (0.050, 0.048), (True, True): (0.050, 0.049)}),
    (24, {(False, False): (0.020, -0.017), (False, True): (0.050, -0.002),
          (True, False): (0.050, 0.024), (True, True): (0.050, 0.024)}),
    (18, {(False, False): (0.050, 0.015), (False, True): (0.050, 0.012),
          (True, False): (0.050, 0.024), (True, True): (0.050, 0.050)}),
    # 15: the smallest faces measured (the benchmark's 16 px faces measure 15-17 px).
    (15, {(False, False): (0.050, 0.004), (False, True): (0.050, 0.004),
          (True, False): (0.050, 0.024), (True, True): (0.050, 0.050)}),
)
# Cells with too few dev pairs to fit (grey faces of 18-32 px but the blurred 18-24, colour
# sharp faces under 18 px) take a neighbour's value: the grey ones the smallest grey
# loosening measured (0.024), the small colour one its blurred twin's.
MIN_NAMED_PX = BANDS[-1][0]
# A greyscale/IR face matched in the grey gallery (app/faces/grey.py): grey against grey,
# the same person and strangers both come nearer than grey against colour, so its identify
# offsets are fitted apart (scripts/calibrate_conditions.py, its default --gallery grey, on
# the night conditions: reports/conditions_calibration_grey.json). Per band: blurred ->
# identify offset. Night frames under 32 px are all blurred: the sharp grey cells there take
# the 32-48 px one. Blurred 18-32 px: none (fitted 0.026 at 18-24 px, 0.013-0.046 by split,
# it named 0.2 % more people at night 20 px and up to 1.6 % of one split's strangers).
# Refitted at 32-48 px once dark frames were lifted (lowlight.py): their faces came nearer
# everyone, and the old 0.022 / 0.035 named 1.1 % of the strangers of the night, blurred,
# JPEG 40 px frames (now 0.005 / 0.003; 48 px and more moved by 0.001: kept).
GREY_GALLERY = (
    (48, {False: -0.001, True: 0.031}),
    (32, {False: 0.005, True: 0.003}),
    (24, {False: 0.005, True: 0.000}),
    (18, {False: 0.005, True: 0.000}),
    (15, {False: 0.005, True: 0.050}),
)


def offsets(conditions: FaceConditions) -> tuple[float, float] | None:
    """(verify offset, identify offset) for a face; None when it is too small to name."""
    blurred = conditions.sharpness < BLURRED
    if conditions.face_px >= CLEAN_PX and not (conditions.greyscale or blurred):
        return 0.0, 0.0
    for min_px, table in BANDS:
        if conditions.face_px >= min_px:
            return table[(conditions.greyscale, blurred)]
    return None


def too_poor(conditions: FaceConditions) -> str | None:
    """Why a face cannot be named ("face 14 px, too small to name"), or None."""
    if offsets(conditions) is None:
        return f"face {conditions.face_px:.0f} px, too small to name (needs {MIN_NAMED_PX:.0f} px)"
    return None


# Verify only (issue 19; docs/CAMERAS.md, "Verify's small and blurred faces"; measured by
# scripts/bench_conditions.py, whose cache keeps verify's embeddings). A colour face under
# UPSCALED_PX is aligned again with bicubic interpolation before verify compares it
# (upscaled 5-10x, linear interpolation leaves the encoder a staircase): the same person then
# lands nearer, so such faces get offsets of their own, per band: blurred -> verify offset
# (fitted on 1,000 pairs at 20 and 16 px; the 16 px faces need more than the others' 0.05
# cap: their best threshold is 1.17).
UPSCALED_PX = 24
UPSCALED = ((18, {False: 0.0075, True: 0.025}), (15, {False: 0.045, True: 0.080}))
# A colour face of 32 px or more counts as blurred for verify below this Laplacian variance:
# a 7 px motion blur leaves 39 % of 64 px faces at 12-16 (sharp 64 px faces: 11 % under 16),
# and their distances are a blurred face's.
VERIFY_BLURRED = 16.0


# Verify only: a colour camera face (under CLEAN_PX) from a JPEG saved at low quality (read
# from the file's tables, quality.jpeg_quality). Blocking moves the same person much farther
# away: at 20 px and quality 25 the best threshold is 1.29, where the plain 20 px face's is
# 1.09. Fitted by scripts/calibrate_verify.py at qualities 25 and 50, each file taking the
# nearer (up to 37: 25's cells; up to 62: 50's; above, e.g. LFW's own 75, nothing moves),
# at most 0.15; per quality: (px from, px to) -> blurred (VERIFY_BLURRED from 32 px, BLURRED
# under) -> verify offset. Sizes without enough pairs keep the rules above. Held out on 5
# splits: JPEG 25 at 20 / 28 / 40 px 72.1 -> 84.3 / 92.4 / 97.1 %, quality 50 at 20 px
# 85.4 -> 89.6 %, every other condition unchanged (docs/CAMERAS.md).
COMPRESSED = (
    (37, (((32, CLEAN_PX), {False: 0.064, True: 0.013}), ((24, 32), {False: 0.066, True: 0.102}),
          ((18, 24), {False: 0.141, True: 0.150}))),
    (62, (((32, CLEAN_PX), {False: -0.009, True: 0.025}), ((18, 24), {False: 0.062, True: 0.146}))),
)


def compressed_offset(conditions: FaceConditions) -> float | None:
    """Verify's offset for a colour face from a low-quality JPEG (COMPRESSED), or None."""
    quality = conditions.jpeg_quality
    if conditions.greyscale or quality is None:
        return None
    bands = next((bands for top, bands in COMPRESSED if quality <= top), ())
    blurred = conditions.sharpness < (VERIFY_BLURRED if conditions.face_px >= 32 else BLURRED)
    return next((table[blurred] for (lo, hi), table in bands if lo <= conditions.face_px < hi), None)


def upscaled(conditions: FaceConditions) -> bool:
    """Whether verify aligns this face again with bicubic interpolation (a small colour face)."""
    return not conditions.greyscale and MIN_NAMED_PX <= conditions.face_px < UPSCALED_PX


def verify_offset(conditions: FaceConditions) -> float | None:
    """What one face adds to the verify threshold; None when it is too small to name."""
    moved = offsets(conditions)
    if moved is None:
        return None
    if (heavy := compressed_offset(conditions)) is not None:
        return heavy
    if upscaled(conditions):
        return next(table[conditions.sharpness < BLURRED] for min_px, table in UPSCALED
                    if conditions.face_px >= min_px)
    if conditions.greyscale or conditions.face_px < 32:
        return moved[0]
    table = next(table for min_px, table in BANDS if conditions.face_px >= min_px)
    return table[(False, conditions.sharpness < VERIFY_BLURRED)][0]


def verify_threshold(base: float, *faces: FaceConditions) -> float:
    """The verify threshold for two faces: `base` moved for the poorer of them (the one
    whose offset moves it most)."""
    moved = [m for m in map(verify_offset, faces) if m is not None]
    return base + max(moved, key=abs, default=0.0)


def identify_offset(conditions: FaceConditions, grey_gallery: bool = False) -> float:
    """What is added to a face's identify threshold (after crowding) for its quality, and
    for a greyscale face matched in the grey gallery (GREY_GALLERY) rather than in colour."""
    moved = offsets(conditions)
    if moved is None:
        return 0.0
    if grey_gallery and conditions.greyscale:
        return next(table[conditions.sharpness < BLURRED] for min_px, table in GREY_GALLERY
                    if conditions.face_px >= min_px)
    return moved[1]
