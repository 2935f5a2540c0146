"""bench_tracks' video: LFW dev people walking through a synthesised camera view (moving,
shrinking, at night), each frame seen by the live detector and encoder, all cached.

A track is one person pasted into a 640x480 scene (app/evaluation/degrade.py) for SECONDS,
one frame per recognition cycle (CYCLES_PER_SECOND): their face moves across the view and
changes size, each frame degraded anew (motion blur, IR night with fresh sensor noise, JPEG
as a camera sends it). What a real track's frames differ by besides (the head turning, the
light, the expression) comes from showing the person's photos in turn, each for
PHOTO_SECONDS, with its face where the track's face is. Every face the live detector finds
is embedded, so any track rule can be replayed on the cache without the networks.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.evaluation.degrade import Condition, jpeg, motion_blur, night, place_in_frame
from app.recognition import FaceDetector
from app.recognition.quality import channel_spread, sharpness
from app.stream.motion import MotionGate
from app.stream.recognizer import LiveRecognizer
from scripts.bench_conditions_data import digest, server_pipeline

SECONDS = 4.0
PHOTO_SECONDS = 0.5
CYCLES_PER_SECOND = 8.0  # recognition cycles a camera gets (bench-live: ~8-12 with 1-2 cameras)
K = 3  # faces kept per frame (highest detector score first)
VERSION = "v2"  # of the video (v2: dark frames lifted, as Live does): a change makes new cache files
log = logging.getLogger("bench_tracks")


@dataclass(frozen=True)
class Scenario:
    """How a face crosses the view: its width goes from px[0] to px[1] (frame pixels) while
    its centre moves from start to end (fractions of the frame's width, height); the
    frames get `condition`'s blur, night and JPEG."""

    name: str
    px: tuple[float, float]
    start: tuple[float, float]
    end: tuple[float, float]
    condition: Condition


SCENARIOS = (
    # Walking past the camera, a little motion blur.
    Scenario("walk", (72, 56), (0.25, 0.45), (0.75, 0.5), Condition("walk", blur_px=3, jpeg=60)),
    # Walking away: the face shrinks to the live detector's smallest.
    Scenario("away", (96, 44), (0.45, 0.4), (0.55, 0.45), Condition("away", jpeg=60)),
    # At night under IR, walking past.
    Scenario("night", (88, 60), (0.3, 0.45), (0.7, 0.5), Condition("night", night=True, jpeg=60)),
)


@dataclass
class Video:
    """The frames of T tracks of F frames as the live pipeline saw them, up to K faces a
    frame (by detector score; missing faces have score NaN): boxes (T, F, K, 4), scores
    (T, F, K), landmarks (T, F, K, 5, 2), embeddings (T, F, K, 128), sharpness (T, F, K),
    spread (T, F, K) (channel spread, grey levels), truth (T, F, 4) (where the face was)."""

    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray
    embeddings: np.ndarray
    sharpness: np.ndarray
    spread: np.ndarray
    truth: np.ndarray

    @classmethod
    def empty(cls, tracks: int, frames: int) -> "Video":
        t, f = tracks, frames
        return cls(np.zeros((t, f, K, 4), np.float32), np.full((t, f, K), np.nan, np.float32),
                   np.zeros((t, f, K, 5, 2), np.float32), np.zeros((t, f, K, 128), np.float32),
                   np.zeros((t, f, K), np.float32), np.zeros((t, f, K), np.float32),
                   np.zeros((t, f, 4), np.float32))


def frame_count() -> int:
    return int(SECONDS * CYCLES_PER_SECOND)


def render(photos: list, scenario: Scenario, i: int, seed: int) -> tuple[bytes, np.ndarray]:
    """Frame i of a track: (JPEG bytes, (4,) where the face is). photos: the person's (the
    (H, W, 3) photo, its face's (x1, y1, x2, y2)), shown in turn."""
    rgb, face_box = photos[int(i / CYCLES_PER_SECOND / PHOTO_SECONDS) % len(photos)]
    t = i / max(1, frame_count() - 1)
    px = scenario.px[0] + t * (scenario.px[1] - scenario.px[0])
    cx, cy = (np.asarray(scenario.start) + t * (np.subtract(scenario.end, scenario.start))) * (640, 480)
    scale = px / float(face_box[2] - face_box[0])
    at = (cx - scale * (face_box[0] + face_box[2]) / 2, cy - scale * (face_box[1] + face_box[3]) / 2)
    frame, placed = place_in_frame(rgb, px, float(face_box[2] - face_box[0]),
                                   np.random.default_rng(seed), at=at)  # one scene a track
    c = scenario.condition
    if c.blur_px:
        frame = motion_blur(frame, c.blur_px)
    if c.night:
        frame = night(frame, np.random.default_rng([seed, i]))  # fresh noise every frame
    return jpeg(frame, c.jpeg or 90), placed.box(face_box)


def live_pipeline(min_face_size: int, max_side: int):
    """The server's pipeline with Live's detector settings (app/stream/recognizer.py)."""
    pipeline = server_pipeline()
    return pipeline.with_detector(FaceDetector(min_face_size=min_face_size, max_side=max_side,
                                               models_dir=pipeline.detector.models_dir))


def live_finder(pipeline, full_every: float | None):
    """Live's detection (LiveRecognizer.find: a dark frame lifted), for one track's frames,
    behind its motion gate (app/stream/motion.py) with a whole-frame detection every
    `full_every` seconds, or on every whole frame (None): (frame, seconds) -> detections;
    its tracker follows what it finds."""
    recognizer = LiveRecognizer(pipeline, lookup=None, min_face_size=pipeline.detector.min_face_size,
                                max_side=pipeline.detector.max_side,
                                gate=MotionGate(full_every) if full_every else None)

    def find(frame: np.ndarray, now: float) -> list:
        found = recognizer.find(frame, now)
        recognizer.tracker.update([d.box for d in found], now)
        return found
    return find


def record(video: Video, t: int, i: int, faces) -> None:
    """Faces (pipeline Face values, at most K) into frame i of track t."""
    for j, face in enumerate(faces[:K]):
        video.boxes[t, i, j], video.scores[t, i, j] = face.detection.box, face.detection.score
        video.landmarks[t, i, j] = face.detection.landmarks
        video.embeddings[t, i, j] = face.embedding
        video.sharpness[t, i, j] = sharpness(face.aligned)
        video.spread[t, i, j] = channel_spread(face.aligned)


def shoot(people: list[list], scenario: Scenario, seeds: list[int], cache: Path,
          settings: tuple[int, int], gate: float | None = None) -> Video:
    """Every person's photos ([(rgb, face box)]) as a track under `scenario`, seen by the
    live pipeline with `settings` (min face size, detection side), and with `gate`, behind
    Live's motion gate with a whole-frame detection every `gate` seconds; cached by the
    photos, scenario, seeds."""
    key = digest(([[digest(rgb.tobytes()) for rgb, _ in photos] for photos in people], scenario,
                  seeds, settings, SECONDS, CYCLES_PER_SECOND, PHOTO_SECONDS) + ((gate,) if gate else ()))
    path = cache / f"{scenario.name}-{VERSION}-{key}.npz"
    if path.exists():
        return Video(**np.load(path))
    pipeline = live_pipeline(*settings)
    video = Video.empty(len(people), frame_count())
    for t, (photos, seed) in enumerate(zip(people, seeds)):
        find = live_finder(pipeline, gate)
        for i in range(frame_count()):
            data, video.truth[t, i] = render(photos, scenario, i, seed)
            frame = pipeline.decode(data)
            record(video, t, i, pipeline.embed(frame, find(frame, i / CYCLES_PER_SECOND)[:K]))
        if (t + 1) % 20 == 0:
            log.info("%s: %d/%d tracks", scenario.name, t + 1, len(people))
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **video.__dict__)
    return video
