"""Retention: what is deleted when, for real (rows, and the crops and embeddings in them).

Global defaults (config, days): unknown faces (SIGHTINGS_MAX_AGE_DAYS), dismissed groups not
seen again (RETAIN_DISMISSED_DAYS), arrivals and events (LIVE_EVENTS_MAX_AGE_DAYS), the
thumbnails and embeddings of the arrivals kept longer than that (RETAIN_THUMBNAILS_DAYS),
webhook deliveries (RETAIN_DELIVERIES_DAYS). A camera may set its own days for the unknown
faces and the arrivals it made (Camera.retain_*_days; None: the default).

Each kind is deleted in batches of BATCH rows, each its own short transaction, so that a
million rows go without holding the database's write lock for more than a batch (requests
that write wait at most that long; readers never). Run hourly by each process in a thread
of its own (`start_if_due`), and by `flask faces expire`."""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import numpy as np
from flask import Flask, current_app
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import OperationalError

from ..extensions import db
from ..models import Camera, Delivery, Event, Sighting, UnknownGroup, utcnow
from .centres import group_centres
from .grouping import assigner

log = logging.getLogger(__name__)
BATCH = 5000  # rows a transaction
EVERY = 3600.0  # seconds between a process's passes


def _days(name: str) -> timedelta:
    return timedelta(days=current_app.config[name])


def _cameras(column) -> list[tuple[int, str, float]]:
    """(id, name, days) of the cameras that set their own days in `column`."""
    return list(db.session.execute(select(Camera.id, Camera.name, column).where(column.is_not(None))))


def _in_batches(model, where, pause: float = 0.0) -> int:
    """Delete the rows of `model` that `where` picks, BATCH at a time (one statement each,
    the ids chosen inside the database), committing each. Returns how many went."""
    table, gone = model.__table__, 0
    while True:
        batch = select(table.c.id).where(where).limit(BATCH).scalar_subquery()
        n = db.session.execute(delete(table).where(table.c.id.in_(batch))).rowcount
        db.session.commit()
        gone += n
        if n < BATCH:
            return gone
        time.sleep(pause)  # let a waiting writer in between two batches


def _old_sightings():
    """Which sightings are past their camera's days or the default, outside dismissed groups."""
    now, dismissed = utcnow(), select(UnknownGroup.id).where(UnknownGroup.status == "dismissed")
    own = _cameras(Camera.retain_sightings_days)
    rules = [and_(Sighting.camera_id == cid, Sighting.seen_at < now - timedelta(days=d)) for cid, _, d in own]
    rules.append(and_(or_(Sighting.camera_id.is_(None), Sighting.camera_id.not_in([c[0] for c in own])),
                      Sighting.seen_at < now - _days("SIGHTINGS_MAX_AGE_DAYS")))
    return and_(or_(*rules), Sighting.group_id.not_in(dismissed))


def _old_arrivals(days_setting: str, column):
    now, own = utcnow(), _cameras(column)
    rules = [and_(Event.camera == name, Event.created_at < now - timedelta(days=d)) for _, name, d in own]
    rules.append(and_(Event.camera.not_in([c[1] for c in own]), Event.created_at < now - _days(days_setting)))
    return or_(*rules)


def refit_groups(touched) -> None:
    """Groups that lost sightings: an open one left empty goes, the others' sums are
    recomputed from the sightings they keep. The caller commits."""
    work, empty = assigner(), []
    for group in db.session.scalars(select(UnknownGroup).where(UnknownGroup.id.in_(list(touched)))):
        vectors = [s.vector for s in group.sightings]
        if not vectors and group.status == "open":
            work.note(group.id, None)
            empty.append(group.id)
            continue
        total = np.sum(vectors, axis=0).astype(np.float32) if vectors else np.zeros(128, np.float32)
        group.centroid = total.tobytes()
        work.note(group.id, total if group.status == "open" else None)
    if empty:  # a statement, not the session: an expired group is no "merge" in the audit
        db.session.execute(delete(UnknownGroup).where(UnknownGroup.id.in_(empty)).execution_options(
            synchronize_session=False))


