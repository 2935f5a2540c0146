"""Webhooks: list, add (the secret is shown once), remove, deliveries, a test event."""
from __future__ import annotations

from flask import url_for

from ..auth import key_required
from ..events.webhooks import (create_webhook, delete_webhook, deliveries, get_webhook,
                               list_webhooks, send_test_event)
from ..extensions import db
from ..stream.sync import camera_runner
from . import bp
from .args import DeliveriesQuery, NewWebhook
from .webhook_schemas import Deliveries, Delivery, NewWebhookOut, Webhooks
from .spec import KEY, guarded, no_content, problems

keyed = guarded(bp, key_required, KEY)
LOCATION = {"Location": {"schema": {"type": "string"}, "description": "/api/webhooks/{id}/deliveries"}}


@bp.get("/webhooks")
@keyed
@bp.response(200, Webhooks, description="Every webhook with its rules (not its secret).")
@problems(bp, 429)
def list_webhooks_view():
    """Every webhook with its rules"""
    return {"items": list_webhooks()}


@bp.post("/webhooks")
@keyed
@bp.arguments(NewWebhook, location="json")
@bp.response(201, NewWebhookOut, description="Added; the answer holds the secret, shown only this once.",
             headers=LOCATION)
@problems(bp, 400, 413, 429)
def create_webhook_view(fields: dict):
    """Add a webhook"""
    hook, secret = create_webhook(fields.get("url"), fields.get("rules"), fields.get("secret"))
    db.session.commit()
    camera_runner()  # the process that runs the cameras sends the deliveries
    return ({"hook": hook, "secret": secret}, 201,
            {"Location": url_for("api.webhook_deliveries_view", webhook_id=hook.id)})


@bp.delete("/webhooks/<int:webhook_id>")
@keyed
@bp.response(204, description="Removed, with its delivery log.")
@problems(bp, 404, 429)
def delete_webhook_view(webhook_id: int):
    """Remove a webhook"""
    delete_webhook(get_webhook(webhook_id))
    db.session.commit()
    return no_content()


@bp.get("/webhooks/<int:webhook_id>/deliveries")
@keyed
@bp.arguments(DeliveriesQuery, location="query", as_kwargs=True)
@bp.response(200, Deliveries, description="The delivery log, newest first.")
@problems(bp, 400, 404, 429)
def webhook_deliveries_view(webhook_id: int, limit: int):
    """A webhook's deliveries: status, attempts, last error"""
    return {"items": deliveries(get_webhook(webhook_id), limit)}


@bp.post("/webhooks/<int:webhook_id>/test")
@keyed
@bp.response(202, Delivery, description="Queued; its delivery shows in the log within a second.")
@problems(bp, 404, 429)
def test_webhook_view(webhook_id: int):
    """Send a test event to a webhook"""
    delivery = send_test_event(get_webhook(webhook_id))
    db.session.commit()
    camera_runner()
    return delivery, 202
