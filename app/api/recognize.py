"""Identify, verify and health endpoints."""
from __future__ import annotations

import os
import time

from flask import current_app, jsonify
from sqlalchemy import text

from ..extensions import db, limiter
from ..faces import analyze, identify
from ..gallery import current_gallery
from ..models import counts
from ..problems import Problem, no_face
from ..recognition.match import pairwise_distances, similarity_from_distance
from ..services import get_pipeline, pipeline_loaded
from . import bp
from .auth import has_key, key_for_recognition
from .images import int_param, read_image


@bp.post("/identify")
@key_for_recognition
def identify_view():
    """Every face in the photo with its name (null when unknown) and nearest candidates."""
    t0 = time.perf_counter()
    k = int_param("k", 3, 0, 20)
    photo = analyze(read_image())
    if not photo.faces:
        raise no_face()
    faces = identify(photo, k)
    _, _, state = current_gallery()
    timings = {n: round(v, 1) for n, v in photo.analysis.timings_ms.items()}
    timings["total"] = round((time.perf_counter() - t0) * 1e3, 1)
    return jsonify(faces=faces, model=get_pipeline().model_name,
                   threshold=state.identify_threshold, timings_ms=timings)


def _main_face(data: bytes, which: str):
    photo = analyze(data)
    if not photo.faces:
        raise Problem("no-face", 422, f"No face was found in {which}. Send a sharp, well-lit "
                      "photo in which the face is at least 40 pixels wide.")
    # Several faces: compare the largest, which is the subject in nearly every photo.
    return max(photo.faces, key=lambda f: f.detection.width * f.detection.height), len(photo.faces)


@bp.post("/verify")
@key_for_recognition
def verify_view():
    """Whether two photos show the same person (the largest face of each)."""
    a, na = _main_face(read_image("file1", "image1"), "the first photo (file1/image1)")
    b, nb = _main_face(read_image("file2", "image2"), "the second photo (file2/image2)")
    d = float(pairwise_distances(a.embedding[None], b.embedding[None])[0, 0])
    threshold = current_app.config["VERIFY_THRESHOLD"]
    return jsonify(same_person=d <= threshold, distance=round(d, 4),
                   similarity=round(similarity_from_distance(d), 4), threshold=threshold,
                   faces_found=[na, nb], model=get_pipeline().model_name,
                   faces=[a.detection.to_dict(), b.detection.to_dict()])


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
            "model_loaded": pipeline_loaded()}
    if database and has_key():
        body.update(counts(), worker_pid=os.getpid())
    return jsonify(body), 200 if database else 503
