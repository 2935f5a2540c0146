"""Recognition beside the display: detect on a downscaled frame, track, embed only what
needs it, name each track from all its faces (tracker.py), hand the cycle to the sink
(app/events/sink.py). Runs in its own thread on the newest frame, dropping the others."""
from __future__ import annotations

import threading
import time
from typing import Callable, NamedTuple

import cv2
import numpy as np

from ..recognition import FaceDetector, FacePipeline
from ..recognition.lowlight import for_recognition
from ..recognition.types import Detection
from ..recognition.quality import FaceConditions, assess
from ..events.sink import CameraRef, Cycle, CycleSink
from .motion import MotionGate, Plan, smallest_face
from .rates import RateMeter
from .tracker import LiveMatch, Tracker, inside

# embeddings (N, 128), their faces' conditions -> N matches (person id or None, name,
# distance; why faces too poor to name were not)
Lookup = Callable[[np.ndarray, list[FaceConditions]], list[LiveMatch]]
SHOW_SECONDS = 0.25
BEST_CROPS = 3  # an unknown track's best crops kept for its sightings (app/library)
SAME_FACE = 0.5  # a face found with this much of its box inside a kept one's is that face


class Seen(NamedTuple):
    """One face of a frame: aligned (160, 160, 3) uint8 crop, (128,) unit embedding, its
    conditions and quality (0..1, recognition.quality.face_quality)."""

    aligned: np.ndarray
    embedding: np.ndarray
    conditions: FaceConditions
    quality: float


