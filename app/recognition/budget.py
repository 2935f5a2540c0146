"""A per-process bound on how many images are decoded and analysed at once.

Each image in flight holds its decoded pixels and the detector's working copies (up to a
few hundred MB for the largest accepted upload, see docs/WEBAPP.md, "Memory"), so a worker
that takes many uploads at once (threads) must not decode them all at once. Others wait
for a slot; if none frees up in time they get BusyError (503) instead of piling up memory.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import math
import os
import threading
from contextlib import contextmanager
from typing import Iterator

from .errors import BusyError


class ImageBudget:
    """At most `slots` images in flight; a caller waits up to `wait_seconds` for a slot.

    Args:
        slots: images decoded and analysed at once (>= 1).
        wait_seconds: how long a caller waits for a free slot before BusyError (>= 0).
    """

    def __init__(self, slots: int = 2, wait_seconds: float = 10.0):
        if slots < 1 or wait_seconds < 0:
            raise ValueError("need slots >= 1 and wait_seconds >= 0")
        self.slots = slots
        self.wait_seconds = wait_seconds
        self._free = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one slot for the duration of the block; BusyError if none frees in time."""
        if not self._free.acquire(timeout=self.wait_seconds):
            raise BusyError(
                f"The server is analysing {self.slots} other photo(s) and could not start "
                f"yours within {self.wait_seconds:g} seconds. Wait a few seconds and send "
                "it again.", retry_after=max(1, math.ceil(self.wait_seconds / 2)))
        try:
            yield
        finally:
            self._free.release()


def _malloc_trim():
    """glibc's malloc_trim, or None elsewhere (musl, macOS: nothing to do there)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_trim = _malloc_trim()
TRIM_AFTER_GROWTH = 32 * 2**20  # bytes of resident memory an image may leave behind


def _resident() -> int | None:
    """This process's resident memory in bytes (Linux), else None."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def give_back_memory() -> None:
    """Return the memory glibc's malloc holds free to the system now (malloc_trim)."""
    if _trim is not None:
        _trim(0)


@contextmanager
def memory_given_back() -> Iterator[None]:
    """Around one image: if the process is left more than TRIM_AFTER_GROWTH larger, give
    the freed memory back to the system. glibc keeps freed blocks below its adaptive mmap
    threshold (up to 32 MB each) for re-use: after a 12 MP photo a worker kept ~50 MB more
    than it used. Only then: trimming after every photo costs 3-4 ms of page faults on the
    next one (a 640x480 photo takes ~30 ms)."""
    before = _resident()
    try:
        yield
    finally:
        after = _resident()
        if before is not None and after is not None and after - before > TRIM_AFTER_GROWTH:
            give_back_memory()
