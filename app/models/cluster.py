"""Hosts that share one PostgreSQL database, which camera each runs, and the visits in
progress (app/stream/leases.py and docs/CLUSTER.md say how they are used). Every time here
is the database's clock in UTC (`now()`), never a host's: a host whose clock is off takes
and renews leases like the others."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ClusterHost(db.Model):
    """One host of the cluster, as its last heartbeat left it (one a camera round, ~1 s)."""

    host_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    runs_cameras: Mapped[bool] = mapped_column(default=True)  # False: see why_not
    # Why it runs none: FACES_HOST_RUNS_CAMERAS is off, or the active model's weights are
    # not on it (it would hold leases and never start their cameras).
    why_not: Mapped[str | None] = mapped_column(String(300), default=None)
    url: Mapped[str | None] = mapped_column(String(500), default=None)  # HOST_URL: others relay from it
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class CameraLease(db.Model):
    """The host that runs a camera until `expires_at` (renewed each round). A row whose
    host stopped renewing it is free once expired; one that expires implausibly late (a
    hand edit) counts as free too."""

    camera_id: Mapped[int] = mapped_column(ForeignKey("camera.id", ondelete="CASCADE"), primary_key=True)
    host_id: Mapped[str] = mapped_column(String(120))
    since: Mapped[datetime]
    expires_at: Mapped[datetime]
    stats: Mapped[str | None] = mapped_column(Text, default=None)  # JSON: state, fps, lag


class OpenVisit(db.Model):
    """A visit in progress on a camera (a person's or an unknown group's), so that the host
    that takes the camera over continues it instead of announcing it again."""

    camera_id: Mapped[int] = mapped_column(ForeignKey("camera.id", ondelete="CASCADE"), primary_key=True)
    subject: Mapped[str] = mapped_column(String(40), primary_key=True)  # "person:5", "group:7"
    # Erasing the person ends it (their name is in it): the database deletes it with them.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), default=None)
    name: Mapped[str | None] = mapped_column(String(120), default=None)
    distance: Mapped[float | None] = mapped_column(default=None)
    last_seen_at: Mapped[datetime]
    # Its arrival's row, which the departure closes (presence.end_visit) on whichever host
    # ends the visit; None for an unknown group's visit (or before its arrival was written).
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), default=None)
