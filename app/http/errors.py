"""Error handlers: under /api every error is an `application/problem+json` document with a
stable type; elsewhere a page with the same sentence."""
from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from ..extensions import db

from ..errors import ADMIN_ONLY, Problem
from ..models.sealed import DataKeyError
from ..recognition.errors import RecognitionError
from .problems import problem_document

log = logging.getLogger(__name__)

HTTP_TYPES = {
    400: ("invalid-input", "The request is malformed; check it against /api/openapi.json."),
    401: ("unauthorized", "Send an API key as 'Authorization: Bearer <key>' "
                          "(an operator creates one with 'flask faces create-api-key')."),
    403: ("forbidden", ADMIN_ONLY),
    404: ("not-found", "There is nothing at this address; /api/openapi.json lists the endpoints."),
    405: ("method-not-allowed", "This address does not take that method; see /api/openapi.json."),
    413: ("too-large", "The upload is over the size limit; send a smaller photo."),
    429: ("rate-limited", "Too many requests; wait a little and try again."),
}


def _wants_problem() -> bool:
    return request.path.startswith("/api")


def problem_response(p: Problem, headers: dict | None = None, status: int | None = None):
    """`p` (a Problem or a RecognitionError) as application/problem+json; `status` replaces
    the one its type maps to (app/http/problems.py) for a werkzeug HTTPException."""
    doc = problem_document(p, status)
    resp = jsonify(doc)
    resp.status_code = doc["status"]
    resp.mimetype = "application/problem+json"
    if doc["status"] == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="faces"'
    resp.headers.update(headers or {})
    return resp


def _render(p: Problem, headers: dict | None = None, status: int | None = None):
    """The problem as JSON under /api, else as a page; `headers` such as Allow (405) or
    Retry-After (429, 503, also from the error's `retry_after`) go on either."""
    retry = getattr(p, "retry_after", None)
    headers = {**(headers or {}), **({"Retry-After": str(retry)} if retry else {})}
    if _wants_problem():
        return problem_response(p, headers, status)
    doc = problem_document(p, status)
    page = render_template("error.html", problem=doc, detail=getattr(p, "page_detail", p.detail))
    return page, doc["status"], headers


def _data_key(e: DataKeyError):
    """A row sealed with a key dropped from FACES_DATA_KEY before its rotation ended."""
    db.session.rollback()
    log.error("face image not opened on %s: %s", request.path, e)
    return _render(Problem("data-key", f"{e} An administrator has to fix the server's setting."))


def register(app: Flask) -> None:
    app.register_error_handler(DataKeyError, _data_key)
    app.register_error_handler(Problem, _render)
    app.register_error_handler(RecognitionError, _render)  # busy (503) has a retry_after

    @app.errorhandler(IntegrityError)
    @app.errorhandler(StaleDataError)
    def _integrity(e: Exception):
        # Two requests changed the same rows at once: e.g. a photo added to a person that
        # another request deleted meanwhile. Nothing was saved; the client can retry.
        db.session.rollback()
        log.info("concurrent change refused on %s: %s", request.path, getattr(e, "orig", e))
        return _render(Problem("conflict", "Someone changed the same data at the same "
                               "moment (for example deleted this person); nothing was saved. "
                               "Reload and try again."))

    @app.errorhandler(OperationalError)
    def _database_busy(e: OperationalError):
        db.session.rollback()
        if "locked" not in str(e.orig) and "busy" not in str(e.orig):
            return _unexpected(e)
        return _render(Problem("busy", "The database is busy with other writes; nothing "
                               "was saved. Try again in a few seconds.", retry_after=2))

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException):
        type_, detail = HTTP_TYPES.get(e.code, ("invalid-input", e.description))
        if e.code == 429:
            detail = f"Too many requests (limit {e.description}); wait a little and try again."
        elif e.code == 400 and e.description and "CSRF" in e.description:
            type_, detail = "csrf", "The form expired or was not sent from this site; reload the page and try again."
        elif e.code == 413:
            limit = app.config["MAX_IMAGE_BYTES"] // (1024 * 1024)
            detail = f"The upload is over the limit of {limit} MB; send a smaller photo."
        # Keep what the exception says beyond its body: Allow on 405, Retry-After on 429.
        kept = {k: v for k, v in e.get_headers() if k.lower() in ("allow", "retry-after")}
        return _render(Problem(type_, detail), kept, e.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        log.exception("unhandled error on %s", request.path)
        return _render(Problem("server-error", "Something went wrong on the server; "
                               "the error is in its log. Try again later."))
