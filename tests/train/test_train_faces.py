"""Face fine-tuning: batches and splits, resumable checkpoints, and the whole run end to end."""
from __future__ import annotations

import json
import time

import keras
import numpy as np
import pytest

from train.batches import augment, pk_batches
from train.data import make_pairs, split_people
from train.finetune import Checkpoint, Settings, fine_tune

pytestmark = pytest.mark.slow


def test_pk_batches_hold_p_people_k_photos_each():
    labels = np.repeat(np.arange(6), [5, 5, 2, 3, 1, 4])
    for batch in pk_batches(labels, 3, 4, 20, np.random.default_rng(0)):
        people, counts = np.unique(labels[batch], return_counts=True)
        assert len(batch) == 12 and len(people) == 3 and set(counts) == {4}
        assert 4 not in people  # one photo: never an anchor with a positive


def test_hard_negatives_come_with_their_person():
    labels = np.concatenate([np.repeat(np.arange(4), 4), [4, 5, 6]])  # 16 photos, 3 negatives
    negatives = {0: np.array([16, 17]), 2: np.array([18])}
    seen = 0
    for batch in pk_batches(labels, 2, 2, 30, np.random.default_rng(0), negatives):
        people = set(labels[batch].tolist()) & {0, 1, 2, 3}
        extra = set(batch.tolist()) & {16, 17, 18}
        assert extra == ({16, 17} if 0 in people else set()) | ({18} if 2 in people else set())
        seen += bool(extra)
    assert seen


def test_corrections_become_hard_negatives(app, client, api_key, tmp_path):
    """A "not this person" correction in the app's database joins the training set as a
    hard negative of that person (train/corrections.py reads the database itself)."""
    from app.extensions import db
    from app.faces import state
    from app.library.corrections import not_this_person
    from app.recognition.jpeg import to_jpeg
    from support import photos
    from train.corrections import with_hard_negatives
    from train.data import FaceSet

    r = client.post("/api/people", headers={"Authorization": f"Bearer {api_key}"},
                    data=photos("train", "ben_afflek")[1].read_bytes(), content_type="image/jpeg",
                    query_string={"name": "Ben Afflek"})
    assert r.status_code == 201, r.get_json()
    with app.app_context():
        face = state().pipeline().analyze_bytes(photos("val", "jerry_seinfeld")[0].read_bytes()).faces[0]
        not_this_person(r.get_json()["id"], face.embedding, to_jpeg(face.aligned, 92), "api")
        db.session.commit()
        url = str(db.engine.url)
    faces = FaceSet(np.zeros((3, 160, 160, 3), np.uint8), np.array([0, 0, 1]), ["ben_afflek", "madonna"],
                    ["a", "b", "c"], {}, "f")
    merged, negatives, added = with_hard_negatives(faces, url)
    assert added == 1 and list(negatives) == [0] and negatives[0].tolist() == [3]
    assert merged.crops.shape == (4, 160, 160, 3) and merged.labels.tolist() == [0, 0, 1, 2]
    assert merged.fingerprint != "f" and merged.people[2].startswith("not ben_afflek")


def test_split_and_pairs_keep_people_apart():
    labels = np.repeat(np.arange(10), 4)
    val = split_people(labels, 0.3, seed=1)
    assert not set(labels[val]) & set(labels[~val]) and len(set(labels[val])) == 3
    pairs, same = make_pairs(labels, seed=0)
    assert same.sum() == (~same).sum() == 60
    assert np.all((labels[pairs[:, 0]] == labels[pairs[:, 1]]) == same)


def test_augment_keeps_shape_and_type():
    faces = np.random.default_rng(0).integers(0, 256, (3, 160, 160, 3), dtype=np.uint8)
    out = augment(faces, np.random.default_rng(0))
    assert out.shape == faces.shape and out.dtype == np.uint8 and not np.array_equal(out, faces)


