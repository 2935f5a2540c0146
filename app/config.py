"""Configuration classes. Values come from the environment (FACES_*) with safe defaults;
paths default to the Flask instance folder, never the working directory."""
from __future__ import annotations

import os


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")  # None: a random key is kept in instance/
    # Folders; None means "inside the instance folder".
    MODELS_DIR = os.environ.get("FACES_MODELS_DIR")
    SAMPLES_DIR = os.environ.get("FACES_SAMPLES_DIR")
    # Encoder: "int8" (dynamic-range quantised, fastest) or "fp32"; flip averaging on/off.
    ENCODER_VARIANT = os.environ.get("FACES_ENCODER", "int8")
    ENCODER_FLIP = _env_bool("FACES_FLIP", False)
    NUM_THREADS = int(os.environ.get("FACES_THREADS", 2))
    # Pair verification: two photos are one person when their L2 distance is <= this.
    # Calibrated on LFW View 1 training pairs (README, "Accuracy").
    VERIFY_THRESHOLD = _env_float("FACES_VERIFY_THRESHOLD", 1.09)
    # Identification (one face against everyone enrolled): the initial value of the
    # threshold kept in the database (Settings page), and how much each face's crowding
    # moves it (app/recognition/match.py; 0 = plain threshold). At 0.8 and 0.7, 1 % of
    # strangers were taken for someone with 1,184 LFW people enrolled (scripts/open_set.py).
    IDENTIFY_THRESHOLD = _env_float("FACES_IDENTIFY_THRESHOLD", 0.8)
    IDENTIFY_CROWDING = _env_float("FACES_IDENTIFY_CROWDING", 0.7)
    # Enrolment refuses faces smaller than this (pixels, shorter box side) or blurrier than
    # this (variance of the Laplacian of the aligned 160x160 crop). Every sample photo's face
    # of 40 px or more scores >= 26, 99 % of LFW's (soft 250 x 250 news photos) >= 12; an
    # 85 px face blurred with a Gaussian of sigma 1 px scores 30, sigma 2 px 7.6.
    MIN_ENROL_FACE = int(os.environ.get("FACES_MIN_ENROL_FACE", 40))
    MIN_SHARPNESS = _env_float("FACES_MIN_SHARPNESS", 12.0)
    # Detection.
    MIN_FACE_SIZE = int(os.environ.get("FACES_MIN_FACE_SIZE", 20))
    # Uploads.
    MAX_IMAGE_BYTES = int(os.environ.get("FACES_MAX_IMAGE_BYTES", 10 * 1024 * 1024))
    MAX_IMAGE_PIXELS = int(os.environ.get("FACES_MAX_IMAGE_PIXELS", 40_000_000))
    # Bounded work per upload (the reasons for each default are beside it in
    # app/recognition/decode.py and pipeline.py; measured memory in docs/WEBAPP.md):
    # a decoded image is at most this many pixels on its longer side (larger ones are decoded
    # at a reduced size), faces are looked for on a copy at most this large, and at most
    # this many faces (the highest-scoring) are analysed per image.
    MAX_DECODE_SIDE = int(os.environ.get("FACES_MAX_DECODE_SIDE", 4096))
    DETECT_MAX_SIDE = int(os.environ.get("FACES_DETECT_MAX_SIDE", 1600))
    MAX_FACES_PER_IMAGE = int(os.environ.get("FACES_MAX_FACES_PER_IMAGE", 100))
    # Uploads decoded and analysed at once per process (each may take ~200 MB at its peak);
    # others wait up to IMAGE_WAIT_SECONDS for their turn, then get 503 "busy".
    MAX_CONCURRENT_IMAGES = int(os.environ.get("FACES_MAX_CONCURRENT_IMAGES", 2))
    IMAGE_WAIT_SECONDS = _env_float("FACES_IMAGE_WAIT_SECONDS", 10.0)
    # Whole request bodies: the image limit plus room for base64 (4/3) and form fields.
    MAX_CONTENT_LENGTH = MAX_IMAGE_BYTES * 4 // 3 + 64 * 1024
    # Bulk enrolment (Enrol page): a zip of per-person folders, at most this many bytes
    # uploaded (4x this unpacked) and this many files.
    BULK_MAX_BYTES = int(os.environ.get("FACES_BULK_MAX_BYTES", 200 * 1024 * 1024))
    BULK_MAX_PHOTOS = int(os.environ.get("FACES_BULK_MAX_PHOTOS", 5000))
    # Database: None means SQLite in the instance folder (faces.db).
    SQLALCHEMY_DATABASE_URI = os.environ.get("FACES_DATABASE_URL")
    # API: identify/verify open to anyone (True) or only with an API key (False).
    API_OPEN_RECOGNITION = _env_bool("FACES_API_OPEN_RECOGNITION", True)
    API_RATE_LIMIT = os.environ.get("FACES_API_RATE_LIMIT", "300 per minute")
    RATELIMIT_STORAGE_URI = os.environ.get("FACES_RATELIMIT_STORAGE", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Failed sign-in attempts per address, counted in the database so that every worker
    # and host shares the count; past it, sign-in from that address waits out the window.
    LOGIN_RATE_LIMIT = os.environ.get("FACES_LOGIN_RATE_LIMIT", "20 per minute")
    # Live video: "auto" (the first webcam, else the demo), "demo", a webcam index ("0"),
    # a video file or an RTSP/HTTP URL. An operator can change it on the live page.
    CAMERA_SOURCE = os.environ.get("CAMERA_SOURCE", "auto")
    # Video files an operator may choose as a source must lie in this folder (None: the
    # instance folder's videos/), so that no one can make the server open any file.
    VIDEOS_DIR = os.environ.get("FACES_VIDEOS_DIR")
    LIVE_FRAME_SIZE = (640, 480)  # frames are scaled to this (pixels)
    LIVE_MIN_FACE_SIZE = int(os.environ.get("FACES_LIVE_MIN_FACE_SIZE", 40))
    LIVE_DETECT_SIDE = int(os.environ.get("FACES_LIVE_DETECT_SIDE", 320))  # detect on a copy this wide
    LIVE_IDLE_SECONDS = _env_float("FACES_LIVE_IDLE_SECONDS", 10.0)  # stop a camera nobody watches
    LIVE_EVENTS_MAX_AGE_DAYS = _env_float("FACES_LIVE_EVENTS_MAX_AGE_DAYS", 30.0)
    # A known person seen again on a camera within this many seconds is not a new arrival.
    LIVE_ARRIVAL_COOLDOWN_SECONDS = _env_float("FACES_LIVE_ARRIVAL_COOLDOWN_SECONDS", 60.0)
    # MJPEG streams one server process sends at once: each holds one of its request threads
    # to the end (gunicorn gthread: `make serve` gives 8 a process), so that the API keeps
    # threads of its own; more viewers get 503 + Retry-After (docs/LIVE.md, "Viewers").
    STREAMS_PER_WORKER = int(os.environ.get("FACES_STREAMS_PER_WORKER", 4))
    # Previews of a source that is no camera's (?source=, admins and keys only) running at
    # once per process; more get 429.
    LIVE_PREVIEWS = int(os.environ.get("FACES_LIVE_PREVIEWS", 2))
    # The stream and its status without signing in (e.g. a wall display on a private network).
    LIVE_OPEN = _env_bool("FACES_LIVE_OPEN", False)
    # Cameras (the Cameras page): one process runs them all, whatever the number of workers
    # (app/stream/runner.py). "worker": the web workers elect one through a lock file in the
    # instance folder; "off": web workers only relay, `flask faces cameras run` runs them.
    CAMERAS_RUNNER = os.environ.get("FACES_CAMERAS_RUNNER", "worker")
    # Start the cameras when a worker starts (servers), not on the first viewer.
    CAMERAS_AUTOSTART = _env_bool("FACES_CAMERAS_AUTOSTART", False)
    # Cameras in the table at most: each is a capture thread in the runner and a stream on
    # the grid (a browser opens 6 connections a server at most over HTTP/1.1).
    MAX_CAMERAS = int(os.environ.get("FACES_MAX_CAMERAS", 16))
    CAMERAS_SYNC_SECONDS = _env_float("FACES_CAMERAS_SYNC_SECONDS", 1.0)  # take over / follow edits
    CAMERAS_RECOGNITION_THREADS = int(os.environ.get("FACES_CAMERAS_RECOGNITION_THREADS", 1))
    # Webhook URLs and camera stream URLs may name a private address (a Home Assistant, a
    # camera on the LAN) but not this machine (127.0.0.0/8, ::1) or a link-local one
    # (169.254.0.0/16 with the cloud metadata address, fe80::/10) unless this is on: the
    # delivery log and the camera's message would otherwise probe the server's own ports
    # (app/http/targets.py). Host names are resolved to check them.
    ALLOW_LOCAL_TARGETS = _env_bool("FACES_ALLOW_LOCAL_TARGETS", False)
    # Events out (app/events). Links in events (thumbnails) start with this URL.
    EVENTS_BASE_URL = os.environ.get("FACES_EVENTS_BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    WEBHOOK_RETRY_SECONDS = _env_float("FACES_WEBHOOK_RETRY_SECONDS", 3600.0)  # then failed
    WEBHOOK_BACKOFF_MAX_SECONDS = _env_float("FACES_WEBHOOK_BACKOFF_MAX_SECONDS", 60.0)
    WEBHOOK_TIMEOUT_SECONDS = _env_float("FACES_WEBHOOK_TIMEOUT_SECONDS", 5.0)
    WEBHOOK_POLL_SECONDS = _env_float("FACES_WEBHOOK_POLL_SECONDS", 0.5)
    # MQTT (empty host: off). Rules as JSON: {"events": [...], "people": [...], "cameras": [...]}.
    MQTT_HOST = os.environ.get("FACES_MQTT_HOST", "")
    MQTT_PORT = int(os.environ.get("FACES_MQTT_PORT", 1883))
    MQTT_USERNAME = os.environ.get("FACES_MQTT_USERNAME", "")
    MQTT_PASSWORD = os.environ.get("FACES_MQTT_PASSWORD", "")
    MQTT_PREFIX = os.environ.get("FACES_MQTT_PREFIX", "facerec")
    MQTT_DISCOVERY_PREFIX = os.environ.get("FACES_MQTT_DISCOVERY_PREFIX", "homeassistant")
    MQTT_CLIENT_ID = os.environ.get("FACES_MQTT_CLIENT_ID", "facerec")
    MQTT_RULES = os.environ.get("FACES_MQTT_RULES", "{}")
    # Session cookie: not sent with cross-site requests (CSRF tokens are the main guard);
    # sent only over HTTPS when FACES_SECURE_COOKIES is on (set it when served over HTTPS).
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("FACES_SECURE_COOKIES", False)
    # Behind a reverse proxy: how many proxies' X-Forwarded-For/-Proto/-Host to trust
    # (0: none, the app faces the clients; 1: one proxy such as nginx or Caddy).
    PROXY_HOPS = int(os.environ.get("FACES_PROXY_HOPS", 0))
    # The gallery index: snapshots (under instance/index/ when None) are written for galleries
    # of at least INDEX_SNAPSHOT_MIN people, so that a starting worker reads one file and the
    # change log instead of every face; again after INDEX_SNAPSHOT_EVERY changes.
    INDEX_DIR = os.environ.get("FACES_INDEX_DIR")
    INDEX_SNAPSHOT_MIN = int(os.environ.get("FACES_INDEX_SNAPSHOT_MIN", 10_000))
    INDEX_SNAPSHOT_EVERY = int(os.environ.get("FACES_INDEX_SNAPSHOT_EVERY", 10_000))
    # From INDEX_ANN_MIN people on, search an approximate graph (recognition/graph.py; saved
    # with the snapshot, built in the background when missing) instead of every row: below it
    # every answer is exact. Exact search is ~5 ms a face at 100,000 people here (README).
    INDEX_ANN_MIN = int(os.environ.get("FACES_INDEX_ANN_MIN", 200_000))
    # The face library (app/library, app/faces/door.py; figures in docs/LIBRARY.md).
    # A face this close (L2) to another person's enrolled face is the same picture re-saved,
    # resized or cropped: refused as duplicate-face.
    DUPLICATE_FACE_DISTANCE = _env_float("FACES_DUPLICATE_FACE_DISTANCE", 0.35)
    # Unknown faces kept as sightings this many days (a dismissed group's are kept, so that
    # it is never suggested again); each unknown camera track keeps its best few crops.
    SIGHTINGS_MAX_AGE_DAYS = _env_float("FACES_SIGHTINGS_MAX_AGE_DAYS", 30.0)
    SIGHTINGS_PER_TRACK = int(os.environ.get("FACES_SIGHTINGS_PER_TRACK", 3))
    # Unknown faces remembered from uploads (identify?remember=1, the Identify page): at most
    # this many of one photo (the best), this many per API key in a window, and this many
    # in all (then none until old ones expire); the answer says how many were left out.
    REMEMBER_PER_PHOTO = int(os.environ.get("FACES_REMEMBER_PER_PHOTO", 10))
    REMEMBER_PER_KEY = os.environ.get("FACES_REMEMBER_PER_KEY", "300 per hour")
    REMEMBER_MAX = int(os.environ.get("FACES_REMEMBER_MAX", 20_000))
    # Retention beside the two above (days; app/library/expiry.py, hourly and `flask faces
    # expire`): a dismissed group not seen again; arrivals' thumbnails and embeddings (the
    # rows stay until LIVE_EVENTS_MAX_AGE_DAYS); webhook deliveries no longer pending.
    RETAIN_DISMISSED_DAYS = _env_float("FACES_RETAIN_DISMISSED_DAYS", 365.0)
    RETAIN_THUMBNAILS_DAYS = _env_float("FACES_RETAIN_THUMBNAILS_DAYS", 30.0)
    RETAIN_DELIVERIES_DAYS = _env_float("FACES_RETAIN_DELIVERIES_DAYS", 30.0)
    # Whether a new camera keeps the unknown faces it sees (each camera's "learn unknown
    # faces" setting starts from this; off: nothing of a stranger is kept unless asked).
    CAMERAS_LEARN_UNKNOWN = _env_bool("FACES_CAMERAS_LEARN_UNKNOWN", False)
    # Whether everyone but a signed-in admin sees only blurred faces: streams of cameras whose
    # privacy is off are refused to them, and the crops they see hide unknown faces (README).
    VIEWERS_SEE_BLURRED = _env_bool("FACES_VIEWERS_SEE_BLURRED", False)
    # Encryption at rest of face crops, arrival thumbnails and undo payloads (AES-256-GCM,
    # app/models/sealed.py): 32 bytes in URL-safe base64 ('flask faces new-data-key'); several
    # comma-separated while rotating, the one to seal with first. Unset: stored plain.
    DATA_KEY = os.environ.get("FACES_DATA_KEY")
    # The largest person's export zip that POST /api/people/import takes (bytes; about 7 kB a face).
    PERSON_IMPORT_MAX_BYTES = int(os.environ.get("FACES_PERSON_IMPORT_MAX_BYTES", 512 << 20))
    # A sighting joins the nearest group whose centre is at most this far (L2), else starts one.
    GROUP_JOIN_DISTANCE = _env_float("FACES_GROUP_JOIN_DISTANCE", 0.8)
    # Open groups whose faces are close as sets merge (average linkage between groups: the
    # mean cosine similarity of their faces at least this; docs/LIBRARY.md), in the
    # background at most every GROUP_MERGE_EVERY seconds per process (0: only on demand,
    # `flask faces regroup --merge`).
    GROUP_MERGE_SIMILARITY = _env_float("FACES_GROUP_MERGE_SIMILARITY", 0.64)
    GROUP_MERGE_EVERY = _env_float("FACES_GROUP_MERGE_EVERY", 60.0)
    # Naming a group enrols the person from at most this many of its faces (the most typical).
    GROUP_ENROL_FACES = int(os.environ.get("FACES_GROUP_ENROL_FACES", 5))
    # Known people from the cameras (off by default): a face named with this margin under its
    # threshold, sharp and unlike the person's stored faces is kept, up to LEARN_MAX_FACES.
    LEARN_FROM_CAMERAS = _env_bool("FACES_LEARN_FROM_CAMERAS", False)
    LEARN_MARGIN = _env_float("FACES_LEARN_MARGIN", 0.1)
    LEARN_MAX_FACES = int(os.environ.get("FACES_LEARN_MAX_FACES", 10))
    # A deletion on the pages can be undone for this many seconds.
    UNDO_SECONDS = _env_float("FACES_UNDO_SECONDS", 600.0)
    # Load the model when the app starts (servers) rather than on the first request.
    WARM_UP = _env_bool("FACES_WARM_UP", False)


class TestConfig(Config):
    """Tests pass SQLALCHEMY_DATABASE_URI (a temporary file) through the environment or a subclass."""

    TESTING = True
    SECRET_KEY = "test"
    API_RATE_LIMIT = "1000 per minute"
    GROUP_MERGE_EVERY = 0.0  # no merge thread behind a test's back (test_library_merge turns it on)
    # The tests' webhook receivers, brokers and stream servers listen on loopback; the tests
    # of the refusal turn it off.
    ALLOW_LOCAL_TARGETS = True
