"""Flask extensions, created unbound here and bound to an app in `create_app`."""
from __future__ import annotations

import hashlib
import sqlite3
import time

from flask import request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from limits.storage import MemoryStorage
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def bearer_token() -> str | None:
    """The key of an `Authorization: Bearer <key>` header, or None (the rate limit's key
    below and app/auth read it)."""
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return None
    return auth[7:].strip() or None


def _rate_key() -> str:
    """Rate-limit per API key when one is sent (hashed, never kept in clear), else per address."""
    if key := bearer_token():
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return "ip:" + get_remote_address()


class SweptMemoryStorage(MemoryStorage):
    """limits' `memory://` storage (this class takes that scheme over: the default
    RATELIMIT_STORAGE_URI) with expired counters swept inline at most every SWEEP_SECONDS.
    limits' own starts a 10 ms threading.Timer on every hit once the last one has ended:
    under load, a thread started per API request, and Thread.start waits for the new thread
    to get the GIL (1.3 % of a busy worker's request time by py-spy; docs/BENCHMARKS.md,
    "Where an API request's time goes"). A counter read after its window is reset by `get`
    either way; the sweep frees those of clients that never came back."""

    STORAGE_SCHEME = ["memory"]
    SWEEP_SECONDS = 1.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0  # time.monotonic() of the next sweep

    def _MemoryStorage__schedule_expiry(self) -> None:  # limits' (name-mangled) hook
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Memory storage: each worker counts on its own (set RATELIMIT_STORAGE_URI to share).
limiter = Limiter(key_func=_rate_key)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL lets readers (other workers) run beside a writer; the busy timeout makes a
    writer wait for the lock instead of failing; SQLite enforces foreign keys only when asked;
    secure_delete overwrites what is deleted (an erased person's faces are not left in the
    file's free pages)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA secure_delete=ON")
        cur.close()
