"""What the API answers, declared once as marshmallow schemas: each route's answer is
rendered through its schema, and the schemas are the responses of /api/openapi.json. They
dump the use-cases' typed results themselves (their attributes, rounded here to the
answers' precision)."""
from __future__ import annotations

from marshmallow import Schema, fields, missing
from marshmallow.validate import OneOf

from .dumping import Rounded, Utc, Whole, Wrapping

from ..recognition.match import Crowding


def _d(text: str) -> dict:
    return {"metadata": {"description": text}}


def nullable(field_class, text: str, **kw):
    return field_class(allow_none=True, **kw, **_d(text))


class Problem(Schema):
    """An error (RFC 9457): a stable `type` slug, the HTTP status and what to do."""

    type = fields.String(required=True, **_d(
        "Stable slug: bad-image, too-large, missing-image, no-face, multiple-faces, face-too-small, "
        "face-blurred, invalid-input, not-found, conflict, duplicate-photo, duplicate-face, "
        "face-mismatch, unauthorized, rate-limited, method-not-allowed, server-error, weights-error."))
    title = fields.String(required=True, **_d("The type in words."))
    status = fields.Integer(required=True, **_d("The HTTP status."))
    detail = fields.String(required=True, **_d("What went wrong and what to do, in a sentence."))
    person_id = fields.Integer(**_d("conflict on a taken name, duplicate-photo, duplicate-face: the "
                                    "person concerned; face-mismatch: the person being added to."))
    name = fields.String(**_d("duplicate-photo, duplicate-face: that person's name."))
    face_id = fields.Integer(**_d("duplicate-face: their face it duplicates."))
    distance = fields.Float(**_d("duplicate-face: to their face; face-mismatch: to the person's mean (L2)."))
    nearest = fields.Dict(allow_none=True, **_d("face-mismatch: the nearest other person, "
                                                "{person_id, name, distance}, or null."))
    faces = fields.List(fields.Nested(lambda: Detection()), **_d("multiple-faces: the faces found."))

    def __deepcopy__(self, memo) -> Problem:
        """Shared, not copied: flask-smorest deep-copies a route's doc once per decorator,
        and the routes' ~70 problem responses made ~1,000 copies of this schema at start
        (0.3 s of every `flask faces ...` command). Nothing changes a schema once made."""
        return self


LANDMARKS = "left_eye, right_eye, nose, mouth_left, mouth_right: [x, y] in pixels."


class Detection(Schema):
    """A face found: dumps anything with a `detection` (recognition.types.Detection)."""

    box = fields.List(fields.Integer(), required=True, attribute="detection.xywh",
                      **_d("[x, y, width, height] in pixels."))
    score = Rounded(required=True, attribute="detection.score", **_d("Detector confidence, 0 to 1."))
    landmarks = fields.Dict(keys=fields.String(), values=fields.List(fields.Float()), required=True,
                            attribute="detection.named_landmarks", **_d(LANDMARKS))


class Candidate(Schema):
    person_id = fields.Integer(required=True)
    name = fields.String(required=True)
    distance = Rounded(required=True, **_d("L2 distance, 0 to 2."))
    similarity = Rounded(required=True, **_d("Cosine similarity = 1 - distance²/2."))


class Conditions(Wrapping):
    """A face's conditions, or (IdentifyConditions) faces.recognize.JudgedConditions, which
    holds them with the gallery the face was matched in."""

    wraps = "conditions"
    greyscale = fields.Boolean(required=True, **_d("A greyscale or IR camera's face (its colour channels equal)."))
    face_px = Whole(required=True, **_d("The shorter side of the face's box, in pixels."))
    sharpness = Rounded(1, required=True, **_d("Laplacian variance of the aligned face (below ~20: blurred)."))
    jpeg_quality = nullable(fields.Integer, "The photo's JPEG quality (1-100, from its tables); null: not a JPEG.", required=True)


