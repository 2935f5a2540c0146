"""Arrivals, cameras, webhooks and their deliveries."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .sealed import SealedImage
from .base import utcnow

OPEN_VISIT = text("left_at IS NULL AND person_id IS NOT NULL")  # a known person still in view


class Event(db.Model):
    """An arrival on a camera: a known person first recognised in a track, or an unknown
    face. Pruned after LIVE_EVENTS_MAX_AGE_DAYS."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    camera: Mapped[str] = mapped_column(String(500))
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), default=None)
    name: Mapped[str | None] = mapped_column(String(120), default=None)  # None: unknown
    distance: Mapped[float | None] = mapped_column(default=None)
    thumbnail_jpeg: Mapped[bytes] = mapped_column(SealedImage)
    # An unknown face's group (its visit is one row however many tracks it takes). Indexed:
    # a merge moves the rows of the groups it deletes, and SQLite's foreign key check of each
    # deleted group would otherwise read every arrival (3.3 s a merge at 50,000 of them).
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("unknown_group.id", ondelete="SET NULL"), default=None, index=True)
    # The face's embedding, so that "not this person" can learn from an arrival.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    model: Mapped[str | None] = mapped_column(String(64), default=None)
    # A known person's visit: the last time they were seen in it, and when it ended (None
    # while they are still in view: present; app/events/presence.py).
    last_seen_at: Mapped[datetime | None] = mapped_column(default=None)
    left_at: Mapped[datetime | None] = mapped_column(default=None)

    # Last seen and one person's report; the whole report, read from the index alone; who
    # is here now, from an index of the open visits only (migration a9d2c4e6f801).
    __table_args__ = (Index("ix_event_person_id_created_at", "person_id", "created_at"),
                      Index("ix_event_visits", "created_at", "person_id", "camera", "name",
                            "last_seen_at", "left_at"),
                      Index("ix_event_open", "person_id", sqlite_where=OPEN_VISIT, postgresql_where=OPEN_VISIT))

    @property
    def known(self) -> bool:
        """Whether the face was named."""
        return self.name is not None


# --- Cameras and events ---------------------------------------------------------------

class Camera(db.Model):
    """A camera that the camera runner (app/stream/runner.py) captures and recognises,
    whether or not anyone watches it. `source` is checked by sources.check_source."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    source: Mapped[str] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(default=True)
    detect_side: Mapped[int] = mapped_column(default=320)  # detect on a copy this wide (px)
    min_face: Mapped[int] = mapped_column(default=40)  # pixels of the full frame
    # A region of the frame to ignore, "x,y,w,h" in frame pixels (None: none).
    ignore_region: Mapped[str | None] = mapped_column(String(64), default=None)
    # Recognition cycles per second at most (the budget is shared fairly by all cameras).
    recognition_fps: Mapped[float] = mapped_column(default=10.0)
    # With PostgreSQL: the host that must run this camera (a USB webcam), None: any host.
    pinned_host: Mapped[str | None] = mapped_column(String(120), default=None)
    # Keep unknown faces it sees as sightings for Who is this? (off unless an operator turns
    # it on: a stranger's face is biometric data kept without their knowing; docs/PRIVACY.md).
    learn_unknown: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Days its unknown faces and its arrivals are kept (None: the global defaults,
    # FACES_SIGHTINGS_MAX_AGE_DAYS and FACES_LIVE_EVENTS_MAX_AGE_DAYS; app/library/expiry.py).
    retain_sightings_days: Mapped[float | None] = mapped_column(default=None)
    retain_arrivals_days: Mapped[float | None] = mapped_column(default=None)
    # Whose faces its stream, snapshots and crops hide: "off", "unknown" (people not
    # enrolled, and faces not named yet) or "all" (app/stream/annotate.py).
    privacy: Mapped[str] = mapped_column(String(8), default="off", server_default="off")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def region(self) -> tuple[int, int, int, int] | None:
        if not self.ignore_region:
            return None
        x, y, w, h = (int(v) for v in self.ignore_region.split(","))
        return x, y, w, h

    def settings(self) -> tuple:
        """What the runner must restart the camera for when it changes."""
        return (self.source, self.enabled, self.detect_side, self.min_face,
                self.ignore_region, self.recognition_fps)


class Webhook(db.Model):
    """A URL that receives events as signed JSON POSTs; `rules` chooses which (JSON:
    {"events": [...], "people": [ids], "cameras": [ids]}, an empty list = all)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(128))
    rules: Mapped[str] = mapped_column(String(2000), default="{}")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Delivery(db.Model):
    """One event for one webhook: pending until delivered (2xx), retried with backoff,
    `failed` after WEBHOOK_RETRY_SECONDS. Sent in id order per webhook."""

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhook.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(String(8000))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    response_status: Mapped[int | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def event(self) -> dict:
        """The JSON body sent."""
        return json.loads(self.body)

    @property
    def retry_at(self) -> datetime | None:
        """When it is tried next: while pending only."""
        return self.next_attempt_at if self.status == "pending" else None