def _tiny_encoder(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    x = inputs = keras.Input((160, 160, 3))
    x = keras.layers.Conv2D(4, 16, strides=16)(x)
    x = keras.layers.GlobalAveragePooling2D(name="AvgPool")(x)
    return keras.Model(inputs, keras.layers.Dense(8, name="Bottleneck")(x))


def test_interrupted_run_resumes_to_the_same_weights(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    crops = rng.integers(0, 256, (36, 160, 160, 3), dtype=np.uint8)
    labels = np.repeat(np.arange(6), 6)
    roles = np.where(labels < 4, "train", "val").astype(object)
    settings = Settings(epochs=3, patience=10, p=3, k=3, lr=1e-2, views=2, steps=3)

    whole = _tiny_encoder()
    fine_tune(whole, crops, labels, roles, settings, tmp_path / "a", tmp_path / "trunk")

    save = Checkpoint.save

    def save_then_stop(self, *args):
        save(self, *args)
        if self.epoch == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(Checkpoint, "save", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        fine_tune(_tiny_encoder(), crops, labels, roles, settings, tmp_path / "b", tmp_path / "trunk")
    monkeypatch.setattr(Checkpoint, "save", save)
    resumed = _tiny_encoder()
    result = fine_tune(resumed, crops, labels, roles, settings, tmp_path / "b", tmp_path / "trunk")
    assert result["epochs_run"] == 3
    for a, b in zip(whole.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="other settings"):
        fine_tune(_tiny_encoder(), crops, labels, roles, Settings(epochs=4, p=3, k=3, views=2),
                  tmp_path / "b", tmp_path / "trunk")


def test_head_only_fine_tune_on_sample_photos_end_to_end(tmp_path, model_dir, sample_photos_dir):
    """The CI run: a few epochs on the 5 sample people, a model folder the app loads."""
    from app.recognition.encode import FaceEncoder
    from train.__main__ import main

    models = tmp_path / "models"
    models.mkdir()
    (models / model_dir.name).symlink_to(model_dir)
    start = time.perf_counter()
    main(["--data", str(sample_photos_dir / "train"), "--models-dir", str(models),
          "--cache", str(tmp_path / "cache"), "--out", str(tmp_path / "run"), "--name", "ft",
          "--val-fraction", "0.4", "--epochs", "2", "--views", "1", "--p", "3", "--k", "4"])
    seconds = time.perf_counter() - start
    report = json.loads((tmp_path / "run" / "report" / "metrics.json").read_text())
    assert report["epochs_run"] == 2 and report["held_out_people"] == 2
    assert "elton_john/httpsuploadwikimediaorgwikipediacommonsthumbEltonJohninsjpgpxEltonJohninsjpg.jpg" \
        in report["no_face"]
    for figure in ("curves.png", "roc.png", "pca.png"):
        assert (tmp_path / "run" / "report" / figure).stat().st_size > 1000
    # Early stopping keeps the pretrained head unless an epoch beats it on validation.
    assert report["val_after"]["accuracy"] >= report["val_before"]["accuracy"]
    assert report["app_int8"]["after"]["auc"] > 0.9
    meta = json.loads((models / "ft" / "model.json").read_text())
    assert meta["base"] == model_dir.name and meta["metrics"]["after"]["auc"] > 0.9
    faces = np.load(next((tmp_path / "cache" / "crops").glob("*/crops.npy")))[:4]
    embeddings = FaceEncoder(models / "ft").embed(faces)
    assert embeddings.shape == (4, 128)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    print(f"head-only fine-tune end to end: {seconds:.0f} s")


def test_unfreeze_mode_keeps_the_trunk_frozen(tmp_path):
    rng = np.random.default_rng(1)
    crops = rng.integers(0, 256, (24, 160, 160, 3), dtype=np.uint8)
    labels = np.repeat(np.arange(6), 4)
    roles = np.where(labels < 4, "train", "val").astype(object)
    model = _tiny_encoder()
    trunk_before = [w.copy() for w in model.layers[1].get_weights()]
    settings = Settings(mode="unfreeze", cut="AvgPool", epochs=2, p=3, k=3, lr=1e-2, steps=3)
    result = fine_tune(model, crops, labels, roles, settings, tmp_path / "c", tmp_path / "t")
    assert len(result["history"]["loss"]) == 6
    for a, b in zip(trunk_before, model.layers[1].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_validation_from_a_pairs_file(tmp_path):
    from train.__main__ import assign_roles, pairs_from_file

    people = ["Ann", "Bob", "Cid", "Dee"]
    paths = [f"{n}/{n}_{i:04d}.jpg" for n in people for i in (1, 2, 3)]
    labels = np.repeat(np.arange(4), 3)
    (tmp_path / "pairs.txt").write_text("2\nAnn 1 2\nBob 1 3\nAnn 3 Bob 2\nAnn 1 Eve 1\n")
    val, (pairs, same) = pairs_from_file(tmp_path / "pairs.txt", paths, labels, people)
    assert val.tolist() == [True] * 6 + [False] * 6
    assert pairs.tolist() == [[0, 1], [3, 5], [2, 4]] and same.tolist() == [True, True, False]
    roles = assign_roles(labels, 0.2, 0.0, 0, val)
    assert list(roles) == ["val"] * 6 + ["train"] * 6
