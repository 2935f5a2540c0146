"""The OpenAPI 3.1 document (written by hand) and a docs page rendered from it."""
from __future__ import annotations

from flask import jsonify, render_template

from ..recognition.match import Crowding
from . import bp

IMAGE_BODY = {
    "description": "The photo: multipart field `file`, a raw image/jpeg or image/png body, "
                   "or JSON {\"image\": base64}.",
    "content": {
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}}},
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}},
        "application/json": {"schema": {"type": "object", "properties": {
            "image": {"type": "string", "contentEncoding": "base64"}}}},
    },
}


def _errors(*codes: int) -> dict:
    return {str(c): {"$ref": f"#/components/responses/E{c}"} for c in codes}


def _ok(description: str, schema: str | None = None, status: str = "200") -> dict:
    body = {"description": description}
    if schema:
        body["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}
    return {status: body}


KEY = [{"apiKey": []}]
OPTIONAL_KEY = [{}, {"apiKey": []}]  # identify/verify: open unless configured otherwise
PERSON_ID = {"name": "person_id", "in": "path", "required": True, "schema": {"type": "integer"}}
FACE_PARAM = {"name": "face", "in": "query", "schema": {"type": "integer", "minimum": 1},
              "description": "Which face to enrol when the photo has several (1 = leftmost)."}

SPEC = {
    "openapi": "3.1.0",
    "info": {"title": "Faces API", "version": "1.0",
             "description": "Identify and verify faces, and manage the enrolled people. "
                            "Errors are application/problem+json with a stable `type`: "
                            "bad-image, too-large, missing-image, no-face, multiple-faces, "
                            "face-too-small, face-blurred, invalid-input, not-found, conflict, "
                            "unauthorized, rate-limited, method-not-allowed, server-error."},
    "servers": [{"url": "/"}],
    "components": {
        "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer",
                                       "description": "Created with `flask faces create-api-key NAME`."}},
        "schemas": {
            "Problem": {"type": "object", "required": ["type", "title", "status", "detail"],
                        "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                                       "status": {"type": "integer"}, "detail": {"type": "string"}}},
            "Candidate": {"type": "object", "properties": {
                "person_id": {"type": "integer"}, "name": {"type": "string"},
                "distance": {"type": "number"}, "similarity": {"type": "number"}}},
            "IdentifiedFace": {"type": "object", "properties": {
                "box": {"type": "array", "items": {"type": "integer"}, "description": "[x, y, width, height] in pixels"},
                "score": {"type": "number", "description": "detector confidence 0..1"},
                "landmarks": {"type": "object", "description": "left_eye, right_eye, nose, mouth_left, mouth_right: [x, y]"},
                "name": {"type": ["string", "null"], "description": "null when unknown"},
                "person_id": {"type": ["integer", "null"]},
                "distance": {"type": ["number", "null"], "description": "L2 distance to the nearest person (0..2)"},
                "similarity": {"type": ["number", "null"], "description": "cosine similarity = 1 - distance²/2"},
                "threshold": {"type": "number", "description": (
                    "the threshold applied to this face: the app's threshold, moved by how "
                    f"crowded the face's neighbourhood is when {Crowding.min_people} or more "
                    "people are enrolled; named when distance <= threshold")},
                "candidates": {"type": "array", "items": {"$ref": "#/components/schemas/Candidate"}}}},
            "Identify": {"type": "object", "properties": {
                "faces": {"type": "array", "items": {"$ref": "#/components/schemas/IdentifiedFace"}},
                "model": {"type": "string"},
                "threshold": {"type": "number", "description": "the identification threshold (Settings)"},
                "timings_ms": {"type": "object"}}},
            "Verify": {"type": "object", "properties": {
                "same_person": {"type": "boolean"}, "distance": {"type": "number"},
                "similarity": {"type": "number"}, "threshold": {"type": "number"},
                "faces_found": {"type": "array", "items": {"type": "integer"}}}},
            "Face": {"type": "object", "properties": {
                "id": {"type": "integer"}, "person_id": {"type": "integer"}, "model": {"type": "string"},
                "det_score": {"type": "number"}, "source_sha256": {"type": "string"},
                "created_at": {"type": "string"}}},
            "Person": {"type": "object", "properties": {
                "id": {"type": "integer"}, "name": {"type": "string"}, "faces_count": {"type": "integer"},
                "created_at": {"type": "string"},
                "faces": {"type": "array", "items": {"$ref": "#/components/schemas/Face"}}}},
            "PeoplePage": {"type": "object", "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Person"}},
                "page": {"type": "integer"}, "per_page": {"type": "integer"}, "total": {"type": "integer"}}},
            "Health": {"type": "object", "properties": {
                "status": {"type": "string"}, "database": {"type": "boolean"},
                "model_loaded": {"type": "boolean"}, "people": {"type": "integer"}, "faces": {"type": "integer"}}},
        },
        "responses": {f"E{code}": {"description": text, "content": {"application/problem+json": {
            "schema": {"$ref": "#/components/schemas/Problem"}}}} for code, text in {
            400: "bad-image, missing-image or invalid-input", 401: "unauthorized",
            404: "not-found", 409: "conflict (name taken, photo already enrolled)",
            413: "too-large", 422: "no-face, multiple-faces, face-too-small, face-blurred",
            429: "rate-limited"}.items()},
    },
    "paths": {
        "/api/identify": {"post": {
            "summary": "Name every face in a photo", "security": OPTIONAL_KEY,
            "description": "Open or keyed, by configuration (FACES_API_OPEN_RECOGNITION).",
            "parameters": [{"name": "k", "in": "query", "schema": {"type": "integer", "default": 3},
                            "description": "How many candidates per face."}],
            "requestBody": IMAGE_BODY,
            "responses": {**_ok("The faces, left to right", "Identify"), **_errors(400, 401, 413, 422, 429)}}},
        "/api/verify": {"post": {
            "summary": "Are two photos the same person?", "security": OPTIONAL_KEY,
            "requestBody": {"content": {
                "multipart/form-data": {"schema": {"type": "object", "properties": {
                    "file1": {"type": "string", "format": "binary"}, "file2": {"type": "string", "format": "binary"}}}},
                "application/json": {"schema": {"type": "object", "properties": {
                    "image1": {"type": "string"}, "image2": {"type": "string"}}}}}},
            "responses": {**_ok("The largest face of each photo compared", "Verify"), **_errors(400, 401, 413, 422, 429)}}},
        "/api/people": {
            "get": {"summary": "List people", "security": KEY, "parameters": [
                {"name": "page", "in": "query", "schema": {"type": "integer", "default": 1}},
                {"name": "per_page", "in": "query", "schema": {"type": "integer", "default": 50}},
                {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "part of the name"}],
                "responses": {**_ok("A page of people", "PeoplePage"), **_errors(401, 429)}},
            "post": {"summary": "Enrol a person from a name and a photo", "security": KEY,
                     "parameters": [FACE_PARAM],
                     "requestBody": {"content": {
                         "multipart/form-data": {"schema": {"type": "object", "required": ["name", "file"], "properties": {
                             "name": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}},
                         "application/json": {"schema": {"type": "object", "required": ["name", "image"], "properties": {
                             "name": {"type": "string"}, "image": {"type": "string"}}}}}},
                     "responses": {**_ok("Enrolled", "Person", "201"), **_errors(400, 401, 409, 413, 422, 429)}}},
        "/api/people/{person_id}": {
            "parameters": [PERSON_ID],
            "get": {"summary": "One person with their faces", "security": KEY,
                    "responses": {**_ok("The person", "Person"), **_errors(401, 404)}},
            "patch": {"summary": "Rename", "security": KEY,
                      "requestBody": {"content": {"application/json": {"schema": {
                          "type": "object", "properties": {"name": {"type": "string"}}}}}},
                      "responses": {**_ok("Renamed", "Person"), **_errors(400, 401, 404, 409)}},
            "delete": {"summary": "Delete the person and their faces", "security": KEY,
                       "responses": {"204": {"description": "Deleted"}, **_errors(401, 404)}}},
        "/api/people/{person_id}/faces": {"post": {
            "summary": "Add a photo of a person", "security": KEY, "parameters": [PERSON_ID, FACE_PARAM],
            "requestBody": IMAGE_BODY,
            "responses": {**_ok("Added", "Face", "201"), **_errors(400, 401, 404, 409, 413, 422)}}},
        "/api/people/{person_id}/faces/{face_id}": {"delete": {
            "summary": "Delete one face", "security": KEY,
            "parameters": [PERSON_ID, {"name": "face_id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "Deleted"}, **_errors(401, 404)}}},
        "/api/health": {"get": {"summary": "Model loaded, database reachable; with an API key also counts and the worker",
                                "responses": _ok("Health", "Health")}},
    },
}


# --- Cameras and webhooks (app/api/cameras.py, app/api/webhooks.py) ---------------------
VIEWER = [{"apiKey": []}, {"session": []}]
CAMERA_ID = {"name": "camera_id", "in": "path", "required": True, "schema": {"type": "integer"}}
WEBHOOK_ID = {"name": "webhook_id", "in": "path", "required": True, "schema": {"type": "integer"}}
SPEC["components"]["securitySchemes"]["session"] = {
    "type": "apiKey", "in": "cookie", "name": "session",
    "description": "A signed-in operator (the camera list and status also take FACES_LIVE_OPEN)."}
SPEC["components"]["schemas"].update({
    "CameraInput": {"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 120},
        "source": {"type": "string", "description": "demo, auto, a webcam number, a video file name in "
                                                    "FACES_VIDEOS_DIR, or an rtsp:// / http(s):// URL"},
        "enabled": {"type": "boolean"},
        "detect_side": {"type": "integer", "minimum": 160, "maximum": 1920},
        "min_face": {"type": "integer", "minimum": 12, "maximum": 400},
        "ignore_region": {"type": ["array", "null"], "items": {"type": "integer"},
                          "description": "[x, y, width, height] of the frame where faces are ignored"},
        "recognition_fps": {"type": "number", "minimum": 0.2, "maximum": 30,
                            "description": "recognition cycles per second at most"}}},
    "Camera": {"allOf": [{"$ref": "#/components/schemas/CameraInput"}, {"type": "object", "properties": {
        "id": {"type": "integer"}, "created_at": {"type": "string"},
        "state": {"type": "string", "enum": ["running", "reconnecting", "failed", "starting",
                                              "stopped", "disabled", "waiting"]},
        "message": {"type": "string", "description": "why it is failed or reconnecting"},
        "fps_in": {"type": "number"}, "fps_out": {"type": "number"},
        "recognition_ms": {"type": ["number", "null"]}, "detect_fps": {"type": ["number", "null"]},
        "opened": {"type": "integer", "description": "times the source was opened since the runner started"},
        "tracks": {"type": "array", "items": {"type": "object"}}}}]},
    "Rules": {"type": "object", "properties": {
        "events": {"type": "array", "items": {"enum": ["arrival", "departure", "unknown"]}},
        "people": {"type": "array", "items": {"type": "integer"}},
        "cameras": {"type": "array", "items": {"type": "integer"}}},
        "description": "an empty or missing list means all"},
    "Webhook": {"type": "object", "properties": {
        "id": {"type": "integer"}, "url": {"type": "string"},
        "rules": {"$ref": "#/components/schemas/Rules"}, "created_at": {"type": "string"},
        "secret": {"type": "string", "description": "only in the answer to POST"}}},
    "Delivery": {"type": "object", "properties": {
        "id": {"type": "integer"}, "webhook_id": {"type": "integer"},
        "status": {"type": "string", "enum": ["pending", "delivered", "failed"]},
        "attempts": {"type": "integer"}, "event": {"type": "object"},
        "last_error": {"type": ["string", "null"]}, "response_status": {"type": ["integer", "null"]},
        "created_at": {"type": "string"}, "delivered_at": {"type": ["string", "null"]},
        "next_attempt_at": {"type": ["string", "null"]}}},
})
_CAMERA_BODY = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/CameraInput"}}}}
_LIST = lambda schema: {"type": "object", "properties": {"items": {  # noqa: E731
    "type": "array", "items": {"$ref": f"#/components/schemas/{schema}"}}}}
SPEC["paths"].update({
    "/api/cameras": {
        "get": {"summary": "Cameras with their state and figures", "security": VIEWER,
                "responses": {"200": {"description": "Every camera", "content": {
                    "application/json": {"schema": _LIST("Camera")}}}, **_errors(401)}},
        "post": {"summary": "Add a camera", "security": KEY, "requestBody": _CAMERA_BODY,
                 "responses": {**_ok("Added", "Camera", "201"), **_errors(400, 401, 409)}}},
    "/api/cameras/{camera_id}": {
        "parameters": [CAMERA_ID],
        "get": {"summary": "One camera with its state", "security": VIEWER,
                "responses": {**_ok("The camera", "Camera"), **_errors(401, 404)}},
        "patch": {"summary": "Change a camera", "security": KEY, "requestBody": _CAMERA_BODY,
                  "responses": {**_ok("Changed", "Camera"), **_errors(400, 401, 404, 409)}},
        "delete": {"summary": "Remove a camera", "security": KEY,
                   "responses": {"204": {"description": "Removed"}, **_errors(401, 404)}}},
    "/api/webhooks": {
        "get": {"summary": "Webhooks", "security": KEY,
                "responses": {"200": {"description": "Every webhook", "content": {
                    "application/json": {"schema": _LIST("Webhook")}}}, **_errors(401)}},
        "post": {"summary": "Add a webhook (the secret is in the answer, once)", "security": KEY,
                 "requestBody": {"content": {"application/json": {"schema": {
                     "type": "object", "required": ["url"], "properties": {
                         "url": {"type": "string"}, "secret": {"type": "string"},
                         "rules": {"$ref": "#/components/schemas/Rules"}}}}}},
                 "responses": {**_ok("Added", "Webhook", "201"), **_errors(400, 401)}}},
    "/api/webhooks/{webhook_id}": {"delete": {
        "summary": "Remove a webhook", "security": KEY, "parameters": [WEBHOOK_ID],
        "responses": {"204": {"description": "Removed"}, **_errors(401, 404)}}},
    "/api/webhooks/{webhook_id}/deliveries": {"get": {
        "summary": "The delivery log, newest first", "security": KEY, "parameters": [
            WEBHOOK_ID, {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 100}}],
        "responses": {"200": {"description": "Deliveries", "content": {
            "application/json": {"schema": _LIST("Delivery")}}}, **_errors(401, 404)}}},
    "/api/webhooks/{webhook_id}/test": {"post": {
        "summary": "Send a test event", "security": KEY, "parameters": [WEBHOOK_ID],
        "responses": {**_ok("Queued", "Delivery", "202"), **_errors(401, 404)}}},
})

@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI document."""
    return jsonify(SPEC)


@bp.get("/docs")
def docs_page():
    """A readable page made from the OpenAPI document (no external assets)."""
    return render_template("api_docs.html", spec=SPEC)
