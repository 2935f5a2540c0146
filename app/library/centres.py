"""This process's copy of the unknown groups' centres, owned by the app's process state
(app/faces/runtime.py) and kept in step by app/library/grouping.py."""
from __future__ import annotations

import threading

import numpy as np
from sqlalchemy import select

from ..extensions import db
from ..faces import state
from ..models import EMBEDDING_DTYPE, UnknownGroup


def group_centres() -> "GroupCentres":
    """This process's copy, kept in the app's process state (made here on first use, so
    that app/faces needs nothing from the library above it)."""
    s = state()
    with s.lock:
        if s.groups is None:
            s.groups = GroupCentres()
        return s.groups


class GroupCentres:
    """This process's copy of the open and dismissed groups' centres (G, 128) of one model,
    as of a library generation. Thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.model: str | None = None
        self.seen = -1
        self.ids = np.zeros(0, np.int64)
        self.sums = np.zeros((0, 128), np.float32)
        self.expired_at = float("-inf")  # time.monotonic() of this process's last expiry pass

    def load(self, model: str, generation: int) -> None:
        """Read every live group of `model` (in the caller's transaction)."""
        rows = db.session.execute(select(UnknownGroup.id, UnknownGroup.centroid).where(
            UnknownGroup.model == model, UnknownGroup.status.in_(("open", "dismissed")))).all()
        self.ids = np.array([r[0] for r in rows], np.int64)
        self.sums = (np.stack([np.frombuffer(r[1], EMBEDDING_DTYPE) for r in rows]).astype(np.float32)
                     if rows else np.zeros((0, 128), np.float32))
        self.model, self.seen = model, generation

    def set(self, group_id: int, vector_sum: np.ndarray | None) -> None:
        """A group's new sum (None: the group is gone or named)."""
        at = np.flatnonzero(self.ids == group_id)
        if vector_sum is None:
            keep = self.ids != group_id
            self.ids, self.sums = self.ids[keep], self.sums[keep]
        elif len(at):
            self.sums[at[0]] = vector_sum
        else:
            self.ids = np.append(self.ids, group_id)
            self.sums = np.vstack([self.sums, vector_sum[None]])