def _refit_in_batches(touched: set) -> None:
    touched = sorted(touched)
    for i in range(0, len(touched), 500):
        refit_groups(touched[i:i + 500])
        db.session.commit()


def expire_all(pause: float = 0.0) -> dict[str, int]:
    """Delete everything past its retention; how many of each kind went."""
    old = _old_sightings()
    touched = set(db.session.scalars(select(Sighting.group_id).where(old).distinct()))
    done = {"sightings": _in_batches(Sighting, old, pause)}
    _refit_in_batches(touched)
    stale = UnknownGroup.last_seen < utcnow() - _days("RETAIN_DISMISSED_DAYS")
    done["dismissed_groups"] = _in_batches(UnknownGroup, and_(UnknownGroup.status == "dismissed", stale),
                                           pause)  # their sightings cascade
    done["arrivals"] = _in_batches(Event, _old_arrivals("LIVE_EVENTS_MAX_AGE_DAYS", Camera.retain_arrivals_days),
                                   pause)
    done["thumbnails"] = db.session.execute(update(Event).where(
        _old_arrivals("RETAIN_THUMBNAILS_DAYS", Camera.retain_arrivals_days), func.length(Event.thumbnail_jpeg) > 0)
        .values(thumbnail_jpeg=b"", embedding=None)).rowcount
    db.session.commit()
    done["deliveries"] = _in_batches(Delivery, and_(
        Delivery.status != "pending", Delivery.created_at < utcnow() - _days("RETAIN_DELIVERIES_DAYS")), pause)
    log.info("expired: %s", done)
    return done


def start_if_due(app: Flask) -> None:
    """Start an expiry pass in a thread of this process when the last is an hour old."""
    from ..faces import state

    centres = group_centres()
    with state().lock:
        if time.monotonic() - centres.expired_at < EVERY:
            return
        centres.expired_at = time.monotonic()
    threading.Thread(target=_pass, args=(app,), name="expiry", daemon=True).start()


def _pass(app: Flask) -> None:
    with app.app_context():
        try:
            expire_all(pause=0.005)
        except OperationalError as exc:  # no tables yet, or locked: one line, the next pass tries again
            db.session.rollback()
            log.warning("expiry pass skipped: %s (tables missing: run `flask db upgrade`; locked: "
                        "the next pass tries again)", exc.orig)
        except Exception:  # noqa: BLE001 - the next pass tries again
            db.session.rollback()
            log.exception("expiry pass failed")
        finally:
            db.session.remove()


def rules_and_holdings() -> dict:
    """What Settings shows: each kind of data with its retention (days; the cameras' own
    days beside) and how many rows of it the database holds now."""
    from ..models import AuditEntry, Correction, Face, Person

    cfg = current_app.config

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count(model.id)).where(*where))

    kinds = [
        ("Unknown faces (Who is this?)", cfg["SIGHTINGS_MAX_AGE_DAYS"], count(Sighting)),
        ("Dismissed groups, not seen again", cfg["RETAIN_DISMISSED_DAYS"],
         count(UnknownGroup, UnknownGroup.status == "dismissed")),
        ("Arrivals and events", cfg["LIVE_EVENTS_MAX_AGE_DAYS"], count(Event)),
        ("Arrivals' thumbnails and embeddings", cfg["RETAIN_THUMBNAILS_DAYS"],
         count(Event, func.length(Event.thumbnail_jpeg) > 0)),
        ("Webhook deliveries", cfg["RETAIN_DELIVERIES_DAYS"], count(Delivery)),
        ("People enrolled (until deleted or erased)", None, count(Person)),
        ("Their faces: crops and embeddings", None, count(Face)),
        ("Corrections (not this person)", None, count(Correction)),
        ("Audit entries", None, count(AuditEntry))]
    cameras = db.session.execute(select(Camera.name, Camera.learn_unknown, Camera.retain_sightings_days,
                                        Camera.retain_arrivals_days).order_by(Camera.id)).all()
    return {"kinds": kinds, "cameras": cameras}