class IdentifyConditions(Conditions):
    gallery = fields.String(required=True, validate=OneOf(("colour", "grey")), **_d(
        "The gallery the face was matched in: \"grey\" (every enrolled face made grey) for a "
        "greyscale/IR face once every person has grey embeddings (flask faces backfill-grey), "
        "else \"colour\"."))


POOR = "Why the face was not judged: too poor to tell (e.g. \"face 14 px, too small to name\"); null otherwise."


class IdentifiedFace(Detection):
    name = nullable(fields.String, "The person's name; null when unknown.", required=True)
    person_id = nullable(fields.Integer, "null when unknown.", required=True)
    distance = nullable(Rounded, "L2 distance to the nearest person (0..2); null with nobody enrolled.",
                        required=True)
    similarity = nullable(Rounded, "Cosine similarity = 1 - distance²/2.", required=True)
    threshold = Rounded(required=True, **_d(
        "The threshold applied to this face: the app's threshold, moved by how crowded the "
        f"face's neighbourhood is when {Crowding.min_people} or more people are enrolled; "
        "named when distance <= threshold."))
    candidates = fields.List(fields.Nested(Candidate), required=True, **_d("The k nearest people."))
    group_id = nullable(fields.Integer, "With remember=1, an unknown face's group (GET /api/unknown/{id}).")
    conditions = fields.Nested(IdentifyConditions, required=True, attribute="judged_conditions", **_d(
        "What the camera did to the face; the threshold moves with it (docs/CAMERAS.md)."))
    reason = nullable(fields.String, POOR, required=True)

    def get_attribute(self, obj, attr, default):
        """group_id is answered only with remember=1 (null then: an unknown face not kept)."""
        if attr == "group_id" and not obj.remembered:
            return missing
        return super().get_attribute(obj, attr, default)


class Remembered(Schema):
    faces = fields.Integer(required=True, attribute="kept", **_d("Unknown faces kept as sightings (each face's `group_id`)."))
    left_out = fields.Integer(required=True, **_d(
        "Good unknown faces not kept because of a cap: per photo (FACES_REMEMBER_PER_PHOTO), per "
        "API key and window (FACES_REMEMBER_PER_KEY), in all (FACES_REMEMBER_MAX)."))
    why = nullable(fields.String, "Which cap left faces out, in words; null when none did.", required=True)


class Identification(Schema):
    faces = fields.List(fields.Nested(IdentifiedFace), required=True, **_d("Left to right."))
    model = fields.String(required=True, **_d("The encoder model that made the embeddings."))
    threshold = fields.Float(required=True, **_d("The identification threshold (Settings)."))
    timings_ms = fields.Dict(keys=fields.String(), values=fields.Float(), required=True,
                             **_d("decode, detect, align, embed, total: milliseconds."))
    remembered = fields.Nested(Remembered, **_d("With remember=1: how many unknown faces were kept, and why any were not."))

    def get_attribute(self, obj, attr, default):
        """remembered is answered only with remember=1."""
        value = super().get_attribute(obj, attr, default)
        return missing if attr == "remembered" and value is None else value


class Verification(Schema):
    same_person = fields.Boolean(required=True, **_d("distance <= threshold, and neither face too poor to tell."))
    distance = Rounded(required=True, **_d("L2 distance between the two faces, 0 to 2."))
    similarity = Rounded(required=True)
    threshold = Rounded(required=True, **_d("FACES_VERIFY_THRESHOLD, moved for the poorer face's conditions (docs/CAMERAS.md)."))
    faces_found = fields.List(fields.Integer(), required=True, **_d("Faces in each photo (the main one is compared: whole, as large and as surely a face as the largest, most central)."))
    model = fields.String(required=True)
    faces = fields.List(fields.Nested(Detection), required=True, **_d("The face compared in each photo."))
    conditions = fields.List(fields.Nested(Conditions), required=True, **_d("Each compared face's conditions."))
    in_grey = fields.Boolean(required=True, **_d(
        "One face was greyscale/IR and the other in colour: the colour one was compared made grey."))
    reason = nullable(fields.String, POOR, required=True)


