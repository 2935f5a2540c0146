"""Bulk enrolment from a zip as a background job: the upload request saves the zip and
returns at once; a thread of that process reads it member by member through
import_photos (the door's checks, as `flask faces import`) and writes its progress to the
job's row after each batch, which the page polls (any worker can answer it)."""
from __future__ import annotations

import json
import logging
import threading
import zipfile
from pathlib import Path

from flask import Flask, current_app

from ..extensions import db
from ..errors import Problem
from .zips import ZipLimits, photo_members
from ..models import ImportJob, utcnow
from .bulk import PHOTO_SUFFIXES, ImportReport, import_photos, person_name

BATCH = 16  # photos per transaction, and per progress update of the page
STALE_SECONDS = 120  # a running job not updated for this long died with its process


def limits() -> ZipLimits:
    cfg = current_app.config
    return ZipLimits(cfg["BULK_MAX_PHOTOS"], cfg["MAX_IMAGE_BYTES"], cfg["BULK_MAX_BYTES"] * 4)


def start(path: Path, source: str, operator: str) -> ImportJob:
    """Check the zip (a Problem if it is refused), make its job row and start its thread."""
    members, others = photo_members(path, limits())
    photos = [(folder, m) for folder, m in members if Path(m).suffix.lower() in PHOTO_SUFFIXES]
    if not photos:
        raise Problem("invalid-input", "The zip holds no photos in per-person folders: put each "
                      "person's JPEG, PNG or WebP photos in a folder named after them.")
    refused = ImportReport(len(photos))
    for m in others + [m for _, m in members if Path(m).suffix.lower() not in PHOTO_SUFFIXES]:
        refused.refuse(m, "not a photo in a person's folder", "skipped: only photos in a folder per person are read")
    job = ImportJob(operator=operator, source=source[:200], total=len(photos),
                    report=json.dumps(refused.to_dict()).encode())
    db.session.add(job)
    db.session.commit()
    app = current_app._get_current_object()
    threading.Thread(target=_run, args=(app, job.id, path, photos, refused), daemon=True,
                     name=f"import-{job.id}").start()
    return job


def _write(job_id: int, report: ImportReport, before: ImportReport, state: str = "running") -> None:
    job = db.session.get(ImportJob, job_id)
    merged = report.to_dict()
    merged["refused"] = dict(before.refused + report.refused)
    merged["examples"] = (before.examples + report.examples)[:100]
    job.state, job.done, job.added, job.updated_at = state, report.done, report.added, utcnow()
    job.report = json.dumps(merged).encode()
    db.session.commit()


def _run(app: Flask, job_id: int, path: Path, photos: list[tuple[str, str]], before: ImportReport) -> None:
    with app.app_context():
        try:
            with zipfile.ZipFile(path) as archive:
                jobs = ((person_name(folder), m, lambda m=m: archive.read(m)) for folder, m in photos)
                _write(job_id, ImportReport(len(photos)), before)
                report = import_photos(jobs, len(photos), batch=BATCH,
                                       progress=lambda r: _write(job_id, r, before))
            _write(job_id, report, before, "done")
        except Exception as exc:  # noqa: BLE001 - the page must learn that the job stopped
            logging.getLogger(__name__).exception("import job %d failed", job_id)
            db.session.rollback()
            job = db.session.get(ImportJob, job_id)
            job.state, job.error = "failed", f"The import stopped: {exc}"[:500]
            db.session.commit()
        finally:
            path.unlink(missing_ok=True)
            db.session.remove()


def job_status(job: ImportJob) -> dict:
    """The job as the page shows it; a running job whose process died reads as failed."""
    out = job.to_dict()
    if job.state in ("queued", "running") and (utcnow() - job.updated_at).total_seconds() > STALE_SECONDS:
        out["state"], out["error"] = "failed", ("The server stopped during the import. Upload the zip "
                                                "again: the photos already saved are skipped.")
    return out
