"""Bulk enrolment on the Enrol page: a zip with a sub-folder per person, or several photos
of one person (dropped or chosen). The upload is saved and handed to a background job
(app/faces/bulk_jobs.py); the page follows the job's progress and shows its summary, also
after a reload."""
from __future__ import annotations

import secrets
import zipfile
from pathlib import Path

from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from ..auth import admin_required
from ..extensions import csrf, db
from ..faces import bulk_jobs
from ..errors import Problem, not_found
from ..models import ImportJob
from . import bp


def _saved_upload() -> tuple[Path, str]:
    """The upload saved under a random name in instance/imports: the zip as it came, or
    the photos put in a zip under the person's name. Its path and a name in words."""
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(8)}.zip"
    archive = request.files.get("archive")
    if archive and archive.filename:
        archive.save(path)
        return path, archive.filename
    photos = [f for f in request.files.getlist("photos") if f.filename]
    name = (request.form.get("name") or "").strip()
    if not photos or not name:
        raise Problem("invalid-input", "Choose a zip of per-person folders, or choose photos "
                      "and give the name of the person they show.")
    with zipfile.ZipFile(path, "w") as z:  # stored as is: photos do not compress
        for i, f in enumerate(photos):
            z.writestr(f"{name}/{i:05d}{Path(f.filename).suffix.lower() or '.jpg'}", f.read())
    return path, f"{len(photos)} photos of {name}"


@bp.post("/enrol/bulk")
@csrf.exempt  # checked below, once the larger body limit is set (CSRFProtect reads the body first)
@admin_required
def bulk_upload():
    """Start a bulk enrolment; answers the job's page (JSON {"url"} to the page's script)."""
    request.max_content_length = current_app.config["BULK_MAX_BYTES"]
    wants_json = request.accept_mimetypes.best == "application/json"
    try:
        _check_csrf()
        path, source = _saved_upload()
        try:
            job = bulk_jobs.start(path, source, current_user.username)
        except Problem:
            path.unlink(missing_ok=True)
            raise
    except (Problem, CSRFError, RequestEntityTooLarge) as e:
        detail = _detail(e)
        if wants_json:
            return jsonify(detail=detail), 400
        return render_template("bulk.html", error=detail, job=None), 400
    url = url_for("web.bulk_job", job_id=job.id)
    return jsonify(url=url, job=job.id) if wants_json else redirect(url)


def _check_csrf() -> None:
    """CSRFProtect's check, raised as its CSRFError (validate_csrf raises a form ValidationError)."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as e:
        raise CSRFError(e.args[0] if e.args else "The CSRF token is invalid.") from e


def _detail(e: Exception) -> str:
    if isinstance(e, RequestEntityTooLarge):
        return (f"The upload is larger than {current_app.config['BULK_MAX_BYTES'] / 1e6:.0f} MB: "
                "split it into several zips.")
    if isinstance(e, CSRFError):
        return "The form expired; reload the page and choose the files again."
    return e.detail


@bp.get("/enrol/bulk")
@admin_required
def bulk_page():
    """Enrol many people at once."""
    return render_template("bulk.html", job=None, error=None)


def _job(job_id: int) -> ImportJob:
    job = db.session.get(ImportJob, job_id)
    if job is None:
        raise not_found(f"import {job_id}")
    return job


@bp.get("/enrol/bulk/<int:job_id>")
@admin_required
def bulk_job(job_id: int):
    """One bulk enrolment: its progress, then its summary."""
    return render_template("bulk.html", job=bulk_jobs.job_status(_job(job_id)), error=None)


@bp.get("/enrol/bulk/<int:job_id>.json")
@admin_required
def bulk_job_status(job_id: int):
    """The job's progress for the page's script (polled once a second)."""
    return jsonify(bulk_jobs.job_status(_job(job_id)))
