"""Every setting, declared once: its environment variable (FACES_*), the Flask config key it
fills, its type, default and help text. `Config` is filled from the environment with them;
docs/CONFIGURATION.md is generated from them (`make docs`). Paths default to the Flask
instance folder, never the working directory."""
from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from typing import Mapping

TRUE = ("1", "true", "yes", "on")
# The model a new database starts with: FaceNet converted from the pretrained weights
# (app/recognition/weights.py). Here, below both, as the state row (app/models) names it too.
PRETRAINED = "facenet-keras-v1"


@dataclass(frozen=True)
class Setting:
    """One setting. default None: worked out at start (`shown` says how, for the docs);
    alias: an older variable still read, with a warning, when `env` is not set."""

    env: str
    key: str
    type: type
    default: object
    help: str
    shown: str = ""
    alias: str = ""

    def read(self, environ: Mapping[str, str]) -> object:
        raw = environ.get(self.env)
        if raw is None and self.alias and self.alias in environ:
            warnings.warn(f"{self.alias} is deprecated: set {self.env} instead", FutureWarning, stacklevel=2)
            raw = environ[self.alias]
        if raw is None:
            return self.default
        if self.type is bool:
            return raw.strip().lower() in TRUE
        try:
            return self.type(raw)
        except ValueError:
            kind = {int: "a whole number", float: "a number"}[self.type]
            raise ValueError(f"{self.env}={raw!r}: it must be {kind} (default {self.default}).") from None


