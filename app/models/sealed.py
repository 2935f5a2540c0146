"""Face images sealed at rest (FACES_DATA_KEY): crops, arrival thumbnails and undo payloads
are stored AES-256-GCM encrypted when a data key is set, so that a copy of the database
without the key holds no face image.

A sealed value is MARK (4 bytes) + the key's id (4 bytes: the start of SHA-256 of the key)
+ a 12-byte nonce + the ciphertext and its 16-byte tag: 36 bytes more than the JPEG. Values
without MARK are read as they are (rows written before a key was set, or without one), so
setting a key needs no migration of the data; `flask faces rotate-data-key` seals them.

The keys live on the engine's dialect (`install`), not in a global: one process may hold
several apps (the tests do), each with its own database and key.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

MARK = b"FKs1"
CHECK = b"faces data key check"  # sealed into app_state.data_key_check: which key sealed the data


class DataKeyError(RuntimeError):
    """The data key is missing, malformed or not the one the data was sealed with."""


class DataKeys:
    """The configured keys: the first seals, every one opens (rotation: new first, old after)."""

    def __init__(self, keys: list[bytes]):
        self.by_id = {key_id(k): AESGCM(k) for k in keys}
        self.sealer_id = key_id(keys[0])

    def seal(self, plain: bytes) -> bytes:
        nonce = os.urandom(12)
        return MARK + self.sealer_id + nonce + self.by_id[self.sealer_id].encrypt(nonce, plain, None)

    def open(self, sealed: bytes) -> bytes:
        aead = self.by_id.get(sealed[4:8])
        if aead is None:
            raise DataKeyError("A face image was sealed with a key FACES_DATA_KEY does not hold: "
                               "add that key (keys are comma-separated, the sealing one first).")
        try:
            return aead.decrypt(sealed[8:20], sealed[20:], None)
        except InvalidTag:
            raise DataKeyError("A sealed face image does not open with its key: the row is "
                               "damaged or was changed outside the product.") from None

    def sealed_by_current(self, value: bytes) -> bool:
        return value.startswith(MARK) and value[4:8] == self.sealer_id


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).digest()[:4]


def new_key() -> str:
    """A fresh key as FACES_DATA_KEY takes it: 32 random bytes, URL-safe base64 (44 chars)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_keys(setting: str | None) -> DataKeys | None:
    """FACES_DATA_KEY ("key" or "new,old,...") as DataKeys; None when unset or blank."""
    parts = [p.strip() for p in (setting or "").split(",") if p.strip()]
    if not parts:
        return None
    keys = []
    for p in parts:
        try:
            key = base64.urlsafe_b64decode(p.encode())
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise DataKeyError("FACES_DATA_KEY must be 32 bytes in URL-safe base64 (44 characters; "
                               "several keys comma-separated): make one with 'flask faces new-data-key'.")
        keys.append(key)
    return DataKeys(keys)


def install(engine, keys: DataKeys | None) -> None:
    """Seal and open this engine's images with `keys` (None: write plain, refuse sealed)."""
    engine.dialect.faces_data_keys = keys


class SealedImage(TypeDecorator):
    """LargeBinary whose non-empty values are sealed with the engine's data key, if any."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        keys = getattr(dialect, "faces_data_keys", None)
        if not value or keys is None:  # b"": an expired thumbnail stays empty
            return value
        return keys.seal(bytes(value))

    def process_result_value(self, value, dialect):
        if value is None or not bytes(value[:4]) == MARK:
            return value
        keys = getattr(dialect, "faces_data_keys", None)
        if keys is None:
            raise DataKeyError("This database's face images are sealed: set FACES_DATA_KEY to the "
                               "key they were sealed with.")
        return keys.open(bytes(value))
