"""`flask faces evaluate` on a small pairs file made from the sample photos."""
import json
import shutil

import pytest

from app import create_app
from app.config import TestConfig
from app.evaluation.pairs import read_pairs


@pytest.fixture
def lfw_like(sample_photos_dir, tmp_path):
    """The sample photos renamed to the LFW layout (name/name_000i.jpg) and a View 1 file."""
    people = sorted(p.name for p in (sample_photos_dir / "val").iterdir())
    for person in people:
        (tmp_path / person).mkdir()
        for i, src in enumerate(sorted((sample_photos_dir / "val" / person).iterdir())[:3], 1):
            shutil.copy(src, tmp_path / person / f"{person}_{i:04d}.jpg")
    same = [f"{p}\t1\t2" for p in people] + [f"{p}\t2\t3" for p in people]
    diff = [f"{a}\t1\t{b}\t1" for a, b in zip(people, people[1:] + people[:1])]
    diff += [f"{a}\t2\t{b}\t3" for a, b in zip(people, people[2:] + people[:2])]
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("10\n" + "\n".join(same + diff) + "\n")
    return tmp_path, pairs


def test_evaluate_writes_a_sensible_report(lfw_like, tmp_path, model_dir):
    images, pairs = lfw_like
    out = tmp_path / "out" / "report.json"
    app = create_app(TestConfig)
    result = app.test_cli_runner().invoke(args=[
        "faces", "evaluate", "--images", str(images), "--pairs", str(pairs), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output
    report = json.loads(out.read_text())
    assert report["pairs"] == 20 and report["same_pairs"] == 10 and report["images"] == 15
    assert report["protocol"].startswith("best threshold")
    assert report["accuracy"] >= 0.9
    assert 0.5 < report["threshold"] < 1.5
    assert 0 <= report["tar_at_far_0.01"] <= 1 and report["auc"] >= 0.9
    assert report["no_face"]["count"] == 0 and "handling" in report["no_face"]
    assert report["seconds_per_image"] > 0
    assert (out.parent / "report.roc.png").stat().st_size > 1000


def test_view2_header_means_ten_folds(tmp_path):
    lines = ["2 1"] + [l for f in range(2) for l in (f"a\t1\t{f + 2}", f"a\t1\tb\t{f + 1}")]
    path = tmp_path / "pairs.txt"
    path.write_text("\n".join(lines))
    parsed = read_pairs(path)
    assert parsed.folds == 2
    assert [p.fold for p in parsed.pairs] == [0, 0, 1, 1]
    assert [p.same for p in parsed.pairs] == [True, False, True, False]


def test_a_malformed_pairs_file_names_the_line(tmp_path):
    path = tmp_path / "pairs.txt"
    path.write_text("1\nann 1 2\nann\n")
    with pytest.raises(ValueError, match=":3:"):
        read_pairs(path)


def test_embed_photos_embeds_the_central_face_or_the_centre(pipeline, sample_photos_dir, tmp_path):
    """The face nearest the centre of each photo; a photo without a face is embedded from
    template landmarks on its centre, so that every pair is still scored."""
    import numpy as np
    from PIL import Image

    from app.evaluation.run import central_landmarks, embed_photos
    from app.recognition import align_face, select_face

    portrait = sorted((sample_photos_dir / "val" / "jerry_seinfeld").iterdir())[0]
    sky = tmp_path / "sky.jpg"
    Image.fromarray(np.tile(np.linspace(80, 200, 320, dtype=np.uint8)[None, :, None],
                            (240, 1, 3))).save(sky)
    embeddings, no_face = embed_photos(pipeline, [portrait, sky])
    assert embeddings.shape == (2, 128) and no_face == [str(sky)]
    rgb = pipeline.decode(portrait.read_bytes())
    detections = pipeline.detector.detect(rgb)
    central = detections[select_face(detections, "central", image_shape=rgb.shape)]
    by_hand = pipeline.encoder.embed(align_face(rgb, central.landmarks)[None])[0]
    np.testing.assert_array_equal(embeddings[0], by_hand)
    rgb = pipeline.decode(sky.read_bytes())
    by_hand = pipeline.encoder.embed(align_face(rgb, central_landmarks(rgb.shape))[None])[0]
    np.testing.assert_array_equal(embeddings[1], by_hand)
