"""Identify, verify and health endpoints."""
from __future__ import annotations

import os

from flask import jsonify
from sqlalchemy import text

from ..auth import has_key, key_for_recognition
from ..extensions import db, limiter
from ..faces import identify, state, verify
from ..http.problems import no_face
from ..http.uploads import int_param, read_image
from ..models import counts
from . import bp


@bp.post("/identify")
@key_for_recognition
def identify_view():
    """Every face in the photo with its name (null when unknown) and nearest candidates."""
    k = int_param("k", 3, 0, 20)
    found = identify(read_image(), k)
    if not found.faces:
        raise no_face()
    return jsonify(faces=[f.to_dict() for f in found.faces], model=found.model,
                   threshold=found.threshold, timings_ms=found.timings_ms)


@bp.post("/verify")
@key_for_recognition
def verify_view():
    """Whether two photos show the same person (the largest face of each)."""
    first, second = read_image("file1", "image1"), read_image("file2", "image2")
    return jsonify(verify(first, second).to_dict())


@bp.get("/health")
@limiter.exempt  # load balancers and monitors poll it
def health_view():
    """Whether the model is loaded and the database reachable; with an API key also how
    many are enrolled and which worker answered (nobody else needs to know)."""
    try:
        db.session.execute(text("SELECT 1"))
        database = True
    except Exception:  # the point of a health check: report, don't raise
        db.session.rollback()
        database = False
    body = {"status": "ok" if database else "degraded", "database": database,
            "model_loaded": bool(state().pipelines)}
    if database and has_key():
        body.update(counts(), worker_pid=os.getpid())
    return jsonify(body), 200 if database else 503
