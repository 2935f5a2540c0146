"""The framework glue (flask-smorest): a blueprint whose routes document themselves, the
OpenAPI document made from them when first asked for, and the decorators the
routes share (who may call, which errors, photo bodies)."""
from __future__ import annotations

import flask_smorest
from flask import Flask, Response

from ..http.security import BoundedIntConverter
from .parser import parser
from .schemas import Problem

TITLE, VERSION = "Faces API", "1.0"
DESCRIPTION = ("Identify and verify faces, and manage the enrolled people. Every error is "
               "application/problem+json with a stable `type` and a `detail` that says what to do.")
KEY = [{"apiKey": []}]
OPTIONAL_KEY = [{}, {"apiKey": []}]  # identify/verify: open unless configured otherwise
VIEWER = [{"apiKey": []}, {"operator": []}]  # the live routes: a key or a signed-in operator
SECURITY_SCHEMES = {
    "apiKey": {"type": "http", "scheme": "bearer",
               "description": "An API key: `Authorization: Bearer <key>`, created with "
                              "`flask faces create-api-key NAME`."},
    "operator": {"type": "apiKey", "in": "cookie", "name": "session",
                 "description": "The web app's sign-in cookie (the live page uses it)."},
}
# What each status means, where a route does not say more.
PROBLEMS = {
    400: "invalid-input: a parameter or a field is malformed; `detail` names it.",
    401: "unauthorized: no API key, or one that is not known or was revoked.",
    403: "forbidden: a signed-in viewer asked for what needs an admin or an API key.",
    404: "not-found: no such person or face.",
    409: "conflict: the name is taken (`person_id` says by whom), or the photo is already "
         "enrolled for this person; duplicate-photo, duplicate-face: the photo or face is already "
         "enrolled for another person (`person_id`, `name`); face-mismatch: unlike the person's "
         "other photos (`distance`, `nearest`; confirm=1 adds it anyway).",
    413: "too-large: the upload is over the size limit (10 MB, 40 megapixels by default).",
    422: "no-face, multiple-faces (`faces` lists them), face-too-small or face-blurred.",
    429: "rate-limited: too many requests; wait `Retry-After` seconds.",
    503: "weights-error: the model's weights could not be loaded on the server.",
}
HEADERS = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="faces"'}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
}
RAW_IMAGE = {"schema": {"type": "string", "format": "binary"}}
# Standard base64 (what app/http/uploads.py decodes), after an optional data: URL's head.
BASE64 = r"^(data:[^,]*,)?([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"


class ApiBlueprint(flask_smorest.Blueprint):
    """A smorest blueprint whose argument errors are invalid-input problems."""

    ARGUMENTS_PARSER = parser


class FacesApi(flask_smorest.Api):
    """The document only: app/http/errors.py answers every error (problem+json), and
    app/api/docs.py serves the document and its page."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        pass

    def _register_doc_blueprint(self):
        pass

    def _register_responses(self):
        pass

    def _register_pagination_header(self):
        pass


def document(app: Flask) -> dict:
    """The app's OpenAPI document, made from the API blueprint's routes on first use and
    kept: made at start, it cost every app 0.15 s (every `flask faces ...` command, every
    worker, every test's app) whether or not anyone asked for it."""
    made = app.extensions.get("faces-openapi")
    if made is None:
        api = FacesApi(app, spec_kwargs={"title": TITLE, "version": VERSION, "openapi_version": "3.1.0",
                                         "info": {"description": DESCRIPTION}})
        api.register_converter(BoundedIntConverter, lambda _c: {"type": "integer", "minimum": 0,
                                                                "maximum": 10**18 - 1})
        for name, scheme in SECURITY_SCHEMES.items():
            api.spec.components.security_scheme(name, scheme)
        blueprint = app.blueprints["api"]
        blueprint.register_views_in_doc(api, app, api.spec, name=blueprint.name, parameters=None)
        made = app.extensions["faces-openapi"] = api.spec.to_dict()
    return made


def problems(bp: ApiBlueprint, *codes: int, **texts: str):
    """Document the problem documents a route can answer (texts: "e400" overrides)."""
    def decorator(view):
        for code in codes:
            view = bp.alt_response(code, schema=Problem, content_type="application/problem+json",
                                   description=texts.get(f"e{code}", PROBLEMS[code]),
                                   headers=HEADERS.get(code))(view)
        return view
    return decorator


def guarded(bp: ApiBlueprint, guard, security: list):
    """A route's guard (app/auth) with its security and 401 in the document. The guard runs
    first: a caller without a key learns nothing about their parameters."""
    def decorator(view):
        return guard(problems(bp, 401)(bp.doc(security=security)(view)))
    return decorator


def photo_body(schema, files=("file",), json_fields=("image",), raw=True) -> dict:
    """The requestBody of a photo route: multipart (files + the schema's fields), a raw
    image (when one photo), or JSON with base64 (json_fields + the schema's fields)."""
    fields = schema().fields
    multipart = {"type": "object", "required": list(files), "properties": {
        **{f: {"type": "string", "format": "binary"} for f in files}}}
    as_json = {"type": "object", "required": list(json_fields), "properties": {
        **{f: {"type": "string", "contentEncoding": "base64", "minLength": 1, "pattern": BASE64,
               "description": "The photo's bytes, base64 (a data: URL is fine)."} for f in json_fields}}}
    content = {"multipart/form-data": {"schema": multipart}}
    if raw:
        content.update({t: RAW_IMAGE for t in ("image/jpeg", "image/png", "image/webp", "image/bmp")})
    content["application/json"] = {"schema": as_json}
    if fields:  # the fields beside the photo are the schema's, by reference
        for body in (multipart, as_json):
            body["allOf"] = [schema]
    return {"required": True, "content": content, "description": (
        "The photo: multipart " + " and ".join(f"`{f}`" for f in files)
        + (", a raw image body" if raw else "") + ", or JSON " + " and ".join(f"`{f}`" for f in json_fields)
        + " (base64)." + (" The other fields may also come in the query string." if fields else ""))}


def photo_args(bp: ApiBlueprint, schema, **body):
    """Parse `schema` from the form, the JSON body or the query string (view kwargs) and
    document its fields as query parameters and in the photo's bodies."""
    def decorator(view):
        parsed = parser.use_kwargs(schema, location="params")(view)
        doc = {"requestBody": photo_body(schema, **body)}
        if schema().fields:
            doc["parameters"] = [{"in": "query", "schema": schema}]
        return bp.doc(**doc)(parsed)
    return decorator


def body_args(bp: ApiBlueprint, schema, one_of: tuple[str, ...] = ()):
    """Parse `schema` from the JSON body or the form (view kwargs) and document both.
    one_of: fields of which exactly one is to be sent (the service refuses both or none)."""
    body = {"allOf": [schema, {"oneOf": [{"required": [f]} for f in one_of]}]} if one_of else schema

    def decorator(view):
        parsed = parser.use_kwargs(schema, location="body")(view)
        return bp.doc(requestBody={"required": True, "content": {
            "application/json": {"schema": body},
            "application/x-www-form-urlencoded": {"schema": body}}})(parsed)
    return decorator


def no_content() -> Response:
    """204: an empty body (a Response, which smorest passes through as it is)."""
    return Response(status=204)