DATE = {"format": "date-time"}


class Face(Wrapping):
    """A face row, or a faces.fixes.FaceStanding (the row, its distance to the mean, outlier)."""

    wraps = "face"
    id = fields.Integer(required=True)
    person_id = fields.Integer(required=True)
    model = fields.String(required=True)
    det_score = Rounded(required=True, **_d("Detector confidence, 0 to 1."))
    source_sha256 = fields.String(required=True, **_d("SHA-256 of the photo's bytes."))
    origin = fields.String(required=True, **_d("upload, import, camera (the live view), group (an "
                                               "unknown group named) or learned (from a camera)."))
    origin_camera = nullable(fields.String, "The camera, for faces from one.", required=True)
    created_at = Utc(required=True, metadata={**DATE, "description": "UTC."})
    distance_to_mean = Rounded(attribute="distance", **_d("L2 distance to the mean of the person's faces (their page "
                                         "lists the farthest first)."))
    outlier = fields.Boolean(**_d("Unlike the person's other faces (beyond the verify threshold from "
                                  "their mean): perhaps someone else."))


class Person(Wrapping):
    """A person row, or a result holding one in `person` (faces.people.PersonRow: the faces
    counted by the list; faces.fixes.PersonStanding: the faces farthest from the mean first)."""

    wraps = "person"
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    faces_count = fields.Integer(required=True)
    created_at = Utc(required=True, metadata={**DATE, "description": "UTC."})


class PersonWithFaces(Person):
    faces = fields.List(fields.Nested(Face), required=True)


class PeoplePage(Schema):
    items = fields.List(fields.Nested(Person), required=True, **_d("By name."))
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True, **_d("People matching q, on every page."))


class Health(Schema):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    database = fields.Boolean(required=True, **_d("Whether the database answered."))
    model_loaded = fields.Boolean(required=True, **_d("Whether this worker has loaded a model."))
    people = fields.Integer(**_d("With an API key: people enrolled."))
    faces = fields.Integer(**_d("With an API key: faces enrolled."))
    worker_pid = fields.Integer(**_d("With an API key: the process that answered."))


class Track(Schema):
    id = fields.Integer(required=True, **_d("Its number, also drawn on the stream beside its box."))
    group_id = nullable(fields.Integer, "An unknown face's group, once it was remembered.")
    box = fields.List(fields.Integer(), required=True, **_d("The face's box in the frame, pixels."))
    person_id = nullable(fields.Integer, "Who it is (GET /api/people/{id}); null while unknown "
                         "or being checked.", required=True)
    name = nullable(fields.String, "The person's name, for display; null while unknown or being "
                    "checked.", required=True)
    checked = fields.Boolean(required=True, **_d("Whether the face was matched at least once."))
    distance = nullable(fields.Float, "L2 distance of the last match.", required=True)
    seconds_in_view = fields.Float(required=True)
    named_after_ms = nullable(fields.Integer, "How long after it appeared the face was named.", required=True)
    reason = nullable(fields.String, "Why an unknown face was not named when it is too poor to be "
                      "(e.g. \"face 14 px, too small to name\"); null otherwise.")


class StreamStatus(Schema):
    state = fields.String(required=True, **_d("stopped, starting, waiting, live, reconnecting, failed or disabled."))
    camera_id = nullable(fields.Integer, "The camera (GET /api/cameras) shown; null for a preview of another source.")
    message = fields.String(required=True, **_d("Why the camera is not live, if it is not."))
    source = fields.String(required=True)
    frame_size = nullable(fields.List, "[width, height]; null before the first frame.",
                          cls_or_instance=fields.Integer(), required=True)
    fps_in = fields.Float(required=True, **_d("Frames read per second."))
    fps_out = fields.Float(required=True, **_d("Frames recognised per second."))
    recognition_latency_ms = nullable(fields.Float, "Capture to names, last frame.", required=True)
    tracks = fields.List(fields.Nested(Track), required=True, **_d("The faces in view."))
    note = fields.String(required=True, **_d("Why another source than the configured one is shown."))


