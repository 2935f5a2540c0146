import numpy as np
import pytest

from app.recognition.align import TEMPLATE, align_face, similarity_transform


def transform(points, matrix):
    return points @ matrix[:, :2].T + matrix[:, 2]


def test_similarity_transform_recovers_rotation_scale_and_shift():
    angle, scale, shift = np.deg2rad(17), 1.7, np.array([12.0, -5.0])
    r = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = TEMPLATE.astype(np.float64)
    dst = scale * src @ r.T + shift
    m = similarity_transform(src, dst)
    np.testing.assert_allclose(m[:, :2], scale * r, atol=1e-9)
    np.testing.assert_allclose(m[:, 2], shift, atol=1e-9)


def test_landmarks_land_on_the_template():
    # A face rotated by 20 degrees, scaled and moved inside a larger image.
    angle = np.deg2rad(20)
    r = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    landmarks = 0.8 * TEMPLATE @ r.T + [150, 90]
    image = np.zeros((400, 400, 3), np.uint8)
    for i, (x, y) in enumerate(landmarks):
        image[int(round(y)) - 1:int(round(y)) + 2, int(round(x)) - 1:int(round(x)) + 2] = 50 * (i + 1)
    aligned = align_face(image, landmarks)
    assert aligned.shape == (160, 160, 3) and aligned.dtype == np.uint8
    for i, (x, y) in enumerate(TEMPLATE):
        patch = aligned[int(y) - 2:int(y) + 3, int(x) - 2:int(x) + 3, 0]
        # The dot of landmark i is found where the template puts it.
        assert np.abs(patch.astype(int) - 50 * (i + 1)).min() <= 15, f"landmark {i}"
    m = similarity_transform(landmarks, TEMPLATE)
    np.testing.assert_allclose(transform(landmarks, m), TEMPLATE, atol=1e-3)


def test_noisy_landmarks_fit_in_the_least_squares_sense():
    rng = np.random.default_rng(0)
    noisy = TEMPLATE + rng.normal(0, 2, TEMPLATE.shape)
    m = similarity_transform(noisy, TEMPLATE)
    residual = np.abs(transform(noisy, m) - TEMPLATE).max()
    assert residual < 6
    assert np.linalg.det(m[:, :2]) > 0  # never a mirror image


@pytest.mark.parametrize("size", [112, 160])
def test_output_size_follows_the_argument(size):
    out = align_face(np.zeros((50, 50, 3), np.uint8), TEMPLATE / 4, size=size)
    assert out.shape == (size, size, 3)
