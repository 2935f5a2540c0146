"""Webhooks: events POSTed as JSON to each configured URL, signed, in order, retried.

Signature: `X-Faces-Signature: t=<unix seconds>,sha256=<hex>` where the hex is
HMAC-SHA256(secret, "<t>.<body>") — the receiver recomputes it over the raw body and
refuses old timestamps (replays). Deliveries are rows (`Delivery`), so that an event
queued by any worker survives a restart and is sent by the one process that runs the
cameras: per webhook the oldest pending delivery first (a later event never overtakes
an earlier one), retried after 1, 2, 4 ... s up to WEBHOOK_BACKOFF_MAX_SECONDS between
tries, and given up (`failed`) WEBHOOK_RETRY_SECONDS (an hour) after it was queued.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import delete, func, select

from ..extensions import db
from ..errors import Problem
from .targets import TargetError, check_host, split_url
from ..models import Delivery, Webhook, utcnow
from .rules import Rules

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Faces-Signature"
# Straight to the receiver (usually on the same network): no proxy from the environment.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"t={timestamp},sha256={mac.hexdigest()}"


def verify_signature(secret: str, body: bytes, header: str, max_age: float = 300) -> bool:
    """What a receiver does (the tests use it): recompute, compare in constant time."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    return abs(time.time() - timestamp) <= max_age and hmac.compare_digest(
        sign(secret, body, timestamp), header)


# Use-cases ----------------------------------------------------------------------------

def list_webhooks() -> list[Webhook]:
    return db.session.scalars(select(Webhook).order_by(Webhook.id)).all()


def get_webhook(webhook_id: int) -> Webhook:
    hook = db.session.get(Webhook, webhook_id)
    if hook is None:
        raise Problem("not-found", f"There is no webhook with id {webhook_id}. "
                      "Check the id (GET /api/webhooks lists them).")
    return hook