class Event(Schema):
    id = fields.Integer(required=True)
    created_at = Utc(required=True, metadata={**DATE, "description": "UTC."})
    camera = fields.String(required=True)
    person_id = nullable(fields.Integer, "null for an unknown face.", required=True)
    name = nullable(fields.String, "null for an unknown face.", required=True)
    known = fields.Boolean(required=True)
    group_id = nullable(fields.Integer, "An unknown face's group (GET /api/unknown/{id}).", required=True)
    distance = nullable(Rounded, "L2 distance when known.", required=True)


class Events(Schema):
    events = fields.List(fields.Nested(Event), required=True, **_d("Newest first."))
    total = fields.Integer(required=True, **_d("Arrivals that match, on every page."))
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True, **_d("Pages of `limit` arrivals (at least 1)."))


class AuditEntry(Schema):
    id = fields.Integer(required=True)
    at = Utc(required=True, attribute="created_at", metadata={**DATE, "description": "UTC."})
    actor = fields.String(required=True, **_d('"operator NAME", "key ID (NAME)" or "command line".'))
    action = fields.String(required=True, **_d("e.g. person.enrol, face.delete, settings.threshold, key.revoke."))
    target = fields.String(required=True)
    detail = fields.String(required=True)


class Audit(Schema):
    entries = fields.List(fields.Nested(AuditEntry), required=True, **_d("Newest first."))


class Camera(Wrapping):
    """A camera row, or stream.status's {"camera": its row, its state...} (CameraStatus)."""

    wraps = "camera"
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    source = fields.String(required=True)
    enabled = fields.Boolean(required=True)
    detect_side = fields.Integer(required=True)
    min_face = fields.Integer(required=True)
    ignore_region = nullable(fields.List, "[x, y, width, height] or null.", cls_or_instance=fields.Integer(),
                             attribute="region")
    recognition_fps = fields.Float(required=True)
    pinned_host = nullable(fields.String, "The host that must run it (PostgreSQL), or null: any.")
    learn_unknown = fields.Boolean(required=True, **_d("Whether it keeps unknown faces as sightings."))
    retain_sightings_days = nullable(fields.Float, "Days its unknown faces are kept; null: the default.")
    retain_arrivals_days = nullable(fields.Float, "Days its arrivals are kept; null: the default.")
    privacy = fields.String(required=True, **_d("Whose faces its stream and crops blur: off, unknown (people not enrolled) or all."))
    created_at = Utc(metadata={**DATE, "description": "UTC."})


class CameraStatus(Camera):
    host = nullable(fields.String, "The host that runs it now (PostgreSQL; null: none, or SQLite).")
    host_since = nullable(fields.String, "Since when that host runs it (UTC).")
    state = fields.String(required=True, **_d("running, reconnecting, failed, disabled or waiting."))
    message = fields.String(required=True, **_d("Why it is not running, if it is not."))
    fps_in = fields.Float(**_d("Frames read per second."))
    fps_out = fields.Float(**_d("Frames sent to viewers per second."))
    recognition_ms = nullable(fields.Float, "Capture to names, last frame.")
    detect_fps = nullable(fields.Float, "Recognitions per second.")
    detect_cycles = nullable(fields.Dict, "Cycles by how they detected: full, partial, skipped.")
    opened = fields.Integer(**_d("How many times its source was opened since start."))
    frame_size = nullable(fields.List, "[width, height].", cls_or_instance=fields.Integer())
    tracks = fields.List(fields.Nested(Track), **_d("The faces in view."))


class Cameras(Schema):
    items = fields.List(fields.Nested(CameraStatus), required=True)