S = Setting
GROUPS: tuple[tuple[str, tuple[Setting, ...]], ...] = (
    ("Storage and files", (
        S("FACES_DATABASE_URL", "SQLALCHEMY_DATABASE_URI", str, None, "Any SQLAlchemy URL; SQLite runs in WAL mode "
          "with a busy timeout. PostgreSQL for several hosts (docs/DEPLOY.md).", shown="sqlite:///instance/faces.db"),
        S("FACES_SECRET_KEY", "SECRET_KEY", str, None, "Signs sessions and forms; the same on every host behind one "
          "load balancer.", shown="random, kept in instance/secret_key (0600)", alias="SECRET_KEY"),
        S("FACES_DATA_KEY", "DATA_KEY", str, None, "Seal face crops, arrival thumbnails and undo entries at rest "
          "(AES-256-GCM, app/models/sealed.py): 32 bytes in URL-safe base64 from `flask faces new-data-key`; several, "
          "comma-separated, while rotating, the one to seal with first (docs/PRIVACY.md).", shown="unset: stored plain"),
        S("FACES_MODELS_DIR", "MODELS_DIR", str, None, "Converted encoder models.", shown="instance/models"),
        S("FACES_SAMPLES_DIR", "SAMPLES_DIR", str, None, "The sample photos.", shown="instance/samples"),
        S("FACES_CACHE_DIR", "CACHE_DIR", str, "~/.cache/facerec", "Download and conversion cache: a fresh clone on "
          "the same machine sets up in seconds (optional; deleted, everything is fetched again)."),
        S("FACES_VIDEOS_DIR", "VIDEOS_DIR", str, None, "Video files an operator may choose as a camera source must "
          "lie here, so that no one can make the server open any file.", shown="instance/videos"),
        S("FACES_INDEX_DIR", "INDEX_DIR", str, None, "Snapshots of the gallery index (one file per database and "
          "model).", shown="instance/index"),
        S("FACES_INDEX_SNAPSHOT_MIN", "INDEX_SNAPSHOT_MIN", int, 10_000, "A snapshot is written for galleries of at "
          "least this many people, so that a starting worker reads one file and the change log."),
        S("FACES_INDEX_SNAPSHOT_EVERY", "INDEX_SNAPSHOT_EVERY", int, 10_000, "And written again after this many "
          "changes."),
        S("FACES_INDEX_ANN_MIN", "INDEX_ANN_MIN", int, 200_000, "From this many people on, search an approximate "
          "HNSW graph (built in the background, exact search meanwhile); below it every answer is exact."),
    )),
    ("Recognition", (
        S("FACES_ENCODER", "ENCODER_VARIANT", str, "int8", "Encoder weights: int8 (fastest, same accuracy) or fp32."),
        S("FACES_FLIP", "ENCODER_FLIP", bool, False, "Average each face with its mirror image (2x encoder time)."),
        S("FACES_THREADS", "NUM_THREADS", int, 2, "CPU threads per network."),
        S("FACES_VERIFY_THRESHOLD", "VERIFY_THRESHOLD", float, 1.09, "/api/verify: L2 distance under which two "
          "photos are one person (the best accuracy on LFW pairs, docs/BENCHMARKS.md)."),
        S("FACES_IDENTIFY_THRESHOLD", "IDENTIFY_THRESHOLD", float, 0.8, "Initial identification threshold, then the "
          "Settings page: about 1 % of strangers taken for someone with 1,184 LFW people enrolled."),
        S("FACES_IDENTIFY_CROWDING", "IDENTIFY_CROWDING", float, 0.7, "How much a face's crowded or empty "
          "neighbourhood moves its threshold (0: off)."),
        S("FACES_MIN_FACE_SIZE", "MIN_FACE_SIZE", int, 20, "Smallest face looked for in photos (px)."),
        S("FACES_MIN_ENROL_FACE", "MIN_ENROL_FACE", int, 40, "Smallest face side (px) accepted for enrolment."),
        S("FACES_MIN_SHARPNESS", "MIN_SHARPNESS", float, 12.0, "Variance of the Laplacian of the aligned crop under "
          "which a face is too blurred to enrol (99 % of LFW's faces score 12 or more)."),
        S("FACES_DUPLICATE_FACE_DISTANCE", "DUPLICATE_FACE_DISTANCE", float, 0.35, "A face this close (L2) to "
          "another person's is the same picture re-saved: refused as duplicate-face (docs/LIBRARY.md)."),
        S("FACES_WARM_UP", "WARM_UP", bool, False, "Load the networks at start instead of on the first request."),
    )),
    ("Uploads (bounded work per request)", (
        S("FACES_MAX_IMAGE_BYTES", "MAX_IMAGE_BYTES", int, 10 * 1024 * 1024, "Larger uploads are refused (413)."),
        S("FACES_MAX_IMAGE_PIXELS", "MAX_IMAGE_PIXELS", int, 40_000_000, "Larger images are refused from their "
          "header, before decoding."),
        S("FACES_MAX_DECODE_SIDE", "MAX_DECODE_SIDE", int, 4096, "Larger images are decoded at a reduced size (px, "
          "longer side)."),
        S("FACES_DETECT_MAX_SIDE", "DETECT_MAX_SIDE", int, 1600, "Faces are looked for on a copy at most this large "
          "(px, longer side)."),
        S("FACES_MAX_FACES_PER_IMAGE", "MAX_FACES_PER_IMAGE", int, 100, "Faces analysed per image at most (the "
          "highest-scoring)."),
        S("FACES_MAX_CONCURRENT_IMAGES", "MAX_CONCURRENT_IMAGES", int, 2, "Uploads decoded and analysed at once per "
          "process (each may take ~200 MB at its peak)."),
        S("FACES_IMAGE_WAIT_SECONDS", "IMAGE_WAIT_SECONDS", float, 10.0, "How long an upload waits for its turn "
          "before busy (503)."),
        S("FACES_BULK_MAX_BYTES", "BULK_MAX_BYTES", int, 200 * 1024 * 1024, "Enrol many: the largest zip uploaded "
          "(4x this unpacked)."),
        S("FACES_BULK_MAX_PHOTOS", "BULK_MAX_PHOTOS", int, 5000, "Enrol many: files in one zip at most."),
        S("FACES_PERSON_IMPORT_MAX_BYTES", "PERSON_IMPORT_MAX_BYTES", int, 512 << 20, "The largest person's export "
          "POST /api/people/import takes (about 7 kB a face)."),
    )),
    ("Access", (
        S("FACES_API_OPEN_RECOGNITION", "API_OPEN_RECOGNITION", bool, True, "Identify and verify without an API key."),
        S("FACES_API_RATE_LIMIT", "API_RATE_LIMIT", str, "300 per minute", "Per API key, or per address without "
          "one."),
        S("FACES_RATELIMIT_STORAGE", "RATELIMIT_STORAGE_URI", str, "memory://", "Per process; e.g. redis:// to share "
          "the API limit between workers and hosts."),
        S("FACES_LOGIN_RATE_LIMIT", "LOGIN_RATE_LIMIT", str, "20 per minute", "Failed sign-ins per address, counted "
          "in the database (every worker and host); then sign-in waits out the window."),
        S("FACES_PROXY_HOPS", "PROXY_HOPS", int, 0, "Reverse proxies in front whose X-Forwarded-* headers are "
          "trusted (1 behind nginx or Caddy)."),
        S("FACES_SECURE_COOKIES", "SESSION_COOKIE_SECURE", bool, False, "Session cookie only over HTTPS (set it when "
          "served over HTTPS)."),
        S("FACES_UNDO_SECONDS", "UNDO_SECONDS", float, 600.0, "How long a deletion on the pages can be undone."),
    )),
    ("Live video and cameras", (
        S("FACES_CAMERA_SOURCE", "CAMERA_SOURCE", str, "auto", "The first camera's source on a new database (flask "
          "db upgrade): auto (the first webcam, else the demo), demo, a webcam index, a video file or an "
          "rtsp:// or http(s):// URL.", alias="CAMERA_SOURCE"),
        S("FACES_LIVE_MIN_FACE_SIZE", "LIVE_MIN_FACE_SIZE", int, 40, "Smallest face (px) looked for in live video."),
        S("FACES_LIVE_DETECT_SIDE", "LIVE_DETECT_SIDE", int, 320, "Live detection runs on a copy this many pixels "
          "wide."),
        S("FACES_LIVE_MOTION_GATE", "LIVE_MOTION_GATE", bool, True, "Detect only where it is needed: nothing "
          "in a still scene with no face, known faces where they just were, the rest where something "
          "moved (docs/LIVE.md); off: the whole frame at every cycle."),
        S("FACES_LIVE_FULL_DETECTION_SECONDS", "LIVE_FULL_DETECTION_SECONDS", float, 2.0, "With the motion "
          "gate, the whole frame is still detected this often: a face that came in without moving is "
          "found within it."),
        S("FACES_LIVE_IDLE_SECONDS", "LIVE_IDLE_SECONDS", float, 10.0, "A preview nobody watches stops after this "
          "long; a worker's relay of a camera too."),
        S("FACES_LIVE_ARRIVAL_COOLDOWN_SECONDS", "LIVE_ARRIVAL_COOLDOWN_SECONDS", float, 60.0, "A person unseen on a "
          "camera this long has left (departure); seen again within it, no new arrival."),
        S("FACES_LIVE_OPEN", "LIVE_OPEN", bool, False, "Stream, status and arrivals without signing in or a key "
          "(a wall display on a private network)."),
        S("FACES_LIVE_PREVIEWS", "LIVE_PREVIEWS", int, 2, "Previews of sources that are no camera's (?source=, "
          "admins and keys) per process (more: 429)."),
        S("FACES_STREAMS_PER_WORKER", "STREAMS_PER_WORKER", int, 4, "MJPEG streams a server process sends at once; "
          "each holds one of its threads (more: 503 with Retry-After)."),
        S("FACES_MAX_CAMERAS", "MAX_CAMERAS", int, 16, "Cameras at most (one more: 409)."),
        S("FACES_CAMERAS_RUNNER", "CAMERAS_RUNNER", str, "worker", "worker: an elected web worker runs every camera; "
          "off: only `flask faces cameras run` does."),
        S("FACES_CAMERAS_AUTOSTART", "CAMERAS_AUTOSTART", bool, False, "Workers compete for the cameras at start, "
          "not on the first viewer (on in make run, make serve and the container)."),
        S("FACES_CAMERAS_SYNC_SECONDS", "CAMERAS_SYNC_SECONDS", float, 1.0, "How often the runner follows the camera "
          "table and other workers try the lock."),
        S("FACES_CAMERAS_RECOGNITION_THREADS", "CAMERAS_RECOGNITION_THREADS", int, 1, "Recognition threads shared in "
          "turn by all cameras."),
        S("FACES_ALLOW_LOCAL_TARGETS", "ALLOW_LOCAL_TARGETS", bool, False, "Webhook and camera URLs may name this "
          "machine (loopback) or a link-local address (refused otherwise, so that they cannot probe the server)."),
        S("FACES_VIEWERS_SEE_BLURRED", "VIEWERS_SEE_BLURRED", bool, False, "Everyone but a signed-in admin sees only "
          "blurred faces (docs/PRIVACY.md)."),
    )),
    ("Several hosts on one PostgreSQL (docs/CLUSTER.md)", (
        S("FACES_HOST_ID", "HOST_ID", str, None, "This host's stable id in the cluster: its heartbeat, its camera "
          "leases and a camera's pinned host name it.", shown="the host name and a hash of the instance folder"),
        S("FACES_HOST_RUNS_CAMERAS", "HOST_RUNS_CAMERAS", bool, True, "Whether this host takes camera leases (off: "
          "it serves pages and relays other hosts' cameras only)."),
        S("FACES_HOST_URL", "HOST_URL", str, None, "How the other hosts reach this one to relay its cameras to their "
          "viewers (http://10.0.0.5:8000).", shown="unset: other hosts cannot relay this host's cameras"),
        S("FACES_CAMERAS_LEASE_SECONDS", "CAMERAS_LEASE_SECONDS", float, 3.0, "A camera's lease lasts this long "
          "without renewal: a dead host's cameras move after about this, and a host cut from the database stops "
          "its cameras 0.5 s before."),
    )),
    ("Events out", (
        S("FACES_EVENTS_BASE_URL", "EVENTS_BASE_URL", str, "http://127.0.0.1:5000", "Start of the thumbnail links "
          "in events."),
        S("FACES_WEBHOOK_RETRY_SECONDS", "WEBHOOK_RETRY_SECONDS", float, 3600.0, "A delivery is given up after this."),
        S("FACES_WEBHOOK_BACKOFF_MAX_SECONDS", "WEBHOOK_BACKOFF_MAX_SECONDS", float, 60.0, "Longest wait between "
          "tries."),
        S("FACES_WEBHOOK_TIMEOUT_SECONDS", "WEBHOOK_TIMEOUT_SECONDS", float, 5.0, "Timeout of one try."),
        S("FACES_WEBHOOK_POLL_SECONDS", "WEBHOOK_POLL_SECONDS", float, 0.5, "How often queued deliveries are looked "
          "for."),
        S("FACES_MQTT_HOST", "MQTT_HOST", str, "", "The MQTT broker (empty: MQTT off)."),
        S("FACES_MQTT_PORT", "MQTT_PORT", int, 1883, "Its port."),
        S("FACES_MQTT_USERNAME", "MQTT_USERNAME", str, "", "Its user name."),
        S("FACES_MQTT_PASSWORD", "MQTT_PASSWORD", str, "", "Its password."),
        S("FACES_MQTT_CLIENT_ID", "MQTT_CLIENT_ID", str, "facerec", "This app's client id (several "
          "hosts: each connects as this-<host id>, docs/CLUSTER.md)."),
        S("FACES_MQTT_PREFIX", "MQTT_PREFIX", str, "facerec", "Topic prefix of the events and presence."),
        S("FACES_MQTT_DISCOVERY_PREFIX", "MQTT_DISCOVERY_PREFIX", str, "homeassistant", "Home Assistant discovery "
          "prefix."),
        S("FACES_MQTT_RULES", "MQTT_RULES", str, "{}", 'Which events go to MQTT, as JSON: {"events": [...], '
          '"people": [ids], "cameras": [ids]} (presence always).'),
    )),
    ("The face library and retention", (
        S("FACES_CAMERAS_LEARN_UNKNOWN", "CAMERAS_LEARN_UNKNOWN", bool, False, "Whether a new camera (and the "
          "browser camera, the preview) keeps the strangers it sees as sightings."),
        S("FACES_SIGHTINGS_MAX_AGE_DAYS", "SIGHTINGS_MAX_AGE_DAYS", float, 30.0, "Unknown faces are forgotten after "
          "this many days (a camera may set its own; a dismissed group keeps its faces)."),
        S("FACES_SIGHTINGS_PER_TRACK", "SIGHTINGS_PER_TRACK", int, 3, "Best crops an unknown camera track keeps."),
        S("FACES_REMEMBER_PER_PHOTO", "REMEMBER_PER_PHOTO", int, 10, "Unknown faces of one upload remembered (the "
          "best; the answer says how many were left out)."),
        S("FACES_REMEMBER_PER_KEY", "REMEMBER_PER_KEY", str, "300 per hour", "Unknown faces remembered from one API "
          "key's uploads in the window."),
        S("FACES_REMEMBER_MAX", "REMEMBER_MAX", int, 20_000, "Unknown faces from uploads kept in all (more once old "
          "ones expire)."),
        S("FACES_GROUP_JOIN_DISTANCE", "GROUP_JOIN_DISTANCE", float, 0.8, "An unknown face joins the nearest group "
          "whose centre is within this (L2), else starts one."),
        S("FACES_GROUP_MERGE_SIMILARITY", "GROUP_MERGE_SIMILARITY", float, 0.64, "Open groups whose faces are close "
          "as sets merge: the mean cosine similarity of their faces at least this (docs/LIBRARY.md)."),
        S("FACES_GROUP_MERGE_EVERY", "GROUP_MERGE_EVERY", float, 60.0, "Seconds between two background merges "
          "of close groups per process (0: only `flask faces regroup --merge`)."),
        S("FACES_GROUP_ENROL_FACES", "GROUP_ENROL_FACES", int, 5, "A group named gives the person at most this many "
          "of its most typical faces."),
        S("FACES_LEARN_FROM_CAMERAS", "LEARN_FROM_CAMERAS", bool, False, "Keep clearly named, sharp camera faces "
          "unlike the person's stored ones as new faces of theirs."),
        S("FACES_LEARN_MARGIN", "LEARN_MARGIN", float, 0.1, "How clearly: under the threshold and ahead of the next "
          "person by this."),
        S("FACES_LEARN_MAX_FACES", "LEARN_MAX_FACES", int, 10, "Learned faces per person at most."),
        S("FACES_LIVE_EVENTS_MAX_AGE_DAYS", "LIVE_EVENTS_MAX_AGE_DAYS", float, 30.0, "Arrivals older than this are "
          "removed (a camera may set its own days)."),
        S("FACES_RETAIN_THUMBNAILS_DAYS", "RETAIN_THUMBNAILS_DAYS", float, 30.0, "Arrivals' thumbnails and "
          "embeddings are blanked after this (the row stays until the line above)."),
        S("FACES_RETAIN_DELIVERIES_DAYS", "RETAIN_DELIVERIES_DAYS", float, 30.0, "Webhook deliveries no longer "
          "pending are removed after this."),
        S("FACES_RETAIN_DISMISSED_DAYS", "RETAIN_DISMISSED_DAYS", float, 365.0, "A dismissed unknown group not seen "
          "for this long goes, with its faces."),
    )),
)
SETTINGS: tuple[Setting, ...] = tuple(s for _, group in GROUPS for s in group)


