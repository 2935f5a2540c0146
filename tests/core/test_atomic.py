"""atomic_replace: a folder or file appears complete or not at all."""
from __future__ import annotations

import pytest

from app.recognition.atomic import atomic_replace, partial_path


def test_a_folder_appears_only_when_complete(tmp_path):
    target = tmp_path / "model"
    with atomic_replace(target) as partial:
        assert partial == tmp_path / ".model.partial" and partial.is_dir()
        (partial / "a.tflite").write_bytes(b"1")
        assert not target.exists()
    assert (target / "a.tflite").read_bytes() == b"1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]


def test_a_failed_write_leaves_the_old_folder_and_no_partial(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_replace(target) as partial:
            (partial / "new").write_text("half")
            raise RuntimeError("killed mid-write")
    assert [p.name for p in target.iterdir()] == ["old"]
    assert not partial.exists()


def test_replace_or_refuse_an_existing_folder(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old").write_text("old")
    with pytest.raises(FileExistsError):
        with atomic_replace(target, replace=False) as partial:
            (partial / "new").write_text("new")
    assert [p.name for p in target.iterdir()] == ["old"] and not partial.exists()
    with atomic_replace(target) as partial:
        (partial / "new").write_text("new")
    assert [p.name for p in target.iterdir()] == ["new"]


def test_a_file_keeps_its_suffix_and_a_stale_partial_is_removed(tmp_path):
    target = tmp_path / "sub" / "trunk.npy"
    stale = partial_path(target, folder=False)
    assert stale == tmp_path / "sub" / ".trunk.partial.npy"
    stale.parent.mkdir()
    stale.write_bytes(b"left by a killed run")
    with atomic_replace(target, folder=False) as partial:
        assert partial == stale and not partial.exists()
        partial.write_bytes(b"new")
    assert target.read_bytes() == b"new" and not stale.exists()
    with atomic_replace(target, folder=False) as partial:
        partial.write_bytes(b"newer")
    assert target.read_bytes() == b"newer"
