"""Background jobs a page starts and then follows (bulk enrolment from a zip): the row is
the job's progress, read by any worker, so that the page survives a reload."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow

JOB_STATES = ("queued", "running", "done", "failed")


class ImportJob(db.Model):
    __tablename__ = "import_job"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)  # progress written at least this late
    operator: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(200))  # the zip's name, in words
    state: Mapped[str] = mapped_column(String(16), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    report: Mapped[bytes] = mapped_column(LargeBinary, default=b"{}")  # ImportReport.to_dict as JSON
    error: Mapped[str] = mapped_column(String(500), default="")

    def to_dict(self) -> dict:
        return {"id": self.id, "state": self.state, "source": self.source, "total": self.total,
                "done": self.done, "added": self.added, "error": self.error,
                "updated_at": self.updated_at.isoformat() + "Z", **json.loads(self.report or b"{}")}