def read_settings(environ: Mapping[str, str] = os.environ) -> dict[str, object]:
    """{config key: value} of every setting, from `environ` or the defaults."""
    return {s.key: s.read(environ) for s in SETTINGS}


class Config:
    """The settings above as attributes, plus what is fixed or follows from them."""

    LIVE_FRAME_SIZE = (640, 480)  # frames are scaled to this (pixels)
    RATELIMIT_HEADERS_ENABLED = True
    # Not sent with cross-site requests (CSRF tokens are the main guard).
    SESSION_COOKIE_SAMESITE = "Lax"


def _fill(cfg: type, values: dict[str, object]) -> None:
    for key, value in values.items():
        setattr(cfg, key, value)
    cfg.EVENTS_BASE_URL = cfg.EVENTS_BASE_URL.rstrip("/")
    # Whole request bodies: the image limit plus room for base64 (4/3) and form fields.
    cfg.MAX_CONTENT_LENGTH = cfg.MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024


_fill(Config, read_settings())


class TestConfig(Config):
    """Tests pass SQLALCHEMY_DATABASE_URI (a temporary file) through the environment or a subclass."""

    TESTING = True
    SECRET_KEY = "test"
    API_RATE_LIMIT = "1000 per minute"
    GROUP_MERGE_EVERY = 0.0  # no merge thread behind a test's back (test_library_merge turns it on)
    # The tests' webhook receivers, brokers and stream servers listen on loopback; the tests
    # of the refusal turn it off.
    ALLOW_LOCAL_TARGETS = True
