"""The whole core on the sample photos: detect, align, embed, match."""
import io

import numpy as np
import pytest
from PIL import Image

from reference_gallery import Gallery

# These web photos span decades of each person's life: the same person is at L2 0.82 on
# average, different people never closer than 1.0. Strangers are tested at 0.9.
STRANGER_THRESHOLD = 0.9


def photos(folder):
    return {p.name: sorted(p.iterdir()) for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def gallery(pipeline, sample_photos_dir):
    """One photo per person from train/ (the first in which exactly one face is found)."""
    embeddings, labels = [], []
    for person, paths in photos(sample_photos_dir / "train").items():
        for path in paths:
            faces = pipeline.analyze_bytes(path.read_bytes()).faces
            if len(faces) == 1:
                embeddings.append(faces[0].embedding)
                labels.append(person)
                break
    return Gallery(np.stack(embeddings), labels)


def test_every_val_photo_is_identified_with_one_enrolment_photo_each(pipeline, gallery, sample_photos_dir):
    """Closed set: the nearest enrolled person must be the right one."""
    val = photos(sample_photos_dir / "val")
    right, total = 0, 0
    for person, paths in val.items():
        for path in paths:
            analysis = pipeline.analyze_bytes(path.read_bytes(), max_faces=1)
            assert analysis.faces, f"no face found in {path.name}"
            [match] = gallery.identify(analysis.faces[0].embedding[None], threshold=2.0)
            right += match.label == person
            total += 1
    assert total == 25
    assert right >= 24


def test_a_stranger_is_unknown(pipeline, sample_photos_dir):
    # Enrol four people; the fifth person's photos must not be given a name.
    val = photos(sample_photos_dir / "val")
    train = photos(sample_photos_dir / "train")
    stranger = "madonna"
    embeddings, labels = [], []
    for person, paths in train.items():
        if person != stranger:
            embeddings.append(pipeline.analyze_bytes(paths[0].read_bytes(), max_faces=1).faces[0].embedding)
            labels.append(person)
    g = Gallery(np.stack(embeddings), labels)
    named = [g.identify(pipeline.analyze_bytes(p.read_bytes(), max_faces=1).faces[0].embedding[None],
                        STRANGER_THRESHOLD)[0].label for p in val[stranger]]
    assert named == [None] * 5, named


def test_a_photo_without_a_face_gives_no_faces(pipeline):
    sky = np.zeros((240, 320, 3), np.uint8)
    sky[:] = np.linspace(80, 200, 320, dtype=np.uint8)[None, :, None]
    buf = io.BytesIO()
    Image.fromarray(sky).save(buf, "JPEG")
    analysis = pipeline.analyze_bytes(buf.getvalue())
    assert analysis.faces == []
    assert set(analysis.timings_ms) == {"decode", "detect", "align", "embed"}


def test_two_people_in_one_photo_give_two_faces(pipeline, sample_photos_dir):
    val = photos(sample_photos_dir / "val")
    singles = [np.asarray(Image.open(val[p][0]).convert("RGB")) for p in ("elton_john", "mindy_kaling")]
    height = min(s.shape[0] for s in singles)
    halves = [np.asarray(Image.fromarray(s).resize((round(s.shape[1] * height / s.shape[0]), height)))
              for s in singles]
    analysis = pipeline.analyze(np.concatenate(halves, axis=1))
    assert len(analysis.faces) == 2
    by_x = sorted(analysis.faces, key=lambda f: f.detection.box[0])
    for face, half in zip(by_x, halves):
        assert face.aligned.shape == (160, 160, 3)
        assert abs(np.linalg.norm(face.embedding) - 1) < 1e-5
        # Each face embeds like the same person photographed alone.
        alone = pipeline.analyze(half).faces[0].embedding
        assert np.linalg.norm(face.embedding - alone) < 0.4


def two_people(sample_photos_dir) -> np.ndarray:
    """Elton John and Mindy Kaling side by side, one RGB image."""
    val = photos(sample_photos_dir / "val")
    singles = [np.asarray(Image.open(val[p][0]).convert("RGB")) for p in ("elton_john", "mindy_kaling")]
    height = min(s.shape[0] for s in singles)
    return np.concatenate([np.asarray(Image.fromarray(s).resize(
        (round(s.shape[1] * height / s.shape[0]), height))) for s in singles], axis=1)


def test_embed_of_detect_is_analyze(pipeline, sample_photos_dir):
    rgb = two_people(sample_photos_dir)
    analysis = pipeline.analyze(rgb)
    detections = pipeline.detect(rgb)
    faces = pipeline.embed(rgb, detections)
    assert len(faces) == len(analysis.faces) == 2
    for got, want in zip(faces, analysis.faces):
        np.testing.assert_array_equal(got.detection.box, want.detection.box)
        np.testing.assert_array_equal(got.aligned, want.aligned)
        np.testing.assert_array_equal(got.embedding, want.embedding)
    np.testing.assert_array_equal(pipeline.align(rgb, detections),
                                  np.stack([f.aligned for f in analysis.faces]))
    assert set(analysis.timings_ms) == {"detect", "align", "embed"}


def test_embed_takes_any_detections(pipeline, sample_photos_dir):
    """One chosen face of several, or none at all; timings only when asked for."""
    rgb = two_people(sample_photos_dir)
    detections = pipeline.detect(rgb)
    both = pipeline.embed(rgb, detections)
    timings = {}
    [second] = pipeline.embed(rgb, detections[1:], timings)
    assert second.detection is detections[1]
    np.testing.assert_array_equal(second.aligned, both[1].aligned)
    np.testing.assert_allclose(second.embedding, both[1].embedding, atol=1e-5)
    assert set(timings) == {"align", "embed"} and min(timings.values()) >= 0
    assert pipeline.embed(rgb, []) == []
    assert pipeline.analyze(rgb, max_faces=1).faces[0].detection.score == detections[0].score


def test_with_detector_shares_the_encoder_and_keeps_the_original(pipeline, sample_photos_dir):
    from app.recognition import FaceDetector

    rgb = two_people(sample_photos_dir)
    detector = FaceDetector(min_face_size=40, max_side=320, models_dir=pipeline.detector.models_dir)
    live = pipeline.with_detector(detector)
    assert live.detector is detector and live.encoder is pipeline.encoder
    assert pipeline.detector is not detector
    found = live.detect(rgb)
    assert [d.box.tolist() for d in found] == [d.box.tolist() for d in detector.detect(rgb)]
    # Same faces, found at 320 px: the embeddings stay those of the same people.
    for face, full in zip(sorted(live.analyze(rgb).faces, key=lambda f: f.detection.box[0]),
                          sorted(pipeline.analyze(rgb).faces, key=lambda f: f.detection.box[0])):
        assert np.linalg.norm(face.embedding - full.embedding) < 0.4


def test_the_package_exports_the_core_without_tensorflow():
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys, app.recognition as r; "
            "missing = [n for n in r.__all__ if not hasattr(r, n)]; assert not missing, missing; "
            "heavy = [m for m in ('tensorflow', 'keras', 'h5py') if m in sys.modules]; "
            "assert not heavy, heavy; "
            "assert not [m for m in sys.modules if m.startswith('app.recognition.convert')]")
    subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2], check=True)


