"""select_face: which face a photo is about, the one rule for every caller."""
from __future__ import annotations

import numpy as np
import pytest

from app.recognition import Detection, select_face


def face(x: float, y: float, side: float, score: float = 0.99) -> Detection:
    """A square face of `side` pixels with its top-left corner at (x, y)."""
    return Detection(box=np.array([x, y, x + side, y + side], np.float32), score=score,
                     landmarks=np.zeros((5, 2), np.float32))


def test_no_face_selects_nothing_every_way():
    for how in ("largest", "central", "dominant", "subject"):
        assert select_face([], how, image_shape=(480, 640, 3)) is None


def test_largest_is_the_biggest_box_whatever_its_score_or_place():
    faces = [face(10, 10, 40, score=1.0), face(300, 200, 120, score=0.8), face(500, 20, 60)]
    assert select_face(faces) == 1
    assert select_face(faces, "largest") == 1


def test_central_is_the_face_nearest_the_image_centre():
    # 640x480: the centre is (320, 240). The big face is off centre; the small one is on it.
    faces = [face(0, 0, 200), face(300, 220, 40), face(500, 400, 60)]
    assert select_face(faces, "central", image_shape=(480, 640, 3)) == 1
    # H and W are not swapped: in a 640x480 portrait (W 480, H 640) another face is central.
    faces = [face(220, 300, 40), face(300, 220, 40)]
    assert select_face(faces, "central", image_shape=(640, 480, 3)) == 0
    assert select_face(faces, "central", image_shape=(480, 640, 3)) == 1


def test_central_needs_the_image_shape():
    with pytest.raises(ValueError, match="image_shape"):
        select_face([face(0, 0, 50)], "central")


def test_subject_passes_over_a_bystander_cut_off_by_the_edge():
    """As in LFW photos (250x250): a bystander at the edge, box clipped, larger than the
    subject; then, of faces about as large, the central one."""
    faces = [face(0, 55, 80), face(90, 60, 75), face(180, 70, 60)]
    faces[0].box[0] = 0.0  # clipped by the detector at the border
    assert select_face(faces, "largest") == 0
    assert select_face(faces, "subject", image_shape=(250, 250, 3)) == 1
    # Only faces cut off: the largest of them.
    assert select_face([face(0, 0, 50), face(0, 100, 80)], "subject", image_shape=(250, 250, 3)) == 1
    # A whole face clearly larger than a central one is the subject.
    assert select_face([face(100, 100, 30), face(10, 10, 60)], "subject", image_shape=(250, 250, 3)) == 1
    with pytest.raises(ValueError, match="image_shape"):
        select_face(faces, "subject")


def test_subject_passes_over_part_of_a_face_the_detector_is_less_sure_of():
    """A camera frame: a whole face (score 0.999) and, nearer the centre and as large, part
    of one (0.95: half hidden by a door frame); then two whole faces: the central one."""
    part, whole = face(290, 210, 60, score=0.95), face(60, 50, 64, score=0.999)
    assert select_face([part, whole], "subject", image_shape=(480, 640, 3)) == 1
    assert select_face([face(290, 210, 60, score=0.995), whole], "subject", image_shape=(480, 640, 3)) == 0


def test_dominant_ignores_a_face_in_the_background():
    subject, background = face(200, 100, 150), face(20, 30, 45)
    assert select_face([background, subject], "dominant", min_side=40) == 1
    # Only one face is big enough: it is the one, however close the other comes.
    assert select_face([face(0, 0, 39), face(100, 0, 41)], "dominant", min_side=40) == 1


def test_dominant_is_none_for_comparable_faces():
    faces = [face(20, 20, 100), face(300, 20, 90)]
    assert select_face(faces, "dominant", min_side=40) is None
    # One and a half times the next is enough to dominate (dominance is a setting).
    assert select_face([face(20, 20, 150), face(300, 20, 100)], "dominant", min_side=40) == 0
    assert select_face([face(20, 20, 149), face(300, 20, 100)], "dominant", min_side=40) is None
    assert select_face([face(20, 20, 149), face(300, 20, 100)], "dominant", min_side=40,
                       dominance=1.4) == 0


def test_dominant_without_a_big_enough_face_gives_the_largest_to_refuse():
    faces = [face(0, 0, 20), face(100, 0, 30), face(200, 0, 25)]
    assert select_face(faces, "dominant", min_side=40) == 1


def test_an_unknown_way_is_an_error():
    with pytest.raises(ValueError, match="unknown"):
        select_face([face(0, 0, 50)], "nearest")
