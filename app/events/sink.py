"""What a camera's recognition cycle hands on, and the one interface that takes it.

Modelled on Frigate's `RealTimeProcessorApi` (process_frame, handle_request,
expire_object): a recognizer (app/stream/recognizer.py) calls `process_cycle` once per
cycle with everything the cycle produced (the tracks in view, those whose identity was just
confirmed, those that left the view: Frigate's expire_object), and `forget_camera` when a
camera stops (every visit on it ends). Requests about a face in view (the live enrolment)
are answered by the recognizer itself, which holds the faces. The event bus (bus.py)
implements it; tracks are immutable snapshots, so nothing downstream changes the
recognizer's own tracks.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class CameraRef:
    """Where a cycle happened. `id` is the camera row's (0: a browser camera, -1: a
    preview), `key` names one recognizer (its track ids are its own: "camera:3",
    "browser:<client>", "preview:<source>")."""

    id: int
    name: str
    key: str


@dataclass(frozen=True)
class SeenTrack:
    """A track as one cycle left it.

    Attributes:
        id: the track's number within its recognizer.
        person_id: the person all its faces name (None: unknown or not checked yet); name
            is that person's name when last matched, for display only.
        distance: L2 distance of its faces' mean embedding to the nearest person (None: not
            checked yet).
        confirmed: its last two checks named the same person (or both nobody).
        face: the last checked face, (aligned (160, 160, 3) uint8, (128,) float32 embedding).
        best: while unknown, its best crops (app/library/sightings.Crop), best first.
    """

    id: int
    person_id: int | None
    name: str | None
    distance: float | None
    confirmed: bool
    face: tuple[np.ndarray, np.ndarray] | None
    best: tuple = ()


@dataclass(frozen=True)
class Cycle:
    """One recognition cycle of one camera: the tracks seen in it, those confirmed in it (a
    person or "unknown", once per track), those that left the view; `at` is when it was
    processed (time.monotonic() seconds)."""

    camera: CameraRef
    in_view: tuple[SeenTrack, ...]
    confirmed: tuple[SeenTrack, ...]
    ended: tuple[SeenTrack, ...]
    at: float


class CycleSink(Protocol):
    def process_cycle(self, cycle: Cycle) -> dict[int, int]:
        """Take one cycle; returns {track id: unknown group id} for the unknown tracks
        remembered by the face library (the live page links them)."""

    def forget_camera(self, camera_id: int) -> None:
        """A camera stopped or was removed: its visits end."""