def test_released_interpreters_give_the_same_numbers_when_planned_again(model_dir, sample_photos_dir):
    from app.recognition.pipeline import FacePipeline

    pipeline = FacePipeline(model_dir)
    data = next((sample_photos_dir / "val" / "madonna").glob("*.jpg")).read_bytes()
    first = pipeline.analyze_bytes(data).faces
    pipeline.release_memory()
    again = pipeline.analyze_bytes(data).faces
    assert len(first) == len(again) == 1
    np.testing.assert_array_equal(first[0].detection.box, again[0].detection.box)
    np.testing.assert_array_equal(first[0].embedding, again[0].embedding)


def test_only_a_large_upload_drops_what_earlier_images_planned(model_dir, sample_photos_dir, monkeypatch):
    """Before an upload that holds more than LARGE_DECODE_BYTES while decoded (memory, docs/WEBAPP.md),
    not before an ordinary photo; the large one still names its face."""
    import cv2

    from app.recognition import pipeline as module

    pipeline = module.FacePipeline(model_dir)
    released = []
    monkeypatch.setattr(pipeline, "release_memory", lambda: released.append(1))
    small = next((sample_photos_dir / "val" / "madonna").glob("*.jpg")).read_bytes()
    assert len(pipeline.analyze_bytes(small).faces) == 1 and released == []
    rgb = pipeline.decode(small)
    f = (module.LARGE_DECODE_BYTES / 4 * 1.2 / (rgb.shape[0] * rgb.shape[1])) ** 0.5
    large = cv2.imencode(".png", cv2.resize(rgb, None, fx=f, fy=f))[1].tobytes()
    assert len(pipeline.analyze_bytes(large).faces) == 1 and released == [1]


def test_a_crowd_leaves_no_interpreters_planned_for_it(model_dir, sample_photos_dir, monkeypatch):
    """After an upload of more than CROWD_FACES faces what was planned for it is dropped
    (a class photo after two crowds peaked 69 MB higher than in a fresh worker, issue 18);
    a 1500x1500 JPEG is too small to release anything before it is decoded."""
    from app.recognition import pipeline as module

    paths = sorted(sample_photos_dir.glob("*/*/*.jpg"))[:36]
    grid = Image.new("RGB", (1500, 1500), (128, 128, 128))
    for i, path in enumerate(paths):
        photo = Image.open(path).convert("RGB")
        photo.thumbnail((250, 250))
        grid.paste(photo, ((i % 6) * 250, (i // 6) * 250))
    buf = io.BytesIO()
    grid.save(buf, "JPEG", quality=90)
    pipeline = module.FacePipeline(model_dir)
    released = []
    monkeypatch.setattr(pipeline, "release_memory", lambda: released.append(1))
    assert len(pipeline.analyze_bytes(buf.getvalue()).faces) > module.CROWD_FACES
    assert released == [1]