def check_url(url, allow_local: bool) -> str:
    """The URL stripped; an invalid-input Problem for anything but an http(s):// URL of at most 2,000
    characters, or one whose host is loopback or link-local unless `allow_local`."""
    if not isinstance(url, str) or len(url) > 2000:
        raise Problem("invalid-input", "url must be an http:// or https:// URL.")
    url = url.strip()
    try:
        parts = split_url(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise TargetError("url must be an http:// or https:// URL.")
        check_host(url, allow_local)
    except TargetError as e:
        raise Problem("invalid-input", f"url: {e}") from None
    return url


def create_webhook(url, rules=None, secret: str | None = None) -> tuple[Webhook, str]:
    """A new webhook and its secret (shown once; the receiver checks signatures with it)."""
    secret = secret or secrets.token_urlsafe(32)
    url = check_url(url, current_app.config["ALLOW_LOCAL_TARGETS"])
    hook = Webhook(url=url, secret=secret, rules=Rules.parse(rules).to_json())
    db.session.add(hook)
    db.session.flush()
    return hook, secret


def delete_webhook(hook: Webhook) -> None:
    db.session.delete(hook)


def deliveries(hook: Webhook, limit: int = 100) -> list[Delivery]:
    return db.session.scalars(select(Delivery).where(Delivery.webhook_id == hook.id)
                              .order_by(Delivery.id.desc()).limit(limit)).all()


def queue_webhooks(event: dict, only: Webhook | None = None) -> None:
    """A pending delivery for each webhook whose rules match (in the caller's transaction)."""
    hooks = [only] if only is not None else db.session.scalars(select(Webhook)).all()
    body = json.dumps(event)
    for hook in hooks:
        if Rules.parse(hook.rules).matches(event):
            db.session.add(Delivery(webhook_id=hook.id, body=body))


def send_test_event(hook: Webhook) -> Delivery:
    """Queue a `test` event for one webhook (the sender delivers it within a second)."""
    event = {"id": secrets.token_hex(16), "type": "test", "time": utcnow().isoformat() + "Z",
             "person_id": None, "name": None, "camera": None, "distance": None,
             "thumbnail_url": None}
    queue_webhooks(event, only=hook)
    db.session.flush()
    return db.session.scalars(select(Delivery).where(Delivery.webhook_id == hook.id)
                              .order_by(Delivery.id.desc()).limit(1)).one()


# The sender -------------------------------------------------------------------------

def _claim(delivery_id: int) -> Delivery | None:
    """The pending delivery, locked until the caller commits; None when it is no longer
    pending or another host's sender holds it (docs/CLUSTER.md: each host's camera process
    runs a sender, and without the lock two of them posted the same head at once). With
    PostgreSQL the row lock (FOR UPDATE SKIP LOCKED) goes with the sender's connection:
    a host killed in the middle of a POST frees it. SQLite has one sender and no locks."""
    return db.session.scalars(select(Delivery).where(Delivery.id == delivery_id, Delivery.status == "pending")
                              .with_for_update(skip_locked=True)
                              .execution_options(populate_existing=True)).first()


class Sender:
    """One thread, in the process that runs the cameras, that sends the pending deliveries."""

    def __init__(self, app: Flask):
        self.app = app
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="webhooks", daemon=True)

    def start(self) -> "Sender":
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)

    def _loop(self) -> None:
        # Other workers queue events (a test event) without waking this thread: poll too.
        poll = self.app.config["WEBHOOK_POLL_SECONDS"]
        pruned = float("-inf")
        while not self._stop.is_set():
            self._wake.wait(poll)
            self._wake.clear()
            try:
                with self.app.app_context():
                    if time.monotonic() - pruned > 3600:
                        self._prune()
                        pruned = time.monotonic()
                    while self._send_due() and not self._stop.is_set():
                        pass
            except Exception:
                log.exception("webhook sender")

    def _prune(self) -> None:
        """The delivery log keeps RETAIN_DELIVERIES_DAYS."""
        cutoff = utcnow() - timedelta(days=self.app.config["RETAIN_DELIVERIES_DAYS"])
        db.session.execute(delete(Delivery).where(Delivery.status != "pending",
                                                  Delivery.created_at < cutoff))
        db.session.commit()

    def _send_due(self) -> bool:
        """Try the head of each webhook's queue once; True if anything was delivered
        (then the next ones may go at once)."""
        now = utcnow()
        cfg = self.app.config
        heads = db.session.execute(
            select(Delivery.webhook_id, func.min(Delivery.id))
            .where(Delivery.status == "pending").group_by(Delivery.webhook_id)).all()
        progressed = False
        for webhook_id, delivery_id in heads:
            delivery = _claim(delivery_id)
            hook = db.session.get(Webhook, webhook_id)
            if delivery is None or hook is None or delivery.next_attempt_at > now:
                db.session.commit()  # not ours now (sent, deleted, held elsewhere) or not due: unlocked
                continue
            if now - delivery.created_at > timedelta(seconds=cfg["WEBHOOK_RETRY_SECONDS"]):
                delivery.status = "failed"
                progressed = True
            else:
                ok = self._post(hook, delivery)
                progressed |= ok
                if not ok:
                    wait = min(2 ** delivery.attempts / 2, cfg["WEBHOOK_BACKOFF_MAX_SECONDS"])
                    delivery.next_attempt_at = utcnow() + timedelta(seconds=wait)
            db.session.commit()
        return progressed

    def _post(self, hook: Webhook, delivery: Delivery) -> bool:
        delivery.attempts += 1
        try:  # again at each try: a name may resolve to another address than when it was added
            check_host(hook.url, self.app.config["ALLOW_LOCAL_TARGETS"])
        except TargetError as e:
            delivery.last_error = str(e)[:500]
            return False
        body = delivery.body.encode()
        event = json.loads(delivery.body)
        request = urllib.request.Request(hook.url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "facerec-webhooks/1",
            SIGNATURE_HEADER: sign(hook.secret, body, int(time.time())),
            "X-Faces-Event": event["type"], "X-Faces-Delivery": str(delivery.id)})
        try:
            with DIRECT.open(request, timeout=self.app.config["WEBHOOK_TIMEOUT_SECONDS"]) as r:
                delivery.response_status = r.status
        except urllib.error.HTTPError as e:
            delivery.response_status, delivery.last_error = e.code, f"HTTP {e.code}"
            return False
        except (OSError, ValueError) as e:
            delivery.last_error = str(getattr(e, "reason", e))[:500]
            return False
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", utcnow(), None
        return True
