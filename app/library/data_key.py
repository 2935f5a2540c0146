"""FACES_DATA_KEY at start and its rotation (the sealing itself: app/models/sealed.py).

At start the key is checked against app_state.data_key_check (a constant sealed with the
key that sealed the images), so that a missing or wrong key stops the server with a clear
error instead of serving pages whose images cannot be opened. `rotate` seals every image
with the first key (rows written plain before a key was set, and rows sealed with an older
key), or with `plain=True` opens them all again; batches commit as they go, so a rotation
that is interrupted is resumed by running it again.
"""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import LargeBinary, column, insert, select, table, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from ..extensions import db
from ..models import AppState
from ..models.sealed import CHECK, MARK, DataKeyError, DataKeys, install, parse_keys

# Every column that holds a face image (or, for undo, a payload of face crops).
SEALED = (("face", "crop_jpeg"), ("sighting", "crop_jpeg"), ("correction", "crop_jpeg"),
          ("event", "thumbnail_jpeg"), ("undo_entry", "payload"))
_STATE = AppState.__table__


def start(engine, setting: str | None, identify_threshold: float) -> None:
    """Install the configured keys on `engine` and check them against the database.

    Raises DataKeyError (what to set, in words) for a malformed key, a database sealed
    with a key that is not configured, or a sealed database started without a key. A
    database that is not migrated yet is left alone (`flask db upgrade` runs first)."""
    keys = parse_keys(setting)
    install(engine, keys)
    try:
        with engine.begin() as conn:
            row = conn.execute(select(_STATE.c.data_key_check).where(_STATE.c.id == 1)).first()
            check = row[0] if row else None
            if check is None:
                if keys is not None:  # the first start with a key: remember which
                    _write_check(conn, row is not None, keys.seal(CHECK), identify_threshold)
                return
    except (OperationalError, ProgrammingError):
        return  # no app_state table or column yet
    if keys is None:
        raise DataKeyError("This database's face images are sealed: set FACES_DATA_KEY to the key "
                           "they were sealed with (or run 'flask faces rotate-data-key --plain' with it).")
    try:
        keys.open(check)
    except DataKeyError:
        raise DataKeyError("FACES_DATA_KEY does not open this database's face images: they were sealed "
                           "with another key. Set that key (several keys may be given, comma-separated, "
                           "the one to seal with first).") from None


def _write_check(conn, exists: bool, check: bytes, identify_threshold: float) -> None:
    if exists:
        conn.execute(update(_STATE).where(_STATE.c.id == 1).values(data_key_check=check))
    else:  # a new database: the state row as get_state would make it, with the check
        conn.execute(insert(_STATE).values(id=1, identify_threshold=identify_threshold, data_key_check=check))


def rotate(keys: DataKeys, plain: bool = False, batch: int = 200) -> Iterator[tuple[str, int]]:
    """Seal every image with `keys`' first key (or open them all, `plain`); yields
    (table, rows rewritten) per batch. Run it with the new key first and the old ones
    after in FACES_DATA_KEY; then the old ones may go."""
    if not plain:
        _set_check(keys.seal(CHECK))
    for name, col in SEALED:
        t = table(name, column("id"), column(col, LargeBinary))
        last = 0
        while True:
            rows = db.session.execute(select(t.c.id, t.c[col]).where(t.c.id > last)
                                      .order_by(t.c.id).limit(batch)).all()
            if not rows:
                break
            last = rows[-1][0]
            changed = [(i, _rewritten(keys, bytes(v), plain)) for i, v in rows if v]
            changed = [(i, v) for i, v in changed if v is not None]
            for i, v in changed:
                db.session.execute(update(t).where(t.c.id == i).values({col: v}))
            db.session.commit()
            if changed:
                yield name, len(changed)
    if plain:  # only once every image is open: a start without a key is then allowed
        _set_check(None)


def _rewritten(keys: DataKeys, value: bytes, plain: bool) -> bytes | None:
    """The value as it should be stored now; None if it already is."""
    sealed = value.startswith(MARK)
    if plain:
        return keys.open(value) if sealed else None
    if keys.sealed_by_current(value):
        return None
    return keys.seal(keys.open(value) if sealed else value)


def _set_check(value: bytes | None) -> None:
    db.session.execute(update(_STATE).where(_STATE.c.id == 1).values(data_key_check=value))
    db.session.commit()
