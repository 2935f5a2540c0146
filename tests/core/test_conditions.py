"""A face's conditions (greyscale/IR from the pixels, size, sharpness), the camera
degradations the benchmark makes, and the calibrated rule that a face too poor is not named."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.evaluation.degrade import Condition, degrade
from app.faces.recognize import held_to_quality
from app.recognition.calibration import (CLEAN_PX, MIN_NAMED_PX, identify_offset, too_poor, upscaled,
                                         verify_threshold)
from app.recognition.decode import decode_image
from app.recognition.match import Match
from app.recognition.quality import (FaceConditions, channel_spread, conditions_of, is_greyscale, jpeg_quality,
                                     to_grey)
from support import GOOD, load


@pytest.fixture(scope="module")
def face(pipeline):
    return pipeline.analyze(load(GOOD)).faces[0]


def test_a_colour_face_is_not_greyscale_and_its_grey_copy_is(face):
    assert channel_spread(face.aligned) > 10 and not is_greyscale(face.aligned)
    grey = to_grey(face.aligned)
    assert grey.shape == face.aligned.shape and is_greyscale(grey)


def test_an_ir_frame_is_greyscale_after_heavy_jpeg(pipeline):
    """A night frame (grey, dark, noisy) sent as quality-25 JPEG keeps its channels equal
    within the chroma rounding: still greyscale."""
    data, _ = degrade(load(GOOD), Condition("night", 64, night=True, jpeg=25), seed=1, face_width=85)
    faces = pipeline.analyze(decode_image(data)).faces
    assert faces and all(is_greyscale(f.aligned) for f in faces)


def test_conditions_of_a_face(face):
    c = conditions_of(face.detection, face.aligned)
    assert not c.greyscale and 80 <= c.face_px <= 90 and c.sharpness > 20


def test_degradations_are_seeded_and_place_the_face():
    rgb = load(GOOD)
    a, placed = degrade(rgb, Condition("px20", 20), seed=3, face_width=85)
    b, _ = degrade(rgb, Condition("px20", 20), seed=3, face_width=85)
    c, _ = degrade(rgb, Condition("px20", 20), seed=4, face_width=85)
    assert a == b and a != c
    frame = decode_image(a)
    assert frame.shape == (480, 640, 3)
    box = placed.box(np.array([0, 0, 85, 85]))
    assert box[2] - box[0] == pytest.approx(20)


def test_a_face_too_small_says_so_and_is_never_named():
    tiny = FaceConditions(False, 14.2, 50.0)
    assert too_poor(tiny) == f"face 14 px, too small to name (needs {MIN_NAMED_PX:.0f} px)"
    assert too_poor(FaceConditions(False, MIN_NAMED_PX, 50.0)) is None


def test_only_poorer_faces_move_the_thresholds_and_not_far():
    """Colour, sharp faces of a photo's size keep the configured thresholds (they were tuned
    on such faces); poorer ones move them by at most 0.05; the poorer face of two decides."""
    clean = FaceConditions(False, 90, 150)
    assert verify_threshold(1.09, clean, clean) == 1.09 and identify_offset(clean) == 0
    assert verify_threshold(1.09, clean, FaceConditions(False, 28, 30)) == pytest.approx(1.11)
    assert verify_threshold(1.09, FaceConditions(True, 64, 80), clean) == pytest.approx(1.14)
    for px in (15, 18, 24, 32, 48, 90):
        for grey in (False, True):
            for sharp in (5, 30):
                c = FaceConditions(grey, px, sharp)
                cap = 0.08 if upscaled(c) else 0.05  # verify's bicubic 16 px faces: 1.17 best
                assert abs(identify_offset(c)) <= 0.05 + 1e-9 and abs(verify_threshold(1.09, c) - 1.09) <= cap + 1e-9
                assert abs(identify_offset(c, grey_gallery=True)) <= 0.05 + 1e-9


def test_verify_has_its_own_offsets_for_small_colour_faces_aligned_bicubic():
    """Colour faces under 24 px are compared aligned again, bicubic: the same person lands
    nearer, so a sharp 20 px face moves verify's threshold by 0.0075 (0.05 with the plain
    crop), a blurred 16 px one by 0.08; grey faces and faces of 24 px keep the bands'."""
    assert upscaled(FaceConditions(False, 20, 30)) and not upscaled(FaceConditions(True, 20, 30))
    assert not upscaled(FaceConditions(False, 24, 30)) and not upscaled(FaceConditions(False, 14, 30))
    assert verify_threshold(1.09, FaceConditions(False, 20, 30)) == pytest.approx(1.0975)
    assert verify_threshold(1.09, FaceConditions(False, 20, 5)) == pytest.approx(1.115)
    assert verify_threshold(1.09, FaceConditions(False, 16, 5)) == pytest.approx(1.17)
    assert verify_threshold(1.09, FaceConditions(True, 20, 5)) == pytest.approx(1.14)
    # identify is not moved: it never compares a bicubic crop
    assert identify_offset(FaceConditions(False, 20, 30)) == pytest.approx(0.015)


