"""Cameras at night and at a distance through the product (issue 19): identify and verify
say each face's conditions; a greyscale/IR face is compared in grey; a face too small to
name says so instead of a name, in the API and on the Identify page."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.recognition.calibration import MIN_NAMED_PX
from support import GOOD, grey_copy, jpeg, load, small_face

TOO_SMALL = f"face 14 px, too small to name (needs {MIN_NAMED_PX:.0f} px)"


def tiny_face() -> bytes:
    """The good photo at a sixth of its size: a 14-pixel face."""
    return small_face(6)


@pytest.fixture(scope="module")
def enrolled(app, api_key):
    """Madonna enrolled from the good photo."""
    r = app.test_client().post("/api/people?name=Madonna", data=GOOD.read_bytes(), content_type="image/jpeg",
                               headers={"Authorization": f"Bearer {api_key}"})
    assert r.status_code == 201, r.get_json()


def verify(client, first: bytes, second: bytes) -> dict:
    r = client.post("/api/verify", data={"file1": (_io(first), "a.jpg"), "file2": (_io(second), "b.jpg")})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def _io(data: bytes):
    import io
    return io.BytesIO(data)


def test_verify_compares_an_ir_face_with_the_colour_one_made_grey(client):
    body = verify(client, GOOD.read_bytes(), grey_copy())
    assert [c["greyscale"] for c in body["conditions"]] == [False, True]
    assert body["in_grey"] is True and body["reason"] is None
    # The same face, once made grey by the camera and once by the server: nearly equal.
    assert body["same_person"] and body["distance"] < 0.1
    plain = verify(client, GOOD.read_bytes(), GOOD.read_bytes())
    assert plain["in_grey"] is False and plain["conditions"][0]["face_px"] >= 80


def test_verify_compares_a_small_colour_face_aligned_bicubic(client, pipeline):
    """A ~20 px face is aligned again with bicubic interpolation before it is compared (its
    conditions stay the plain crop's); a face of 28 px is compared as it is."""
    from app.recognition.quality import conditions_of
    from app.recognition.decode import decode_image
    clean = pipeline.analyze(load(GOOD)).faces[0]
    for divisor, bicubic in ((4, True), (3, False)):
        frame = decode_image(small_face(divisor))
        face, = pipeline.analyze(frame).faces
        body = verify(client, GOOD.read_bytes(), small_face(divisor))
        assert body["conditions"][1]["face_px"] == round(conditions_of(face.detection, face.aligned).face_px)
        again = pipeline.embed_bicubic(frame, face)
        expected = again.embedding if bicubic else face.embedding
        assert body["distance"] == pytest.approx(float(np.linalg.norm(clean.embedding - expected)), abs=2e-3)
        assert abs(float(np.linalg.norm(clean.embedding - again.embedding))
                   - float(np.linalg.norm(clean.embedding - face.embedding))) > 5e-3


def test_verify_reads_the_jpeg_quality_and_loosens_for_a_heavily_compressed_face(client):
    """The same ~20 px face sent at JPEG quality 25 and 95: the answer names each file's
    quality, and the threshold for the quality-25 face is its cell's (calibration.COMPRESSED)."""
    from app.recognition.calibration import compressed_offset
    from app.recognition.quality import FaceConditions
    frame = cv2.imdecode(np.frombuffer(small_face(4), np.uint8), cv2.IMREAD_COLOR)
    sent = {q: cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, q])[1].tobytes() for q in (25, 95)}
    heavy, fine = (verify(client, GOOD.read_bytes(), sent[q]) for q in (25, 95))
    assert heavy["conditions"][1]["jpeg_quality"] == 25 and fine["conditions"][1]["jpeg_quality"] == 95
    c = heavy["conditions"][1]
    offset = compressed_offset(FaceConditions(False, c["face_px"], c["sharpness"], 25))
    assert offset is not None and heavy["threshold"] == pytest.approx(1.09 + offset, abs=1e-3)
    assert heavy["threshold"] > fine["threshold"] + 0.1
    png = cv2.imencode(".png", frame)[1].tobytes()
    assert verify(client, GOOD.read_bytes(), png)["conditions"][1]["jpeg_quality"] is None


def test_verify_will_not_say_same_for_a_face_too_small(client):
    body = verify(client, GOOD.read_bytes(), tiny_face())
    assert body["conditions"][1]["face_px"] == 14
    assert body["reason"] == TOO_SMALL and body["same_person"] is False


def test_identify_says_a_face_is_too_small_instead_of_a_name(client, enrolled):
    r = client.post("/api/identify", data=tiny_face(), content_type="image/jpeg")
    face, = r.get_json()["faces"]
    assert face["name"] is None and face["person_id"] is None and face["reason"] == TOO_SMALL
    assert face["conditions"] == {"greyscale": False, "face_px": 14, "sharpness": face["conditions"]["sharpness"],
                                  "jpeg_quality": 95, "gallery": "colour"}
    r = client.post("/api/identify", data=GOOD.read_bytes(), content_type="image/jpeg")
    face, = r.get_json()["faces"]
    assert face["name"] == "Madonna" and face["reason"] is None and not face["conditions"]["greyscale"]


def test_the_identify_page_says_why_a_face_is_unknown(client, enrolled, sign_in, csrf_token):
    sign_in(client)
    page = client.get("/identify")
    r = client.post("/identify", data={"photo": (_io(tiny_face()), "t.jpg"), "csrf_token": csrf_token(page.data)})
    assert r.status_code == 200 and TOO_SMALL in r.get_data(as_text=True)


@pytest.mark.parametrize("frame", [np.zeros((480, 640, 3), np.uint8), np.full((480, 640, 3), 255, np.uint8)])
def test_an_all_black_or_white_frame_is_no_face(client, frame):
    r = client.post("/api/identify", data=jpeg(frame), content_type="image/jpeg")
    assert r.status_code == 422 and r.get_json()["type"] == "no-face"


def test_a_16_bit_greyscale_png_is_read_as_grey(client, enrolled):
    grey16 = cv2.cvtColor(load(GOOD), cv2.COLOR_RGB2GRAY).astype(np.uint16) * 257
    r = client.post("/api/identify", data=cv2.imencode(".png", grey16)[1].tobytes(), content_type="image/png")
    assert r.status_code == 200, r.get_json()
    face, = r.get_json()["faces"]
    assert face["conditions"]["greyscale"] is True
