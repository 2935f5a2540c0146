"""Owner-only files for what the app keeps on disk.

The SQLite database holds face crops, embeddings, password hashes and webhook secrets; the
index snapshots hold every person's embedding; the secret key signs sessions. They are
created readable by their owner only (files 0600, folders 0700) and, as an earlier
version made them 0644, made so again at every start. SQLite creates a database's -wal,
-shm and -journal with the database file's own permissions, so creating the file first,
empty and 0600 (an empty file is an empty database), is enough for them. Links are left
as they are: what they point to is the operator's.
"""
from __future__ import annotations

import os
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700
SQLITE_SIBLINGS = ("", "-wal", "-shm", "-journal", ".cameras.lock")


def sqlite_file(database_url: str) -> Path | None:
    """The file of a `sqlite:///path` URL; None for other databases and in-memory ones."""
    if not database_url.startswith("sqlite:///") or database_url == "sqlite:///:memory:":
        return None
    return Path(database_url[len("sqlite:///"):].split("?", 1)[0])


def make_private(path: Path, mode: int) -> None:
    """chmod `path` to `mode` when it exists, is not a link and is readable by others."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not os.path.islink(path) and st.st_mode & 0o777 != mode:
        os.chmod(path, mode)


def private_folder(folder: Path) -> Path:
    """Create `folder` (and its parents) if needed; the folder itself owner-only."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    make_private(folder, FOLDER_MODE)
    return folder


def open_private(path: Path):
    """`open(path, "wb")`, the file created 0600 whatever the umask allows more."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE), "wb")


def secure_instance(instance: Path, database_url: str, index_dir: Path) -> None:
    """At start: the index folder 0700, the secret key, the snapshots and the SQLite
    database with its companions 0600; an absent database file is created empty, 0600."""
    make_private(instance / "secret_key", FILE_MODE)
    if index_dir.is_dir():
        make_private(index_dir, FOLDER_MODE)
        for path in index_dir.iterdir():
            make_private(path, FILE_MODE)
    db_file = sqlite_file(database_url)
    if db_file is None or not db_file.parent.is_dir():
        return  # not SQLite, or SQLite will say the folder is missing
    try:
        os.close(os.open(db_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    except FileExistsError:
        pass
    for suffix in SQLITE_SIBLINGS:
        make_private(db_file.with_name(db_file.name + suffix), FILE_MODE)
