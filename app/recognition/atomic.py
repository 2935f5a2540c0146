"""Write a folder or a file so that it never exists half-written.

Everything that is read back later by another process (model folders, the compiled detector,
the sample photos, training caches and checkpoints) is written under a hidden name beside
its place and renamed into it once complete: a crash leaves at most a `.<name>.partial`
that the next attempt removes, never a folder that looks like a model but is not one.
"""
from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def partial_path(target: Path, folder: bool = True) -> Path:
    """Where `target` is written before it is renamed into place: `.<name>.partial` for a
    folder, `.<stem>.partial<suffix>` for a file (so np.save and friends keep the suffix).
    Hidden: listings of models skip names that start with "."."""
    target = Path(target)
    if folder:
        return target.with_name(f".{target.name}.partial")
    return target.with_name(f".{target.stem}.partial{target.suffix}")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def atomic_replace(target: Path, folder: bool = True, replace: bool = True) -> Iterator[Path]:
    """Yield the partial path to write (for a folder: created, empty); when the block ends
    without an error it becomes `target`, by a rename.

    folder: write a folder (else a single file).
    replace: an existing target is removed first (else FileExistsError, and the partial
        write is removed).
    On an error in the block the partial write is removed and the error propagates.
    """
    target = Path(target)
    partial = partial_path(target, folder)
    _remove(partial)  # left by an attempt that was killed
    partial.parent.mkdir(parents=True, exist_ok=True)
    if folder:
        partial.mkdir()
    try:
        yield partial
        if target.exists() or target.is_symlink():
            if not replace:
                raise FileExistsError(f"{target} exists already")
            if folder:
                _remove(target)
        partial.replace(target)  # a file is replaced in one step, a folder once removed
    except BaseException:
        _remove(partial)
        raise