def test_verify_loosens_for_a_colour_face_from_a_low_quality_jpeg():
    """JPEG quality 25 (up to 37) and 50 (up to 62) have their own verify cells by size and
    blur; quality 75, a grey face, a photo-sized face or one of unknown quality keep theirs."""
    assert verify_threshold(1.09, FaceConditions(False, 20, 30, 25)) == pytest.approx(1.231)
    assert verify_threshold(1.09, FaceConditions(False, 20, 5, 37)) == pytest.approx(1.24)
    assert verify_threshold(1.09, FaceConditions(False, 40, 30, 25)) == pytest.approx(1.154)
    assert verify_threshold(1.09, FaceConditions(False, 40, 14, 25)) == pytest.approx(1.103)
    assert verify_threshold(1.09, FaceConditions(False, 20, 5, 50)) == pytest.approx(1.236)
    assert verify_threshold(1.09, FaceConditions(False, 28, 30, 50)) == verify_threshold(1.09, FaceConditions(False, 28, 30))
    for plain in (FaceConditions(False, 20, 30, 75), FaceConditions(False, 20, 30), FaceConditions(False, 100, 30, 25)):
        assert verify_threshold(1.09, plain) == verify_threshold(1.09, FaceConditions(False, plain.face_px, 30))
    assert verify_threshold(1.09, FaceConditions(True, 40, 30, 25)) == verify_threshold(1.09, FaceConditions(True, 40, 30))
    assert identify_offset(FaceConditions(False, 20, 30, 25)) == identify_offset(FaceConditions(False, 20, 30))


def test_the_jpeg_quality_is_read_from_the_file_s_tables():
    rgb = load(GOOD)
    for quality in (25, 50, 75, 95):
        assert jpeg_quality(cv2.imencode(".jpg", rgb, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()) == quality
    assert jpeg_quality(cv2.imencode(".png", rgb)[1].tobytes()) is None
    assert jpeg_quality(b"not an image") is None and jpeg_quality(b"\xff\xd8\xff\xe0") is None


def test_verify_counts_a_large_face_blurred_below_16_not_12():
    """A 7 px motion blur leaves 39 % of 64 px faces at a Laplacian variance of 12-16: for
    verify they are blurred (+0.033 at 48 px and more); identify keeps the cut at 12."""
    assert verify_threshold(1.09, FaceConditions(False, 64, 14)) == pytest.approx(1.123)
    assert verify_threshold(1.09, FaceConditions(False, 64, 17)) == 1.09
    assert identify_offset(FaceConditions(False, 64, 14)) == identify_offset(FaceConditions(False, 64, 17))


def test_a_camera_face_as_sharp_as_a_photo_is_named_only_nearer():
    """At 64 and 40 px in a camera frame the configured threshold named 1.2-1.3 % of the
    dev strangers (0.7 % on photos): identify's threshold tightens for colour sharp faces of
    32 px up to a photo's size, verify's does not move. A stranger (constructed distance)
    just inside the configured threshold is named on a photo, not in a camera frame."""
    photo, camera = FaceConditions(False, CLEAN_PX, 30.0), FaceConditions(False, 64.0, 30.0)
    assert identify_offset(photo) == 0 and verify_threshold(1.09, photo) == 1.09
    assert -0.05 <= identify_offset(camera) < 0 and verify_threshold(1.09, camera) == 1.09
    assert identify_offset(FaceConditions(False, 40.0, 30.0)) == identify_offset(camera)
    near = Match(label=7, distance=0.795, threshold=0.8)
    assert held_to_quality(near, photo)[0].label == 7
    assert held_to_quality(near, camera)[0].label is None


def test_a_grey_face_in_the_grey_gallery_has_its_own_identify_offset():
    """Grey against grey brings strangers nearer than grey against colour: a sharp grey face
    of 64 px gets no loosening there (0.024 in colour); a colour face ignores the flag."""
    grey = FaceConditions(True, 64, 80)
    assert identify_offset(grey) == pytest.approx(0.024)
    assert identify_offset(grey, grey_gallery=True) == pytest.approx(-0.001)
    colour = FaceConditions(False, 20, 5)
    assert identify_offset(colour, grey_gallery=True) == identify_offset(colour)
    assert identify_offset(FaceConditions(True, 10, 5), grey_gallery=True) == 0.0  # too small: not named anyway