class LiveRecognizer:
    """Turns frames into tracks of people.

    Args:
        pipeline: its encoder embeds the faces; they are found by a live-tuned detector
            (`pipeline.with_detector`).
        lookup: matches embeddings against the enrolled people.
        min_face_size, max_side: live detection settings (pixels of the full frame; the
            frame is detected on a copy whose longer side is max_side).
        sink, camera: each cycle goes to `sink.process_cycle` as `camera`'s (None: nowhere).
        ignore_region: (x, y, w, h) in frame pixels: faces centred there are ignored.
        best_crops: an unknown track's best crops kept for the face library.
        gate: where each cycle looks for faces (motion.py); None: the whole frame, always.
    """

    def __init__(self, pipeline: FacePipeline, lookup: Lookup, min_face_size: int = 40,
                 max_side: int = 320, tracker: Tracker | None = None,
                 sink: CycleSink | None = None, camera: CameraRef | None = None,
                 ignore_region: tuple[int, int, int, int] | None = None,
                 best_crops: int = BEST_CROPS, gate: MotionGate | None = None):
        self.pipeline = pipeline.with_detector(FaceDetector(
            min_face_size=min_face_size, max_side=max_side,
            models_dir=pipeline.detector.models_dir))
        self.lookup = lookup
        self.sink, self.camera = sink, camera
        self.ignore_region = ignore_region
        self.best_crops = best_crops
        self.gate = gate
        self.cycles = {"full": 0, "partial": 0, "skipped": 0}  # how each cycle detected
        self._groups: dict[int, int] = {}  # track id -> unknown group id (from the sink)
        self.rate = RateMeter(5.0)  # recognition cycles per second
        self.tracker = tracker or Tracker()
        self.latency_ms = 0.0  # of the last process() call
        self._lock = threading.Lock()
        self._tracks: list[dict] = []
        self._lingering: list[dict] = []  # tracked, but unseen for over SHOW_SECONDS

    def process(self, frame: np.ndarray, captured_at: float) -> None:
        """Detect, track and identify the faces of one RGB frame captured at `captured_at`
        (time.monotonic seconds), then hand the cycle to the sink."""
        detections = self.find(frame, captured_at)
        if self.ignore_region is not None:
            detections = [d for d in detections if not self._ignored(d.box)]
        tracks = self.tracker.update([d.box for d in detections], captured_at)
        todo = [(t, d) for t, d in zip(tracks, detections)
                if self.tracker.needs_check(t, captured_at)]
        confirmed = []
        if todo:
            faces = self._embed(frame, [d for _, d in todo])
            confirmed = self._check([t for t, _ in todo], faces, captured_at)
        now = time.monotonic()
        self.latency_ms = (now - captured_at) * 1e3
        self.rate.tick(now)
        if self.sink is not None:
            self._hand_on(captured_at, confirmed, now)
        with self._lock:
            # Shown while seen in the last quarter second: no flicker when one detection misses.
            self._tracks = [self._view(t) for t in self.tracker.tracks
                            if captured_at - t.last_seen <= SHOW_SECONDS]
            # A privacy mode still hides these: a missed detection must not show a face.
            self._lingering = [self._view(t) for t in self.tracker.tracks
                               if captured_at - t.last_seen > SHOW_SECONDS]

    def find(self, frame: np.ndarray, captured_at: float) -> list:
        """The faces of the camera's RGB `frame` where the gate says to look (nowhere: the
        cycle is skipped), looked for in a dark frame's lifted copy (lowlight.py); the gate
        reads the frame as it is. Detections in frame pixels, highest score first."""
        work = for_recognition(frame)
        plan = None
        if self.gate is not None:
            min_face = smallest_face(*frame.shape[:2], self.detector.min_face_size, self.detector.max_side)
            tracks = [(t.box, t.last_seen) for t in self.tracker.tracks]
            plan = self.gate.plan(frame, captured_at, tracks, min_face)
        self.cycles["full" if plan is None else "partial" if plan else "skipped"] += 1
        return self._detect(work) if plan is None else self._detect_in(work, plan)

    def _detect(self, frame: np.ndarray) -> list:
        """The frame's faces (recognition.types.Detection), highest score first."""
        return self.pipeline.detect(frame)

    def _detect_in(self, frame: np.ndarray, plan: Plan) -> list:
        """The faces found where `plan` says (motion.py), in frame pixels: the followed
        ones first (those the follow lost are looked for in their regions), then those of
        the regions by score, less any mostly inside one kept
        (a region's edge can cut a face in two: half of it is no new face)."""
        kept, lost = [], []
        if len(plan.followed):
            kept, lost = plan.pick(self.detector.detect_near(frame, plan.near))
        found = []
        for r in [*plan.regions, *lost]:  # at the whole frame's scale: the faces it would find
            crop, f = frame[r.y1:r.y2, r.x1:r.x2], self._scale(frame)
            if f < 1:
                crop = cv2.resize(crop, (round(crop.shape[1] * f), round(crop.shape[0] * f)),
                                  interpolation=cv2.INTER_AREA)
            for d in self.detector.detect(crop, r.min_face * f):
                found.append(Detection(d.box / f + (r.x1, r.y1, r.x1, r.y1), d.score,
                                       d.landmarks / f + (r.x1, r.y1)))
        for d in sorted(found, key=lambda d: -d.score):
            if not kept or inside(np.stack([k.box for k in kept]), d.box[None]).max() < SAME_FACE:
                kept.append(d)
        return kept

    def _embed(self, frame: np.ndarray, detections: list) -> list[Seen]:
        """The faces under `detections`, each aligned, embedded and assessed. From the
        camera's frame even when it is dark: a track is matched in the colour gallery, and
        there the lifted copy's grey faces named fewer at 1 % of strangers (TAR 84.6 ->
        72.8 % at night, 64 px; docs/CAMERAS.md)."""
        faces = self.pipeline.embed(frame, detections)
        return [Seen(f.aligned, f.embedding, *assess(f.detection, f.aligned)) for f in faces]

    def _check(self, tracks: list, faces: list[Seen], captured_at: float) -> list:
        """Add each track's new face, match each track's mean (tracker.py) and return the
        tracks confirmed by it for the first time."""
        for track, face in zip(tracks, faces):
            track.add(face.embedding, face.quality, face.conditions)
            track.face = (face.aligned, face.embedding)
        matches = self.lookup(np.stack([t.embedding for t in tracks]), [t.conditions for t in tracks])
        confirmed = []
        for track, face, match in zip(tracks, faces, matches):
            track.vote(match, captured_at)
            if match.person_id is None:
                track.keep_best(face.quality, face.aligned, face.embedding, self.best_crops)
            if track.confirmed and not track.announced:
                track.announced = True
                confirmed.append(track)
        return confirmed

    def _hand_on(self, captured_at: float, confirmed: list, now: float) -> None:
        """The cycle to the sink; the unknown groups it answers are shown on the tracks."""
        in_view = tuple(t.seen() for t in self.tracker.tracks if t.last_seen == captured_at)
        ended = tuple(t.seen() for t in self.tracker.ended)
        groups = self.sink.process_cycle(Cycle(self.camera, in_view, tuple(t.seen() for t in confirmed),
                                               ended, now))
        with self._lock:
            self._groups.update(groups)
            for track in ended:
                self._groups.pop(track.id, None)

    def _scale(self, frame: np.ndarray) -> float:
        """The factor of the copy the detector works on (max_side), 1 for a small frame."""
        side = self.detector.max_side
        return 1.0 if side is None else min(1.0, side / max(frame.shape[:2]))

    @property
    def encoder(self):
        """The encoder the faces are embedded with (the app's pipeline's, shared)."""
        return self.pipeline.encoder

    @property
    def detector(self) -> FaceDetector:
        """The live-tuned detector (smaller copy, bigger minimum face)."""
        return self.pipeline.detector

    def _ignored(self, box) -> bool:
        x, y, w, h = self.ignore_region
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        return x <= cx < x + w and y <= cy < y + h

    def _view(self, track) -> dict:
        return {"id": track.id, "box": [round(float(v)) for v in track.box],
                "name": track.name, "person_id": track.person_id, "checked": bool(track.votes),
                "group_id": self._groups.get(track.id),
                "distance": None if track.distance is None else round(track.distance, 3),
                "since": track.first_seen, "named_at": track.named_at,
                "reason": None if track.name or not track.votes else track.votes[-1].reason}

    def face_of(self, track_id: int):
        """(aligned crop, embedding) last seen for a track in view, or None."""
        for track in self.tracker.tracks:
            if track.id == track_id:
                return track.face
        return None

    def tracks(self) -> list[dict]:
        """The faces in view now (copies, safe to read from any thread)."""
        with self._lock:
            return [dict(t) for t in self._tracks]

    def lingering(self) -> list[dict]:
        """Faces tracked but not seen for over SHOW_SECONDS (up to the tracker's max_age):
        not drawn, still hidden by a privacy mode (copies)."""
        with self._lock:
            return [dict(t) for t in self._lingering]

    def track_status(self) -> list[dict]:
        """The faces in view for people and programs: box, name, distance, seconds in view,
        and how long after its first detection it was named (ms)."""
        now = time.monotonic()
        out = []
        for t in self.tracks():
            since, named_at = t.pop("since"), t.pop("named_at")
            t["seconds_in_view"] = round(now - since, 1)
            t["named_after_ms"] = None if named_at is None else round((named_at - since) * 1e3)
            out.append(t)
        return out
